//! Evidence checker benchmark: checks a few thousand URLs on a local fixture with
//! realistic per-request latency, and reports URLs per second, peak memory and the
//! outcome counts against the fixture's known truth. With `--lychee PATH`, runs the
//! lychee link checker on the same URLs at the same concurrency for comparison.
//!
//!     cargo bench --bench checker -- --urls 3000 --concurrency 32 [--lychee /path/to/lychee]
//!
//! Everything runs on 127.0.0.1: the fixture is a child process listening on `--hosts`
//! ports, each port standing for one web host.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use pledge_registry::checker::Checker;
use pledge_registry::config::Config;

/// What each fixture path answers, and what the checker must conclude.
const KINDS: &[(&str, u32, &str)] = &[
    // (kind, share in 100, expected outcome)
    ("ok", 64, "ok"),
    ("notfound", 10, "broken"),
    ("gone", 4, "broken"),
    ("redirect", 10, "redirected"),
    ("forbidden", 5, "restricted"),
    ("headless", 5, "ok"),
    ("error", 2, "broken"),
];

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

fn kind_of(i: usize) -> (&'static str, &'static str) {
    let slot = (i * 37 % 100) as u32;
    let mut acc = 0;
    for (kind, share, outcome) in KINDS {
        acc += share;
        if slot < acc {
            return (kind, outcome);
        }
    }
    ("ok", "ok")
}

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
    match kind {
        "ok" | "landing" => HttpResponse::Ok().body("evidence page"),
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
    let listeners: Vec<std::net::TcpListener> = (0..hosts)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    let ports: Vec<String> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port().to_string()))
        .collect::<Result<_, _>>()?;
    actix_web::rt::System::new().block_on(async move {
        let mut server = HttpServer::new(|| App::new().default_service(web::to(serve)))
            .workers(1)
            .backlog(4096);
        for l in listeners {
            server = server.listen(l)?;
        }
        let running = server.run();
        println!("{}", ports.join(","));
        std::io::stdout().flush()?;
        running.await
    })
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    let hosts: usize = arg("--hosts", "50").parse()?;
    if std::env::args().nth(1).as_deref() == Some("fixture") {
        return Ok(fixture(hosts)?);
    }
    let count: usize = arg("--urls", "3000").parse()?;
    let concurrency = arg("--concurrency", "32");
    let lychee = arg("--lychee", "");

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
        let (kind, outcome) = kind_of(i);
        let latency = 20 + (i * 7919 % 101); // 20..120 ms, spread evenly
        let port = ports[i % ports.len()];
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

    let settings = Config::from_lookup(|k| match k {
        "REGISTRY_CHECKER_ALLOW_LOOPBACK" => Some("true".into()),
        "REGISTRY_CHECK_CONCURRENCY" => Some(concurrency.clone()),
        "REGISTRY_CHECK_PER_HOST" => Some("4".into()),
        "REGISTRY_CHECK_RETRIES" => Some("0".into()),
        _ => None,
    })?
    .checker;
    let rss_before = peak_rss_kib();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (elapsed, results) = runtime.block_on(async {
        use futures_util::StreamExt;
        let checker = Checker::new(settings)?;
        let started = Instant::now();
        let results: Vec<(usize, String)> = futures_util::stream::iter(truth.iter().enumerate())
            .map(|(i, (u, _))| {
                let checker = &checker;
                async move { (i, checker.check(u).await.outcome.as_str().to_owned()) }
            })
            .buffer_unordered(1024)
            .collect()
            .await;
        anyhow::Ok((started.elapsed(), results))
    })?;
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
    println!(
        "machine: {} cores; {count} URLs on {hosts} local hosts, 20-120 ms latency each",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!("registry checker, concurrency {concurrency} (per host 4):");
    println!(
        "  time {:.2} s, {:.0} URLs/s, peak RSS {} KiB (before: {rss_before} KiB)",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        peak_rss_kib()
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
        let matched = ["--host-concurrency", "4", "--host-request-interval", "0s"];
        run_lychee(&lychee, &concurrency, &matched, &list, count)?;
        run_lychee(&lychee, &concurrency, &[], &list, count)?;
    }
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
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
            "--max-retries",
            "0",
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
        "lychee, --max-concurrency {concurrency} --max-retries 0 {}:",
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
