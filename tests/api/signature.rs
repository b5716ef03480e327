use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, problem};

fn reason(text: &str) -> Option<Value> {
    Some(json!({ "reason": text }))
}

#[tokio::test]
async fn the_whole_lifecycle_with_history() {
    let app = TestApp::spawn().await;
    let s = app.register("Lifecycle Ltd").await;
    // Sign: pending until the operator verifies identity.
    let res = app.sign(&s).await;
    assert_eq!(res.status(), 201);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["status"], "pending");
    assert_eq!(view["signature"]["status"], "pending");
    problem(app.sign(&s).await, 409).await;

    let view: Value = app
        .lifecycle(&s, "verify", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "active");
    assert_eq!(view["identity_verified"], true);
    problem(app.lifecycle(&s, "verify", None).await, 409).await;
    problem(
        app.lifecycle(&s, "reinstate", reason("not suspended"))
            .await,
        409,
    )
    .await;

    let view: Value = app
        .lifecycle(&s, "suspend", reason("Complaint under investigation"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "suspended");
    assert_eq!(
        view["signature"]["status_reason"],
        "Complaint under investigation"
    );
    problem(app.lifecycle(&s, "suspend", reason("again")).await, 409).await;
    let reaffirm = format!("/api/v1/suppliers/{}/signature/reaffirm", s.id);
    problem(app.post(&reaffirm, Some(&s.token), json!({})).await, 409).await;

    let view: Value = app
        .lifecycle(&s, "reinstate", reason("Investigation closed"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        view["status"], "active",
        "back to the state before suspension"
    );

    let before = app.supplier(&s.slug).await["signature"]["reaffirm_by"].clone();
    let res = app.post(&reaffirm, Some(&s.token), json!({})).await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["status"], "active");
    assert!(view["signature"]["reaffirmed_at"].is_string());
    assert!(view["signature"]["reaffirm_by"].as_str().unwrap() >= before.as_str().unwrap());

    let withdraw = format!("/api/v1/suppliers/{}/signature/withdraw", s.id);
    let p = problem(
        app.post(&withdraw, Some(&s.token), json!({"reason": ""}))
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["reason"]);
    let res = app
        .post(
            &withdraw,
            Some(&s.token),
            json!({"reason": "Leaving the care market"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["status"], "withdrawn");
    assert_eq!(
        view["signature"]["status_reason"],
        "Leaving the care market"
    );
    let withdrawn = view["signature"].clone();
    problem(
        app.post(&withdraw, Some(&s.token), json!({"reason": "again"}))
            .await,
        409,
    )
    .await;
    problem(
        app.lifecycle(&s, "suspend", reason("after withdrawal"))
            .await,
        409,
    )
    .await;

    // Signing again later starts a new signature; identity stays verified.
    let res = app.sign(&s).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "active");
    // The record shows the new signature, with its statements in commitment order.
    let shown = app.supplier(&s.slug).await["signature"].clone();
    assert_ne!(shown["id"], withdrawn["id"]);
    assert_eq!(shown["status"], "active");
    let codes = |sig: &Value| -> Vec<String> {
        sig["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["commitment"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(codes(&shown), codes(&withdrawn));
    let pledge = app.get_json("/api/v1/pledge").await;
    let in_order: Vec<String> = pledge["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes(&shown), in_order);

    let history = app
        .get_json(&format!("/api/v1/suppliers/{}/history", s.slug))
        .await;
    let items = history["items"].as_array().unwrap();
    let summary: Vec<(String, String, String)> = items
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().into(),
                e["to_status"].as_str().unwrap().into(),
                e["actor"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expect = [
        ("signed", "pending", "supplier"),
        ("verified", "active", "operator"),
        ("suspended", "suspended", "operator"),
        ("reinstated", "active", "operator"),
        ("reaffirmed", "active", "supplier"),
        ("withdrawn", "withdrawn", "supplier"),
        ("signed", "active", "supplier"),
    ];
    let expect: Vec<(String, String, String)> = expect
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(summary, expect);
    assert_eq!(items[2]["reason"], "Complaint under investigation");
    assert_eq!(items[2]["from_status"], "active");
    assert!(
        items
            .windows(2)
            .all(|w| w[0]["at"].as_str() <= w[1]["at"].as_str()),
        "oldest first"
    );
    let paged = app
        .get_json(&format!("/api/v1/suppliers/{}/history?limit=3", s.slug))
        .await;
    assert_eq!(paged["items"].as_array().unwrap().len(), 3);
    let next = paged["next_cursor"].as_str().unwrap();
    let rest = app
        .get_json(&format!(
            "/api/v1/suppliers/{}/history?cursor={next}",
            s.slug
        ))
        .await;
    assert_eq!(rest["items"][0]["event"], "reinstated");
}

#[tokio::test]
async fn out_of_date_signatures_come_back_lapsed_and_reaffirming_restores_them() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Late Ltd").await;
    app.backdate_reaffirm_by(&s);
    let suspend = app
        .admin_post(
            &format!("/api/v1/admin/suppliers/{}/suspend", s.id),
            reason("check"),
        )
        .await;
    assert_eq!(suspend.status(), 200);
    let res = app
        .admin_post(
            &format!("/api/v1/admin/suppliers/{}/reinstate", s.id),
            reason("ok"),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["status"],
        "lapsed",
        "reinstated past its reaffirm-by date"
    );
    let res = app.reaffirm(&s).await;
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["status"], "active");
}

#[tokio::test]
async fn signing_needs_a_statement_for_every_commitment() {
    let app = TestApp::spawn().await;
    let s = app.register("Careful Ltd").await;
    let path = format!("/api/v1/suppliers/{}/signature", s.id);
    let mut body = app.signature_body().await;
    body["statements"]
        .as_object_mut()
        .unwrap()
        .remove("fairness");
    body["statements"]["safety"] = json!("short");
    body["statements"]["astrology"] = json!("We read the stars every morning.");
    body["signatory_name"] = json!("");
    let p = problem(app.post(&path, Some(&s.token), body).await, 422).await;
    let mut f = fields(&p);
    f.sort();
    assert_eq!(
        f,
        [
            "signatory_name",
            "statements.astrology",
            "statements.fairness",
            "statements.safety"
        ]
    );
    let mut body = app.signature_body().await;
    body["pledge_version"] = json!("1999-01");
    let p = problem(app.post(&path, Some(&s.token), body).await, 422).await;
    assert_eq!(fields(&p), ["pledge_version"]);
    let mut body = app.signature_body().await;
    body["statements"]["safety"] = json!("s".repeat(4001));
    let p = problem(app.post(&path, Some(&s.token), body).await, 422).await;
    assert_eq!(fields(&p), ["statements.safety"]);
    assert_eq!(
        app.supplier(&s.slug).await["status"],
        "unsigned",
        "nothing stored"
    );
    let mut body = app.signature_body().await;
    body["pledge_version"] = json!("2025-09");
    assert_eq!(app.post(&path, Some(&s.token), body).await.status(), 201);
}

#[tokio::test]
async fn verifying_a_suspended_pending_supplier_reinstates_it_as_active() {
    let app = TestApp::spawn().await;
    let s = app.register("Suspended Early Ltd").await;
    assert_eq!(app.sign(&s).await.status(), 201);
    let res = app
        .lifecycle(&s, "suspend", reason("Identity documents disputed"))
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "suspended");
    let res = app.lifecycle(&s, "verify", None).await;
    let view: Value = res.json().await.unwrap();
    assert_eq!(
        view["status"], "suspended",
        "verifying does not lift a suspension"
    );
    assert_eq!(view["identity_verified"], true);
    let res = app
        .lifecycle(&s, "reinstate", reason("Documents confirmed"))
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "active");
}

/// Every write to a signature answers with the supplier's new ETag: the one a read by
/// the same caller gives, and one an update can send as If-Match.
#[tokio::test]
async fn every_lifecycle_write_answers_with_the_new_etag() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let s = app.register("Tagged Ltd").await;
    let path = format!("/api/v1/suppliers/{}", s.id);
    for i in 0..6 {
        let res = match i {
            0 => app.sign(&s).await,
            1 => app.lifecycle(&s, "verify", None).await,
            2 => app.reaffirm(&s).await,
            3 => app.lifecycle(&s, "suspend", reason("Checking")).await,
            4 => app.lifecycle(&s, "reinstate", reason("Done")).await,
            _ => app.withdraw(&s, "Leaving").await,
        };
        assert!(res.status().is_success(), "write {i}: {}", res.status());
        let tag = res.headers()["etag"].to_str().unwrap().to_owned();
        let token = if [1, 3, 4].contains(&i) {
            &app.admin_token
        } else {
            &s.token
        };
        let read = app
            .req(Method::GET, &path, Some(token))
            .send()
            .await
            .unwrap();
        assert_eq!(read.headers()["etag"].to_str().unwrap(), tag, "write {i}");
    }
    let tag = app.withdraw(&s, "Again").await;
    assert_eq!(tag.status(), 409, "nothing to withdraw");
    let read = app
        .req(Method::GET, &path, Some(&s.token))
        .send()
        .await
        .unwrap();
    let tag = read.headers()["etag"].to_str().unwrap().to_owned();
    let res = app
        .req(Method::PATCH, &path, Some(&s.token))
        .header("If-Match", tag)
        .json(&json!({"description": "Still here."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn history_events(app: &TestApp, slug: &str) -> Vec<Value> {
    app.get_json(&format!("/api/v1/suppliers/{slug}/history?limit=100"))
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn reaffirming_twice_on_one_day_records_it_once() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Twice Daily Ltd").await;
    let first = app.reaffirm(&s).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let events = history_events(&app, &s.slug).await;
    let (changes, _) = app.audit_of(&s).await;
    let second = app.reaffirm(&s).await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(first["signature"], second["signature"]);
    assert_eq!(history_events(&app, &s.slug).await, events);
    assert_eq!(app.audit_of(&s).await.0, changes, "no second audit entry");
    let reaffirmed = events.iter().filter(|e| e["event"] == "reaffirmed").count();
    assert_eq!(reaffirmed, 1);
}

#[tokio::test]
async fn a_statement_is_corrected_by_reaffirming_and_the_history_keeps_the_old_text() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Corrections Ltd").await;
    let record = app.supplier(&s.slug).await;
    let first = record["signature"]["statements"][0].clone();
    let code = first["commitment"].as_str().unwrap().to_owned();
    let old = first["statement"].as_str().unwrap().to_owned();
    let reaffirm = format!("/api/v1/suppliers/{}/signature/reaffirm", s.id);

    // Bad corrections are refused, every field named, and nothing changes.
    let p = problem(
        app.post(
            &reaffirm,
            Some(&s.token),
            json!({"statements": {code.clone(): "short", "no_such_commitment": "A statement long enough."}}),
        )
        .await,
        422,
    )
    .await;
    let mut named = fields(&p);
    named.sort();
    assert_eq!(
        named,
        [
            format!("statements.{code}"),
            "statements.no_such_commitment".to_owned()
        ]
    );
    assert_eq!(
        app.supplier(&s.slug).await["signature"],
        record["signature"]
    );

    let new = "We publish a plain-English account of every AI feature, reviewed quarterly.";
    let res = app
        .post(
            &reaffirm,
            Some(&s.token),
            json!({"statements": {code.clone(): new}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["signature"]["statements"][0]["statement"], new);
    assert!(view["signature"]["reaffirmed_at"].is_string());
    assert_eq!(
        app.supplier(&s.slug).await["signature"]["statements"][0]["statement"],
        new
    );

    let events = history_events(&app, &s.slug).await;
    let corrected: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "statement_corrected")
        .collect();
    assert_eq!(corrected.len(), 1, "{events:?}");
    let reason = corrected[0]["reason"].as_str().unwrap();
    assert!(reason.contains(&code) && reason.contains(&old), "{reason}");
    assert_eq!(corrected[0]["actor"], "supplier");
    assert!(events.iter().any(|e| e["event"] == "reaffirmed"));
    let (actions, _) = app.audit_of(&s).await;
    assert!(
        actions.iter().any(|a| a == "signature.statement_corrected"),
        "{actions:?}"
    );

    // The same text again, the same day, is no correction and no second reaffirmation.
    let res = app
        .post(
            &reaffirm,
            Some(&s.token),
            json!({"statements": {code.clone(): new}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(history_events(&app, &s.slug).await, events);

    // Signing the version again is still refused, and says how to correct.
    let p = problem(app.sign(&s).await, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("reaffirm"), "{p}");
}

#[tokio::test]
async fn corrections_are_limited_per_supplier_and_day() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Restless Ltd").await;
    let reaffirm = format!("/api/v1/suppliers/{}/signature/reaffirm", s.id);
    let correct = |i: usize| json!({"statements": {"safety": format!("Correction number {i}: what we do for safety.")}});
    for i in 0..20 {
        let res = app.post(&reaffirm, Some(&s.token), correct(i)).await;
        assert_eq!(res.status(), 200, "correction {i}");
    }
    let before = history_events(&app, &s.slug).await;
    let res = app.post(&reaffirm, Some(&s.token), correct(20)).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(
        history_events(&app, &s.slug).await,
        before,
        "nothing recorded"
    );
    assert_eq!(
        app.supplier(&s.slug).await["signature"]["statements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|st| st["commitment"] == "safety")
            .unwrap()["statement"],
        "Correction number 19: what we do for safety."
    );
    // A plain reaffirmation is not a correction, and is not refused.
    assert_eq!(app.reaffirm(&s).await.status(), 200);
}
