use actix_web::{HttpRequest, HttpResponse, get};
use serde::Deserialize;
use serde_json::value::RawValue;
use utoipa::IntoParams;

use super::filters::{self, with_supplier_filters};
use crate::db::models::audit;
use crate::db::models::supplier::{self, ListFilter, Stored};
use crate::error::Error;
use crate::http::extract::{Query, QueryParams};
use crate::http::problem::{ApiResult, Problem};
use crate::http::respond::{content_etag, kept};
use crate::state::State;
use crate::views::cache::{CacheKey, Held};
use crate::views::pagination::{self, Page};
use crate::views::supplier::SupplierSummary;

with_supplier_filters! {
    #[derive(Debug, Deserialize, IntoParams)]
    #[serde(deny_unknown_fields)]
    #[into_params(parameter_in = Query)]
    pub struct ListParams {
        /// The `next_cursor` of the previous page.
        cursor: Option<String>,
        /// Page size, 1 to 200 (default 50).
        #[param(minimum = 1, maximum = 200)]
        limit: Option<i64>,
        /// `true` to also answer `total`, how many suppliers match over every page (one
        /// more count for the database; leave it off when paging through).
        include_total: Option<bool>,
    }
}

impl QueryParams for ListParams {
    const REPEATABLE: &'static [&'static str] = filters::REPEATABLE;
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
    let mut p = params.0;
    let limit = pagination::limit(p.limit)?;
    let filter = ListFilter {
        after_slug: p.cursor.as_deref().map(pagination::decode).transpose()?,
        limit: limit + 1,
        ..p.take_filter()?
    };
    let include_total = p.include_total.unwrap_or(false);
    // Kept in memory by its query string until a write changes any supplier.
    let key = CacheKey::ListPage(req.query_string().to_owned());
    if let Some(held) = state.reads.get(&key) {
        return Ok(kept(&req, &held, "application/json", "public, no-cache"));
    }
    let ticket = state.reads.ticket();
    let (body, at) = state
        .db(move |conn| {
            let at = audit::head(conn)?.map(|(_, _, at)| at);
            let rows = supplier::stored_page(conn, &filter, Stored::Summary)?;
            let page = Page::from_rows(rows, limit, |(slug, _)| slug.clone(), |(_, json)| json);
            let items = page
                .items
                .into_iter()
                .map(RawValue::from_string)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::Internal(e.into()))?;
            let total = if include_total {
                Some(supplier::count_matching(conn, &filter)?)
            } else {
                None
            };
            let page = Page {
                items,
                next_cursor: page.next_cursor,
                total,
            };
            let body = serde_json::to_vec(&page).map_err(|e| Error::Internal(e.into()))?;
            Ok((body, at))
        })
        .await?;
    let etag = content_etag(&body);
    let held = state
        .reads
        .put(ticket, key, Held::new(None, etag, at, body));
    Ok(kept(&req, &held, "application/json", "public, no-cache"))
}
