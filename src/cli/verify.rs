//! `pledge-registry verify`: a third party's checks of the registry's log, with the
//! files the registry published (see docs/audit-log.md for the commands).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;

use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::proofs::ConsistencyProof;
use crate::tlog::verify::{self, Growth, LogKey};

#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Check an attestation offline: its signature, the checkpoint it carries, and
    /// that the entry it cites is in that checkpoint; with --leaf, that the entry
    /// records what the attestation says; with --checkpoint and --consistency, that a
    /// later checkpoint you hold (a witness's) still holds it.
    Attestation {
        /// The attestation (a compact JWT), as served at
        /// /api/v1/suppliers/{id}/attestation.
        file: PathBuf,
        /// The registry's JWK set (/.well-known/jwks.json), saved to a file.
        #[arg(long)]
        jwks: PathBuf,
        /// The log's verifier key (`verifier_key` at /api/v1/log/key); repeat it
        /// with the retired ones to check checkpoints signed before a rotation.
        #[arg(long, required = true)]
        log_key: Vec<String>,
        /// The cited entry's public form (/api/v1/log/leaves/{seq}), saved to a file.
        #[arg(long)]
        leaf: Option<PathBuf>,
        /// A later signed checkpoint you trust, for example a witness's state file.
        #[arg(long, requires = "consistency")]
        checkpoint: Option<PathBuf>,
        /// The consistency proof from the attestation's checkpoint to --checkpoint
        /// (/api/v1/log/proofs/consistency?from=&to=), saved to a file.
        #[arg(long, requires = "checkpoint")]
        consistency: Option<PathBuf>,
    },
    /// Witness the log: check its newest checkpoint against the last one kept in
    /// --state, refuse a shrunk, forked or rewritten log, and keep the new one.
    Witness {
        /// The file that keeps the last checkpoint taken (created on the first run).
        #[arg(long)]
        state: PathBuf,
        /// The log's verifier key (`verifier_key` at /api/v1/log/key); repeat it
        /// with the retired ones (`retired`) to check a kept checkpoint signed before
        /// a rotation.
        #[arg(long, required = true)]
        log_key: Vec<String>,
        /// The registry's address: fetch its checkpoint and the proof from it.
        #[arg(
            long,
            required_unless_present = "checkpoint",
            conflicts_with = "checkpoint"
        )]
        url: Option<String>,
        /// A signed checkpoint to check instead, read from a file (another reader's,
        /// say).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// With --checkpoint: the consistency proof from the kept checkpoint to it.
        #[arg(long, requires = "checkpoint")]
        proof: Option<PathBuf>,
    },
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn proof_file(path: &Path) -> anyhow::Result<ConsistencyProof> {
    serde_json::from_str(&read(path)?)
        .with_context(|| format!("{} is not a consistency proof", path.display()))
}

fn refuse(why: String) -> anyhow::Error {
    anyhow::anyhow!("REFUSED: {why}")
}

