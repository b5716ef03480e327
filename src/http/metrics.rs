//! Prometheus metrics (prometheus-client, OpenMetrics text): requests per route and
//! status, their latency as histograms, the database pool, the backlogs (links to
//! check, mail, webhook lag), the log, the signing key's age, the process, and the
//! registry's size. Request series and the pool are per instance; Prometheus scrapes
//! each one. The rest comes from the database and is the same on every instance.

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
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::db::PoolLoad;
use crate::db::models::counts::RegistryCounts;

/// Latency buckets, in seconds: 1 ms to 10 s.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn latency() -> Histogram {
    Histogram::new(BUCKETS)
}

/// Method and route pattern of a request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByState {
    state: String,
}

/// What is measured at a scrape besides the database's counts.
#[derive(Debug, Default)]
pub struct Live {
    pub pool: PoolLoad,
    /// The public reads kept in memory.
    pub reads: crate::views::cache::CacheCounts,
    /// Seconds since the Unix epoch, now.
    pub now: i64,
    /// Whether this instance refuses writes: the log does not agree with what it
    /// published.
    pub writes_refused: bool,
}

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
    duration: Family<Route, Histogram, fn() -> Histogram>,
    pool: Family<ByState, Gauge>,
    pool_size: Gauge,
    checks_due: Gauge,
    checks_oldest_age: Gauge,
    mail_oldest_age: Gauge,
    webhook_subscriptions: Family<ByState, Gauge>,
    webhook_lag: Family<ByState, Gauge>,
    log_entries: Gauge,
    log_tree_size: Gauge,
    log_last_entry: Gauge,
    log_published_size: Gauge,
    log_cosignatures: Gauge,
    log_writes_refused: Gauge,
    key_age: Gauge,
    process_rss: Gauge,
    process_cpu: Gauge<f64, std::sync::atomic::AtomicU64>,
    process_fds: Gauge,
    reads_served: Family<ByState, Gauge>,
    reads_bytes: Family<ByState, Gauge>,
    reads_entries: Gauge,
    reads_serving: Gauge,
    reads_signal_lost: Gauge,
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
        let duration = Family::<Route, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        registry.register(
            "registry_http_request_duration_seconds",
            "Time to answer a request, by method and route",
            duration.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let family = |registry: &mut Registry, name: &str, help: &str| {
            let f = Family::<ByState, Gauge>::default();
            registry.register(name, help, f.clone());
            f
        };
        let pool = family(
            &mut registry,
            "registry_db_connections",
            "This instance's database connections: in_use (lent out), idle (open and free), waiting (work waiting for one)",
        );
        let pool_size = gauge(
            &mut registry,
            "registry_db_pool_size",
            "This instance's most database connections (REGISTRY_DB_POOL_SIZE)",
        );
        let checks_due = gauge(
            &mut registry,
            "registry_checks_due",
            "Live evidence links due for a check: never checked, or last checked before the check interval",
        );
        let checks_oldest_age = gauge(
            &mut registry,
            "registry_checks_oldest_age_seconds",
            "Age of the oldest last check of a live link (of its creation, if never checked)",
        );
        let mail_oldest_age = gauge(
            &mut registry,
            "registry_mail_oldest_age_seconds",
            "Age of the oldest message still waiting to be sent (0: none waiting)",
        );
        let webhook_subscriptions = family(
            &mut registry,
            "registry_webhook_subscriptions",
            "Webhook subscriptions by state: active, failing, paused, disabled",
        );
        let webhook_lag = family(
            &mut registry,
            "registry_webhook_lag_entries",
            "The most public log entries a subscription in this state is behind the log",
        );
        let log_entries = gauge(
            &mut registry,
            "registry_log_entries",
            "Entries in the audit log (its newest seq)",
        );
        let log_tree_size = gauge(
            &mut registry,
            "registry_log_tree_size",
            "Leaves in the log's Merkle tree: what a checkpoint signs; equal to the entries once caught up",
        );
        let log_last_entry = gauge(
            &mut registry,
            "registry_log_last_entry_timestamp_seconds",
            "When the newest log entry was written (Unix time)",
        );
        let log_published_size = gauge(
            &mut registry,
            "registry_log_published_size",
            "Entries in the newest checkpoint the registry published",
        );
        let log_cosignatures = gauge(
            &mut registry,
            "registry_log_cosignatures",
            "Witnesses' cosignatures on the newest published checkpoint",
        );
        let log_writes_refused = gauge(
            &mut registry,
            "registry_log_writes_refused",
            "1 when this instance refuses writes because the log does not agree with the last checkpoint published",
        );
        let key_age = gauge(
            &mut registry,
            "registry_signing_key_age_seconds",
            "Age of the signing key in use",
        );
        let process_rss = gauge(
            &mut registry,
            "process_resident_memory_bytes",
            "Resident memory of this process",
        );
        let process_cpu = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "process_cpu_seconds",
            "CPU time this process has used (user and system)",
            process_cpu.clone(),
        );
        let process_fds = gauge(
            &mut registry,
            "process_open_fds",
            "Open file descriptors of this process",
        );
        let reads_served = family(
            &mut registry,
            "registry_read_cache_lookups",
            "Public reads looked up in this instance's memory since it started: hit (served from it) or miss (read from the database)",
        );
        let reads_bytes = family(
            &mut registry,
            "registry_read_cache_bytes",
            "Memory for public reads: used, and budget (REGISTRY_READ_CACHE)",
        );
        let reads_entries = gauge(
            &mut registry,
            "registry_read_cache_entries",
            "Public reads kept in this instance's memory",
        );
        let reads_serving = gauge(
            &mut registry,
            "registry_read_cache_serving",
            "1 while this instance hears the database's change signal and serves reads from memory; 0 while every read goes to the database",
        );
        let reads_signal_lost = gauge(
            &mut registry,
            "registry_read_cache_signal_lost",
            "Times this instance lost the database's change signal since it started",
        );
        Metrics {
            reads_served,
            reads_bytes,
            reads_entries,
            reads_serving,
            reads_signal_lost,
            registry,
            requests,
            seconds,
            suppliers,
            evidence,
            mail_waiting,
            mail_given_up,
            concerns_open,
            duration,
            pool,
            pool_size,
            checks_due,
            checks_oldest_age,
            mail_oldest_age,
            webhook_subscriptions,
            webhook_lag,
            log_entries,
            log_tree_size,
            log_last_entry,
            log_published_size,
            log_cosignatures,
            log_writes_refused,
            key_age,
            process_rss,
            process_cpu,
            process_fds,
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
        self.duration
            .get_or_create(&Route {
                method: series.method,
                route: series.route,
            })
            .observe(seconds);
    }

    /// Every series in the OpenMetrics text format, with the registry's `counts`.
    pub fn render(&self, counts: &RegistryCounts, live: &Live) -> String {
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
        let age = |t: Option<chrono::NaiveDateTime>| {
            t.map_or(0, |t| (live.now - t.and_utc().timestamp()).max(0))
        };
        for (state, n) in [
            ("in_use", live.pool.in_use),
            ("idle", live.pool.idle),
            ("waiting", live.pool.waiting),
        ] {
            self.pool
                .get_or_create(&ByState {
                    state: state.into(),
                })
                .set(n);
        }
        self.pool_size.set(live.pool.size);
        let reads = &live.reads;
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        for (state, v) in [("hit", reads.hits), ("miss", reads.misses)] {
            let state = ByState {
                state: state.into(),
            };
            self.reads_served.get_or_create(&state).set(n(v));
        }
        for (state, v) in [("used", reads.bytes), ("budget", reads.budget)] {
            let state = ByState {
                state: state.into(),
            };
            self.reads_bytes.get_or_create(&state).set(n(v));
        }
        self.reads_entries.set(n(reads.entries));
        self.reads_serving.set(i64::from(reads.serving));
        self.reads_signal_lost.set(n(reads.lost));
        self.checks_due.set(counts.checks_due);
        self.checks_oldest_age.set(age(counts.checks_oldest));
        self.mail_oldest_age.set(age(counts.mail_oldest));
        for (state, n, lag) in &counts.webhooks {
            let state = ByState {
                state: (*state).into(),
            };
            self.webhook_subscriptions.get_or_create(&state).set(*n);
            self.webhook_lag.get_or_create(&state).set(*lag);
        }
        self.log_entries
            .set(counts.log_head.map_or(0, |(seq, _)| seq));
        self.log_tree_size
            .set(i64::try_from(counts.tree_size).unwrap_or(i64::MAX));
        self.log_last_entry.set(
            counts
                .log_head
                .map_or(0, |(_, at)| at.and_utc().timestamp()),
        );
        self.log_published_size
            .set(i64::try_from(counts.published.0).unwrap_or(i64::MAX));
        self.log_cosignatures.set(counts.published.1);
        self.log_writes_refused.set(i64::from(live.writes_refused));
        self.key_age.set(age(counts.key_created));
        if let Some(p) = Process::now() {
            self.process_rss.set(p.rss_bytes);
            self.process_cpu.set(p.cpu_seconds);
            self.process_fds.set(p.open_fds);
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// This process, read from Linux's `/proc` (none elsewhere).
struct Process {
    rss_bytes: i64,
    cpu_seconds: f64,
    open_fds: i64,
}

impl Process {
    fn now() -> Option<Process> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let rss_kb: i64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        // Fields after the command's closing parenthesis; utime and stime are the 12th
        // and 13th of them, in USER_HZ ticks (100 a second on Linux).
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as i64;
        Some(Process {
            rss_bytes: rss_kb * 1024,
            cpu_seconds: ticks / 100.0,
            open_fds,
        })
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
    let route = super::route::pattern(req.request());
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
