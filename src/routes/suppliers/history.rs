use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::models::audit;
use crate::db::models::history as events;
use crate::http::extract::Query;
use crate::http::problem::{ApiResult, Problem};
use crate::http::respond::{Visibility, json_cached};
use crate::routes::problems::NotFoundError;
use crate::state::State;
use crate::usecases::lookup::find_or_404;
use crate::views::history::{StatusChange, public_actor};
use crate::views::pagination::{self, Page};
use crate::views::supplier::utc;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

impl crate::http::extract::QueryParams for HistoryParams {}

/// A supplier's status changes, oldest first.
#[utoipa::path(operation_id = "getSupplierHistory", tag = "suppliers",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug"), HistoryParams),
    responses(
        (status = 200, body = Page<StatusChange>, description = "Status changes, oldest first"),
        (status = 304, description = "Not modified: the If-None-Match ETag, or else the If-Modified-Since date, is still current"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query parameter is invalid; `errors` names it"),
        NotFoundError,
    )
)]
#[get("/suppliers/{id_or_slug}/history")]
pub async fn history(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
    params: Query<HistoryParams>,
) -> ApiResult<HttpResponse> {
    let limit = pagination::limit(params.0.limit)?;
    let after = pagination::decode_number(params.0.cursor.as_deref())?;
    let key = path.into_inner();
    let body = state
        .db(move |conn| {
            let supplier = find_or_404(conn, &key)?;
            // Every status change is audited in its transaction.
            let modified = audit::head(conn)?.map(|(_, _, at)| at);
            let rows = events::page(conn, supplier.id, after, limit + 1)?;
            let mut items = Vec::with_capacity(rows.len());
            let page = Page::from_rows(rows, limit, |r| r.id.to_string(), |r| r);
            for r in page.items {
                items.push(StatusChange {
                    from_status: r.from_status,
                    to_status: r.to_status,
                    event: r.event,
                    reason: r.reason,
                    actor: public_actor(&r.actor).to_owned(),
                    pledge_version: r.pledge_version,
                    at: utc(r.at),
                });
            }
            Ok((
                Page {
                    items,
                    next_cursor: page.next_cursor,
                    total: None,
                },
                modified,
            ))
        })
        .await?;
    let (body, modified) = body;
    json_cached(&req, &body, None, modified, Visibility::Public)
}
