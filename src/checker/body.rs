//! Reading a document's body whole, within bounds the server cannot move: its declared
//! length, the bytes on the wire, and the bytes after any content coding are each held
//! to the limit, and the whole request to the checker's timeout.

use std::io::Read;

use reqwest::Response;
use reqwest::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};

use crate::snapshot::{Fetched, Found, Kind};

/// Bytes of a body that is not kept read before the connection is dropped (some
/// servers only send the status with the body).
pub const DRAIN_LIMIT: usize = 64 * 1024;

/// The limit in words for people.
fn mib(limit: usize) -> String {
    if limit.is_multiple_of(1024 * 1024) {
        format!("{} MiB", limit / (1024 * 1024))
    } else {
        format!("{limit} bytes")
    }
}

/// Reads up to `limit` bytes of a document the registry keeps, and says why not for
/// anything else.
pub async fn read(mut res: Response, limit: usize) -> Found {
    let header = |name| {
        res.headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let content_type = header(CONTENT_TYPE).unwrap_or_default();
    let coding = header(CONTENT_ENCODING).unwrap_or_default();
    let declared = header(CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    if Kind::of(&content_type).is_none() {
        drain(&mut res).await;
        let what = if content_type.is_empty() {
            "the server named no content type".to_owned()
        } else {
            format!(
                "{} is not a document the registry keeps",
                clip(&content_type)
            )
        };
        return Found::NotKept(format!("not kept: {what}"));
    }
    let too_large = || Found::NotKept(format!("not kept: larger than {}", mib(limit)));
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    let mut raw: Vec<u8> = Vec::new();
    loop {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                if raw.len() + chunk.len() > limit {
                    return too_large();
                }
                raw.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                let why = if e.is_timeout() {
                    "the body did not arrive within the check's time"
                } else {
                    "the connection failed before the body ended"
                };
                return Found::NotKept(format!("not kept: {why}"));
            }
        }
    }
    let body = match coding.as_str() {
        "" | "identity" => raw,
        "gzip" | "x-gzip" => match inflate(flate2::read::GzDecoder::new(raw.as_slice()), limit) {
            Some(Ok(b)) => b,
            Some(Err(())) => {
                return Found::NotKept(format!(
                    "not kept: larger than {} once decompressed",
                    mib(limit)
                ));
            }
            None => return Found::NotKept("not kept: the gzip coding is broken".into()),
        },
        "deflate" => match inflate(flate2::read::ZlibDecoder::new(raw.as_slice()), limit) {
            Some(Ok(b)) => b,
            Some(Err(())) => {
                return Found::NotKept(format!(
                    "not kept: larger than {} once decompressed",
                    mib(limit)
                ));
            }
            None => return Found::NotKept("not kept: the deflate coding is broken".into()),
        },
        other => {
            return Found::NotKept(format!(
                "not kept: sent with the {} coding, which the registry did not ask for",
                clip(other)
            ));
        }
    };
    Found::Document(Fetched { content_type, body })
}

/// Decompresses no more than `limit` bytes: `Some(Err)` when there is more.
fn inflate(reader: impl Read, limit: usize) -> Option<Result<Vec<u8>, ()>> {
    let mut out = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut out).ok()?;
    Some(if out.len() > limit { Err(()) } else { Ok(out) })
}

/// Reads and drops a little of a body that is not kept.
pub async fn drain(res: &mut Response) {
    let mut read = 0;
    while read < DRAIN_LIMIT {
        match res.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            _ => break,
        }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}
