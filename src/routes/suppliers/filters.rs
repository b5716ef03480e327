//! The filters of the supplier list, which the export takes too: one declaration, so
//! that the two cannot drift apart.

use chrono::DateTime;

use crate::db::models::supplier::ListFilter;
use crate::domain::Status;
use crate::domain::evidence::{EvidenceHealth, EvidenceSummary};
use crate::domain::text;
use crate::error::Error;
use crate::http::extract::AnyOf;
use crate::http::problem::{ApiError, ApiResult, FieldError};

/// The filters that may be repeated to mean "any of".
pub const REPEATABLE: &[&str] = &[
    "status",
    "commitment",
    "evidence_health",
    "evidence_summary",
    "pledge_version",
];

/// Declares a query struct with the supplier filters and the route's own fields after
/// them, and `take_filter`, which moves the filters out as the database takes them.
macro_rules! with_supplier_filters {
    ($(#[$meta:meta])* pub struct $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            /// Text to find in the name, products or slug (case-insensitive), or an exact
            /// company number.
            q: Option<String>,
            /// Only suppliers with this status; repeat for any of several
            /// (`status=active&status=lapsed`).
            #[serde(default)]
            #[param(value_type = Option<Vec<crate::domain::Status>>)]
            status: crate::http::extract::AnyOf<crate::domain::Status>,
            /// Only suppliers with live evidence for this commitment code; repeat for any
            /// of several.
            #[serde(default)]
            #[param(value_type = Option<Vec<String>>)]
            commitment: crate::http::extract::AnyOf<String>,
            /// Only suppliers with at least one live evidence link in this health state;
            /// repeat for any of several.
            #[serde(default)]
            #[param(value_type = Option<Vec<crate::domain::evidence::EvidenceHealth>>)]
            evidence_health: crate::http::extract::AnyOf<crate::domain::evidence::EvidenceHealth>,
            /// Only suppliers whose evidence, taken together, is in this state:
            /// `all_ok` (every link works or could not be checked automatically, none
            /// expired), `some_failing` (a link broken, unreachable or blocked, or a
            /// certification expired), `pending` (some not checked yet, none failing) or
            /// `none`; repeat for any of several. The record's `evidence_summary`.
            #[serde(default)]
            #[param(value_type = Option<Vec<crate::domain::evidence::EvidenceSummary>>)]
            evidence_summary: crate::http::extract::AnyOf<crate::domain::evidence::EvidenceSummary>,
            /// Only suppliers whose signature names this pledge version; repeat for any of
            /// several.
            #[serde(default)]
            #[param(value_type = Option<Vec<String>>)]
            pledge_version: crate::http::extract::AnyOf<String>,
            /// Only suppliers changed at or after this time (RFC 3339).
            updated_since: Option<String>,
            $($extra)*
        }

        impl $name {
            /// The filters, moved out, as the database takes them (cursor and limit
            /// unset), or a 400 naming every filter at fault.
            fn take_filter(&mut self) -> crate::http::problem::ApiResult<crate::db::models::supplier::ListFilter> {
                crate::routes::suppliers::filters::list_filter(
                    self.q.take(),
                    std::mem::take(&mut self.status),
                    std::mem::take(&mut self.commitment),
                    std::mem::take(&mut self.evidence_health),
                    std::mem::take(&mut self.evidence_summary),
                    std::mem::take(&mut self.pledge_version),
                    self.updated_since.take(),
                )
            }
        }
    };
}
pub(crate) use with_supplier_filters;

/// Checks the filters and puts them in the database's terms.
pub fn list_filter(
    q: Option<String>,
    status: AnyOf<Status>,
    commitment: AnyOf<String>,
    evidence_health: AnyOf<EvidenceHealth>,
    evidence_summary: AnyOf<EvidenceSummary>,
    pledge_version: AnyOf<String>,
    updated_since: Option<String>,
) -> ApiResult<ListFilter> {
    let mut errors = Vec::new();
    let q = match q.as_deref().map(|q| text::bounded(q, 0, 200)) {
        Some(Err(m)) => {
            errors.push(FieldError::new("q", m));
            None
        }
        Some(Ok(q)) => Some(q),
        None => None,
    };
    let updated_since = match updated_since.as_deref().map(DateTime::parse_from_rfc3339) {
        Some(Err(_)) => {
            errors.push(FieldError::new(
                "updated_since",
                "must be an RFC 3339 time such as 2026-01-31T09:00:00Z",
            ));
            None
        }
        Some(Ok(t)) => Some(t.naive_utc()),
        None => None,
    };
    let mut words = |field: &str, values: AnyOf<String>| {
        let mut valid = Vec::new();
        for v in values.0 {
            match text::bounded(&v, 1, 100) {
                Ok(v) => valid.push(v),
                Err(m) => errors.push(FieldError::new(field, m)),
            }
        }
        valid
    };
    let commitment = words("commitment", commitment);
    let pledge_version = words("pledge_version", pledge_version);
    if !errors.is_empty() {
        return Err(ApiError::Domain(Error::InvalidQuery(errors)));
    }
    Ok(ListFilter {
        q,
        status: status.0.iter().map(|s| s.as_str().to_owned()).collect(),
        commitment,
        evidence_health: evidence_health
            .0
            .iter()
            .map(|h| h.as_str().to_owned())
            .collect(),
        evidence_summary: evidence_summary
            .0
            .iter()
            .map(|e| e.as_str().to_owned())
            .collect(),
        pledge_version,
        updated_since,
        signatories_only: false,
        after_slug: None,
        offset: 0,
        limit: 0,
    })
}
