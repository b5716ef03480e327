//! Prometheus metrics (prometheus-client, OpenMetrics text): requests per route and
//! status, time spent, and the registry's size by status and by evidence health.
//! Counters are per instance; Prometheus scrapes each one.

use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::db::models::counts::RegistryCounts;

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Method, route pattern and status of a request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByStatus {
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByHealth {
    health: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<Request, Counter>,
    seconds: Family<Request, Counter<f64>>,
    suppliers: Family<ByStatus, Gauge>,
    evidence: Family<ByHealth, Gauge>,
    mail_waiting: Gauge,
    mail_given_up: Gauge,
    concerns_open: Gauge,
    /// One scrape at a time sets the registry's counts and encodes them.
    scrape: Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<Request, Counter>::default();
        let seconds = Family::<Request, Counter<f64>>::default();
        let suppliers = Family::<ByStatus, Gauge>::default();
        let evidence = Family::<ByHealth, Gauge>::default();
        registry.register(
            "registry_suppliers",
            "Suppliers in the registry, by status",
            suppliers.clone(),
        );
        registry.register(
            "registry_evidence",
            "Live evidence links, by health",
            evidence.clone(),
        );
        let mail_waiting = Gauge::default();
        let mail_given_up = Gauge::default();
        registry.register(
            "registry_mail_waiting",
            "Messages in the outbox not sent yet",
            mail_waiting.clone(),
        );
        registry.register(
            "registry_mail_given_up",
            "Messages the registry gave up sending after its attempts (see the log)",
            mail_given_up.clone(),
        );
        let concerns_open = Gauge::default();
        registry.register(
            "registry_concerns_open",
            "Concerns raised about suppliers that the operator has not closed",
            concerns_open.clone(),
        );
        registry.register(
            "registry_http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        registry.register(
            "registry_http_request_seconds",
            "Time spent answering, by method, route and status",
            seconds.clone(),
        );
        Metrics {
            registry,
            requests,
            seconds,
            suppliers,
            evidence,
            mail_waiting,
            mail_given_up,
            concerns_open,
            scrape: Mutex::new(()),
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let series = Request {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        self.requests.get_or_create(&series).inc();
        self.seconds.get_or_create(&series).inc_by(seconds);
    }

    /// Every series in the OpenMetrics text format, with the registry's `counts`.
    pub fn render(&self, counts: &RegistryCounts) -> String {
        let _turn = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        self.suppliers.clear();
        for (status, n) in &counts.suppliers_by_status {
            self.suppliers
                .get_or_create(&ByStatus {
                    status: status.clone(),
                })
                .set(*n);
        }
        self.evidence.clear();
        for (health, n) in &counts.evidence_by_health {
            self.evidence
                .get_or_create(&ByHealth {
                    health: health.clone(),
                })
                .set(*n);
        }
        self.mail_waiting.set(counts.mail.0);
        self.mail_given_up.set(counts.mail.1);
        self.concerns_open.set(counts.concerns_open);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
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
