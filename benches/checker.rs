//! Evidence checker benchmark: checks a few thousand URLs on a local fixture with
//! realistic per-request latency, and reports URLs per second, peak memory and the
//! outcome counts against the fixture's known truth. With `--lychee PATH`, runs the
//! lychee link checker on the same URLs at the same settings for comparison.
//!
//!     cargo bench --bench checker -- --urls 3000 --concurrency 32 [--lychee /path/to/lychee]
//!     cargo bench --bench checker -- --mix hard --hosts 1 --latency 50 --urls 2000 \
//!         --concurrency 64 --per-host 64 --retries 1 --timeout 5 --round
//!
//! `--mix` is `standard` (the default), `hard` (slow, hanging and refused links, 429s
//! with Retry-After, 5xx and redirect loops among them), `snap` (the hard mix with
//! policy pages, PDFs, 8 MiB pages, endless bodies and gzip bombs) or `ok` (every link
//! answers 200). `--snapshots off` checks as the registry does with `REGISTRY_SNAPSHOTS=off`
//! (HEAD where it can, no body kept). `--latency MS` gives every answer the same latency (default: 20 to 120 ms).
//! `--round` checks the links as the service does, with `check-evidence`'s round: stored
//! in a fresh SQLite registry, claimed, checked and each result recorded.
//!
//! Everything runs on 127.0.0.1: the fixture is a child process listening on `--hosts`
//! ports, each port standing for one web host.

#[path = "support.rs"]
mod support;
use support::arg;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse};
use pledge_registry::checker::Checker;
use pledge_registry::config::Config;

/// What each fixture path answers, and what the checker must conclude:
/// (kind, share in 1000, expected outcome).
const STANDARD: &[(&str, u32, &str)] = &[
    ("ok", 640, "ok"),
    ("notfound", 100, "broken"),
    ("gone", 40, "broken"),
    ("redirect", 100, "redirected"),
    ("forbidden", 50, "restricted"),
    ("headless", 50, "ok"),
    ("error", 20, "broken"),
];

/// The cases that stall a naive checker, in the shares of 2,000 links: 1,490 ok, 200
/// redirects, 10 loops, 100 404s, 40 410s, 60 500s, 40 429s with `Retry-After` (then
/// 200), 40 slow (3 s), 10 hanging, 10 refused connections.
const HARD: &[(&str, u32, &str)] = &[
    ("ok", 745, "ok"),
    ("redirect", 100, "redirected"),
    ("loop", 5, "broken"),
    ("notfound", 50, "broken"),
    ("gone", 20, "broken"),
    ("error", 30, "broken"),
    ("ratelimited", 20, "ok"),
    ("slow", 20, "ok"),
    ("hang", 5, "unreachable"),
    ("refused", 5, "unreachable"),
];

/// The hard mix with the documents snapshots meet: pages of policy text (the `ok`
/// links), PDFs, pages of 8 MiB, bodies that never end and gzip bombs (all still
/// answer 200, so `ok`, with no snapshot kept of the last three).
const SNAP: &[(&str, u32, &str)] = &[
    ("ok", 655, "ok"),
    ("pdf", 50, "ok"),
    ("big", 10, "ok"),
    ("endless", 10, "ok"),
    ("bomb", 10, "ok"),
    ("redirect", 100, "redirected"),
    ("loop", 5, "broken"),
    ("notfound", 50, "broken"),
    ("gone", 20, "broken"),
    ("error", 30, "broken"),
    ("ratelimited", 20, "ok"),
    ("slow", 20, "ok"),
    ("hang", 5, "unreachable"),
    ("refused", 5, "unreachable"),
];

const ALL_OK: &[(&str, u32, &str)] = &[("ok", 1000, "ok")];

/// A policy page of about 40 KB: a few hundred paragraphs of words, in markup.
static PAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut page = String::from(
        "<html><head><title>AI policy</title><style>p{margin:0}</style><script>var t=1;</script></head><body><h1>Our AI policy</h1>",
    );
    for i in 0..300 {
        page.push_str(&format!(
            "<p>Paragraph {i}: care records stay in the UK, are never used to train models, and every suggestion can be overridden by a carer.</p>"
        ));
    }
    page.push_str("</body></html>");
    page
});

