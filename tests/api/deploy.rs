//! The monitoring in `deploy/` names only series the registry serves: every metric in
//! the alert rules and the dashboard's queries is on `/metrics`. (CI also checks the
//! rules with `promtool check rules` and their unit tests with `promtool test rules`.)

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::TestApp;

/// The metric names a text mentions (`registry_...`, `process_...`).
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for prefix in ["registry_", "process_"] {
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let before = rest[..at].chars().last();
            // Part of a longer word (a file name, a label) is not a metric.
            if !before
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '/')
            {
                names.insert(tail[..end].to_owned());
            }
            rest = &tail[end..];
        }
    }
    names
}

#[tokio::test]
async fn every_series_the_rules_and_dashboard_use_is_served() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Monitored Ltd").await;
    app.add_evidence(&s, "https://monitored.example/policy")
        .await;
    app.get("/api/v1/suppliers?limit=1").await;
    let served = app.get("/metrics").await.text().await.unwrap();
    let serves = |name: &str| {
        served
            .lines()
            .any(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let rules = std::fs::read_to_string(root.join("prometheus/alerts.yml")).unwrap();
    let rule_names = metric_names(
        &rules
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    assert!(rule_names.len() >= 8, "{rule_names:?}");
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("grafana/registry-dashboard.json")).unwrap(),
    )
    .unwrap();
    let mut exprs = String::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            exprs.push_str(target["expr"].as_str().unwrap());
            exprs.push('\n');
        }
    }
    let dashboard_names = metric_names(&exprs);
    assert!(dashboard_names.len() >= 10, "{dashboard_names:?}");
    for name in rule_names.iter().chain(&dashboard_names) {
        assert!(serves(name), "{name} is not served:\n{served}");
    }
    // Every alert says what to do, and how urgent it is.
    assert_eq!(
        rules.matches("- alert:").count(),
        rules.matches("severity:").count()
    );
    assert_eq!(
        rules.matches("- alert:").count(),
        rules.matches("description:").count()
    );
}
