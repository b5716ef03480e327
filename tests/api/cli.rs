//! The command line against the same database as a running service.

use std::collections::HashSet;
use std::process::Command;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::TestApp;

fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pledge-registry"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", &app.config.database_url)
        .env("REGISTRY_SIGNING_KEY_FILE", &app.config.signing_key_file)
        .env("REGISTRY_PUBLIC_URL", &app.config.public_url)
        .env("REGISTRY_DATA_DIR", &app.config.data_dir)
        .output()
        .expect("run the binary")
}

#[tokio::test]
async fn token_issue_prints_a_working_admin_token_on_its_last_line() {
    let app = TestApp::spawn().await;
    let out = cli(&app, &["token", "issue", "--role", "admin", "--days", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim();
    assert_eq!(token.split('.').count(), 3);
    let res = app
        .req(Method::GET, "/api/v1/admin/audit", Some(token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bad = cli(&app, &["token", "issue", "--role", "supplier"]);
    assert!(!bad.status.success(), "a supplier token needs --supplier");
}

#[tokio::test]
async fn seed_demo_loads_varied_realistic_suppliers() {
    let app = TestApp::spawn().await;
    let out = cli(&app, &["seed-demo", "--count", "60"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(&format!("/api/v1/suppliers?limit=200{cursor}"))
            .await;
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 60);
    let statuses: HashSet<&str> = seen.iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert!(statuses.len() >= 3, "varied statuses: {statuses:?}");
    let signed: Vec<&Value> = seen.iter().filter(|s| s["status"] == "active").collect();
    assert!(!signed.is_empty());
    let one = app.supplier(signed[0]["slug"].as_str().unwrap()).await;
    assert_eq!(one["signature"]["statements"].as_array().unwrap().len(), 6);
    assert!(!one["evidence"].as_array().unwrap().is_empty());
    let history = app
        .get_json(&format!(
            "/api/v1/suppliers/{}/history",
            one["slug"].as_str().unwrap()
        ))
        .await;
    assert_eq!(history["items"][0]["event"], "signed");
}
