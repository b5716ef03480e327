//! Webhook delivery benchmark: 10,000 public changes fanned out to 20 loopback
//! subscribers (one subscription each, as 20 procurement tools would have), delivered
//! by the job the service runs (`deliver_webhooks::DeliverWebhooks`, under the jobs' supervisor) on a fresh SQLite registry
//! (or PostgreSQL with `--database-url`). Reports deliveries per second and peak
//! memory.
//!
//!     cargo bench --bench webhooks -- --changes 10000 --subscribers 20 [--hard]
//!
//! With `--hard`, one more subscriber is every case that stalls a naive sender, at
//! once: 17 subscriptions to an endpoint that never answers (each held until the
//! timeout, then retried), one answering 500 and one 429. It may hold only its share
//! of the slots; the 20 others must not wait for it. The receivers are a child process
//! on 127.0.0.1 that answers 204 and verifies nothing.

#[path = "support.rs"]
mod support;
use support::arg;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse};
use pledge_registry::config::Config;
use pledge_registry::db::models::{audit, now};
use pledge_registry::domain::lifecycle::By;
use pledge_registry::jobs::deliver_webhooks::{self, Policy};
use pledge_registry::usecases::webhooks::{self, NewSubscription};

async fn answer(req: HttpRequest) -> HttpResponse {
    match req.path() {
        "/hang" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            HttpResponse::NoContent().finish()
        }
        "/error" => HttpResponse::InternalServerError().finish(),
        "/busy" => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "1"))
            .finish(),
        _ => HttpResponse::NoContent().finish(),
    }
}

fn receivers(n: usize) -> std::io::Result<()> {
    support::serve_ports(n, answer)
}