/// A gzip body that inflates to 64 MiB, sent without being asked for.
static BOMB: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    use std::io::Write;
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let spaces = vec![b' '; 1024 * 1024];
    for _ in 0..64 {
        z.write_all(&spaces).expect("memory");
    }
    z.finish().expect("memory")
});

type Kinds = &'static [(&'static str, u32, &'static str)];

fn kind_of(kinds: Kinds, i: usize) -> (&'static str, &'static str) {
    let slot = (i * 373 % 1000) as u32;
    let mut acc = 0;
    for (kind, share, outcome) in kinds {
        acc += share;
        if slot < acc {
            return (kind, outcome);
        }
    }
    ("ok", "ok")
}

/// Requests seen per path, for answers that change on a retry.
static SEEN: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, u32>>> =
    std::sync::LazyLock::new(Default::default);

async fn serve(req: HttpRequest) -> HttpResponse {
    // /t/{kind}/{latency_ms}/{i}
    let parts: Vec<&str> = req.path().trim_start_matches('/').split('/').collect();
    let (kind, ms) = match parts.as_slice() {
        ["t", kind, ms, _] => (*kind, ms.parse().unwrap_or(0)),
        ["landing", ..] => ("landing", 0),
        _ => ("missing", 0),
    };
    tokio::time::sleep(Duration::from_millis(ms)).await;
    let head = req.method() == actix_web::http::Method::HEAD;
    let seen = {
        let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
        let n = seen.entry(req.path().to_owned()).or_default();
        *n += 1;
        *n
    };
    match kind {
        "loop" => HttpResponse::Found()
            .insert_header(("Location", req.path().to_owned()))
            .finish(),
        "ratelimited" if seen == 1 => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "1"))
            .finish(),
        "ratelimited" => HttpResponse::Ok().body("evidence page, at last"),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            HttpResponse::Ok().body("evidence page, slowly")
        }
        "hang" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            HttpResponse::Ok().finish()
        }
        "ok" | "landing" => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(PAGE.as_str()),
        "pdf" => HttpResponse::Ok()
            .content_type("application/pdf")
            .body(format!("%PDF-1.7\n{}", PAGE.as_str())),
        "big" => HttpResponse::Ok()
            .content_type("text/html")
            .body(vec![b'a'; 8 * 1024 * 1024]),
        // (A streamed body is no answer to HEAD: the server would produce it forever.)
        "endless" if head => HttpResponse::Ok().content_type("text/html").finish(),
        "endless" => {
            let chunk = actix_web::web::Bytes::from(vec![b'a'; 64 * 1024]);
            HttpResponse::Ok().content_type("text/html").streaming(
                futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone())),
            )
        }
        "bomb" => HttpResponse::Ok()
            .content_type("text/html")
            .insert_header(("Content-Encoding", "gzip"))
            .body(BOMB.clone()),
        "notfound" | "missing" => HttpResponse::NotFound().finish(),
        "gone" => HttpResponse::Gone().finish(),
        "redirect" => HttpResponse::MovedPermanently()
            .insert_header(("Location", format!("/landing/{}", parts[3])))
            .finish(),
        "forbidden" => HttpResponse::Forbidden().finish(),
        "headless" if head => HttpResponse::MethodNotAllowed().finish(),
        "headless" => HttpResponse::Ok().body("no HEAD here"),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

fn fixture(hosts: usize) -> std::io::Result<()> {
    support::serve_ports(hosts, serve)
}

