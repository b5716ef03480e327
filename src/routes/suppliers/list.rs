use actix_web::{HttpRequest, HttpResponse, get};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::view::SupplierSummary;
use crate::app::State;
use crate::db::models::supplier::{self, ListFilter};
use crate::db::models::{pledge, register_modified_at};
use crate::domain::Status;
use crate::domain::evidence::EvidenceHealth;
use crate::domain::text;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::extract::{AnyOf, Query, QueryParams};
use crate::routes::page::{self, Page};
use crate::routes::respond::{Visibility, json_cached};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Text to find in the name or slug (case-insensitive), or an exact company number.
    q: Option<String>,
    /// Only suppliers with this status; repeat for any of several
    /// (`status=active&status=lapsed`).
    #[serde(default)]
    #[param(value_type = Option<Vec<Status>>)]
    status: AnyOf<Status>,
    /// Only suppliers with live evidence for this commitment code; repeat for any of several.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    commitment: AnyOf<String>,
    /// Only suppliers with at least one live evidence link in this health state; repeat
    /// for any of several.
    #[serde(default)]
    #[param(value_type = Option<Vec<EvidenceHealth>>)]
    evidence_health: AnyOf<EvidenceHealth>,
    /// Only suppliers whose signature names this pledge version; repeat for any of several.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    pledge_version: AnyOf<String>,
    /// Only suppliers changed at or after this time (RFC 3339).
    updated_since: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `true` to also answer `total`, how many suppliers match over every page (one
    /// more count for the database; leave it off when paging through).
    include_total: Option<bool>,
}

impl QueryParams for ListParams {
    const REPEATABLE: &'static [&'static str] =
        &["status", "commitment", "evidence_health", "pledge_version"];
}

/// Signatories, filtered and paged, ordered by slug.
#[utoipa::path(operation_id = "listSuppliers", tag = "suppliers", params(ListParams), responses(
    (status = 200, body = Page<SupplierSummary>, description = "One page of suppliers"),
    (status = 304, description = "Not modified: the If-None-Match ETag, or else the If-Modified-Since date, is still current"),
    (status = 400, body = Problem, content_type = "application/problem+json", description = "A query parameter is invalid; `errors` names it"),
))]
#[get("/suppliers")]
pub async fn list(
    req: HttpRequest,
    state: State,
    params: Query<ListParams>,
) -> ApiResult<HttpResponse> {
    let p = params.0;
    let limit = page::limit(p.limit)?;
    let mut errors = Vec::new();
    let q = match p.q.as_deref().map(|q| text::bounded(q, 0, 200)) {
        Some(Err(m)) => {
            errors.push(FieldError::new("q", m));
            None
        }
        Some(Ok(q)) => Some(q),
        None => None,
    };
    let updated_since = match p.updated_since.as_deref().map(DateTime::parse_from_rfc3339) {
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
    let commitment = words("commitment", p.commitment);
    let pledge_version = words("pledge_version", p.pledge_version);
    let after_slug = p.cursor.as_deref().map(page::decode).transpose()?;
    let include_total = p.include_total.unwrap_or(false);
    if !errors.is_empty() {
        return Err(ApiError::InvalidQuery(errors));
    }
    let filter = ListFilter {
        q,
        status: p.status.0.iter().map(|s| s.as_str().to_owned()).collect(),
        commitment,
        evidence_health: p
            .evidence_health
            .0
            .iter()
            .map(|h| h.as_str().to_owned())
            .collect(),
        pledge_version,
        updated_since,
        after_slug,
        limit: limit + 1,
    };
    let body = state
        .db(move |conn| {
            let modified = register_modified_at(conn, Utc::now().date_naive())?;
            let current = pledge::current(conn)?.map(|v| v.version);
            let rows = supplier::list_summaries(conn, &filter)?;
            let page = Page::from_rows(rows, limit, |r| r.slug.clone(), |r| r);
            let items = SupplierSummary::load_many(conn, page.items, current.as_deref())?;
            let total = if include_total {
                Some(supplier::count_matching(conn, &filter)?)
            } else {
                None
            };
            Ok((
                Page {
                    items,
                    next_cursor: page.next_cursor,
                    total,
                },
                modified,
            ))
        })
        .await?;
    let (body, modified) = body;
    json_cached(&req, &body, None, modified, Visibility::Public)
}
