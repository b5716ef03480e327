//! The checkpoints the registry publishes, and the guard before each one.
//!
//! A checkpoint is signed only here, and only after the guard has held the log and its
//! tree against the last checkpoint published: the newest in `log_checkpoints` and the
//! copy this instance keeps in its data folder, apart from the database. The log must
//! have no gap, its tree must hold every entry and no more, the tree's root at each
//! published size must be the published root, and the newest entries must be the
//! leaves the tree holds. If not, nothing is signed and every write is refused, saying
//! why; the operator looks, and `pledge-registry rebuild-tree` refuses to make a tree
//! that does not extend what was published.
//!
//! Each new checkpoint goes to the witnesses of `REGISTRY_WITNESSES` with a
//! consistency proof from the last one each cosigned; their cosignatures are kept and
//! served on the checkpoint.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::auth::KeyRing;
use crate::db::models::{audit, checkpoints, log_tree, now, signing_keys};
use crate::db::{Database, DbConn};
use crate::error::{Error, Result};
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::verify::LogKey;
use crate::witness::client::{self, Answer, Configured};

/// A checkpoint as served: the registry's signed note and the witnesses' cosignatures.
#[derive(Debug, Clone)]
pub struct Published {
    pub checkpoint: Checkpoint,
    /// The signed note, cosignature lines included.
    pub note: String,
    /// How many witnesses cosigned it.
    pub cosigned: usize,
}

/// Signs and publishes checkpoints for one instance.
pub struct Publisher {
    origin: String,
    keys: Arc<KeyRing>,
    /// This instance's copy of the last checkpoint it published or found published.
    kept: PathBuf,
    witnesses: Vec<Configured>,
    http: reqwest::Client,
    /// One publication at a time on this instance (the log's lock orders instances).
    turn: tokio::sync::Mutex<()>,
}

fn refuse(why: impl Into<String>) -> Error {
    Error::LogRefused(why.into())
}

impl Publisher {
    pub fn new(
        origin: String,
        keys: Arc<KeyRing>,
        kept: PathBuf,
        witnesses: Vec<Configured>,
        timeout: std::time::Duration,
    ) -> anyhow::Result<Publisher> {
        // Witnesses are asked over the same TLS as the registry's other requests.
        crate::checker::install_crypto();
        Ok(Publisher {
            origin,
            keys,
            kept,
            witnesses,
            http: client::http(timeout)?,
            turn: Default::default(),
        })
    }

    pub fn witnesses(&self) -> &[Configured] {
        &self.witnesses
    }

    /// The log's keys: the one this instance signs with, and every key the registry has
    /// recorded (during a rotation another instance may sign with the new one first).
    fn log_key(&self, conn: &mut DbConn) -> Result<LogKey> {
        let mut publics = vec![self.keys.current().signing.verifying_key().to_bytes()];
        for row in signing_keys::all(conn)? {
            if let Some(x) = URL_SAFE_NO_PAD
                .decode(&row.public_x)
                .ok()
                .and_then(|x| <[u8; 32]>::try_from(x).ok())
            {
                publics.push(x);
            }
        }
        Ok(LogKey {
            name: self.origin.clone(),
            publics,
        })
    }