fn main() -> anyhow::Result<()> {
    let hosts: usize = arg("--hosts", "50").parse()?;
    if std::env::args().nth(1).as_deref() == Some("fixture") {
        return Ok(fixture(hosts)?);
    }
    let count: usize = arg("--urls", "3000").parse()?;
    let concurrency = arg("--concurrency", "32");
    let per_host = arg("--per-host", "4");
    let retries = arg("--retries", "0");
    let timeout = arg("--timeout", "20");
    let latency = arg("--latency", "");
    let round = std::env::args().any(|a| a == "--round");
    let (mix, kinds): (&str, Kinds) = match arg("--mix", "standard").as_str() {
        "hard" => ("hard", HARD),
        "ok" => ("ok", ALL_OK),
        "snap" => ("snap", SNAP),
        _ => ("standard", STANDARD),
    };
    let lychee = arg("--lychee", "");
    let snapshots = arg("--snapshots", "on");
    // A port nothing listens on, for refused connections.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();

    let mut child = Command::new(std::env::current_exe()?)
        .args(["fixture", "--hosts", &hosts.to_string()])
        .stdout(Stdio::piped())
        .stdin(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(
        child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?,
    )
    .read_line(&mut line)?;
    let ports: Vec<&str> = line.trim().split(',').collect();

    let mut truth = Vec::with_capacity(count);
    for i in 0..count {
        let (kind, outcome) = kind_of(kinds, i);
        let latency = latency.parse::<usize>().unwrap_or(20 + (i * 7919 % 101)); // 20..120 ms, spread evenly
        let port = if kind == "refused" {
            closed.to_string()
        } else {
            ports[i % ports.len()].to_owned()
        };
        truth.push((
            format!("http://127.0.0.1:{port}/t/{kind}/{latency}/{i}"),
            outcome,
        ));
    }
    let list = std::env::temp_dir().join("checker-bench-urls.txt");
    std::fs::write(
        &list,
        truth
            .iter()
            .map(|(u, _)| u.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    )?;

    let data = std::env::temp_dir().join(format!("checker-bench-{}", std::process::id()));
    let config = Config::from_lookup(|k| match k {
        "REGISTRY_CHECKER_ALLOW_LOOPBACK" => Some("true".into()),
        "REGISTRY_CHECK_CONCURRENCY" => Some(concurrency.clone()),
        "REGISTRY_CHECK_PER_HOST" => Some(per_host.clone()),
        "REGISTRY_CHECK_RETRIES" => Some(retries.clone()),
        "REGISTRY_CHECK_TIMEOUT" => Some(format!("{timeout}s")),
        "REGISTRY_CHECK_BACKOFF" => Some("200ms".into()),
        "REGISTRY_CHECK_INTERVAL" => Some("off".into()),
        "REGISTRY_SNAPSHOTS" => Some(snapshots.clone()),
        "REGISTRY_LAPSE_INTERVAL" => Some("off".into()),
        "REGISTRY_DATA_DIR" => Some(data.to_string_lossy().into_owned()),
        _ => None,
    })?;
    let rss_before = support::peak_rss_kib();
    let urls: Vec<String> = truth.iter().map(|(u, _)| u.clone()).collect();
    let (elapsed, results) = if round {
        let out = round::run(config, &urls);
        let _ = std::fs::remove_dir_all(&data);
        out?
    } else {
        direct(config, &urls)?
    };
    let mut expected: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, o) in &truth {
        *expected.entry(o).or_default() += 1;
    }
    let mut got: BTreeMap<&str, usize> = BTreeMap::new();
    let mut wrong = 0;
    for (i, o) in &results {
        *got.entry(o.as_str()).or_default() += 1;
        if truth[*i].1 != o {
            wrong += 1;
        }
    }
    let latency_words = if latency.is_empty() {
        "20-120 ms".to_owned()
    } else {
        format!("{latency} ms")
    };
    println!(
        "machine: {} cores; {count} URLs ({mix} mix) on {hosts} local hosts, {latency_words} latency each",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!(
        "registry checker{}, snapshots {snapshots}, concurrency {concurrency}, per host {per_host}, timeout {timeout} s, {retries} retries:",
        if round {
            " (check-evidence round, results recorded)"
        } else {
            ""
        }
    );
    println!(
        "  time {:.2} s, {:.0} URLs/s, peak RSS {} KiB (before: {rss_before} KiB)",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        support::peak_rss_kib()
    );
    println!("  outcomes {got:?}");
    println!("  truth    {expected:?}");
    println!(
        "  {}",
        if wrong == 0 {
            "every outcome right".to_owned()
        } else {
            format!("{wrong} OUTCOMES DIFFER FROM THE TRUTH")
        }
    );

    if !lychee.is_empty() {
        let matched = [
            "--host-concurrency",
            per_host.as_str(),
            "--host-request-interval",
            "0s",
            "--max-retries",
            retries.as_str(),
            "--timeout",
            timeout.as_str(),
        ];
        run_lychee(&lychee, &concurrency, &matched, &list, count)?;
    }
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
}

/// Checks every URL with the checker alone, as many at once as it allows.
fn direct(config: Config, urls: &[String]) -> anyhow::Result<(Duration, Vec<(usize, String)>)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        use futures_util::StreamExt;
        let checker = Checker::new(config.checker)?;
        let started = Instant::now();
        let results: Vec<(usize, String)> = futures_util::stream::iter(urls.iter().enumerate())
            .map(|(i, u)| {
                let checker = &checker;
                async move { (i, checker.check(u).await.outcome.as_str().to_owned()) }
            })
            .buffer_unordered(urls.len().max(1))
            .collect()
            .await;
        anyhow::Ok((started.elapsed(), results))
    })
}

