//! Responses of public reads: strong ETags and `Last-Modified`, `If-None-Match` and
//! `If-Modified-Since` (RFC 9110: when both are sent, only `If-None-Match` counts),
//! cache headers.

use std::time::SystemTime;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::http::problem::ApiError;
use crate::views::cache::Held;

/// How a representation may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Same for everyone: shared caches may keep it, revalidating each time.
    Public,
    /// Includes private fields: only the caller's own cache.
    Private,
}

/// `body` as JSON with an ETag (given, or the hash of the bytes) and the time it last
/// changed, or 304 when the client's validators show it has it already.
pub fn json_cached<T: Serialize>(
    req: &HttpRequest,
    body: &T,
    etag: Option<String>,
    modified: Option<NaiveDateTime>,
    visibility: Visibility,
) -> Result<HttpResponse, ApiError> {
    let bytes =
        serde_json::to_vec(body).map_err(|e| ApiError::Domain(Error::Internal(e.into())))?;
    let etag = etag.unwrap_or_else(|| content_etag(&bytes));
    Ok(json_bytes(req, bytes.into(), etag, modified, visibility))
}

/// A strong ETag naming these exact bytes.
pub fn content_etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", &hex(&digest)[..32])
}

/// JSON already serialized, with its ETag and the time it last changed, or 304 when
/// the client's validators show it has it already.
pub fn json_bytes(
    req: &HttpRequest,
    bytes: actix_web::web::Bytes,
    etag: String,
    modified: Option<NaiveDateTime>,
    visibility: Visibility,
) -> HttpResponse {
    let cache = match visibility {
        Visibility::Public => "public, no-cache",
        Visibility::Private => "private, no-cache",
    };
    finished(
        req,
        Finished {
            body: &bytes,
            gzip: None,
            etag: &etag,
            modified,
            content_type: "application/json",
            cache_control: cache,
        },
    )
}

/// A public answer kept in memory (see [`crate::views::cache`]), as JSON or a page.
pub fn kept(
    req: &HttpRequest,
    held: &Held,
    content_type: &'static str,
    cache_control: &'static str,
) -> HttpResponse {
    finished(
        req,
        Finished {
            body: &held.plain,
            gzip: held.gzip.as_ref(),
            etag: &held.etag,
            modified: held.modified,
            content_type,
            cache_control,
        },
    )
}

/// A finished answer and how it is served.
struct Finished<'a> {
    body: &'a actix_web::web::Bytes,
    /// The same body gzipped, served to a client that takes gzip.
    gzip: Option<&'a actix_web::web::Bytes>,
    etag: &'a str,
    modified: Option<NaiveDateTime>,
    content_type: &'static str,
    cache_control: &'static str,
}

fn finished(req: &HttpRequest, f: Finished<'_>) -> HttpResponse {
    let now = Utc::now().naive_utc();
    let fresh = if req.headers().contains_key(header::IF_NONE_MATCH) {
        if_none_match(req, f.etag)
    } else {
        f.modified
            .is_some_and(|m| not_modified_since(req, m.min(now).and_utc()))
    };
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, f.etag))
        .insert_header((header::CACHE_CONTROL, f.cache_control))
        .insert_header((header::VARY, "Authorization, Accept-Encoding"));
    if let Some(m) = f.modified {
        let m = last_modified(m, now);
        res.insert_header(header::LastModified(SystemTime::from(m).into()));
    }
    if fresh {
        return res.finish();
    }
    res.content_type(HeaderValue::from_static(f.content_type));
    match f.gzip.filter(|_| takes_gzip(req)) {
        // Compressed once when it was kept; the compression middleware leaves an answer
        // that has a Content-Encoding alone.
        Some(z) => res
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(z.clone()),
        None => res.body(f.body.clone()),
    }
}

/// Whether the client's `Accept-Encoding` takes gzip (with a quality above 0).
fn takes_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip")) && !zero
        })
}

/// The `Last-Modified` of something last changed at `changed`, as of `now`: whole
/// seconds (an HTTP date's precision), never in the future, and a second early while
/// the second it changed in is still running, because another change in that same
/// second could not be told apart from it by `If-Modified-Since`.
fn last_modified(changed: NaiveDateTime, now: NaiveDateTime) -> DateTime<Utc> {
    let second = |t: NaiveDateTime| t.and_utc().timestamp();
    let at = second(changed).min(second(now));
    let at = if at == second(now) { at - 1 } else { at };
    DateTime::from_timestamp(at, 0).unwrap_or_default()
}

/// Whether the client's `If-Modified-Since` is at or after `modified` (to the second,
/// the precision of an HTTP date).
fn not_modified_since(req: &HttpRequest, modified: DateTime<Utc>) -> bool {
    let since = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<header::HttpDate>().ok())
        .map(|d| DateTime::<Utc>::from(SystemTime::from(d)));
    // A date later than now is not one this server gave out: ignore it.
    since.is_some_and(|since| since <= Utc::now() && modified.timestamp() <= since.timestamp())
}

/// Whether the client's `If-None-Match` already names `etag`.
pub fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

pub use crate::domain::text::hex;

#[cfg(test)]
mod tests {
    use super::last_modified;
    use chrono::NaiveDateTime;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn last_modified_is_whole_past_seconds() {
        let lm = |changed, now| last_modified(t(changed), t(now)).to_rfc3339();
        assert_eq!(
            lm("2026-11-27 10:00:00.300", "2026-11-27 10:00:05.000"),
            "2026-11-27T10:00:00+00:00"
        );
        // Still in the second it changed: a second early, so that a second change in
        // this second is not taken for the first.
        assert_eq!(
            lm("2026-11-27 10:00:00.300", "2026-11-27 10:00:00.900"),
            "2026-11-27T09:59:59+00:00"
        );
        // A clock ahead of ours does not date it in the future.
        assert_eq!(
            lm("2026-11-27 10:00:09.000", "2026-11-27 10:00:05.500"),
            "2026-11-27T10:00:04+00:00"
        );
    }
}
