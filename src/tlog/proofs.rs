//! The verifiable log's public shapes: proofs as the API serves them and as the
//! verifier (`pledge-registry verify`) reads them back, and the log's key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::tlog::merkle::Hash;

/// Base64, as proofs and checkpoints write hashes.
pub fn b64(h: &Hash) -> String {
    STANDARD.encode(h)
}

/// A base64 SHA-256 hash back, or why not.
pub fn unb64(text: &str) -> Result<Hash, String> {
    STANDARD
        .decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("{text:?} is not a base64 SHA-256 hash"))
}

/// The key that signs checkpoints, as signed-note verifiers take it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LogKey {
    /// The checkpoints' origin line, and the key's name.
    pub origin: String,
    /// `name+key id+base64(0x01 || Ed25519 public key)`, the form signed-note tools read.
    pub verifier_key: String,
    /// Keys that signed checkpoints before the key was rotated, newest first, in the
    /// same form: a witness passes them too, to check a checkpoint it kept from then.
    pub retired: Vec<RetiredLogKey>,
}

/// A key that no longer signs checkpoints.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RetiredLogKey {
    pub verifier_key: String,
    pub retired_at: chrono::DateTime<chrono::Utc>,
}

/// An inclusion proof (RFC 9162 §2.1.3); hashes are base64 SHA-256.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InclusionProof {
    pub seq: u64,
    /// `seq - 1`: the leaf's place in the tree.
    pub leaf_index: u64,
    pub tree_size: u64,
    /// SHA-256 of 0x00 and the entry's public form (`/api/v1/log/leaves/{seq}`).
    pub leaf_hash: String,
    /// The audit path, from the leaf up.
    pub hashes: Vec<String>,
    /// The root of the tree of `tree_size` entries.
    pub root: String,
}

/// A consistency proof (RFC 9162 §2.1.4); hashes are base64 SHA-256.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub hashes: Vec<String>,
    pub from_root: String,
    pub to_root: String,
}

/// Where an attestation's supplier stands in the log: the newest public entry about
/// it, proven in the checkpoint it carries, so the attestation checks offline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogEntryProof {
    /// The published checkpoint (a C2SP signed note, with the witnesses' cosignatures)
    /// the proof leads to.
    pub checkpoint: String,
    /// The entry's sequence number; its public form is at `/api/v1/log/leaves/{seq}`.
    pub seq: u64,
    /// SHA-256 of 0x00 and the entry's public form, base64.
    pub leaf_hash: String,
    /// The inclusion proof of the entry in the checkpoint's tree, from the leaf up.
    pub inclusion: Vec<String>,
}
