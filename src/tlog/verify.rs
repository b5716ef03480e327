//! What a third party checks, with nothing but what the registry published: an
//! attestation against the checkpoint it carries (and, through a consistency proof, a
//! later one), and a new checkpoint against the last one a witness kept. Every check
//! here is offline; `pledge-registry verify` does the reading and fetching.

use serde_json::Value;

use crate::tlog::attestation::{self, AttestationClaims};
use crate::tlog::checkpoint::{Checkpoint, origin};
use crate::tlog::merkle::{self, Hash};
use crate::tlog::proofs::{ConsistencyProof, unb64};

/// The log's keys as a verifier holds them: the name checkpoints are signed under,
/// and its Ed25519 public keys (the one in use, and any retired ones a kept
/// checkpoint may be signed with), read with [`crate::tlog::checkpoint::parse_verifier_key`].
#[derive(Debug, Clone)]
pub struct LogKey {
    pub name: String,
    pub publics: Vec<[u8; 32]>,
}

impl LogKey {
    pub fn parse(verifier_key: &str) -> Result<Self, String> {
        Self::parse_all(&[verifier_key])
    }

    /// Several verifier keys of one log.
    pub fn parse_all(verifier_keys: &[impl AsRef<str>]) -> Result<Self, String> {
        let mut name = None;
        let mut publics = Vec::new();
        for text in verifier_keys {
            let (n, public) = crate::tlog::checkpoint::parse_verifier_key(text.as_ref())?;
            if name.as_ref().is_some_and(|first| first != &n) {
                return Err(format!(
                    "the keys name two logs: {} and {n}",
                    name.unwrap_or_default()
                ));
            }
            name = Some(n);
            publics.push(public);
        }
        Ok(LogKey {
            name: name.ok_or("no log key given")?,
            publics,
        })
    }

    /// A signed checkpoint of this log, checked: signed by one of its keys.
    pub fn checkpoint(&self, note: &str) -> Result<Checkpoint, String> {
        let mut why = String::new();
        for public in &self.publics {
            match Checkpoint::verify(note, &self.name, public) {
                Ok(c) => return Ok(c),
                Err(e) => why = e,
            }
        }
        Err(why)
    }
}

/// A checkpoint a reader requiring `quorum` witnesses accepts: signed by the log and
/// validly cosigned by at least `quorum` of `witnesses` (each counted once).
pub fn cosigned(
    key: &LogKey,
    note: &str,
    witnesses: &[crate::tlog::cosignature::Witness],
    quorum: usize,
) -> Result<Checkpoint, String> {
    let checkpoint = key.checkpoint(note)?;
    let have = crate::tlog::cosignature::count(note, witnesses);
    if have < quorum {
        return Err(format!(
            "the checkpoint of {} entries is cosigned by {have} of the witnesses trusted, fewer than the {quorum} required",
            checkpoint.size
        ));
    }
    Ok(checkpoint)
}

fn hashes(list: &[String]) -> Result<Vec<Hash>, String> {
    list.iter().map(|h| unb64(h)).collect()
}

/// What a checked attestation shows.
#[derive(Debug)]
pub struct Attested {
    pub claims: AttestationClaims,
    /// The checkpoint the attestation's entry is proven in.
    pub checkpoint: Checkpoint,
    /// Whether the entry's public form was given and matched the claims.
    pub leaf_checked: bool,
}

