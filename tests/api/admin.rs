use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, problem};

#[tokio::test]
async fn the_operator_issues_tokens_that_work_and_can_be_revoked() {
    let app = TestApp::spawn().await;
    let s = app.register("Token Ltd").await;
    let res = app
        .post(
            "/api/v1/admin/tokens",
            Some(&app.admin_token),
            json!({"role": "supplier", "supplier_id": s.id, "ttl_days": 30, "label": "CI"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let issued: Value = res.json().await.unwrap();
    assert_eq!(issued["supplier_id"], s.id.as_str());
    let token = issued["token"].as_str().unwrap();
    let ok = app
        .send(
            Method::PATCH,
            &format!("/api/v1/suppliers/{}", s.id),
            Some(token),
            Some(json!({"description": "via new token"})),
        )
        .await;
    assert_eq!(ok.status(), 200);
    for (body, field) in [
        (json!({"role": "supplier"}), "supplier_id"),
        (json!({"role": "admin", "supplier_id": s.id}), "supplier_id"),
        (json!({"role": "root"}), "role"),
        (json!({"role": "admin", "ttl_days": 0}), "ttl_days"),
        (
            json!({"role": "supplier", "supplier_id": "00000000-0000-4000-8000-000000000000"}),
            "supplier_id",
        ),
    ] {
        let p = problem(
            app.post("/api/v1/admin/tokens", Some(&app.admin_token), body.clone())
                .await,
            422,
        )
        .await;
        assert_eq!(fields(&p), [field], "{body}");
    }
}

#[tokio::test]
async fn the_audit_log_records_every_change_in_order() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Audited Ltd").await;
    let res = app
        .req(
            Method::GET,
            "/api/v1/admin/audit?limit=200",
            Some(&app.admin_token),
        )
        .send()
        .await
        .unwrap();
    let log: Value = res.json().await.unwrap();
    let items = log["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "pledge.published",
            "supplier.registered",
            "signature.signed",
            "signature.verified",
            "supplier.verified"
        ]
    );
    assert!(
        items
            .windows(2)
            .all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64())
    );
    assert_eq!(items[2]["actor"], format!("supplier:{}", s.id));
    assert!(items[3]["actor"].as_str().unwrap().starts_with("admin:"));
    assert_eq!(items[3]["before"]["status"], "pending");
    assert_eq!(items[3]["after"]["status"], "active");
    assert_eq!(
        items[4]["after"]["verified_at"]
            .as_str()
            .map(|t| t.ends_with('Z')),
        Some(true)
    );
    let page = app
        .req(
            Method::GET,
            "/api/v1/admin/audit?limit=2",
            Some(&app.admin_token),
        )
        .send()
        .await
        .unwrap();
    let page: Value = page.json().await.unwrap();
    let next = page["next_cursor"].as_str().unwrap();
    let rest = app
        .req(
            Method::GET,
            &format!("/api/v1/admin/audit?cursor={next}"),
            Some(&app.admin_token),
        )
        .send()
        .await
        .unwrap();
    let rest: Value = rest.json().await.unwrap();
    assert_eq!(rest["items"][0]["action"], "signature.signed");
}

#[tokio::test]
async fn lifecycle_routes_need_a_reason_where_a_person_chooses() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Reasoned Ltd").await;
    let path = format!("/api/v1/admin/suppliers/{}/suspend", s.id);
    let p = problem(app.admin_post(&path, Some(json!({}))).await, 422).await;
    assert_eq!(fields(&p), ["reason"]);
    let p = problem(
        app.admin_post(&path, Some(json!({"reason": "   "}))).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["reason"]);
    assert_eq!(app.supplier(&s.slug).await["status"], "active");
    problem(
        app.admin_post(
            "/api/v1/admin/suppliers/00000000-0000-4000-8000-000000000000/verify",
            None,
        )
        .await,
        404,
    )
    .await;
    problem(
        app.admin_post("/api/v1/admin/suppliers/not-a-uuid/verify", None)
            .await,
        404,
    )
    .await;
    let unsigned = app.register("Unsigned Ltd").await;
    let p = problem(
        app.admin_post(
            &format!("/api/v1/admin/suppliers/{}/suspend", unsigned.id),
            Some(json!({"reason": "x"})),
        )
        .await,
        409,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("not signed"));
}

#[tokio::test]
async fn the_operator_reads_the_audit_log_newest_first_filtered_by_action_and_time() {
    let app = TestApp::spawn().await;
    let mut suppliers = Vec::new();
    for name in ["Audit One Ltd", "Audit Two Ltd", "Audit Three Ltd"] {
        suppliers.push(app.active_supplier(name).await);
    }
    let ids: Vec<String> = suppliers.iter().map(|s| s.id.clone()).collect();
    for s in &suppliers[..2] {
        let reason = Some(json!({"reason": "Evidence under review"}));
        assert_eq!(app.lifecycle(s, "suspend", reason).await.status(), 200);
    }
    let read = |query: String| {
        let app = &app;
        async move {
            app.get_json_as(&format!("/api/v1/admin/audit?{query}"), &app.admin_token)
                .await
        }
    };
    let seqs = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect()
    };
    let all = seqs(&read("limit=200".into()).await);
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "oldest first by default"
    );

    // Newest first, page by page, the same entries in reverse.
    let mut newest = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = read(format!("order=newest&limit=3{cursor}")).await;
        newest.extend(seqs(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(newest, reversed);

    // By action (any of several), and by supplier.
    let suspended = read("action=signature.suspended&order=newest".into()).await;
    let items = suspended["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|e| e["action"] == "signature.suspended"));
    assert_eq!(items[0]["supplier_id"], ids[1].as_str(), "newest first");
    let both = read("action=signature.suspended&action=supplier.registered".into()).await;
    assert_eq!(both["items"].as_array().unwrap().len(), 5);
    let one = read(format!("action=signature.suspended&supplier_id={}", ids[0])).await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1);

    // By time: from the first suspension on, and nothing before the log began.
    let at = items[1]["at"].as_str().unwrap();
    let since = read(format!(
        "at_or_after={}&action=signature.suspended",
        urlencode(at)
    ))
    .await;
    assert_eq!(since["items"].as_array().unwrap().len(), 2);
    let before = read(format!("before={}", urlencode("2000-01-01T00:00:00Z"))).await;
    assert!(before["items"].as_array().unwrap().is_empty());

    // What cannot be read is named.
    for (query, field) in [
        ("action=supplier.teleported", "action"),
        ("order=sideways", "order"),
        ("before=yesterday", "before"),
    ] {
        let res = app
            .req(
                Method::GET,
                &format!("/api/v1/admin/audit?{query}"),
                Some(&app.admin_token),
            )
            .send()
            .await
            .unwrap();
        let p = problem(res, 400).await;
        assert_eq!(fields(&p), [field], "{query}: {p}");
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
