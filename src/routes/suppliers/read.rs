use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::db::models::supplier::find_or_404;
use crate::views::supplier::SupplierView;
use crate::views::supplier::{etag, public_etag};
use chrono::{NaiveDateTime, Utc};

use crate::app::State;
use crate::auth::MaybeCaller;
use crate::db::models::register_modified_at;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::extract::{NoParams, Query};
use crate::http::respond::{Visibility, json_bytes};
use crate::routes::problems::{NotFoundError, QueryErrors};

/// One supplier, by id or slug, with its signature, statements, evidence and health.
/// No token is needed; with the supplier's own token or an admin token (sent as
/// `Authorization: Bearer`), contact details are included.
#[utoipa::path(operation_id = "getSupplier", tag = "suppliers",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    responses(
    QueryErrors,
        (status = 200, body = SupplierView, description = "The supplier", headers(("ETag" = String, description = "Send as If-Match when updating"))),
        (status = 304, description = "Not modified: the If-None-Match ETag, or else the If-Modified-Since date, is still current"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "A token was sent and is not valid"),
        NotFoundError,
    )
)]
#[get("/suppliers/{id_or_slug}")]
pub async fn read(
    req: HttpRequest,
    state: State,
    caller: MaybeCaller,
    path: web::Path<String>,
    _query: Query<NoParams>,
) -> ApiResult<HttpResponse> {
    let key = path.into_inner();
    let cache = state.clone();
    let found = state
        .db(move |conn| {
            let row = find_or_404(conn, &key)?;
            let modified = register_modified_at(conn, Utc::now().date_naive())?;
            let private = match (&caller.0, row.supplier_id()) {
                (Some(c), Ok(id)) => c.may_see_private(id),
                _ => false,
            };
            // Only a record held already is worth the queries that name its ETag.
            let current = if private || !cache.records.holds(&row.id) {
                None
            } else {
                let (tag, current) = public_etag(conn, &row)?;
                if let Some(body) = cache.records.get(&row.id, &tag) {
                    return Ok(Found::Cached(tag, body, modified));
                }
                Some(current)
            };
            let revision = row.revision;
            let id = row.id.clone();
            let view = match current {
                Some(current) => SupplierView::load_with(conn, row, private, current)?,
                None => SupplierView::load(conn, row, private)?,
            };
            Ok(Found::Built(
                id,
                Box::new(view),
                revision,
                private,
                modified,
            ))
        })
        .await?;
    match found {
        Found::Cached(tag, body, modified) => {
            Ok(json_bytes(&req, body, tag, modified, Visibility::Public))
        }
        Found::Built(id, view, revision, private, modified) => {
            let tag = etag(&view, revision, private);
            let body =
                Bytes::from(serde_json::to_vec(&view).map_err(|e| ApiError::Internal(e.into()))?);
            if private {
                return Ok(json_bytes(&req, body, tag, modified, Visibility::Private));
            }
            state.records.put(&id, &tag, body.clone());
            Ok(json_bytes(&req, body, tag, modified, Visibility::Public))
        }
    }
}

/// A record from the cache, or one just built (with its supplier id, revision and
/// whether it is private); either with the time the register last changed.
enum Found {
    Cached(String, Bytes, Option<NaiveDateTime>),
    Built(String, Box<SupplierView>, i64, bool, Option<NaiveDateTime>),
}