/// Checks an attestation offline: its signature (with the registry's JWK set), the
/// checkpoint it carries (with the log's key), that the entry it cites is in that
/// checkpoint's tree, and, when the entry's public form (`/api/v1/log/leaves/{seq}`)
/// is given, that the form is that entry's and says what the claims say.
pub fn attestation(
    token: &str,
    jwks: &jsonwebtoken::jwk::JwkSet,
    key: &LogKey,
    leaf: Option<&[u8]>,
) -> Result<Attested, String> {
    let claims = attestation::verify(token.trim(), jwks)
        .map_err(|e| format!("the attestation's signature does not verify: {e}"))?;
    let cited = claims.log.clone().ok_or(
        "the attestation cites no log entry (its supplier's last change predates the public log)",
    )?;
    let checkpoint = key
        .checkpoint(&cited.checkpoint)
        .map_err(|e| format!("the attestation's checkpoint: {e}"))?;
    if checkpoint.origin != origin(&claims.iss) {
        return Err(format!(
            "the checkpoint is of {:?}, but {} issued the attestation",
            checkpoint.origin, claims.iss
        ));
    }
    let leaf_hash = unb64(&cited.leaf_hash)?;
    if cited.seq == 0 {
        return Err("the cited entry's seq is 0".into());
    }
    merkle::verify_inclusion(
        &leaf_hash,
        cited.seq - 1,
        checkpoint.size,
        &hashes(&cited.inclusion)?,
        &checkpoint.root,
    )
    .map_err(|e| {
        format!(
            "entry {} is not in the checkpoint's tree of {}: {e}",
            cited.seq, checkpoint.size
        )
    })?;
    if let Some(form) = leaf {
        leaf_matches(form, &leaf_hash, cited.seq, &claims)?;
    }
    Ok(Attested {
        claims,
        checkpoint,
        leaf_checked: leaf.is_some(),
    })
}

/// The entry's public form is the cited leaf, and it records what the claims say.
fn leaf_matches(
    form: &[u8],
    leaf_hash: &Hash,
    seq: u64,
    claims: &AttestationClaims,
) -> Result<(), String> {
    if &merkle::leaf_hash(form) != leaf_hash {
        return Err("the entry's public form does not hash to the cited leaf".into());
    }
    let entry: Value =
        serde_json::from_slice(form).map_err(|e| format!("the entry is not JSON: {e}"))?;
    if entry["seq"].as_u64() != Some(seq) {
        return Err(format!(
            "the public form is of entry {}, not {seq}",
            entry["seq"]
        ));
    }
    if entry["supplier_id"].as_str() != Some(claims.sub.as_str()) {
        return Err("the entry is about another supplier".into());
    }
    let public = &entry["public"];
    let pairs: [(&str, Value); 8] = [
        ("name", said(&claims.supplier_name)),
        ("slug", said(&claims.supplier_slug)),
        ("company_number", said(&claims.company_number)),
        ("status", said(&claims.status)),
        ("pledge_version", said(&claims.pledge_version)),
        (
            "signed_current_version",
            said(&claims.signed_current_version),
        ),
        ("identity_verified", said(&claims.identity_verified)),
        ("evidence_summary", said(&claims.evidence_health)),
    ];
    for (field, claimed) in pairs {
        if public[field] != claimed {
            return Err(format!(
                "the attestation says {field} is {claimed}, the log says {}",
                public[field]
            ));
        }
    }
    Ok(())
}

/// A claim as JSON, to set beside what the entry recorded.
fn said(claim: &impl serde::Serialize) -> Value {
    serde_json::to_value(claim).unwrap_or_default()
}

/// How a new checkpoint stands to the last one kept.
#[derive(Debug, PartialEq, Eq)]
pub enum Growth {
    /// The same tree.
    Same,
    /// The log grew from `from` to `to` entries, keeping every earlier one.
    Grew { from: u64, to: u64 },
}

