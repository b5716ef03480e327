//! Prometheus metrics: requests per route and status, time spent, and the registry's
//! size by status. Counters are per instance; Prometheus scrapes each one.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::db::models::counts::RegistryCounts;

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

    /// Every series in the text exposition format, after the registry's `counts`.
    pub fn render(&self, out: &mut String, counts: &RegistryCounts) {
        out.push_str("# HELP registry_suppliers Suppliers in the registry, by status.\n# TYPE registry_suppliers gauge\n");
        for (status, n) in &counts.suppliers_by_status {
            let _ = writeln!(out, "registry_suppliers{{status=\"{status}\"}} {n}");
        }
        out.push_str("# HELP registry_evidence Live evidence links, by health.\n# TYPE registry_evidence gauge\n");
        for (health, n) in &counts.evidence_by_health {
            let _ = writeln!(out, "registry_evidence{{health=\"{health}\"}} {n}");
        }
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
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        metrics.observe(
            &method,
            &route,
            res.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}
