//! Responses of public reads: strong ETags, `If-None-Match`, cache headers.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// How a representation may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Same for everyone: shared caches may keep it, revalidating each time.
    Public,
    /// Includes private fields: only the caller's own cache.
    Private,
}

/// `body` as JSON with an ETag (given, or the hash of the bytes), or 304 when the
/// client's `If-None-Match` already names it.
pub fn json_cached<T: Serialize>(
    req: &HttpRequest,
    body: &T,
    etag: Option<String>,
    visibility: Visibility,
) -> Result<HttpResponse, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(|e| ApiError::Internal(e.into()))?;
    let etag = etag.unwrap_or_else(|| {
        let digest = Sha256::digest(&bytes);
        format!("\"{}\"", &hex(&digest)[..32])
    });
    Ok(json_bytes(req, bytes.into(), etag, visibility))
}

/// JSON already serialized, with its ETag, or 304 when the client's `If-None-Match`
/// already names it.
pub fn json_bytes(
    req: &HttpRequest,
    bytes: actix_web::web::Bytes,
    etag: String,
    visibility: Visibility,
) -> HttpResponse {
    let cache = match visibility {
        Visibility::Public => "public, no-cache",
        Visibility::Private => "private, no-cache",
    };
    let fresh = if_none_match(req, &etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Authorization, Accept-Encoding"));
    if fresh {
        return res.finish();
    }
    res.content_type(HeaderValue::from_static("application/json"))
        .body(bytes)
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

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
