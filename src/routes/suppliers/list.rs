use actix_web::web::Bytes;
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
use crate::http::respond::{Visibility, content_etag, json_bytes};
use crate::state::State;
use crate::views::cache::CacheKey;
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
    // A page changes only with a write, and every write moves the audit log's head: a
    // page built at this head is still the answer. The check is one indexed read; only a
    // page not held for this head is built.
    let key = CacheKey::ListPage(req.query_string().to_owned());
    let (held, lookup) = (state.clone(), key.clone());
    let (head, at, held_page) = state
        .db_point_read(move |conn| {
            let (seq, at) = audit::head(conn)?.map_or((0, None), |(seq, _, at)| (seq, Some(at)));
            Ok((seq, at, held.records.get(&lookup, &seq.to_string())))
        })
        .await?;
    if let Some(held_page) = held_page {
        // Held as the ETag, a newline, then the page.
        let split = held_page.iter().position(|b| *b == b'\n').unwrap_or(0);
        let etag = String::from_utf8_lossy(&held_page[..split]).into_owned();
        let body = held_page.slice((split + 1).min(held_page.len())..);
        return Ok(json_bytes(&req, body, etag, at, Visibility::Public));
    }
    let body = state
        .db(move |conn| {
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
            serde_json::to_vec(&page).map_err(|e| Error::Internal(e.into()))
        })
        .await?;
    let etag = content_etag(&body);
    // Held under the head read before the page: a write in between makes the page newer
    // than its head, and the head from then on is a newer one, so it is never served.
    let mut held_page = Vec::with_capacity(etag.len() + 1 + body.len());
    held_page.extend_from_slice(etag.as_bytes());
    held_page.push(b'\n');
    held_page.extend_from_slice(&body);
    state
        .records
        .put(&key, &head.to_string(), Bytes::from(held_page));
    Ok(json_bytes(
        &req,
        Bytes::from(body),
        etag,
        at,
        Visibility::Public,
    ))
}
