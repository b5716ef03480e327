//! Signed checkpoints of the log's Merkle tree, in the C2SP `tlog-checkpoint` format
//! (a signed note, C2SP `signed-note`): the log's origin, its size and its root, signed
//! with the registry's Ed25519 key.
//!
//! ```text
//! registry.example/tech-pledge-log
//! 10342
//! 3w0fz6JxY7m8Hk7e0Jm5r0pQ5cT1xXo8Zy6bN3aU4wQ=
//!
//! — registry.example/tech-pledge-log Az3grh1u...base64(key id || signature)
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::tlog::merkle::Hash;

/// A tree head: how many entries, and the root over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

/// The log's origin line: the registry's public address without its scheme, then
/// `/tech-pledge-log`.
pub fn origin(public_url: &str) -> String {
    let bare = public_url
        .trim_end_matches('/')
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    format!("{bare}/tech-pledge-log")
}

/// The signed-note key hash of an Ed25519 key named `name`: the first four bytes of
/// SHA-256(name, "\n", 0x01, public key).
pub fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([0x01]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The verifier key in the signed-note text form: `name+hex key id+base64(0x01, key)`.
pub fn verifier_key(name: &str, public: &[u8; 32]) -> String {
    let mut key = vec![0x01];
    key.extend_from_slice(public);
    format!(
        "{name}+{}+{}",
        crate::domain::text::hex(&key_id(name, public)),
        STANDARD.encode(key)
    )
}

/// Reads a verifier key in the signed-note text form (as `/api/v1/log/key` serves it):
/// its name and Ed25519 public key, checking the key id it states.
pub fn parse_verifier_key(text: &str) -> Result<(String, [u8; 32]), String> {
    // A name holds no '+'; the base64 key may.
    let mut parts = text.trim().splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("a verifier key reads name+key id+key".into());
    };
    let key = STANDARD
        .decode(key)
        .map_err(|_| "the key is not base64".to_owned())?;
    let public: [u8; 32] = match key.split_first() {
        Some((0x01, rest)) => rest
            .try_into()
            .map_err(|_| "an Ed25519 key is 32 bytes".to_owned())?,
        _ => return Err("not an Ed25519 verifier key (its first byte is not 1)".into()),
    };
    if crate::domain::text::hex(&key_id(name, &public)) != id.to_ascii_lowercase() {
        return Err("the key id does not match the name and key".into());
    }
    Ok((name.to_owned(), public))
}

impl Checkpoint {
    /// The note's text: what is signed.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    /// The signed note, signed by `key` under the origin's name.
    pub fn sign(&self, key: &ed25519_dalek::SigningKey) -> String {
        let body = self.body();
        let signature = key.sign(body.as_bytes());
        let mut blob = key_id(&self.origin, &key.verifying_key().to_bytes()).to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        format!(
            "{body}\n\u{2014} {} {}\n",
            self.origin,
            STANDARD.encode(blob)
        )
    }

    /// Reads a signed note and checks it is signed by `public` under the name `origin`.
    pub fn verify(note: &str, origin: &str, public: &[u8; 32]) -> Result<Checkpoint, String> {
        let body = verify_note(note, origin, public)?;
        let mut lines = body.lines();
        let (Some(found_origin), Some(size), Some(root)) =
            (lines.next(), lines.next(), lines.next())
        else {
            return Err("a checkpoint has an origin, a size and a root".into());
        };
        if found_origin != origin {
            return Err(format!(
                "the checkpoint is of {found_origin:?}, not {origin:?}"
            ));
        }
        let size: u64 = size
            .parse()
            .map_err(|_| format!("size {size:?} is not a number"))?;
        let root: Hash = STANDARD
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or("the root is not a base64 SHA-256 hash")?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

/// Checks that a signed note carries a valid Ed25519 signature by `public` under the
/// key name `name`; returns its text.
pub fn verify_note(note: &str, name: &str, public: &[u8; 32]) -> Result<String, String> {
    let (body, signatures) = note
        .split_once("\n\n")
        .ok_or("not a signed note: no blank line before the signatures")?;
    let body = format!("{body}\n");
    let key = VerifyingKey::from_bytes(public).map_err(|e| e.to_string())?;
    let want = key_id(name, public);
    let signed = signatures.lines().any(|line| {
        let Some((found, blob)) = line
            .strip_prefix("\u{2014} ")
            .and_then(|rest| rest.split_once(' '))
        else {
            return false;
        };
        let Ok(blob) = STANDARD.decode(blob) else {
            return false;
        };
        found == name
            && blob.len() == 68
            && blob[..4] == want
            && Signature::from_slice(&blob[4..])
                .is_ok_and(|s| key.verify(body.as_bytes(), &s).is_ok())
    });
    if signed {
        Ok(body)
    } else {
        Err("no valid signature by the registry's key".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of C2SP signed-note: its verifier key and the note it verifies.
    #[test]
    fn the_published_signed_note_example_verifies() {
        let vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
        let encoded = STANDARD
            .decode(vkey.splitn(3, '+').nth(2).unwrap())
            .unwrap();
        assert_eq!(encoded[0], 0x01);
        let public: [u8; 32] = encoded[1..].try_into().unwrap();
        assert_eq!(verifier_key("example.com/foo", &public), vkey);
        assert_eq!(
            parse_verifier_key(vkey),
            Ok(("example.com/foo".to_owned(), public))
        );
        let note = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
        assert_eq!(
            verify_note(note, "example.com/foo", &public).as_deref(),
            Ok("This is an example message.\n")
        );
        assert!(
            verify_note(
                &note.replace("example message", "example massage"),
                "example.com/foo",
                &public
            )
            .is_err()
        );
    }

    #[test]
    fn a_checkpoint_signs_and_verifies_and_any_change_is_caught() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let public = key.verifying_key().to_bytes();
        let c = Checkpoint {
            origin: origin("https://registry.example/"),
            size: 10342,
            root: [9u8; 32],
        };
        assert_eq!(c.origin, "registry.example/tech-pledge-log");
        let note = c.sign(&key);
        assert!(note.starts_with("registry.example/tech-pledge-log\n10342\n"));
        assert!(note.contains("\n\n\u{2014} registry.example/tech-pledge-log "));
        assert_eq!(Checkpoint::verify(&note, &c.origin, &public), Ok(c.clone()));
        let grown = note.replacen("10342", "10343", 1);
        assert!(Checkpoint::verify(&grown, &c.origin, &public).is_err());
        let other = ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]);
        assert!(Checkpoint::verify(&c.sign(&other), &c.origin, &public).is_err());
        assert!(Checkpoint::verify(&note, "another.example/log", &public).is_err());
        let vkey = verifier_key(&c.origin, &public);
        assert!(vkey.starts_with("registry.example/tech-pledge-log+"));
        assert_eq!(parse_verifier_key(&vkey), Ok((c.origin.clone(), public)));
        assert!(parse_verifier_key(&vkey.replacen("registry", "registrar", 1)).is_err());
    }
}