/// The registry's own round over the URLs, stored as evidence links.
mod round {
    use std::time::{Duration, Instant};

    use diesel::prelude::*;
    use pledge_registry::config::Config;
    use pledge_registry::db::schema::{evidence, evidence_checks};

    pub fn run(
        config: Config,
        urls: &[String],
    ) -> anyhow::Result<(Duration, Vec<(usize, String)>)> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let state = pledge_registry::app::bootstrap::prepare(config)?;
        let mut conn = state.database.pool().get()?;
        // Enough suppliers with enough links, then each link pointed at one URL.
        pledge_registry::cli::seed::seed_demo(&mut conn, (urls.len() / 2).max(1) as u32, 12)?;
        let ids: Vec<String> = evidence::table
            .filter(evidence::retired_at.is_null())
            .order(evidence::id.asc())
            .select(evidence::id)
            .load(&mut conn)?;
        anyhow::ensure!(ids.len() >= urls.len(), "only {} links seeded", ids.len());
        diesel::delete(evidence_checks::table).execute(&mut conn)?;
        for (id, url) in ids.iter().zip(urls) {
            diesel::update(evidence::table.find(id))
                .set((
                    evidence::url.eq(url),
                    evidence::health.eq("pending"),
                    evidence::checked_at.eq(None::<chrono::NaiveDateTime>),
                    evidence::consecutive_failures.eq(0),
                ))
                .execute(&mut conn)?;
        }
        diesel::update(evidence::table.filter(evidence::id.ne_all(&ids[..urls.len()])))
            .set(evidence::retired_at.eq(Some(pledge_registry::db::models::now())))
            .execute(&mut conn)?;
        drop(conn);
        let started = Instant::now();
        let summary = runtime.block_on(async {
            let scope =
                pledge_registry::usecases::checks::scope(None, pledge_registry::db::models::now());
            pledge_registry::usecases::checks::round(
                &state.database,
                &state.checker,
                scope,
                &|_| {},
            )
            .await
        });
        let elapsed = started.elapsed();
        summary.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let mut conn = state.database.pool().get()?;
        let outcomes: Vec<(String, String)> = evidence_checks::table
            .inner_join(evidence::table)
            .select((evidence::url, evidence_checks::outcome))
            .load(&mut conn)?;
        let index: std::collections::HashMap<&str, usize> = urls
            .iter()
            .enumerate()
            .map(|(i, u)| (u.as_str(), i))
            .collect();
        let results = outcomes
            .into_iter()
            .filter_map(|(url, outcome)| Some((*index.get(url.as_str())?, outcome)))
            .collect();
        Ok((elapsed, results))
    }
}

/// Runs lychee on the URL list with `extra` settings and prints time, memory and counts.
fn run_lychee(
    lychee: &str,
    concurrency: &str,
    extra: &[&str],
    list: &std::path::Path,
    count: usize,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args([
            "-f",
            "peak-rss-kib %M",
            lychee,
            "--no-progress",
            "--max-concurrency",
            concurrency,
        ])
        .args(["--cache=false", "--format", "json", "--mode", "plain"])
        .args(extra)
        .arg(list)
        .output()?;
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib "))
        .unwrap_or("?");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    println!(
        "lychee, --max-concurrency {concurrency} {}:",
        extra.join(" ")
    );
    println!(
        "  time {:.2} s, {:.0} URLs/s, peak RSS {rss} KiB",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  successful {} errors {} redirects {} total {}",
        report["successful"], report["errors"], report["redirects"], report["total"]
    );
    Ok(())
}