pub fn run(command: VerifyCommand) -> anyhow::Result<()> {
    match command {
        VerifyCommand::Attestation {
            file,
            jwks,
            log_key,
            leaf,
            checkpoint,
            consistency,
        } => {
            let key = LogKey::parse_all(&log_key).map_err(anyhow::Error::msg)?;
            let jwks = serde_json::from_str(&read(&jwks)?).context("the JWK set is not JSON")?;
            let leaf = leaf
                .map(|p| std::fs::read(&p).with_context(|| format!("cannot read {}", p.display())))
                .transpose()?;
            let attested =
                verify::attestation(&read(&file)?, &jwks, &key, leaf.as_deref()).map_err(refuse)?;
            let c = &attested.claims;
            println!(
                "attestation verifies: {} ({}) is {} (pledge {}), issued {} by {}",
                c.supplier_name,
                c.sub,
                serde_json::to_value(c.status)?.as_str().unwrap_or_default(),
                c.pledge_version.as_deref().unwrap_or("not signed"),
                chrono::DateTime::from_timestamp(c.iat, 0).unwrap_or_default(),
                c.iss
            );
            let seq = c.log.as_ref().map_or(0, |l| l.seq);
            println!(
                "entry {seq} is in the signed checkpoint of {} entries",
                attested.checkpoint.size
            );
            if attested.leaf_checked {
                println!("entry {seq} records what the attestation says");
            }
            if let (Some(later), Some(proof)) = (checkpoint, consistency) {
                let later = key.checkpoint(&read(&later)?).map_err(refuse)?;
                verify::extends(&attested.checkpoint, &later, Some(&proof_file(&proof)?))
                    .map_err(refuse)?;
                println!(
                    "the checkpoint of {} entries you hold extends it: entry {seq} is there too",
                    later.size
                );
            }
            Ok(())
        }
        VerifyCommand::Witness {
            state,
            log_key,
            url,
            checkpoint,
            proof,
        } => {
            let key = LogKey::parse_all(&log_key).map_err(anyhow::Error::msg)?;
            let kept = match std::fs::read_to_string(&state) {
                Ok(note) => Some(
                    key.checkpoint(&note)
                        .map_err(|e| anyhow::anyhow!("the kept checkpoint: {e}"))?,
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e).context(format!("cannot read {}", state.display())),
            };
            let new_checkpoint = |note: &str| {
                key.checkpoint(note)
                    .map_err(|e| refuse(format!("the new checkpoint: {e}")))
            };
            let (note, new, proof) = match (url, checkpoint) {
                (Some(url), _) => fetch(&url, kept.as_ref(), &new_checkpoint)?,
                (None, Some(path)) => {
                    let note = read(&path)?;
                    let new = new_checkpoint(&note)?;
                    (note, new, proof.as_deref().map(proof_file).transpose()?)
                }
                (None, None) => anyhow::bail!("give --url or --checkpoint"),
            };
            let growth = match &kept {
                None => None,
                Some(old) => Some(verify::extends(old, &new, proof.as_ref()).map_err(refuse)?),
            };
            keep(&state, &note)?;
            match growth {
                None => println!("first checkpoint kept: {} entries", new.size),
                Some(Growth::Same) => println!("unchanged: {} entries", new.size),
                Some(Growth::Grew { from, to }) => {
                    println!("consistent: the log grew from {from} to {to} entries; kept")
                }
            }
            Ok(())
        }
    }
}

/// Writes the new checkpoint whole, or not at all.
fn keep(state: &Path, note: &str) -> anyhow::Result<()> {
    let mut tmp = state.as_os_str().to_owned();
    tmp.push(".new");
    std::fs::write(&tmp, note).with_context(|| format!("cannot write {}", state.display()))?;
    std::fs::rename(&tmp, state).with_context(|| format!("cannot write {}", state.display()))
}

/// The registry's newest checkpoint, checked with `check`, and, when one is kept, the
/// proof from it.
#[actix_web::main]
async fn fetch(
    url: &str,
    kept: Option<&Checkpoint>,
    check: &dyn Fn(&str) -> anyhow::Result<Checkpoint>,
) -> anyhow::Result<(String, Checkpoint, Option<ConsistencyProof>)> {
    crate::checker::install_crypto();
    let base = url.trim_end_matches('/');
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    let get = |path: String| {
        let client = client.clone();
        async move {
            let response = client
                .get(&path)
                .send()
                .await
                .with_context(|| format!("cannot fetch {path}"))?;
            if !response.status().is_success() {
                anyhow::bail!("{path} answered {}", response.status());
            }
            Ok::<_, anyhow::Error>(response.text().await?)
        }
    };
    let note = get(format!("{base}/api/v1/log/checkpoint")).await?;
    let new = check(&note)?;
    let size = new.size;
    let proof = match kept {
        Some(old) if old.size > 0 && size > old.size => {
            let text = get(format!(
                "{base}/api/v1/log/proofs/consistency?from={}&to={size}",
                old.size
            ))
            .await?;
            Some(serde_json::from_str(&text).context("the consistency proof is not JSON")?)
        }
        _ => None,
    };
    Ok((note, new, proof))
}
