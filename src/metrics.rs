//! Prometheus metrics: requests per route and status, time spent, and the registry's
//! size by status. Counters are per instance; Prometheus scrapes each one.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, get};
use diesel::prelude::*;

use crate::db::schema::{evidence, suppliers};
use crate::error::ApiResult;
use crate::state::State;

/// Method, route pattern and status of a request.
type Series = (String, String, u16);

#[derive(Debug, Default)]
pub struct Metrics {
    /// Per series: how many requests, and the seconds they took.
    requests: Mutex<BTreeMap<Series, (u64, f64)>>,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default();
        entry.0 += 1;
        entry.1 += seconds;
    }

    fn render(&self, out: &mut String) {
        let map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str("# HELP registry_http_requests_total HTTP requests answered, by method, route and status.\n");
        out.push_str("# TYPE registry_http_requests_total counter\n");
        for ((m, r, s), (n, _)) in map.iter() {
            let _ = writeln!(
                out,
                "registry_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{s}\"}} {n}"
            );
        }
        out.push_str("# HELP registry_http_request_seconds_total Time spent answering, by method, route and status.\n");
        out.push_str("# TYPE registry_http_request_seconds_total counter\n");
        for ((m, r, s), (_, secs)) in map.iter() {
            let _ = writeln!(
                out,
                "registry_http_request_seconds_total{{method=\"{m}\",route=\"{r}\",status=\"{s}\"}} {secs:.6}"
            );
        }
    }
}

/// Middleware: counts every request under its route pattern (never the raw path, so
/// the number of series stays bounded).
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let state = req.app_data::<State>().cloned();
    let res = next.call(req).await?;
    if let Some(state) = state {
        state.metrics.observe(
            &method,
            &route,
            res.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(operation_id = "getMetrics", tag = "service", responses(
    (status = 200, description = "Prometheus text format", content_type = "text/plain; version=0.0.4", body = String),
    (status = 503, description = "The database is not reachable", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/metrics")]
pub async fn metrics(state: State) -> ApiResult<HttpResponse> {
    let (by_status, by_health) = state
        .db(|conn| {
            let s: Vec<(String, i64)> = suppliers::table
                .group_by(suppliers::status)
                .select((suppliers::status, diesel::dsl::count_star()))
                .load(conn)?;
            let h: Vec<(String, i64)> = evidence::table
                .filter(evidence::retired_at.is_null())
                .group_by(evidence::health)
                .select((evidence::health, diesel::dsl::count_star()))
                .load(conn)?;
            Ok((s, h))
        })
        .await?;
    let mut out = String::new();
    out.push_str("# HELP registry_suppliers Suppliers in the registry, by status.\n# TYPE registry_suppliers gauge\n");
    for (status, n) in by_status {
        let _ = writeln!(out, "registry_suppliers{{status=\"{status}\"}} {n}");
    }
    out.push_str("# HELP registry_evidence Live evidence links, by health.\n# TYPE registry_evidence gauge\n");
    for (health, n) in by_health {
        let _ = writeln!(out, "registry_evidence{{health=\"{health}\"}} {n}");
    }
    state.metrics.render(&mut out);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out))
}
