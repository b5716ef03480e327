//! What the service writes to its log, read from the running binary's standard error:
//! JSON lines carrying the request's id (the one sent back in `X-Request-Id`), a 404 as
//! INFO, no colour codes when the log is not a terminal, and a bad format refused.

use std::io::Read;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::crash::ready;
use crate::helpers::{TestApp, free_port};

/// Runs the service with `format`, asks for a supplier that does not exist, stops it;
/// (the request id it answered with, what it logged).
async fn logged(app: &TestApp, format: &str) -> (String, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let env = [("REGISTRY_LOG_FORMAT", format), ("RUST_LOG", "info")];
    let mut server = crate::crash::serve(app, port, &env, Stdio::piped());
    let http = reqwest::Client::new();
    ready(&http, &base).await;
    let res = http
        .get(format!("{base}/api/v1/suppliers/no-such-supplier"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    server.kill().unwrap();
    server.wait().unwrap();
    let mut log = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    (id, log)
}

#[tokio::test]
async fn json_logs_carry_the_request_id_and_a_404_is_info() {
    let app = TestApp::spawn().await;
    let (id, log) = logged(&app, "json").await;
    uuid::Uuid::parse_str(&id).expect("the request id is a UUID");
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty());
    let about: Vec<&Value> = lines
        .iter()
        .filter(|l| l["span"]["request_id"] == id.as_str())
        .collect();
    assert_eq!(about.len(), 1, "one line for the refused request: {log}");
    assert_eq!(about[0]["level"], "INFO");
    assert_eq!(about[0]["fields"]["status"], 404);
    assert!(
        !lines
            .iter()
            .any(|l| l["level"] == "WARN" || l["level"] == "ERROR"),
        "{log}"
    );
}

#[tokio::test]
async fn plain_logs_have_no_colour_codes_off_a_terminal() {
    let app = TestApp::spawn().await;
    let (id, log) = logged(&app, "text").await;
    assert!(!log.contains('\u{1b}'), "{log:?}");
    let line = log
        .lines()
        .find(|l| l.contains(&id))
        .expect("the request's line");
    assert!(
        line.contains("INFO") && line.contains("request refused"),
        "{line}"
    );
}

#[test]
fn an_unknown_log_format_is_refused_by_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_pledge-registry"))
        .arg("serve")
        .env("REGISTRY_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("REGISTRY_LOG_FORMAT"), "{said}");
}
