use actix_web::{HttpRequest, HttpResponse, get};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::audit;
use crate::error::Error;
use crate::http::extract::Query;
use crate::http::problem::{ApiError, ApiResult, FieldError, Problem};
use crate::http::respond::{Visibility, json_cached};
use crate::state::State;
use crate::views::changes::Change;
use crate::views::pagination;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// Only changes after this sequence number (0, or absent, for all).
    #[param(minimum = 0)]
    since: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

impl crate::http::extract::QueryParams for ChangesParams {}

/// A page of the change feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub items: Vec<Change>,
    /// Pass as `since` next time: the last sequence number this page covered.
    pub next_since: i64,
    /// Whether more changes follow right away.
    pub more: bool,
    /// The log's newest published checkpoint (a C2SP signed note, with the witnesses'
    /// cosignatures) when the page was read: its tree holds every change on the page,
    /// so each can be proven in it (`/api/v1/log/proofs/inclusion?seq=&tree_size=`).
    pub checkpoint: String,
}

/// The public change feed, in sequence order, for incremental sync: poll with `since`
/// set to the previous page's `next_since`. Applying every change's `supplier` in order
/// gives exactly what `GET /api/v1/suppliers` shows. Private fields never appear.
#[utoipa::path(operation_id = "listChanges", tag = "log", params(ChangesParams), responses(
    (status = 200, body = ChangePage, description = "Changes after `since`, oldest first"),
    (status = 304, description = "Not modified: the If-None-Match ETag, or else the If-Modified-Since date, is still current"),
    (status = 400, body = Problem, content_type = "application/problem+json", description = "A query parameter is invalid; `errors` names it"),
))]
#[get("/changes")]
pub async fn changes(
    req: HttpRequest,
    state: State,
    params: Query<ChangesParams>,
) -> ApiResult<HttpResponse> {
    let since = params.0.since.unwrap_or(0);
    if since < 0 {
        return Err(ApiError::Domain(Error::InvalidQuery(vec![
            FieldError::new("since", "must be 0 or more"),
        ])));
    }
    let limit = pagination::limit(params.0.limit)?;
    let body = state
        .db(move |conn| {
            // A page changes only when entries are appended after it.
            let modified = audit::head(conn)?.map(|(_, _, at)| at);
            let mut rows = audit::public_page(conn, since, limit + 1)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let next_since = rows.last().map(|r| r.seq).unwrap_or(since);
            let items = rows
                .into_iter()
                .map(Change::of)
                .collect::<crate::error::Result<Vec<_>>>()?;
            Ok((items, next_since, more, modified))
        })
        .await?;
    let (items, next_since, more, modified) = body;
    // Published after the page was read: an entry and its leaf are written together,
    // so this checkpoint holds every change above.
    let published = state.checkpoint().await?;
    let body = ChangePage {
        items,
        next_since,
        more,
        checkpoint: published.note,
    };
    json_cached(&req, &body, None, modified, Visibility::Public)
}
