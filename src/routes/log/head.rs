use actix_web::{HttpRequest, HttpResponse, get};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::audit;
use crate::http::extract::{NoParams, Query};
use crate::http::problem::ApiResult;
use crate::http::respond::{Visibility, json_cached};
use crate::routes::problems::QueryErrors;
use crate::state::State;

/// The newest audit entry: keep it, and later check that the log still leads to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogHead {
    /// Sequence number of the newest entry (0 for an empty log).
    pub seq: i64,
    /// Its hash: lower-case hex SHA-256 of its canonical form (docs/audit-log.md).
    pub hash: String,
    pub at: Option<DateTime<Utc>>,
}

/// The latest audit sequence number and hash.
#[utoipa::path(operation_id = "getLogHead", tag = "log", responses(
    QueryErrors,
    (status = 200, body = LogHead, description = "The newest entry of the audit log"),
    (status = 304, description = "Not modified: the If-None-Match ETag, or else the If-Modified-Since date, is still current"),
))]
#[get("/log/head")]
pub async fn head(
    req: HttpRequest,
    state: State,
    _query: Query<NoParams>,
) -> ApiResult<HttpResponse> {
    let head = state.db(|conn| Ok(audit::head(conn)?)).await?;
    let modified = head.as_ref().map(|(_, _, at)| *at);
    let body = match head {
        Some((seq, hash, at)) => LogHead {
            seq,
            hash,
            at: Some(at.and_utc()),
        },
        None => LogHead {
            seq: 0,
            hash: audit::GENESIS.to_owned(),
            at: None,
        },
    };
    json_cached(&req, &body, None, modified, Visibility::Public)
}
