//! `pledge-registry witness serve`: a witness anyone can run. It follows the logs whose
//! verifier keys it is given, keeps the newest checkpoint it cosigned of each in its
//! state file, and cosigns a new one only with a proof that it extends that one: a
//! fork, a shrink or a rewrite is refused, whoever asks.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use actix_web::{HttpResponse, web};
use anyhow::Context;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use serde::{Deserialize, Serialize};

use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::cosignature::{self, Witness};
use crate::tlog::merkle::{self, Hash};
use crate::tlog::proofs::{b64, unb64};
use crate::tlog::verify::LogKey;

/// What the witness keeps of one log: the newest checkpoint it cosigned.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Kept {
    pub size: u64,
    pub root: String,
}

/// A running witness's settings and state.
pub struct WitnessState {
    name: String,
    key: SigningKey,
    logs: BTreeMap<String, LogKey>,
    state_file: PathBuf,
    /// The state, read and written under this lock: a check and its update are one step.
    kept: Mutex<BTreeMap<String, Kept>>,
}

impl WitnessState {
    /// Loads the key (created, mode 0600, when missing) and the state file (empty
    /// when missing); `logs` are the followed logs' verifier keys.
    pub fn open(
        name: &str,
        key_file: &Path,
        state_file: &Path,
        logs: &[String],
    ) -> anyhow::Result<WitnessState> {
        if name.is_empty() || name.contains(char::is_whitespace) || name.contains('+') {
            anyhow::bail!("a witness's name has no spaces and no '+'");
        }
        let key = load_or_generate(key_file)?;
        let mut by_origin: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for vkey in logs {
            let (origin, _) = crate::tlog::checkpoint::parse_verifier_key(vkey)
                .map_err(|e| anyhow::anyhow!("--log {vkey}: {e}"))?;
            by_origin.entry(origin).or_default().push(vkey.clone());
        }
        let logs = by_origin
            .into_iter()
            .map(|(origin, keys)| {
                Ok((
                    origin,
                    LogKey::parse_all(&keys).map_err(anyhow::Error::msg)?,
                ))
            })
            .collect::<anyhow::Result<_>>()?;
        let kept = match std::fs::read_to_string(state_file) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("{} is not a witness's state", state_file.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e).context(format!("cannot read {}", state_file.display())),
        };
        Ok(WitnessState {
            name: name.to_owned(),
            key,
            logs,
            state_file: state_file.to_owned(),
            kept: Mutex::new(kept),
        })
    }

    /// The witness as logs and readers configure it.
    pub fn witness(&self) -> Witness {
        Witness {
            name: self.name.clone(),
            public: self.key.verifying_key().to_bytes(),
        }
    }

    /// What the witness keeps of the log `origin`.
    pub fn kept(&self, origin: &str) -> Option<Kept> {
        self.kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(origin)
            .cloned()
    }

    /// Answers one `add-checkpoint` request: the status and body.
    pub fn add_checkpoint(&self, body: &str) -> (u16, String) {
        let Some((old, proof, note)) = super::parse_request(body) else {
            return (
                400,
                "the body is not an old size line, proof lines, an empty line and a checkpoint\n"
                    .into(),
            );
        };
        let origin = note.lines().next().unwrap_or_default();
        let Some(log) = self.logs.get(origin) else {
            return (404, format!("this witness does not follow {origin:?}\n"));
        };
        let checkpoint = match log.checkpoint(note) {
            Ok(c) => c,
            Err(why) => return (403, format!("{why}\n")),
        };
        if old > checkpoint.size {
            return (400, "the old size is larger than the checkpoint's\n".into());
        }
        if checkpoint.size == 0 && checkpoint.root != merkle::empty_root() {
            return (422, "an empty tree's root is the hash of nothing\n".into());
        }
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let known = kept.get(origin).cloned();
        let known_size = known.as_ref().map_or(0, |k| k.size);
        if old != known_size {
            return (409, format!("{known_size}\n"));
        }
        if let Err(why) = extends(known.as_ref(), &checkpoint, &proof) {
            tracing::warn!(
                origin,
                size = checkpoint.size,
                why,
                "a checkpoint that does not extend the kept one was refused"
            );
            return (422, format!("{why}\n"));
        }
        let mut next = kept.clone();
        next.insert(
            origin.to_owned(),
            Kept {
                size: checkpoint.size,
                root: b64(&checkpoint.root),
            },
        );
        if let Err(e) = save(&self.state_file, &next) {
            tracing::error!(error = %e, "the witness's state could not be saved");
            return (500, "the witness could not keep its state\n".into());
        }
        *kept = next;
        let time = chrono::Utc::now().timestamp().max(1) as u64;
        (
            200,
            cosignature::cosign(&self.name, &self.key, time, &checkpoint.body()),
        )
    }
}

/// Whether `checkpoint` extends `kept` by `proof` (anything extends nothing, with no
/// proof).
fn extends(kept: Option<&Kept>, checkpoint: &Checkpoint, proof: &[Hash]) -> Result<(), String> {
    let Some(kept) = kept.filter(|k| k.size > 0) else {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err("a proof from the empty tree must be empty".into())
        };
    };
    let root = unb64(&kept.root)?;
    merkle::verify_consistency(kept.size, checkpoint.size, proof, &root, &checkpoint.root).map_err(
        |e| {
            format!(
                "the checkpoint of {} does not extend the one of {} kept: {e}",
                checkpoint.size, kept.size
            )
        },
    )
}

