//! Witness cosignatures (C2SP `tlog-cosignature`, the Ed25519 `cosignature/v1` type):
//! a witness's timestamped statement that a checkpoint is the largest consistent tree
//! it has seen of the log. A cosignature is one more signed-note signature line on the
//! checkpoint, under the witness's name, with key id type `0x04`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature type byte of an Ed25519 cosigner's key id and verifier key.
const COSIGNER: u8 = 0x04;

/// A witness as a log or a reader knows it: its name and Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    pub name: String,
    pub public: [u8; 32],
}

/// The key id of a cosigner `name` with `public`: SHA-256(name, "\n", 0x04, key)[:4].
pub fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([COSIGNER]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl Witness {
    /// The verifier key in the signed-note text form: `name+hex id+base64(0x04, key)`.
    pub fn verifier_key(&self) -> String {
        let mut key = vec![COSIGNER];
        key.extend_from_slice(&self.public);
        format!(
            "{}+{}+{}",
            self.name,
            crate::domain::text::hex(&key_id(&self.name, &self.public)),
            STANDARD.encode(key)
        )
    }

    /// Reads a cosigner's verifier key, checking the key id it states.
    pub fn parse(text: &str) -> Result<Witness, String> {
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("a witness's verifier key reads name+key id+key".into());
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err("a witness's name is not empty and has no spaces".into());
        }
        let key = STANDARD
            .decode(key)
            .map_err(|_| "the witness's key is not base64".to_owned())?;
        let public: [u8; 32] = match key.split_first() {
            Some((&COSIGNER, rest)) => rest
                .try_into()
                .map_err(|_| "an Ed25519 key is 32 bytes".to_owned())?,
            _ => {
                return Err(
                    "not an Ed25519 cosignature/v1 verifier key (its first byte is not 4)".into(),
                );
            }
        };
        if crate::domain::text::hex(&key_id(name, &public)) != id.to_ascii_lowercase() {
            return Err("the key id does not match the witness's name and key".into());
        }
        VerifyingKey::from_bytes(&public).map_err(|e| e.to_string())?;
        Ok(Witness {
            name: name.to_owned(),
            public,
        })
    }

    /// The cosignature of this witness on `note`'s body that `note` carries, if it
    /// carries a valid one: its time (Unix seconds).
    pub fn cosigned(&self, note: &str) -> Option<u64> {
        let (body, signatures) = split(note)?;
        signatures
            .lines()
            .find_map(|line| self.verify_line(&body, line))
    }

    /// The time of `line`, if it is this witness's valid cosignature of `body`.
    pub fn verify_line(&self, body: &str, line: &str) -> Option<u64> {
        let (name, blob) = line.strip_prefix("\u{2014} ")?.split_once(' ')?;
        let blob = STANDARD.decode(blob).ok()?;
        if name != self.name || blob.len() != 4 + 8 + 64 {
            return None;
        }
        if blob[..4] != key_id(&self.name, &self.public) {
            return None;
        }
        let time = u64::from_be_bytes(blob[4..12].try_into().ok()?);
        let signature = Signature::from_slice(&blob[12..]).ok()?;
        let key = VerifyingKey::from_bytes(&self.public).ok()?;
        key.verify(message(time, body).as_bytes(), &signature)
            .ok()
            .map(|_| time)
    }
}

/// The note's body (with its final newline) and its signature lines.
pub fn split(note: &str) -> Option<(String, &str)> {
    let (body, signatures) = note.split_once("\n\n")?;
    Some((format!("{body}\n"), signatures))
}

/// What a cosigner signs: the header, the time line, then the checkpoint's body.
fn message(time: u64, body: &str) -> String {
    format!("cosignature/v1\ntime {time}\n{body}")
}

/// A witness's cosignature line on the checkpoint `body` at `time` (Unix seconds).
pub fn cosign(name: &str, key: &SigningKey, time: u64, body: &str) -> String {
    let signature = key.sign(message(time, body).as_bytes());
    let mut blob = key_id(name, &key.verifying_key().to_bytes()).to_vec();
    blob.extend_from_slice(&time.to_be_bytes());
    blob.extend_from_slice(&signature.to_bytes());
    format!("\u{2014} {name} {}\n", STANDARD.encode(blob))
}

/// How many of `witnesses` have validly cosigned `note`, each counted once.
pub fn count(note: &str, witnesses: &[Witness]) -> usize {
    witnesses
        .iter()
        .filter(|w| w.cosigned(note).is_some())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::checkpoint::Checkpoint;

    #[test]
    fn a_cosignature_verifies_for_its_witness_and_body_only() {
        let log = SigningKey::from_bytes(&[1u8; 32]);
        let checkpoint = Checkpoint {
            origin: "registry.example/tech-pledge-log".into(),
            size: 20,
            root: [3u8; 32],
        };
        let note = checkpoint.sign(&log);
        let key = SigningKey::from_bytes(&[2u8; 32]);
        let w = Witness {
            name: "witness.example/w1".into(),
            public: key.verifying_key().to_bytes(),
        };
        assert_eq!(Witness::parse(&w.verifier_key()), Ok(w.clone()));
        // A log's verifier key (type 0x01) is not a witness's.
        let log_vkey = crate::tlog::checkpoint::verifier_key(
            "witness.example/w1",
            &log.verifying_key().to_bytes(),
        );
        assert!(Witness::parse(&log_vkey).is_err());

        let line = cosign(&w.name, &key, 1_679_315_147, &checkpoint.body());
        let cosigned = format!("{note}{line}");
        assert_eq!(w.cosigned(&cosigned), Some(1_679_315_147));
        assert_eq!(w.cosigned(&note), None);
        assert_eq!(count(&cosigned, std::slice::from_ref(&w)), 1);
        // The log's own signature still verifies with the cosignature after it.
        let public = log.verifying_key().to_bytes();
        assert!(Checkpoint::verify(&cosigned, &checkpoint.origin, &public).is_ok());
        // Another size, another witness of the same name, or another time: refused.
        let grown = cosigned.replacen("\n20\n", "\n21\n", 1);
        assert_eq!(w.cosigned(&grown), None);
        let other = Witness {
            name: w.name.clone(),
            public: SigningKey::from_bytes(&[9u8; 32])
                .verifying_key()
                .to_bytes(),
        };
        assert_eq!(other.cosigned(&cosigned), None);
        let mut blob = STANDARD
            .decode(line.trim_end().rsplit(' ').next().unwrap())
            .unwrap();
        blob[11] ^= 1;
        let moved = format!("{note}\u{2014} {} {}\n", w.name, STANDARD.encode(&blob));
        assert_eq!(w.cosigned(&moved), None);
    }
}
