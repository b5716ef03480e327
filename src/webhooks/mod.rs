//! Webhooks: telling procurement tools of changes as they happen, in the Standard
//! Webhooks format (<https://www.standardwebhooks.com/>): each message carries
//! `webhook-id`, `webhook-timestamp` and `webhook-signature`, an HMAC-SHA256 of
//! `id.timestamp.body` with the subscription's secret (`whsec_...`), so a receiver
//! checks with any Standard Webhooks library that the registry sent it, unchanged.
//!
//! Calls go out under the evidence checker's address rules: public addresses only,
//! checked on every resolution, redirects never followed, bounded time and reads.

pub mod filters;
pub mod send;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The prefix of a secret as Standard Webhooks writes it.
const PREFIX: &str = "whsec_";

/// A subscription's signing secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

impl Secret {
    /// A new random secret of 32 bytes.
    pub fn generate() -> Secret {
        let mut key = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        Secret(key)
    }

    /// Reads `whsec_<base64>` (the prefix may be left out, as the libraries allow).
    pub fn parse(text: &str) -> Result<Secret, String> {
        let b64 = text.strip_prefix(PREFIX).unwrap_or(text);
        let key = STANDARD
            .decode(b64)
            .map_err(|_| "a webhook secret is whsec_ followed by base64".to_owned())?;
        if !(24..=64).contains(&key.len()) {
            return Err("a webhook secret holds 24 to 64 bytes".into());
        }
        Ok(Secret(key))
    }

    /// `whsec_<base64>`, as the subscriber is given it and as it is stored.
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// `v1,<base64 signature>` of one message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// Whether any `v1` signature in a `webhook-signature` value is this secret's for
    /// the message (compared in constant time).
    pub fn verifies(&self, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
        header.split(' ').any(|sig| {
            sig.strip_prefix("v1,")
                .and_then(|b64| STANDARD.decode(b64).ok())
                .is_some_and(|tag| self.mac(id, timestamp, body).verify_slice(&tag).is_ok())
        })
    }
}

/// The `webhook-signature` value for a message: one signature per secret in force
/// (two while a rotated secret's overlap lasts), space-separated.
pub fn signature_header(secrets: &[&Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example the Standard Webhooks libraries test against (checked here with the
    /// Python `standardwebhooks` package, which gives the same signature).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    #[test]
    fn the_published_example_signs_as_the_reference_libraries_do() {
        let secret = Secret::parse(SECRET).unwrap();
        assert_eq!(
            secret.sign(ID, TIMESTAMP, BODY),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(secret.expose(), SECRET);
    }

    #[test]
    fn a_signature_verifies_only_for_its_message_and_secret() {
        let (a, b) = (Secret::generate(), Secret::generate());
        let header = signature_header(&[&a, &b], ID, TIMESTAMP, BODY);
        assert!(a.verifies(ID, TIMESTAMP, BODY, &header));
        assert!(
            b.verifies(ID, TIMESTAMP, BODY, &header),
            "both sign during an overlap"
        );
        assert!(!a.verifies(ID, TIMESTAMP + 1, BODY, &header));
        assert!(!a.verifies("msg_other", TIMESTAMP, BODY, &header));
        assert!(!a.verifies(ID, TIMESTAMP, b"{}", &header));
        assert!(!Secret::generate().verifies(ID, TIMESTAMP, BODY, &header));
        assert!(Secret::parse("whsec_c2hvcnQ=").is_err(), "too short a key");
        assert!(Secret::parse("whsec_!!!").is_err());
        assert!(
            !format!("{a:?}").contains(&a.expose()[6..]),
            "never printed"
        );
    }
}