fn save(path: &Path, kept: &BTreeMap<String, Kept>) -> std::io::Result<()> {
    crate::files::write_atomically(path, serde_json::to_string_pretty(kept)?.as_bytes())
}

fn load_or_generate(path: &Path) -> anyhow::Result<SigningKey> {
    if path.exists() {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the witness key {}", path.display()))?;
        return SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            anyhow::anyhow!("{} is not an Ed25519 PKCS#8 PEM key: {e}", path.display())
        });
    }
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key
        .to_pkcs8_pem(Default::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::files::write_private(path, pem.as_bytes())
        .with_context(|| format!("cannot write the witness key {}", path.display()))?;
    Ok(key)
}

async fn add_checkpoint(state: web::Data<WitnessState>, body: String) -> HttpResponse {
    let (status, text) = web::block(move || state.add_checkpoint(&body))
        .await
        .unwrap_or((500, "the witness failed\n".into()));
    let content_type = if status == 409 {
        "text/x.tlog.size"
    } else {
        "text/plain; charset=utf-8"
    };
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or_default())
        .content_type(content_type)
        .body(text)
}

/// Serves `add-checkpoint` on `listener` until stopped.
pub fn run(
    listener: TcpListener,
    state: web::Data<WitnessState>,
) -> std::io::Result<actix_web::dev::Server> {
    Ok(actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(64 * 1024))
            .route("/add-checkpoint", web::post().to(add_checkpoint))
    })
    .workers(2)
    .listen(listener)?
    .run())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::merkle::{MemoryNodes, consistency_proof, root};

    fn tree(n: u64) -> MemoryNodes {
        let mut m = MemoryNodes::default();
        for i in 0..n {
            m.push(&i.to_be_bytes());
        }
        m
    }

    #[test]
    fn the_witness_cosigns_growth_and_refuses_forks_shrinks_and_stale_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let log = SigningKey::from_bytes(&[5u8; 32]);
        let origin = "registry.example/tech-pledge-log";
        let vkey = crate::tlog::checkpoint::verifier_key(origin, &log.verifying_key().to_bytes());
        let w = WitnessState::open(
            "w.example/1",
            &dir.path().join("key.pem"),
            &dir.path().join("state.json"),
            &[vkey],
        )
        .unwrap();
        let note = |m: &MemoryNodes, n: u64| {
            Checkpoint {
                origin: origin.into(),
                size: n,
                root: root(m, n).unwrap(),
            }
            .sign(&log)
        };
        let big = tree(40);
        // First: from nothing, no proof.
        let (status, line) = w.add_checkpoint(&super::super::request(0, &[], &note(&big, 10)));
        assert_eq!(status, 200, "{line}");
        assert!(
            w.witness()
                .cosigned(&format!("{}{line}", note(&big, 10)))
                .is_some()
        );
        // Growth with its proof.
        let proof = consistency_proof(&big, 10, 30).unwrap();
        assert_eq!(
            w.add_checkpoint(&super::super::request(10, &proof, &note(&big, 30)))
                .0,
            200
        );
        // A stale old size: 409 with the size kept.
        assert_eq!(
            w.add_checkpoint(&super::super::request(10, &proof, &note(&big, 30))),
            (409, "30\n".into())
        );
        // A fork: another tree of 35 with the same first 10 entries, proven from 30 with the other tree.
        let mut other = tree(10);
        for i in 100..125u64 {
            other.push(&i.to_be_bytes());
        }
        let proof = consistency_proof(&other, 30, 35).unwrap();
        assert_eq!(
            w.add_checkpoint(&super::super::request(30, &proof, &note(&other, 35)))
                .0,
            422
        );
        // A shrink: old larger than the checkpoint.
        assert_eq!(
            w.add_checkpoint(&super::super::request(30, &[], &note(&big, 20)))
                .0,
            400
        );
        // Same size, another root.
        assert_eq!(
            w.add_checkpoint(&super::super::request(30, &[], &note(&other, 30)))
                .0,
            422
        );
        // Unknown log, unsigned checkpoint.
        let stranger = Checkpoint {
            origin: "other.example/log".into(),
            size: 1,
            root: root(&big, 1).unwrap(),
        }
        .sign(&log);
        assert_eq!(
            w.add_checkpoint(&super::super::request(0, &[], &stranger))
                .0,
            404
        );
        let forged = note(&big, 40).replace("\n40\n", "\n39\n");
        assert_eq!(
            w.add_checkpoint(&super::super::request(30, &[], &forged)).0,
            403
        );
        // The state survives a restart.
        drop(w);
        let again = WitnessState::open(
            "w.example/1",
            &dir.path().join("key.pem"),
            &dir.path().join("state.json"),
            &[crate::tlog::checkpoint::verifier_key(
                origin,
                &log.verifying_key().to_bytes(),
            )],
        )
        .unwrap();
        assert_eq!(again.kept(origin).map(|k| k.size), Some(30));
    }
}
