//! What libraries written by others make of the registry's output: the Standard
//! Webhooks reference library (Python) verifies its messages, aiosmtpd takes its mail,
//! and `cryptography` reads the signing key it generates.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pledge_registry::webhooks::Secret;
use pledge_registry::webhooks::send::Sender;
use serde_json::{Value, json};

use crate::helpers::{TestApp, free_port};

/// A Python process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `port` takes connections, or fails naming `what`.
fn listening(port: u16, child: &mut Child, what: &str) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            child.try_wait().ok().flatten().is_none(),
            "{what} exited (port {port} taken?)"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what} did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The receiver in webhook_receiver.py, verifying with `standardwebhooks` (PyPI).
fn python_receiver(secret: &Secret, log: &std::path::Path) -> (u16, Process) {
    crate::ensure_python_module("standardwebhooks");
    let port = free_port();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/crosscheck/webhook_receiver.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .arg(secret.expose())
        .arg(log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    listening(port, &mut child, "the Python webhook receiver");
    (port, Process(child))
}

fn lines(log: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn the_reference_library_verifies_every_message_and_both_secrets_of_a_rotation() {
    let (old, new, stranger) = (Secret::generate(), Secret::generate(), Secret::generate());
    let sender = Sender::new(Duration::from_secs(2), Duration::from_secs(5), true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, holds) in [("old", &old), ("new", &new)] {
        let log = dir.path().join(format!("{name}.jsonl"));
        let (port, _receiver) = python_receiver(holds, &log);
        let url = url::Url::parse(&format!("http://127.0.0.1:{port}/ok")).unwrap();
        let now = chrono::Utc::now().timestamp();
        for seq in 1..=3 {
            let body = json!({"seq": seq, "type": "supplier.verified"}).to_string();
            // During a rotation both secrets sign; a receiver holding either verifies.
            let attempt = sender
                .deliver(
                    &url,
                    &format!("msg_{seq}"),
                    now,
                    body.as_bytes(),
                    &[&old, &new],
                )
                .await;
            assert_eq!(attempt.status, Some(204), "{name}: {attempt:?}");
        }
        let attempt = sender
            .deliver(&url, "msg_forged", now, b"{}", &[&stranger])
            .await;
        assert_eq!(
            attempt.status,
            Some(401),
            "{name}: another secret's signature"
        );
        let seen = lines(&log);
        assert_eq!(seen.len(), 4, "{name}: {seen:?}");
        assert!(seen[..3].iter().all(|m| m["verified"] == true), "{seen:?}");
        assert_eq!(seen[3]["verified"], false);
    }
}

#[tokio::test]
async fn aiosmtpd_takes_the_registrys_mail() {
    crate::ensure_python_module("aiosmtpd");
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    let mut child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    listening(port, &mut child, "aiosmtpd");
    let _server = Process(child);
    let url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::spawn_with(&[
        ("REGISTRY_SMTP_URL", &url),
        ("REGISTRY_MAIL_INTERVAL", "50ms"),
    ])
    .await;
    let res = app
        .post(
            "/api/v1/webhooks/subscribers",
            None,
            json!({"name": "Procurement Tool", "email": "tool@buyer.example"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let started = Instant::now();
    let message = loop {
        let arrived: Vec<String> = std::fs::read_dir(maildir.join("new"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(m) = arrived.into_iter().next() {
            break m;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no mail reached aiosmtpd"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(message.contains("To: tool@buyer.example"), "{message}");
    assert!(
        message.contains("X-Registry-Message: confirm_subscriber"),
        "{message}"
    );
    assert!(message.contains("/webhooks/confirm?token="), "{message}");
}

#[tokio::test]
async fn cryptography_reads_the_generated_signing_key() {
    crate::ensure_python_module("cryptography");
    let app = TestApp::spawn().await;
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys; from cryptography.hazmat.primitives.serialization import load_pem_private_key as l; l(open(sys.argv[1],'rb').read(), None)",
        ])
        .arg(&app.config.signing_key_file)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "cryptography: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The Prometheus project's own Python client reads `/metrics` with its strict
/// OpenMetrics parser: every family with its type, the latency histograms with their
/// buckets, and the backlog series.
#[tokio::test]
async fn prometheus_client_parses_the_metrics() {
    crate::ensure_python_module("prometheus_client");
    let app = TestApp::spawn().await;
    let s = app.register("Scraped Ltd").await;
    app.add_evidence(&s, "https://scraped.example/policy").await;
    app.get(&format!("/api/v1/suppliers/{}", s.slug)).await;
    let text = app.get("/metrics").await.text().await.unwrap();
    let script = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    out[family.name] = {
        "type": family.type,
        "samples": [[s.name, s.labels, s.value] for s in family.samples],
    }
print(json.dumps(out))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser refused the text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let families: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (name, kind) in [
        ("registry_http_request_duration_seconds", "histogram"),
        ("registry_http_requests", "counter"),
        ("registry_db_connections", "gauge"),
        ("registry_checks_due", "gauge"),
        ("registry_checks_oldest_age_seconds", "gauge"),
        ("registry_mail_oldest_age_seconds", "gauge"),
        ("registry_webhook_lag_entries", "gauge"),
        ("registry_log_entries", "gauge"),
        ("registry_log_tree_size", "gauge"),
        ("registry_signing_key_age_seconds", "gauge"),
        ("process_resident_memory_bytes", "gauge"),
    ] {
        assert_eq!(families[name]["type"], kind, "{name}: {families}");
    }
    let samples = |name: &str| families[name]["samples"].as_array().unwrap().clone();
    let route = format!("/api/v1/suppliers/{{id_or_slug}}");
    let buckets: Vec<String> = samples("registry_http_request_duration_seconds")
        .iter()
        .filter(|s| {
            s[0] == "registry_http_request_duration_seconds_bucket"
                && s[1]["route"] == route.as_str()
        })
        .map(|s| s[1]["le"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(buckets.first().map(String::as_str), Some("0.001"));
    assert_eq!(buckets.last().map(String::as_str), Some("+Inf"));
    assert!(buckets.contains(&"10.0".to_owned()), "{buckets:?}");
    assert_eq!(
        samples("registry_checks_due")[0][2],
        1.0,
        "the new link waits for its first check"
    );
}
