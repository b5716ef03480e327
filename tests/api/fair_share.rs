//! Shared delivery machinery under a hostile subscriber: one subscriber's many slow
//! subscriptions cannot take every delivery slot, redeliveries and replays do not
//! multiply into a flood, subscription housekeeping cannot grow the log without bound,
//! the delivery log is kept bounded, and delivery errors name no internal address.

use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use pledge_registry::db::models::webhooks as stored;
use pledge_registry::jobs::deliver_webhooks;
use serde_json::{Value, json};

use crate::fixture::Fixture;
use crate::helpers::TestApp;

/// A subscriber the operator adds; returns (id, token).
async fn subscriber(app: &TestApp, name: &str) -> (String, String) {
    let res = app
        .admin_post(
            "/api/v1/admin/subscribers",
            Some(json!({"name": name, "email": format!("{}@tools.example", name.to_lowercase().replace(' ', "-"))})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["token"]["token"].as_str().unwrap().to_owned(),
    )
}

async fn subscribe(app: &TestApp, token: &str, body: Value) -> String {
    let res = app
        .post("/api/v1/webhooks/subscriptions", Some(token), body)
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    body["subscription"]["id"].as_str().unwrap().to_owned()
}

async fn wait_for(what: &str, mut f: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !f().await {
        assert!(started.elapsed() < Duration::from_secs(90), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn public_changes(app: &TestApp) -> usize {
    app.get_json("/api/v1/changes?limit=200").await["items"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn one_subscriber_cannot_take_every_delivery_slot() {
    let fx = Fixture::start().await;
    // Four slots; a subscriber may hold two. Every delivery to /hang takes an hour.
    let app = TestApp::spawn_with(&[
        ("REGISTRY_CHECKER_ALLOW_LOOPBACK", "true"),
        ("REGISTRY_WEBHOOK_INTERVAL", "20ms"),
        ("REGISTRY_WEBHOOK_TIMEOUT", "1h"),
        ("REGISTRY_WEBHOOK_CONCURRENCY", "4"),
        ("REGISTRY_WEBHOOK_SHARE", "2"),
    ])
    .await;
    app.register("Hogged 0 Ltd").await;
    let (_, hog) = subscriber(&app, "Hog").await;
    for _ in 0..6 {
        subscribe(&app, &hog, json!({"url": fx.url("/hang"), "since": 0})).await;
    }
    wait_for("the hog's endpoints were never called", async || {
        fx.hits("/hang") >= 2
    })
    .await;
    // Another subscriber, with a fast endpoint, gets every change meanwhile.
    let (_, fair) = subscriber(&app, "Fair").await;
    subscribe(&app, &fair, json!({"url": fx.url("/ok/fair"), "since": 0})).await;
    for i in 1..3 {
        app.register(&format!("Hogged {i} Ltd")).await;
    }
    let n = public_changes(&app).await as u32;
    wait_for("the fair subscriber did not get every change", async || {
        fx.hits("/ok/fair") >= n
    })
    .await;
    assert_eq!(
        fx.hits("/hang"),
        2,
        "the hog holds its share of the slots and no more"
    );
}

#[tokio::test]
async fn a_claim_delivers_a_bounded_turn_and_then_lets_others_go_first() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(&[
        ("REGISTRY_CHECKER_ALLOW_LOOPBACK", "true"),
        ("REGISTRY_WEBHOOK_INTERVAL", "off"),
    ])
    .await;
    let first = app.register("Turn 0 Ltd").await;
    while public_changes(&app).await <= deliver_webhooks::TURN {
        app.patch_profile(
            &first,
            json!({"description": format!("Changed {}", uuid::Uuid::new_v4())}),
        )
        .await;
    }
    let n = public_changes(&app).await;
    let (_, token) = subscriber(&app, "Patient").await;
    subscribe(
        &app,
        &token,
        json!({"url": fx.url("/ok/turns"), "since": 0}),
    )
    .await;
    let instance = app.second_instance().await;
    let sender = pledge_registry::webhooks::send::Sender::new(
        Duration::from_secs(5),
        Duration::from_secs(5),
        true,
    )
    .unwrap();
    let policy = deliver_webhooks::Policy {
        first_retry: Duration::from_secs(1),
        give_up_after: Duration::from_secs(3600),
        concurrency: 4,
        share: 2,
        log_days: 30,
        lease: Duration::from_secs(60),
    };
    let round = deliver_webhooks::run_once(&instance.database, &sender, policy)
        .await
        .unwrap();
    assert_eq!(
        round.delivered,
        deliver_webhooks::TURN,
        "one turn, then it yields"
    );
    let round = deliver_webhooks::run_once(&instance.database, &sender, policy)
        .await
        .unwrap();
    assert_eq!(
        round.delivered,
        n - deliver_webhooks::TURN,
        "the rest on its next turn"
    );
    assert_eq!(fx.hits("/ok/turns") as usize, n, "each change once");
}

#[tokio::test]
async fn redeliveries_are_limited_per_subscriber() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(&[
        ("REGISTRY_CHECKER_ALLOW_LOOPBACK", "true"),
        ("REGISTRY_WEBHOOK_INTERVAL", "off"),
    ])
    .await;
    app.register("Redelivered Ltd").await;
    let seq = app.get_json("/api/v1/changes").await["items"][0]["seq"]
        .as_i64()
        .unwrap();
    let (_, token) = subscriber(&app, "Flooder").await;
    let a = subscribe(&app, &token, json!({"url": fx.url("/ok/a")})).await;
    let b = subscribe(&app, &token, json!({"url": fx.url("/ok/b")})).await;
    // 30 at once, spread over two subscriptions: the limit is the subscriber's.
    let calls = (0..30).map(|i| {
        let id = if i % 2 == 0 { &a } else { &b };
        app.req(
            reqwest::Method::POST,
            &format!("/api/v1/webhooks/subscriptions/{id}/deliveries/{seq}/redeliver"),
            Some(&token),
        )
        .send()
    });
    let answers = futures_util::future::join_all(calls).await;
    let statuses: Vec<u16> = answers
        .iter()
        .map(|r| r.as_ref().unwrap().status().as_u16())
        .collect();
    let sent = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(sent, 10, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    assert_eq!(
        fx.hits("/ok/a") + fx.hits("/ok/b"),
        10,
        "ten POSTs, not thirty"
    );
    let refused = answers
        .into_iter()
        .map(Result::unwrap)
        .find(|r| r.status() == 429)
        .unwrap();
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("too-many-requests")
    );
    // The log shows ten finished attempts, none left unanswered.
    let log = app
        .get_json_as(
            &format!("/api/v1/webhooks/subscriptions/{a}/deliveries"),
            &token,
        )
        .await;
    let items = log["items"].as_array().unwrap();
    assert!(items.iter().all(|d| d["status"] == 200), "{items:#?}");
}

#[tokio::test]
async fn replays_already_covered_are_folded_into_the_one_in_progress() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(&[
        ("REGISTRY_CHECKER_ALLOW_LOOPBACK", "true"),
        ("REGISTRY_WEBHOOK_INTERVAL", "20ms"),
    ])
    .await;
    for i in 0..3 {
        app.register(&format!("Replayed {i} Ltd")).await;
    }
    let n = public_changes(&app).await as u32;
    let (_, token) = subscriber(&app, "Replayer").await;
    // Each message takes 100 ms to be taken, so the replays land while one runs.
    let id = subscribe(&app, &token, json!({"url": fx.url("/latency/100/200")})).await;
    let replay = format!("/api/v1/webhooks/subscriptions/{id}/replay");
    for _ in 0..5 {
        let res = app.post(&replay, Some(&token), json!({"since": 0})).await;
        assert_eq!(res.status(), 200);
    }
    let head = app.get_json("/api/v1/log/head").await["seq"]
        .as_i64()
        .unwrap();
    wait_for("the replay did not finish", async || {
        let subs = app
            .get_json_as("/api/v1/webhooks/subscriptions", &token)
            .await;
        subs["items"][0]["position"].as_i64().unwrap() >= head
    })
    .await;
    // Once finished, nothing more is sent.
    let after = fx.hits("/latency/100/200");
    assert_eq!(after, n, "every change once, not once per replay");
    let (actions, _) = audit_actions(&app).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "webhook.replayed").count(),
        1,
        "{actions:?}"
    );
    // A replay from further back than the one in progress is a new one.
    let res = app.post(&replay, Some(&token), json!({"since": 0})).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["position"], 0,
        "the last replay had finished: a new one starts"
    );
}

