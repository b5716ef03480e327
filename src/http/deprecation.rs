//! Operations on their way out. An operation listed here keeps working until its sunset
//! date; meanwhile every response to it says so, in the standard fields: `Deprecation`
//! (RFC 9745: since when, as `@<unix seconds>`), `Sunset` (RFC 8594: when it stops), and
//! `Link` to the guide's deprecation list (rel="deprecation"); the OpenAPI document
//! marks it `deprecated` and names its replacement. The policy is in docs/api.md.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

/// One deprecated operation.
#[derive(Debug, Clone, Copy)]
pub struct Deprecated {
    /// Upper-case method and the path template as in the OpenAPI document.
    pub method: &'static str,
    pub path: &'static str,
    /// The day it was deprecated, and the day it stops answering (at least six months on).
    pub since: NaiveDate,
    pub sunset: NaiveDate,
    /// What to use instead.
    pub instead: &'static str,
}

/// Deprecated operations. None today: the first version of the API is whole.
pub const DEPRECATED: &[Deprecated] = &[];

/// Where the guide lists deprecations.
pub const GUIDE_SECTION: &str = "/guides/api#versioning-and-deprecation";

/// The response fields for `method` on the route `pattern`, if it is deprecated.
pub fn fields_for(
    table: &[Deprecated],
    method: &str,
    pattern: &str,
) -> Vec<(HeaderName, HeaderValue)> {
    let Some(d) = table
        .iter()
        .find(|d| d.method == method && d.path == pattern)
    else {
        return Vec::new();
    };
    let at = |day: NaiveDate| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let sunset: DateTime<Utc> = at(d.sunset);
    let values = [
        ("deprecation", format!("@{}", at(d.since).timestamp())),
        (
            "sunset",
            sunset.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ),
        (
            "link",
            format!("<{GUIDE_SECTION}>; rel=\"deprecation\"; type=\"text/html\""),
        ),
    ];
    values
        .into_iter()
        .filter_map(|(name, value)| {
            Some((
                HeaderName::from_static(name),
                HeaderValue::from_str(&value).ok()?,
            ))
        })
        .collect()
}

/// Middleware: the deprecation fields on every response to a deprecated operation.
pub async fn announce(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if DEPRECATED.is_empty() {
        return next.call(req).await;
    }
    let pattern = super::route::pattern(req.request());
    let fields = fields_for(DEPRECATED, req.method().as_str(), &pattern);
    let mut res = next.call(req).await?;
    for (name, value) in fields {
        if name == header::LINK {
            res.headers_mut().append(name, value);
        } else {
            res.headers_mut().insert(name, value);
        }
    }
    Ok(res)
}

/// Marks the deprecated operations in the OpenAPI document.
pub fn mark(doc: &mut Value, table: &[Deprecated]) {
    for d in table {
        let op = &mut doc["paths"][d.path][d.method.to_lowercase()];
        if !op.is_object() {
            continue;
        }
        op["deprecated"] = Value::Bool(true);
        let note = format!(
            "\n\n**Deprecated** since {}; it stops answering on {} (the `Sunset` field says so on every response). Use {} instead.",
            d.since, d.sunset, d.instead
        );
        let description = op["description"].as_str().unwrap_or_default().to_owned();
        op["description"] = Value::String(description + &note);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[Deprecated] = &[Deprecated {
        method: "GET",
        path: "/api/v1/pledge/versions",
        since: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        sunset: NaiveDate::from_ymd_opt(2027, 6, 1).unwrap(),
        instead: "`GET /api/v2/pledge/versions`",
    }];

    #[test]
    fn a_deprecated_operation_says_so_in_the_standard_fields() {
        let fields: Vec<(String, String)> = fields_for(TABLE, "GET", "/api/v1/pledge/versions")
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            fields,
            [
                ("deprecation".into(), "@1796083200".into()),
                ("sunset".into(), "Tue, 01 Jun 2027 00:00:00 GMT".into()),
                (
                    "link".into(),
                    format!("<{GUIDE_SECTION}>; rel=\"deprecation\"; type=\"text/html\"")
                ),
            ]
        );
        assert!(fields_for(TABLE, "POST", "/api/v1/pledge/versions").is_empty());
        assert!(fields_for(TABLE, "GET", "/api/v1/pledge").is_empty());
    }

    #[test]
    fn the_document_marks_it_and_names_the_replacement() {
        let mut doc = serde_json::json!({"paths": {
            "/api/v1/pledge/versions": {"get": {"description": "Every version."}},
            "/api/v1/pledge": {"get": {"description": "The current version."}},
        }});
        mark(&mut doc, TABLE);
        let op = &doc["paths"]["/api/v1/pledge/versions"]["get"];
        assert_eq!(op["deprecated"], true);
        let d = op["description"].as_str().unwrap();
        assert!(
            d.starts_with("Every version.")
                && d.contains("2027-06-01")
                && d.contains("/api/v2/pledge/versions"),
            "{d}"
        );
        assert!(
            doc["paths"]["/api/v1/pledge"]["get"]
                .get("deprecated")
                .is_none()
        );
    }
}
