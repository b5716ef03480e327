//! Evidence documents as they were: which documents are kept, their readable text,
//! how that text is compared, stored and told apart. Pure: the checker fetches the
//! body, the use cases store what this makes of it.

pub mod diff;
pub mod text;

use sha2::{Digest, Sha256};

/// The largest body kept: a longer document is recorded as not kept, never truncated
/// (half a policy is not the policy).
pub const BODY_LIMIT: usize = 5 * 1024 * 1024;

/// The documents whose snapshots are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Html,
    Text,
    /// Kept by its hash alone: no PDF crate extracts text from a hostile file without
    /// panics or unbounded memory (docs/evidence-snapshots.md).
    Pdf,
}

impl Kind {
    /// The kind a `Content-Type` names, if it is a document the registry keeps.
    pub fn of(content_type: &str) -> Option<Kind> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "text/html" | "application/xhtml+xml" => Some(Kind::Html),
            "text/plain" | "text/markdown" => Some(Kind::Text),
            "application/pdf" => Some(Kind::Pdf),
            _ => None,
        }
    }
}

/// A document fetched whole: the body as served (after any content coding), and
/// its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// What one successful check found of the document behind a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The whole body, to be read.
    Document(Fetched),
    /// Nothing kept, and why, in words for people ("not kept: larger than 5 MiB").
    NotKept(String),
}

/// A snapshot ready to store: what is public of it (hashes, type, size) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// SHA-256 of the body, lowercase hex.
    pub body_sha256: String,
    pub content_type: String,
    pub size: i64,
    /// The normalised readable text, when the kind has one.
    pub text: Option<String>,
    /// Why a document of a kind with text has none ("text not read: ...").
    pub note: Option<String>,
}

impl Snapshot {
    /// Reads a fetched document: its hash, and its normalised text.
    pub fn of(fetched: &Fetched) -> Snapshot {
        let kind = Kind::of(&fetched.content_type);
        let text = match kind {
            Some(Kind::Html) => text::of_html(&fetched.body),
            Some(Kind::Text) => Some(text::normalise(&String::from_utf8_lossy(&fetched.body))),
            Some(Kind::Pdf) | None => None,
        };
        let note = (kind == Some(Kind::Html) && text.is_none()).then(|| {
            format!(
                "text not read: its markup is nested deeper than {} elements; the document is kept by its hash",
                text::MAX_DEPTH
            )
        });
        Snapshot {
            body_sha256: sha256_hex(&fetched.body),
            content_type: fetched.content_type.chars().take(200).collect::<String>(),
            size: fetched.body.len() as i64,
            text,
            note,
        }
    }

    /// SHA-256 of the normalised text, when there is one.
    pub fn text_sha256(&self) -> Option<String> {
        self.text.as_deref().map(|t| sha256_hex(t.as_bytes()))
    }

    /// What two snapshots are compared by: the text's hash where there is text, else
    /// the body's.
    pub fn key(&self) -> String {
        self.text_sha256()
            .unwrap_or_else(|| self.body_sha256.clone())
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The stored form of a snapshot's text: raw deflate.
pub fn compress(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(text.as_bytes()).expect("writing to memory");
    z.finish().expect("writing to memory")
}

/// The text of a stored snapshot, read back no further than [`BODY_LIMIT`] bytes (a
/// row is only ever written by [`compress`], but the limit costs nothing).
pub fn decompress(stored: &[u8]) -> Option<String> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(stored)
        .take(BODY_LIMIT as u64 + 1)
        .read_to_end(&mut out)
        .ok()?;
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_content_type() {
        assert_eq!(Kind::of("text/html; charset=utf-8"), Some(Kind::Html));
        assert_eq!(Kind::of("TEXT/PLAIN"), Some(Kind::Text));
        assert_eq!(Kind::of("application/pdf"), Some(Kind::Pdf));
        assert_eq!(Kind::of("application/octet-stream"), None);
        assert_eq!(Kind::of(""), None);
    }

    #[test]
    fn text_survives_its_stored_form() {
        let text = "We never use care records to train models. ".repeat(1000);
        let stored = compress(&text);
        assert!(stored.len() < text.len() / 10);
        assert_eq!(decompress(&stored).as_deref(), Some(text.as_str()));
    }

    #[test]
    fn a_pdf_is_kept_by_its_hash_alone() {
        let s = Snapshot::of(&Fetched {
            content_type: "application/pdf".into(),
            body: b"%PDF-1.7 ...".to_vec(),
        });
        assert_eq!(s.text, None);
        assert_eq!(s.key(), s.body_sha256);
        assert_eq!(s.size, 12);
    }
}
