//! Liveness, readiness and metrics.

use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::db::models::counts;
use crate::http::problem::ApiResult;
use crate::state::State;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the database cannot be reached.
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(operation_id = "getHealth", tag = "service", responses((status = 200, body = Health, description = "The process is up")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database answers.
#[utoipa::path(operation_id = "getReadiness", tag = "service", responses(
    (status = 200, body = Health, description = "Ready: the database answers"),
    (status = 503, body = Health, description = "The database is not reachable"),
))]
#[get("/readyz")]
pub async fn readyz(state: State) -> HttpResponse {
    let ready = state.db(|conn| Ok(db::ping(conn))).await.unwrap_or(false);
    if ready {
        HttpResponse::Ok().json(Health { status: "ok" })
    } else {
        HttpResponse::ServiceUnavailable().json(Health {
            status: "unavailable",
        })
    }
}

/// Prometheus metrics in the text exposition format. Internal: for the operator's
/// monitoring (serve it only to your own network); docs/operator.md lists each series.
#[utoipa::path(operation_id = "getMetrics", tag = "service", responses(
    (status = 200, description = "OpenMetrics text format, as Prometheus scrapes it", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String),
    (status = 503, description = "The database is not reachable", body = crate::http::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/metrics")]
pub async fn metrics(state: State) -> ApiResult<HttpResponse> {
    // Taken before the scrape's own database work holds a connection.
    let pool = state.database.load();
    let every = state
        .config
        .checker
        .interval
        .unwrap_or(std::time::Duration::from_secs(6 * 3600));
    let due_before = crate::db::models::now()
        - chrono::Duration::from_std(every).unwrap_or(chrono::Duration::hours(6));
    let counts = state
        .db(move |conn| Ok(counts::registry(conn, due_before)?))
        .await?;
    let live = crate::http::metrics::Live {
        pool,
        reads: state.reads.counts(),
        now: chrono::Utc::now().timestamp(),
        writes_refused: state.database.refusal().is_some(),
    };
    Ok(HttpResponse::Ok()
        .content_type(crate::http::metrics::CONTENT_TYPE)
        .body(state.metrics.render(&counts, &live)))
}
