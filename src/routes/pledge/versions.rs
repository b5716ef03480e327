use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::db::models::pledge;
use crate::error::Error;
use crate::http::extract::{NoParams, Query};
use crate::http::problem::ApiResult;
use crate::http::respond::{Visibility, json_cached};
use crate::routes::problems::{NotFoundError, QueryErrors};
use crate::state::State;
use crate::views::pagination::Page;
use crate::views::pledge::PledgeVersion;

/// Every published pledge version, newest first.
#[utoipa::path(operation_id = "listPledgeVersions", tag = "pledge", responses(
    QueryErrors,
    (status = 200, body = Page<PledgeVersion>, description = "Every published version, newest first"),
    (status = 304, description = "Not modified: the If-None-Match ETag, or else the If-Modified-Since date, is still current"),
))]
#[get("/pledge/versions")]
pub async fn list(
    req: HttpRequest,
    state: State,
    _query: Query<NoParams>,
) -> ApiResult<HttpResponse> {
    let body = state
        .db(|conn| {
            let (items, modified) = crate::views::pledge::all_versions(conn)?;
            Ok((
                Page {
                    items,
                    next_cursor: None,
                    total: None,
                },
                modified,
            ))
        })
        .await?;
    let (body, modified) = body;
    json_cached(&req, &body, None, modified, Visibility::Public)
}

/// One pledge version by its label.
#[utoipa::path(operation_id = "getPledgeVersion", tag = "pledge", params(("version" = String, Path, description = "Version label, e.g. 2025-09")), responses(
    QueryErrors,
    (status = 200, body = PledgeVersion, description = "The version with its commitments"),
    (status = 304, description = "Not modified: the If-None-Match ETag, or else the If-Modified-Since date, is still current"),
    NotFoundError,
))]
#[get("/pledge/versions/{version}")]
pub async fn read(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
    _query: Query<NoParams>,
) -> ApiResult<HttpResponse> {
    let version = path.into_inner();
    let body = state
        .db(move |conn| {
            let v = pledge::find(conn, &version)?.ok_or_else(|| {
                Error::NotFound(format!("there is no pledge version {version:?}"))
            })?;
            // It stops being current when a newer one is published.
            let current = pledge::current(conn)?;
            let modified = current.as_ref().map(|c| c.created_at);
            let items = pledge::commitments_of(conn, &v.version)?;
            let is_current = current.map(|c| c.version).as_deref() == Some(v.version.as_str());
            Ok((PledgeVersion::from_rows(v, items, is_current), modified))
        })
        .await?;
    let (body, modified) = body;
    json_cached(&req, &body, None, modified, Visibility::Public)
}
