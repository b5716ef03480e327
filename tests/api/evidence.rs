use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, problem};

fn policy() -> Value {
    json!({"url": "https://example.org/ai-policy", "title": "Our AI policy", "kind": "policy", "commitments": ["transparency", "safety"]})
}

#[tokio::test]
async fn evidence_is_added_edited_and_retired() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Evidenced Ltd").await;
    let base = format!("/api/v1/suppliers/{}/evidence", s.id);
    let res = app.post(&base, Some(&s.token), policy()).await;
    assert_eq!(res.status(), 201);
    let e: Value = res.json().await.unwrap();
    assert_eq!(e["health"]["status"], "pending");
    assert_eq!(e["commitments"], json!(["safety", "transparency"]));
    assert_eq!(e["expired"], false);
    let cert = json!({
        "url": "https://example.org/ce.pdf", "title": "Cyber Essentials Plus", "kind": "certification",
        "commitments": ["data_protection"], "scheme": "cyber_essentials_plus", "reference": "CE-123", "expires_on": "2020-01-31"
    });
    let res = app.post(&base, Some(&s.token), cert).await;
    assert_eq!(res.status(), 201);
    let cert: Value = res.json().await.unwrap();
    assert_eq!(
        cert["expired"], true,
        "an expired certification shows as expired"
    );

    let view = app.supplier(&s.slug).await;
    assert_eq!(view["evidence"].as_array().unwrap().len(), 2);

    let id = e["id"].as_str().unwrap();
    let res = app
        .send(
            Method::PATCH,
            &format!("{base}/{id}"),
            Some(&s.token),
            Some(json!({"title": "AI policy v2", "commitments": ["accountability"]})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["title"], "AI policy v2");
    assert_eq!(edited["commitments"], json!(["accountability"]));
    assert_eq!(edited["url"], "https://example.org/ai-policy");

    assert_eq!(
        app.send(
            Method::DELETE,
            &format!("{base}/{id}"),
            Some(&s.token),
            None
        )
        .await
        .status(),
        204
    );
    problem(
        app.send(
            Method::DELETE,
            &format!("{base}/{id}"),
            Some(&s.token),
            None,
        )
        .await,
        404,
    )
    .await;
    let view = app.supplier(&s.slug).await;
    assert_eq!(
        view["evidence"].as_array().unwrap().len(),
        1,
        "retired evidence leaves the public view"
    );
    let (actions, _) = app.audit_of(&s).await;
    assert!(
        actions.ends_with(&[
            "evidence.added".to_owned(),
            "evidence.added".into(),
            "evidence.updated".into(),
            "evidence.retired".into()
        ]),
        "{actions:?}"
    );
}

#[tokio::test]
async fn evidence_validation_names_each_field() {
    let app = TestApp::spawn().await;
    let s = app.register("Strict Ltd").await;
    let base = format!("/api/v1/suppliers/{}/evidence", s.id);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("url", json!("file:///etc/passwd"), "url"),
        (
            "url",
            json!(format!("https://example.org/{}", "a".repeat(2100))),
            "url",
        ),
        ("title", json!(""), "title"),
        ("commitments", json!([]), "commitments"),
        ("commitments", json!(["astrology"]), "commitments[0]"),
        ("commitments", json!(["safety", "safety"]), "commitments[1]"),
        ("scheme", json!("iso_iec_27001"), "scheme"),
        ("expires_on", json!("2027-01-01"), "expires_on"),
    ];
    for (field, value, named) in cases {
        let mut body = policy();
        body[field] = value;
        let p = problem(app.post(&base, Some(&s.token), body).await, 422).await;
        assert_eq!(fields(&p), [named], "{field}");
    }
    let mut body = policy();
    body["kind"] = json!("rumour");
    let p = problem(app.post(&base, Some(&s.token), body).await, 422).await;
    assert_eq!(fields(&p), ["kind"]);
    let mut body = policy();
    body["expires_on"] = json!("31/01/2027");
    body["kind"] = json!("certification");
    let p = problem(app.post(&base, Some(&s.token), body).await, 422).await;
    assert_eq!(fields(&p), ["expires_on"]);
    assert_eq!(app.supplier(&s.slug).await["evidence"], json!([]));
    problem(
        app.send(
            Method::PATCH,
            &format!("{base}/00000000-0000-4000-8000-000000000000"),
            Some(&s.token),
            Some(json!({"title": "x"})),
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn changing_an_evidence_url_resets_its_health() {
    let app = TestApp::spawn().await;
    let s = app.register("Mover Ltd").await;
    let base = format!("/api/v1/suppliers/{}/evidence", s.id);
    let e: Value = app
        .post(&base, Some(&s.token), policy())
        .await
        .json()
        .await
        .unwrap();
    let id = e["id"].as_str().unwrap();
    {
        use diesel::prelude::*;
        use pledge_registry::db::schema::evidence;
        let mut conn = app.pool.get().unwrap();
        diesel::update(evidence::table.find(id))
            .set((
                evidence::health.eq("broken"),
                evidence::consecutive_failures.eq(3),
                evidence::http_status.eq(Some(404)),
                evidence::check_detail.eq(Some("HTTP 404")),
            ))
            .execute(&mut *conn)
            .unwrap();
        let check = pledge_registry::db::models::checks::CheckRow {
            id: 0,
            evidence_id: id.parse().unwrap(),
            checked_at: pledge_registry::db::models::now(),
            outcome: pledge_registry::domain::evidence::EvidenceHealth::Broken,
            http_status: Some(404),
            final_url: None,
            detail: "HTTP 404".into(),
            duration_ms: 40,
        };
        pledge_registry::db::models::checks::append(&mut conn, &check, 20).unwrap();
    }
    app.project(&s.id).await;
    let before = app.supplier(&s.id).await;
    assert_eq!(
        before["evidence"][0]["health"]["recent_checks"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.supplier(&s.slug).await["evidence"][0]["health"]["status"],
        "broken"
    );
    let res = app
        .send(
            Method::PATCH,
            &format!("{base}/{id}"),
            Some(&s.token),
            Some(json!({"url": "https://example.org/new"})),
        )
        .await;
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["health"]["status"], "pending");
    assert_eq!(edited["health"]["consecutive_failures"], 0);
    assert_eq!(edited["health"]["http_status"], Value::Null);
    // Nothing found at the old address stays with the new one.
    let own = app.own_record(&s).await;
    let health = &own["evidence"][0]["health"];
    assert_eq!(health["detail"], Value::Null);
    assert_eq!(health["recent_checks"], json!([]));
    let public = app.supplier(&s.id).await;
    assert_eq!(public["evidence"][0]["health"]["recent_checks"], json!([]));
}

#[tokio::test]
async fn concurrent_additions_to_one_supplier_all_succeed() {
    let app = TestApp::spawn().await;
    let s = app.register("Busy Ltd").await;
    let mut handles = Vec::new();
    for i in 0..16 {
        let req = app.req(Method::POST, &format!("/api/v1/suppliers/{}/evidence", s.id), Some(&s.token)).json(&json!({
            "url": format!("https://example.org/doc/{i}"), "title": format!("Doc {i}"), "kind": "report", "commitments": ["safety"]
        }));
        handles.push(tokio::spawn(async move {
            req.send().await.unwrap().status().as_u16()
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), 201);
    }
    assert_eq!(
        app.supplier(&s.slug).await["evidence"]
            .as_array()
            .unwrap()
            .len(),
        16
    );
}