async fn audit_actions(app: &TestApp) -> (Vec<String>, Value) {
    let body = app
        .get_json_as("/api/v1/admin/audit?limit=200", &app.admin_token)
        .await;
    let actions = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    (actions, body)
}

#[tokio::test]
async fn subscription_housekeeping_is_limited_per_subscriber() {
    let app = TestApp::spawn().await;
    let (_, token) = subscriber(&app, "Busy").await;
    let id = subscribe(&app, &token, json!({"url": "https://hooks.example.org/x"})).await;
    let path = format!("/api/v1/webhooks/subscriptions/{id}");
    // The subscription itself was one write; 59 more are taken, then refused.
    for i in 0..59 {
        let res = app
            .send(
                reqwest::Method::PATCH,
                &path,
                Some(&token),
                Some(json!({"paused": i % 2 == 0})),
            )
            .await;
        assert_eq!(res.status(), 200, "write {i}");
    }
    let before = audit_actions(&app).await.0.len();
    let res = app
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&token),
            Some(json!({"paused": true})),
        )
        .await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    assert_eq!(audit_actions(&app).await.0.len(), before, "nothing written");
    // Another subscriber is not held back by this one.
    let (_, other) = subscriber(&app, "Calm").await;
    subscribe(&app, &other, json!({"url": "https://hooks.example.org/y"})).await;
}

