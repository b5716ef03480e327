use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, fields, problem};

#[tokio::test]
async fn the_first_version_is_loaded_with_six_commitments() {
    let app = TestApp::spawn().await;
    let p = app.get_json("/api/v1/pledge").await;
    assert_eq!(p["version"], "2025-09");
    assert_eq!(p["is_current"], true);
    assert!(p["source_url"].as_str().unwrap().starts_with("https://"));
    let codes: Vec<&str> = p["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "co_production",
            "transparency",
            "safety",
            "fairness",
            "data_protection",
            "accountability"
        ]
    );
    let versions = app.get_json("/api/v1/pledge/versions").await;
    assert_eq!(versions["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get_json("/api/v1/pledge/versions/2025-09").await["commitments"],
        p["commitments"]
    );
    problem(app.get("/api/v1/pledge/versions/1999-01").await, 404).await;
}

#[tokio::test]
async fn reads_carry_etags_and_answer_304() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/pledge").await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"'));
    let again = app
        .req(Method::GET, "/api/v1/pledge", None)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
}

fn new_version(label: &str) -> serde_json::Value {
    json!({
        "version": label,
        "title": "Tech Pledge, second edition",
        "summary": "Adds a commitment on environmental impact.",
        "source_url": "https://example.org/pledge/2026",
        "published_on": "2026-09-01",
        "commitments": [
            {"code": "transparency", "title": "Transparency", "description": "Say what the AI does."},
            {"code": "environment", "title": "Environment", "description": "Measure and reduce energy use."}
        ]
    })
}

#[tokio::test]
async fn publishing_a_version_makes_it_current_without_upgrading_signatures() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Early Signer Ltd").await;
    let res = app
        .admin_post(
            "/api/v1/admin/pledge/versions",
            Some(new_version("2026-09")),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["location"], "/api/v1/pledge/versions/2026-09");
    let p = app.get_json("/api/v1/pledge").await;
    assert_eq!(p["version"], "2026-09");
    assert_eq!(
        app.get_json("/api/v1/pledge/versions/2025-09").await["is_current"],
        false
    );
    let view = app.supplier(&s.slug).await;
    assert_eq!(view["signature"]["pledge_version"], "2025-09");
    assert_eq!(view["signature"]["is_current_version"], false);
    assert_eq!(view["status"], "active");
    // Versions are immutable.
    let again = app
        .admin_post(
            "/api/v1/admin/pledge/versions",
            Some(new_version("2026-09")),
        )
        .await;
    problem(again, 409).await;
    // Re-signing the new version supersedes the old signature.
    let res = app.sign(&s).await;
    assert_eq!(res.status(), 201);
    let view = app.supplier(&s.slug).await;
    assert_eq!(view["signature"]["pledge_version"], "2026-09");
    assert_eq!(view["signature"]["is_current_version"], true);
    assert_eq!(view["status"], "active");
    let history = app
        .get_json(&format!("/api/v1/suppliers/{}/history", s.slug))
        .await;
    let events: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["signed", "verified", "superseded", "signed"]);
}

#[tokio::test]
async fn publishing_validates_every_field() {
    let app = TestApp::spawn().await;
    let mut bad = new_version("not a label!");
    bad["source_url"] = json!("ftp://example.org");
    bad["commitments"][1]["code"] = json!("Transparency");
    bad["commitments"][0]["title"] = json!("");
    let body = problem(
        app.admin_post("/api/v1/admin/pledge/versions", Some(bad))
            .await,
        422,
    )
    .await;
    let mut f = fields(&body);
    f.sort();
    assert_eq!(
        f,
        [
            "commitments[0].title",
            "commitments[1].code",
            "source_url",
            "version"
        ]
    );
    let mut dup = new_version("2027-01");
    dup["commitments"][1]["code"] = json!("transparency");
    let body = problem(
        app.admin_post("/api/v1/admin/pledge/versions", Some(dup))
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&body), ["commitments[1].code"]);
    assert_eq!(
        app.get_json("/api/v1/pledge").await["version"],
        "2025-09",
        "nothing was stored"
    );
}

#[tokio::test]
async fn a_preview_says_what_publishing_would_do_and_keeps_nothing() {
    use diesel::{QueryDsl, RunQueryDsl};
    let app = TestApp::spawn().await;
    for name in ["Previewed One Ltd", "Previewed Two Ltd"] {
        app.active_supplier(name).await;
    }
    let mail = || {
        let mut conn = app.pool.get().unwrap();
        pledge_registry::db::schema::outbox::table
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap()
    };
    let head = app.get_json("/api/v1/log/head").await;
    let feed = app.get_json("/api/v1/changes?since=0&limit=200").await;
    let mail_before = mail();

    let res = app
        .admin_post(
            "/api/v1/admin/pledge/versions/preview",
            Some(new_version("2026-09")),
        )
        .await;
    assert_eq!(res.status(), 200);
    let preview: serde_json::Value = res.json().await.unwrap();
    assert_eq!(preview["version"]["version"], "2026-09");
    assert_eq!(preview["current"], "2025-09");
    assert_eq!(preview["signers"], 2);
    assert_eq!(
        preview["emails"], 2,
        "one to each signer's owner: {preview}"
    );
    let email = &preview["example_email"];
    assert!(
        email["subject"].as_str().unwrap().contains("2026-09"),
        "{email}"
    );
    let changes = preview["changes"].as_array().unwrap();
    let of = |change: &str| -> Vec<&str> {
        changes
            .iter()
            .filter(|c| c["change"] == change)
            .map(|c| c["code"].as_str().unwrap())
            .collect()
    };
    assert_eq!(of("added"), ["environment"]);
    assert_eq!(of("reworded"), ["transparency"]);
    assert_eq!(of("removed").len(), 5, "{changes:?}");

    // Nothing was kept: the current version, the log, the feed and the outbox are as
    // they were.
    assert_eq!(app.get_json("/api/v1/pledge").await["version"], "2025-09");
    assert_eq!(app.get_json("/api/v1/log/head").await, head);
    assert_eq!(
        app.get_json("/api/v1/changes?since=0&limit=200").await,
        feed
    );
    assert_eq!(mail(), mail_before);

    // Refused as publishing is; and publishing then does what the preview said.
    let res = app
        .admin_post(
            "/api/v1/admin/pledge/versions/preview",
            Some(new_version("2025-09")),
        )
        .await;
    problem(res, 409).await;
    let res = app
        .admin_post(
            "/api/v1/admin/pledge/versions",
            Some(new_version("2026-09")),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(mail(), mail_before + 2);
    let res = app
        .req(Method::POST, "/api/v1/admin/pledge/versions/preview", None)
        .json(&new_version("2027-01"))
        .send()
        .await
        .unwrap();
    problem(res, 401).await;
}
