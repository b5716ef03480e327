use actix_web::{HttpRequest, HttpResponse, get};

use crate::db::models::pledge;
use crate::error::Error;
use crate::http::extract::{NoParams, Query};
use crate::http::problem::{ApiResult, Problem};
use crate::http::respond::{Visibility, json_cached};
use crate::routes::problems::QueryErrors;
use crate::state::State;
use crate::views::pledge::PledgeVersion;

/// The current pledge version with its commitments.
#[utoipa::path(operation_id = "getCurrentPledge", tag = "pledge", responses(
    QueryErrors,
    (status = 200, body = PledgeVersion, description = "The version suppliers sign today"),
    (status = 304, description = "Not modified: the If-None-Match ETag, or else the If-Modified-Since date, is still current"),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "No version published yet"),
))]
#[get("/pledge")]
pub async fn current(
    req: HttpRequest,
    state: State,
    _query: Query<NoParams>,
) -> ApiResult<HttpResponse> {
    let (body, modified) = state
        .db(|conn| {
            let v = pledge::current(conn)?
                .ok_or_else(|| Error::NotFound("no pledge version is published yet".into()))?;
            let items = pledge::commitments_of(conn, &v.version)?;
            let modified = v.created_at;
            Ok((PledgeVersion::from_rows(v, items, true), modified))
        })
        .await?;
    json_cached(&req, &body, None, Some(modified), Visibility::Public)
}
