//! List envelopes and opaque cursors.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, FieldError};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// One page of a list. `next_cursor` is absent on the last page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many match in all, over every page: only when asked for
    /// (`include_total=true`, where a list offers it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only says there is more.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: i64,
        key: impl Fn(&R) -> String,
        item: impl FnMut(R) -> T,
    ) -> Page<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode(&key(r)))
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(item).collect(),
            next_cursor,
            total: None,
        }
    }
}

pub fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{key}"))
}

/// The key inside a cursor this service issued.
pub fn decode(cursor: &str) -> Result<String, Error> {
    if cursor.trim().is_empty() {
        return Ok(String::new());
    }
    let bad = || {
        Error::InvalidQuery(vec![FieldError::new(
            "cursor",
            "is not a cursor this API issued",
        )])
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    // What a cursor carries is a slug or a number, never a control character.
    if text.chars().any(char::is_control) {
        return Err(bad());
    }
    text.strip_prefix("v1:").map(str::to_owned).ok_or_else(bad)
}

/// A numeric cursor (sequence numbers).
pub fn decode_number(cursor: Option<&str>) -> Result<i64, Error> {
    match cursor.filter(|c| !c.trim().is_empty()) {
        None => Ok(0),
        Some(c) => decode(c)?.parse().map_err(|_| {
            Error::InvalidQuery(vec![FieldError::new(
                "cursor",
                "is not a cursor this API issued",
            )])
        }),
    }
}

/// `limit`, defaulted and bounded.
pub fn limit(raw: Option<i64>) -> Result<i64, Error> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Error::InvalidQuery(vec![FieldError::new(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )])),
    }
}