#[tokio::test]
async fn the_delivery_log_is_kept_bounded() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(&[
        ("REGISTRY_CHECKER_ALLOW_LOOPBACK", "true"),
        ("REGISTRY_WEBHOOK_INTERVAL", "off"),
    ])
    .await;
    app.register("Logged Ltd").await;
    let (_, token) = subscriber(&app, "Logged").await;
    let id = subscribe(&app, &token, json!({"url": fx.url("/ok/logged")})).await;
    let sub_id: pledge_registry::domain::SubscriptionId = id.parse().unwrap();
    let row = |at: chrono::NaiveDateTime| stored::DeliveryRow {
        id: 0,
        subscription_id: sub_id,
        seq: 1,
        message_id: "msg_1".into(),
        attempt: 1,
        at,
        status: Some(200),
        latency_ms: 1,
        response: String::new(),
        error: None,
        redelivery: false,
    };
    let now = chrono::Utc::now().naive_utc();
    {
        let mut conn = app.pool.get().unwrap();
        // Old attempts go after the kept days ...
        for _ in 0..3 {
            stored::log(&mut conn, &row(now - chrono::Duration::days(40))).unwrap();
        }
    }
    let instance = app.second_instance().await;
    assert_eq!(
        deliver_webhooks::prune(&instance.database, 30)
            .await
            .unwrap(),
        3
    );
    let count = |app: &TestApp| -> i64 {
        use diesel::prelude::*;
        use pledge_registry::db::schema::webhook_deliveries::dsl as d;
        d::webhook_deliveries
            .filter(d::subscription_id.eq(sub_id))
            .count()
            .get_result(&mut app.pool.get().unwrap())
            .unwrap()
    };
    assert_eq!(count(&app), 0);
    // ... and a subscription keeps only its newest attempts.
    {
        let mut conn = app.pool.get().unwrap();
        let rows: Vec<stored::DeliveryRow> = (0..stored::KEPT + 20).map(|_| row(now)).collect();
        for r in &rows[..rows.len() - 1] {
            diesel::insert_into(pledge_registry::db::schema::webhook_deliveries::table)
                .values(r)
                .execute(&mut conn)
                .unwrap();
        }
        stored::log(&mut conn, rows.last().unwrap()).unwrap();
        // A turn of deliveries ends by trimming the log.
        stored::trim(&mut conn, sub_id).unwrap();
    }
    assert_eq!(count(&app), stored::KEPT);
}

#[tokio::test]
async fn a_refused_endpoint_is_not_told_what_its_name_resolves_to() {
    let app = TestApp::spawn_with(&[("REGISTRY_WEBHOOK_INTERVAL", "20ms")]).await;
    app.register("Mapped Ltd").await;
    let (_, token) = subscriber(&app, "Mapper").await;
    // A name (accepted as such) that resolves to loopback, refused when delivering.
    let id = subscribe(
        &app,
        &token,
        json!({"url": "https://localhost:9/probe", "since": 0}),
    )
    .await;
    let path = format!("/api/v1/webhooks/subscriptions/{id}/deliveries");
    let mut items = Vec::new();
    wait_for("no attempt was logged", async || {
        items = app.get_json_as(&path, &token).await["items"]
            .as_array()
            .unwrap()
            .clone();
        !items.is_empty()
    })
    .await;
    let error = items[0]["error"].as_str().unwrap();
    assert!(error.starts_with("refused"), "{error}");
    for secret in ["127.0.0.1", "::1", "loopback", "localhost"] {
        assert!(!error.contains(secret), "{error}");
    }
}