    /// This instance's copy of the last published checkpoint, if it has one.
    fn read_kept(&self) -> Result<Option<String>> {
        match std::fs::read_to_string(&self.kept) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(refuse(format!(
                "the copy of the last published checkpoint ({}) cannot be read: {e}",
                self.kept.display()
            ))),
        }
    }

    /// Keeps `note` as this instance's copy when it is newer than the copy.
    fn keep(&self, checkpoint: &Checkpoint, note: &str) {
        let newer = match self.read_kept() {
            Ok(Some(text)) => text
                .lines()
                .nth(1)
                .and_then(|s| s.parse::<u64>().ok())
                .is_none_or(|size| size < checkpoint.size),
            _ => true,
        };
        if newer && let Err(e) = crate::files::write_atomically(&self.kept, note.as_bytes()) {
            tracing::warn!(error = %e, path = %self.kept.display(), "the published checkpoint's copy was not written");
        }
    }

    /// The last checkpoints published, each checked: the database's newest and this
    /// instance's copy, both signed by the log's keys, the copy no newer than the
    /// database's. The newest of them is [`Self::last`].
    pub fn published(&self, conn: &mut DbConn) -> Result<(Option<Checkpoint>, Option<Checkpoint>)> {
        let key = self.log_key(conn)?;
        let stored = match checkpoints::newest(conn)? {
            None => None,
            Some(row) => {
                let named = row.note.lines().next().unwrap_or_default();
                if named != self.origin {
                    return Err(refuse(format!(
                        "the published checkpoints are of the log {named:?}, but REGISTRY_PUBLIC_URL names this one {:?}: a log keeps its name",
                        self.origin
                    )));
                }
                let c = key.checkpoint(&row.note).map_err(|e| {
                    refuse(format!(
                        "the newest published checkpoint in the database (of {} entries) is not the registry's: {e}",
                        row.size
                    ))
                })?;
                if c.size != row.size as u64 || c.root.as_slice() != row.root.as_slice() {
                    return Err(refuse(format!(
                        "the published checkpoint of {} entries is stored with another size or root than it was signed with",
                        row.size
                    )));
                }
                Some(c)
            }
        };
        let kept = match self.read_kept()? {
            None => None,
            Some(text) => Some(key.checkpoint(&text).map_err(|e| {
                refuse(format!(
                    "the copy of the last published checkpoint ({}) is not the registry's: {e}",
                    self.kept.display()
                ))
            })?),
        };
        if let Some(k) = &kept {
            let stored_size = stored.as_ref().map_or(0, |s| s.size);
            if k.size > stored_size {
                return Err(refuse(format!(
                    "this instance published a checkpoint of {} entries, but the database's newest published checkpoint is of {stored_size}: published checkpoints were deleted",
                    k.size
                )));
            }
        }
        Ok((stored, kept))
    }

    /// The newest of [`Self::published`].
    pub fn last(&self, conn: &mut DbConn) -> Result<Option<Checkpoint>> {
        let (stored, kept) = self.published(conn)?;
        Ok(match (stored, kept) {
            (Some(s), Some(k)) if k.size > s.size => Some(k),
            (Some(s), _) => Some(s),
            (None, k) => k,
        })
    }

    /// The guard: checks the log and its tree against the last checkpoint published
    /// (the database's newest and this instance's copy, both signed by the log's
    /// keys); returns that checkpoint. `thorough` also counts every entry (at start).
    /// Fails with [`Error::LogRefused`] saying what is wrong.
    pub fn check(&self, conn: &mut DbConn, thorough: bool) -> Result<Option<Checkpoint>> {
        let (stored, kept) = self.published(conn)?;
        let max = if thorough {
            let (count, max) = audit::extent(conn)?;
            if count != max {
                return Err(refuse(format!(
                    "the log's numbers run to {max} but it holds {count} entries: entries were deleted"
                )));
            }
            max
        } else {
            audit::last_seq(conn)?
        };
        let tree = log_tree::size(conn)?;
        if tree != max {
            return Err(refuse(format!(
                "the log's newest entry is {max} but its Merkle tree holds {tree} entries"
            )));
        }
        for published in stored.iter().chain(kept.iter()) {
            if tree < published.size {
                return Err(refuse(format!(
                    "the log holds {tree} entries, fewer than the {} of a checkpoint it published: its newest entries were deleted",
                    published.size
                )));
            }
            if log_tree::root(conn, published.size)? != published.root {
                return Err(refuse(format!(
                    "the Merkle tree's root at {} entries is not the root published for that size: the tree was rebuilt or rewritten",
                    published.size
                )));
            }
        }
        let last = match (stored, kept) {
            (Some(s), Some(k)) if k.size > s.size => Some(k),
            (Some(s), _) => Some(s),
            (None, k) => k,
        };
        // The entries are the leaves the tree holds: at start the last 256 published
        // and everything after; before a signature, the last published and after.
        let from = match &last {
            Some(c) if thorough => c.size.saturating_sub(255),
            Some(c) => c.size,
            None => tree.saturating_sub(255),
        }
        .max(1);
        if let Some((_, why)) = audit::leaves_differ(conn, from, tree)? {
            return Err(refuse(why));
        }
        Ok(last)
    }

    /// [`Self::check`] in a transaction of its own that holds the log's lock, so that no
    /// append lands between what it reads (which would look like a tree out of step).
    pub fn check_locked(&self, conn: &mut DbConn, thorough: bool) -> Result<Option<Checkpoint>> {
        diesel::Connection::transaction(conn, |conn| {
            crate::db::take_write_lock(conn)?;
            audit::lock_chain(conn)?;
            self.check(conn, thorough)
        })
    }

    /// Signs a checkpoint of the tree as it is, if it grew since the last one, after
    /// the guard. Runs in the caller's write transaction.
    fn sign_if_grown(&self, conn: &mut DbConn) -> Result<Option<(Checkpoint, String)>> {
        audit::lock_chain(conn)?;
        let last = self.check(conn, false)?;
        let size = log_tree::size(conn)?;
        if last.as_ref().is_some_and(|c| c.size == size) {
            return Ok(None);
        }
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size,
            root: log_tree::root(conn, size)?,
        };
        let note = checkpoint.sign(&self.keys.current().signing);
        checkpoints::insert(
            conn,
            &checkpoints::CheckpointRow {
                size: size as i64,
                root: checkpoint.root.to_vec(),
                note: note.clone(),
                published_at: now(),
            },
        )?;
        Ok(Some((checkpoint, note)))
    }

    /// The newest published checkpoint, as served.
    pub fn current(&self, conn: &mut DbConn) -> Result<Option<Published>> {
        let Some(row) = checkpoints::newest(conn)? else {
            return Ok(None);
        };
        let lines = checkpoints::cosignatures(conn, row.size as u64)?;
        let mut note = row.note;
        for (_, line) in &lines {
            note.push_str(line);
        }
        Ok(Some(Published {
            checkpoint: Checkpoint {
                origin: self.origin.clone(),
                size: row.size as u64,
                root: row.root.try_into().map_err(|_| {
                    Error::Internal(anyhow::anyhow!("a stored root is not 32 bytes"))
                })?,
            },
            note,
            cosigned: lines.len(),
        }))
    }

    /// The newest checkpoint, published first when the tree has grown past it (and
    /// cosigned by the witnesses, when there are any). When the guard refuses, the
    /// last published one is served and every write is refused from then on.
    pub async fn publish(self: &Arc<Self>, db: &Database) -> Result<Published> {
        let witnesses = self.witnesses.len();
        if let Some(c) = self.fresh(db).await? {
            // Up to date and cosigned by every witness; or this instance signs nothing
            // more, having found the log does not agree with what it published.
            if c.cosigned >= witnesses || db.refusal().is_some() {
                return Ok(c);
            }
        }
        // One publication at a time here: a read that comes while the witnesses are
        // asked waits for their answers, so it is served what they cosigned.
        let _turn = self.turn.lock().await;
        if let Some(c) = self.fresh(db).await? {
            return Ok(c);
        }
        let me = self.clone();
        match db.transaction(move |conn| me.sign_if_grown(conn)).await {
            Ok(Some((checkpoint, note))) => {
                self.keep(&checkpoint, &note);
                tracing::debug!(size = checkpoint.size, "checkpoint published");
                self.witness(db).await;
            }
            Ok(None) => {}
            Err(Error::LogRefused(why)) => db.refuse_writes(&why),
            Err(e) => return Err(e),
        }
        let me = self.clone();
        db.run(move |conn| me.current(conn)).await?.ok_or_else(|| {
            refuse("no checkpoint has been published and the guard refuses to sign one")
        })
    }

    /// The newest published checkpoint if the tree has not grown past it (or this
    /// instance refuses to sign).
    async fn fresh(self: &Arc<Self>, db: &Database) -> Result<Option<Published>> {
        let me = self.clone();
        let (current, size) = db
            .run(move |conn| Ok::<_, Error>((me.current(conn)?, log_tree::size(conn)?)))
            .await?;
        Ok(current.filter(|c| c.checkpoint.size == size || db.refusal().is_some()))
    }

    /// Asks every witness that has not cosigned the newest checkpoint to cosign it;
    /// keeps what they answer. A witness that says the log does not extend what it
    /// cosigned before makes this instance refuse writes.
    pub async fn witness(self: &Arc<Self>, db: &Database) -> usize {
        if self.witnesses.is_empty() {
            return 0;
        }
        let Ok(Some((row, done))) = db
            .run(move |conn| -> Result<_> {
                let Some(row) = checkpoints::newest(conn)? else {
                    return Ok(None);
                };
                let done = checkpoints::cosignatures(conn, row.size as u64)?;
                Ok(Some((row, done)))
            })
            .await
        else {
            return 0;
        };
        let asks = self
            .witnesses
            .iter()
            .filter(|w| !done.iter().any(|(name, _)| *name == w.witness.name))
            .map(|w| self.ask(db, w, row.size as u64, &row.note));
        futures_util::future::join_all(asks)
            .await
            .into_iter()
            .filter(|ok| *ok)
            .count()
    }

    /// Asks one witness; true when it cosigned.
    async fn ask(&self, db: &Database, w: &Configured, size: u64, note: &str) -> bool {
        let name = w.witness.name.clone();
        let mut old = db
            .run(move |conn| Ok::<_, Error>(checkpoints::witnessed(conn, &name)?))
            .await
            .ok()
            .flatten()
            .unwrap_or(0);
        for _ in 0..2 {
            if old > size {
                db.refuse_writes(&format!(
                    "the witness {} has cosigned a checkpoint of {old} entries, more than the {size} published now: the log lost entries it had published",
                    w.witness.name
                ));
                return false;
            }
            let proof = if old == 0 || old == size {
                Vec::new()
            } else {
                match db
                    .run(move |conn| {
                        Ok::<_, Error>(log_tree::consistency_answer(conn, old, size)?.0)
                    })
                    .await
                {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::warn!(error = %e, "no consistency proof for a witness");
                        return false;
                    }
                }
            };
            match client::add_checkpoint(&self.http, w, old, &proof, note).await {
                Ok(Answer::Cosigned(lines)) => {
                    let body = crate::tlog::cosignature::split(note)
                        .map(|(b, _)| b)
                        .unwrap_or_default();
                    let Some((line, time)) = lines.iter().find_map(|l| {
                        w.witness
                            .verify_line(&body, l.trim_end())
                            .map(|t| (l.clone(), t))
                    }) else {
                        tracing::warn!(witness = %w.witness.name, "a witness answered without a valid cosignature");
                        return false;
                    };
                    let at = chrono::DateTime::from_timestamp(time as i64, 0)
                        .map(|t| t.naive_utc())
                        .unwrap_or_else(now);
                    let name = w.witness.name.clone();
                    return db
                        .run(move |conn| {
                            Ok::<_, Error>(checkpoints::add_cosignature(
                                conn, size, &name, &line, at,
                            )?)
                        })
                        .await
                        .is_ok();
                }
                Ok(Answer::Conflict(theirs)) if theirs != old => old = theirs,
                Ok(Answer::Conflict(_)) => return false,
                Ok(Answer::Refused(422, why)) => {
                    db.refuse_writes(&format!(
                        "the witness {} refused the checkpoint of {size} entries: {}",
                        w.witness.name,
                        why.trim()
                    ));
                    return false;
                }
                Ok(Answer::Refused(status, why)) => {
                    tracing::warn!(witness = %w.witness.name, status, why = why.trim(), "a witness refused a checkpoint");
                    return false;
                }
                Err(e) => {
                    tracing::warn!(witness = %w.witness.name, error = %e, "a witness was not reached");
                    return false;
                }
            }
        }
        false
    }
}
