//! The registry's side of `add-checkpoint`: send a checkpoint with its consistency
//! proof to one witness, and read what it answers.

use std::time::Duration;

use crate::tlog::cosignature::Witness;
use crate::tlog::merkle::Hash;

/// A witness the registry asks, as `REGISTRY_WITNESSES` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configured {
    pub witness: Witness,
    /// Its submission prefix: `add-checkpoint` is posted under it.
    pub url: String,
}

/// Reads `REGISTRY_WITNESSES`: entries separated by commas, each a witness's verifier
/// key and its URL, separated by a space.
pub fn parse_setting(text: &str) -> Result<Vec<Configured>, String> {
    let mut out: Vec<Configured> = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (key, url) = entry
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("{entry:?} is not a verifier key and a URL"))?;
        let witness = Witness::parse(key).map_err(|e| format!("{key:?}: {e}"))?;
        let url = url.trim();
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("{url:?} is not an http(s) address"));
        }
        if out.iter().any(|c| c.witness.name == witness.name) {
            return Err(format!("the witness {} is named twice", witness.name));
        }
        out.push(Configured {
            witness,
            url: url.trim_end_matches('/').to_owned(),
        });
    }
    Ok(out)
}

/// What a witness answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Its cosignature lines on the checkpoint.
    Cosigned(Vec<String>),
    /// It has cosigned a checkpoint of this size, not of the old size sent.
    Conflict(u64),
    /// Anything else: the status and what it said.
    Refused(u16, String),
}

/// An HTTP client for witnesses: short timeouts, no redirects.
pub fn http(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("pledge-registry/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Posts the checkpoint `note`, with the proof from `old`, to `witness`.
pub async fn add_checkpoint(
    http: &reqwest::Client,
    witness: &Configured,
    old: u64,
    proof: &[Hash],
    note: &str,
) -> reqwest::Result<Answer> {
    let res = http
        .post(format!("{}/add-checkpoint", witness.url))
        .body(super::request(old, proof, note))
        .send()
        .await?;
    let status = res.status().as_u16();
    let text = res.text().await?;
    Ok(match status {
        200 => Answer::Cosigned(
            text.lines()
                .filter(|l| l.starts_with('\u{2014}'))
                .map(|l| format!("{l}\n"))
                .collect(),
        ),
        409 => match text.trim().parse() {
            Ok(size) => Answer::Conflict(size),
            Err(_) => Answer::Refused(status, text),
        },
        _ => Answer::Refused(status, text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_names_each_witness_once_with_its_address() {
        let key = |seed: u8, name: &str| {
            Witness {
                name: name.into(),
                public: ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
                    .verifying_key()
                    .to_bytes(),
            }
            .verifier_key()
        };
        let (a, b) = (key(1, "w.example/a"), key(2, "w.example/b"));
        let parsed = parse_setting(&format!(
            " {a} http://127.0.0.1:7001/ ,{b}  https://w.example/b"
        ))
        .unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].url, "http://127.0.0.1:7001");
        assert_eq!(parsed[1].witness.name, "w.example/b");
        assert!(parse_setting("").unwrap().is_empty());
        assert!(parse_setting(&a).is_err(), "no address");
        assert!(parse_setting(&format!("{a} ftp://w.example")).is_err());
        assert!(parse_setting(&format!("{a} http://x.example, {a} http://y.example")).is_err());
        assert!(parse_setting("w+00000000+AQ== http://x.example").is_err());
    }
}