fn main() -> anyhow::Result<()> {
    let subscribers: usize = arg("--subscribers", "20").parse()?;
    if std::env::args().nth(1).as_deref() == Some("receivers") {
        return Ok(receivers(subscribers)?);
    }
    let changes: usize = arg("--changes", "10000").parse()?;
    let hard = std::env::args().any(|a| a == "--hard");
    let database_url = arg("--database-url", "");
    let mut child = Killed(
        Command::new(std::env::current_exe()?)
            .args(["receivers", "--subscribers", &subscribers.to_string()])
            .stdout(Stdio::piped())
            .spawn()?,
    );
    let mut line = String::new();
    BufReader::new(
        child
            .0
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?,
    )
    .read_line(&mut line)?;
    let ports: Vec<String> = line.trim().split(',').map(str::to_owned).collect();

    let dir = tempfile::tempdir()?;
    let data = dir.path().to_string_lossy().into_owned();
    let config = Config::from_lookup(|k| match k {
        "REGISTRY_DATA_DIR" => Some(data.clone()),
        "DATABASE_URL" if !database_url.is_empty() => Some(database_url.clone()),
        "REGISTRY_CHECKER_ALLOW_LOOPBACK" => Some("true".into()),
        "REGISTRY_WEBHOOK_TIMEOUT" => Some("2s".into()),
        _ => None,
    })?;
    let state = pledge_registry::app::bootstrap::prepare(config.clone())?;
    let db = state.database.clone();
    let mut conn = db.pool().get()?;

    // One real supplier's public summary, carried by every change, as the feed does.
    let summary = {
        use diesel::Connection;
        conn.transaction::<_, anyhow::Error, _>(|conn| {
            let registration = pledge_registry::usecases::register::Register::parse(
                pledge_registry::usecases::register::Registration {
                    name: "Bench Care Systems Ltd".into(),
                    website: "https://bench.example".into(),
                    company_number: None,
                    description: "Digital care records.".into(),
                    products: vec!["Care records".into()],
                    contact_name: "Bench".into(),
                    contact_email: "bench@bench.example".into(),
                },
            )
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let row = pledge_registry::usecases::register::register(conn, registration)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let record = pledge_registry::db::models::records::get(conn, row.id)?
                .ok_or_else(|| anyhow::anyhow!("no record"))?;
            Ok((row.id, record.summary))
        })?
    };
    let started = Instant::now();
    {
        use diesel::Connection;
        conn.transaction::<_, anyhow::Error, _>(|conn| {
            for i in 0..changes {
                audit::append(
                    conn,
                    now(),
                    audit::Entry {
                        actor: "bench",
                        action: pledge_registry::domain::Action::SupplierProfileUpdated,
                        entity_type: "supplier",
                        entity_id: summary.0.to_string(),
                        supplier_id: Some(summary.0),
                        before: None,
                        after: Some(serde_json::json!({ "n": i })),
                    },
                    Some(summary.1.clone()),
                )?;
            }
            Ok(())
        })?;
    }
    println!(
        "{changes} changes written in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let by = By::system();
    let mut subscriber = || {
        webhooks::add_subscriber(&mut conn, &by, "Bench", "bench@bench.example", now())
            .map_err(|e| anyhow::anyhow!("{e:?}"))
    };
    // A subscriber per tool; the hard cases all belong to one hostile subscriber.
    let mut urls: Vec<(String, pledge_registry::domain::SubscriberId)> = Vec::new();
    for p in &ports {
        urls.push((format!("http://127.0.0.1:{p}/ok"), subscriber()?.id));
    }
    if hard {
        let hog = subscriber()?.id;
        let p = &ports[0];
        for _ in 0..17 {
            urls.push((format!("http://127.0.0.1:{p}/hang"), hog));
        }
        for path in ["error", "busy"] {
            urls.push((format!("http://127.0.0.1:{p}/{path}"), hog));
        }
    }
    for (url, owner) in &urls {
        let new = webhooks::Subscribe::parse(
            NewSubscription {
                url: url.clone(),
                event_types: Vec::new(),
                supplier_ids: Vec::new(),
                statuses: Vec::new(),
                since: Some(0),
            },
            &state.webhooks,
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        webhooks::subscribe(&mut conn, *owner, &by, new, now())
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    drop(conn);
    let head = changes as i64 + 2; // the registration's change, and the first version
    let policy = Policy {
        first_retry: Duration::from_secs(1),
        give_up_after: Duration::from_secs(3 * 86400),
        // A slot for every subscription, as the earlier measurements had.
        concurrency: urls.len(),
        share: config.webhooks.share,
        log_days: config.webhooks.log_days,
        lease: Duration::from_secs(120),
    };
    let rss_before = support::peak_rss_kib();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let delivered = runtime.block_on(async {
        // The service's own loop, as `serve` starts it, looking for work every 10 ms.
        let job = pledge_registry::jobs::supervise(
            deliver_webhooks::DeliverWebhooks::new(db.clone(), state.webhooks.clone(), policy),
            Duration::ZERO,
            Duration::from_millis(10),
        );
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let (behind, delivered): (i64, i64) = db
                .run(move |conn| -> pledge_registry::error::Result<(i64, i64)> {
                    use diesel::prelude::*;
                    use pledge_registry::db::schema::webhook_subscriptions::dsl as s;
                    // A position moves only past what its endpoint took (the delivery
                    // log keeps only the newest attempts, so it is not counted).
                    let positions: Vec<i64> = s::webhook_subscriptions
                        .filter(s::url.like("%/ok"))
                        .select(s::position)
                        .load(conn)?;
                    let behind = positions.iter().filter(|p| **p < head).count() as i64;
                    // Positions are seqs: count the changes at or before each.
                    let changes_at = |p: i64| (p.min(head) - 1).max(0);
                    Ok((behind, positions.iter().map(|p| changes_at(*p)).sum()))
                })
                .await?;
            if std::env::var_os("BENCH_VERBOSE").is_some() {
                eprintln!(
                    "{:.1} s: {delivered} delivered, {behind} behind",
                    started.elapsed().as_secs_f64()
                );
            }
            if behind == 0 {
                job.abort();
                return Ok::<usize, pledge_registry::error::Error>(delivered as usize);
            }
        }
    });
    let delivered = delivered.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "webhooks: {changes} changes x {} subscribers{}: {delivered} deliveries in {secs:.1} s, {:.0} deliveries/s, peak RSS {} KiB (before delivering: {rss_before} KiB)",
        ports.len(),
        if hard {
            " (+ one subscriber with 17 hanging, a 500 and a 429 endpoint)"
        } else {
            ""
        },
        delivered as f64 / secs,
        support::peak_rss_kib()
    );
    Ok(())
}

/// The receivers' process, killed however the benchmark ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