/// Checks that `new` extends `old`: the same tree, or a larger one with a consistency
/// proof between them. A smaller tree (entries deleted), another tree of the same size
/// (a fork), or a proof that fails (an earlier entry rewritten, or a fork) is refused.
pub fn extends(
    old: &Checkpoint,
    new: &Checkpoint,
    proof: Option<&ConsistencyProof>,
) -> Result<Growth, String> {
    if old.origin != new.origin {
        return Err(format!(
            "the checkpoints are of two logs: {:?} and {:?}",
            old.origin, new.origin
        ));
    }
    if new.size < old.size {
        return Err(format!(
            "the log shrank from {} to {} entries: entries were deleted",
            old.size, new.size
        ));
    }
    if new.size == old.size {
        return if new.root == old.root {
            Ok(Growth::Same)
        } else {
            Err(format!(
                "a fork: two different logs of {} entries were signed",
                old.size
            ))
        };
    }
    if old.size == 0 {
        return Ok(Growth::Grew {
            from: 0,
            to: new.size,
        });
    }
    let proof = proof.ok_or_else(|| {
        format!(
            "a consistency proof from {} to {} entries is needed",
            old.size, new.size
        )
    })?;
    if proof.from != old.size || proof.to != new.size {
        return Err(format!(
            "the proof is from {} to {}, not from {} to {}",
            proof.from, proof.to, old.size, new.size
        ));
    }
    merkle::verify_consistency(
        old.size,
        new.size,
        &hashes(&proof.hashes)?,
        &old.root,
        &new.root,
    )
    .map_err(|e| {
        format!(
            "the log of {} entries does not extend the one of {} kept: an earlier entry was rewritten or the log forked ({e})",
            new.size, old.size
        )
    })?;
    Ok(Growth::Grew {
        from: old.size,
        to: new.size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::merkle::{MemoryNodes, consistency_proof, root};
    use crate::tlog::proofs::b64;

    fn tree(leaves: &[&str]) -> MemoryNodes {
        let mut t = MemoryNodes::default();
        for l in leaves {
            t.push(l.as_bytes());
        }
        t
    }

    fn head(t: &MemoryNodes) -> Checkpoint {
        Checkpoint {
            origin: "registry.example/tech-pledge-log".into(),
            size: t.size(),
            root: root(t, t.size()).unwrap(),
        }
    }

    fn proof(t: &MemoryNodes, from: u64) -> ConsistencyProof {
        ConsistencyProof {
            from,
            to: t.size(),
            hashes: consistency_proof(t, from, t.size())
                .unwrap()
                .iter()
                .map(b64)
                .collect(),
            from_root: String::new(),
            to_root: String::new(),
        }
    }

    #[test]
    fn a_checkpoint_signed_with_a_retired_key_checks_when_that_key_is_given() {
        let (old, new) = (
            ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]),
            ed25519_dalek::SigningKey::from_bytes(&[2u8; 32]),
        );
        let c = head(&tree(&["a"]));
        let vkey = |k: &ed25519_dalek::SigningKey| {
            crate::tlog::checkpoint::verifier_key(&c.origin, &k.verifying_key().to_bytes())
        };
        let both = LogKey::parse_all(&[vkey(&new), vkey(&old)]).unwrap();
        let only_new = LogKey::parse(&vkey(&new)).unwrap();
        assert_eq!(both.checkpoint(&c.sign(&old)), Ok(c.clone()));
        assert_eq!(both.checkpoint(&c.sign(&new)), Ok(c.clone()));
        assert!(only_new.checkpoint(&c.sign(&old)).is_err());
        let elsewhere = crate::tlog::checkpoint::verifier_key("other.example/log", &[3u8; 32]);
        assert!(LogKey::parse_all(&[vkey(&new), elsewhere]).is_err());
    }

    #[test]
    fn a_grown_log_is_taken_and_a_shrunk_forked_or_rewritten_one_refused() {
        let old = tree(&["a", "b", "c"]);
        let grown = tree(&["a", "b", "c", "d", "e"]);
        assert_eq!(
            extends(&head(&old), &head(&grown), Some(&proof(&grown, 3))),
            Ok(Growth::Grew { from: 3, to: 5 })
        );
        assert_eq!(extends(&head(&old), &head(&old), None), Ok(Growth::Same));
        let shrunk = tree(&["a", "b"]);
        assert!(
            extends(&head(&old), &head(&shrunk), None)
                .unwrap_err()
                .contains("deleted")
        );
        let forked = tree(&["a", "b", "x"]);
        assert!(
            extends(&head(&old), &head(&forked), None)
                .unwrap_err()
                .contains("fork")
        );
        let rewritten = tree(&["a", "B", "c", "d", "e"]);
        assert!(
            extends(&head(&old), &head(&rewritten), Some(&proof(&rewritten, 3)))
                .unwrap_err()
                .contains("rewritten")
        );
        assert!(extends(&head(&old), &head(&grown), None).is_err());
        assert!(extends(&head(&old), &head(&grown), Some(&proof(&grown, 2))).is_err());
    }
}
