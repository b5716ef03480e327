//! Webhook messages as a receiver sees them that verifies with `standardwebhooks`, the
//! Standard Webhooks reference library (crates.io; not our code): every signature
//! verifies, a rotated secret and its successor both do, redirects are not followed,
//! answers are read only so far, and non-public addresses are refused. (The Python
//! reference library checks the same messages in tests/crosscheck.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pledge_registry::webhooks::Secret;
use pledge_registry::webhooks::send::{RESPONSE_KEPT, Sender};
use serde_json::{Value, json};

use crate::helpers::{TestApp, free_port, problem};
use crate::loopback::Loopback;

/// A webhook receiver on loopback: it verifies every message with the reference
/// library and the secret it was started with, and keeps what it saw. Paths: /ok
/// answers 204, /redirect answers 302 to a private address, /big answers 500 with
/// 5000 bytes; a message whose signature does not verify gets 401.
pub struct Receiver {
    pub port: u16,
    shared: Arc<Seen>,
    _server: Loopback,
}

struct Seen {
    hook: standardwebhooks::Webhook,
    lines: Mutex<Vec<Value>>,
}

impl Receiver {
    pub fn start(secret: &Secret) -> Receiver {
        Self::start_at(free_port(), secret)
    }

    /// A receiver on `port` (one a subscription already names).
    pub fn start_at(port: u16, secret: &Secret) -> Receiver {
        let shared = Arc::new(Seen {
            hook: standardwebhooks::Webhook::new(&secret.expose()).expect("a whsec_ secret"),
            lines: Mutex::default(),
        });
        let seen = shared.clone();
        let server = Loopback::start_at(port, move |stream| {
            let _ = answer(stream, &seen);
        });
        Receiver {
            port,
            shared,
            _server: server,
        }
    }

    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://127.0.0.1:{}{path}", self.port)).unwrap()
    }

    /// What the receiver saw, oldest first: path, id, verified, body, user_agent.
    pub fn seen(&self) -> Vec<Value> {
        self.shared.lines.lock().unwrap().clone()
    }
}

/// Answers the HTTP/1.1 requests of one connection (kept alive between them).
fn answer(stream: TcpStream, seen: &Seen) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if input.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_owned();
        let mut headers = http::HeaderMap::new();
        loop {
            let mut line = String::new();
            input.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && let (Ok(n), Ok(v)) = (
                    http::HeaderName::from_bytes(name.trim().as_bytes()),
                    http::HeaderValue::from_str(value.trim()),
                )
            {
                headers.append(n, v);
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        input.read_exact(&mut body)?;
        let verified = seen.hook.verify(&body, &headers).is_ok();
        let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
        seen.lines.lock().unwrap().push(json!({
            "path": path,
            "id": header("webhook-id"),
            "verified": verified,
            "body": String::from_utf8_lossy(&body),
            "user_agent": header("user-agent"),
        }));
        let reply: Vec<u8> = if !verified {
            b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n".to_vec()
        } else if path == "/redirect" {
            b"HTTP/1.1 302 Found\r\nlocation: http://10.0.0.1/inside\r\ncontent-length: 0\r\n\r\n"
                .to_vec()
        } else if path == "/big" {
            let mut r =
                b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 5000\r\n\r\n".to_vec();
            r.extend([b'x'; 5000]);
            r
        } else {
            b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()
        };
        out.write_all(&reply)?;
    }
}

fn sender(allow_loopback: bool) -> Sender {
    Sender::new(
        Duration::from_secs(2),
        Duration::from_secs(5),
        allow_loopback,
    )
    .unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn every_message_verifies_with_the_reference_library() {
    let secret = Secret::generate();
    let receiver = Receiver::start(&secret);
    let sender = sender(true);
    for seq in 1..=3 {
        let body = format!(r#"{{"seq":{seq},"type":"supplier.verified"}}"#);
        let attempt = sender
            .deliver(
                &receiver.url("/ok"),
                &format!("msg_{seq}"),
                now(),
                body.as_bytes(),
                &[&secret],
            )
            .await;
        assert!(attempt.delivered(), "{attempt:?}");
        assert_eq!(attempt.status, Some(204));
    }
    let seen = receiver.seen();
    assert_eq!(seen.len(), 3);
    for (i, m) in seen.iter().enumerate() {
        assert_eq!(m["verified"], true, "{m}");
        assert_eq!(m["id"], format!("msg_{}", i + 1));
        assert!(
            m["user_agent"]
                .as_str()
                .unwrap()
                .starts_with("TechPledgeRegistry-Webhooks/")
        );
    }

    // Signed with another secret: the receiver refuses it, and the attempt says so.
    let attempt = sender
        .deliver(
            &receiver.url("/ok"),
            "msg_4",
            now(),
            b"{}",
            &[&Secret::generate()],
        )
        .await;
    assert_eq!(attempt.status, Some(401));
    assert!(!attempt.delivered());
    assert_eq!(receiver.seen()[3]["verified"], false);
}

#[tokio::test]
async fn during_a_rotation_both_secrets_sign_and_either_receiver_verifies() {
    let (old, new) = (Secret::generate(), Secret::generate());
    let on_old = Receiver::start(&old);
    let on_new = Receiver::start(&new);
    let sender = sender(true);
    for receiver in [&on_old, &on_new] {
        let attempt = sender
            .deliver(
                &receiver.url("/ok"),
                "msg_rot",
                now(),
                b"{\"seq\":9}",
                &[&old, &new],
            )
            .await;
        assert!(attempt.delivered(), "{attempt:?}");
        assert_eq!(receiver.seen()[0]["verified"], true);
    }
}

#[tokio::test]
async fn redirects_are_not_followed_and_answers_are_read_only_so_far() {
    let secret = Secret::generate();
    let receiver = Receiver::start(&secret);
    let sender = sender(true);
    let attempt = sender
        .deliver(
            &receiver.url("/redirect"),
            "msg_r",
            now(),
            b"{}",
            &[&secret],
        )
        .await;
    assert_eq!(attempt.status, Some(302));
    assert!(!attempt.delivered());
    assert!(
        attempt
            .error
            .unwrap()
            .contains("redirects are not followed")
    );
    let attempt = sender
        .deliver(&receiver.url("/big"), "msg_b", now(), b"{}", &[&secret])
        .await;
    assert_eq!(attempt.status, Some(500));
    assert_eq!(attempt.response.len(), RESPONSE_KEPT);
    assert_eq!(
        receiver.seen().len(),
        2,
        "one request each, the redirect not followed"
    );
}

#[tokio::test]
async fn only_public_https_endpoints_are_taken() {
    let strict = sender(false);
    for (url, why) in [
        ("http://example.org/hook", "https"),
        ("https://10.0.0.1/hook", "private"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://[::1]/hook", "loopback"),
        ("https://user:pw@example.org/hook", "password"),
        ("https://example.org/hook#x", "fragment"),
        ("not a url", "https URL"),
    ] {
        let refused = strict.endpoint(url).unwrap_err();
        assert!(refused.contains(why), "{url}: {refused}");
    }
    assert!(
        strict
            .endpoint("https://hooks.example.org/registry")
            .is_ok()
    );
    // A name that resolves to a private address is refused when it is resolved, before
    // any connection.
    let secret = Secret::generate();
    let receiver = Receiver::start(&secret);
    let by_name = url::Url::parse(&format!("https://localhost:{}/ok", receiver.port)).unwrap();
    let attempt = strict
        .deliver(&by_name, "msg_x", now(), b"{}", &[&secret])
        .await;
    assert_eq!(attempt.status, None);
    assert!(
        attempt.error.as_deref().unwrap().starts_with("refused"),
        "{attempt:?}"
    );
    assert!(receiver.seen().is_empty());
}

async fn app() -> TestApp {
    TestApp::spawn_with(&[
        ("REGISTRY_CHECKER_ALLOW_LOOPBACK", "true"),
        ("REGISTRY_WEBHOOK_INTERVAL", "20ms"),
        ("REGISTRY_WEBHOOK_RETRY", "50ms"),
    ])
    .await
}

/// A subscriber the operator adds; returns its token.
async fn subscriber(app: &TestApp) -> String {
    let res = app
        .admin_post(
            "/api/v1/admin/subscribers",
            Some(json!({"name": "Northshire assurance", "email": "assurance@northshire.example"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token"]["role"], "subscriber");
    body["token"]["token"].as_str().unwrap().to_owned()
}

/// Creates a subscription; returns (id, secret).
async fn subscribe(app: &TestApp, token: &str, body: Value) -> (String, Secret) {
    let res = app
        .post("/api/v1/webhooks/subscriptions", Some(token), body)
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    (
        body["subscription"]["id"].as_str().unwrap().to_owned(),
        Secret::parse(body["secret"].as_str().unwrap()).unwrap(),
    )
}

/// Waits until `f` holds of what the receiver saw.
async fn until(receiver: &Receiver, what: &str, f: impl Fn(&[Value]) -> bool) {
    let started = Instant::now();
    loop {
        if f(&receiver.seen()) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what}: the receiver saw {:#?}",
            receiver.seen()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the subscriber's (only) subscription has passed `head`.
async fn caught_up(app: &TestApp, token: &str, head: i64) {
    let started = Instant::now();
    loop {
        let listed = app
            .get_json_as("/api/v1/webhooks/subscriptions", token)
            .await;
        if listed["items"][0]["position"].as_i64().unwrap() >= head {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{listed}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The seqs the receiver saw, in the order it saw them.
fn seqs(seen: &[Value]) -> Vec<i64> {
    seen.iter()
        .map(|m| {
            serde_json::from_str::<Value>(m["body"].as_str().unwrap()).unwrap()["seq"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn changes_arrive_signed_and_in_order_after_an_outage_and_again_on_replay() {
    let app = app().await;
    let token = subscriber(&app).await;
    let port = free_port();
    // The endpoint is down when the changes happen.
    let (id, secret) = subscribe(
        &app,
        &token,
        json!({"url": format!("http://127.0.0.1:{port}/ok")}),
    )
    .await;
    let a = app.active_supplier("Hooked A Ltd").await;
    let b = app.register("Hooked B Ltd").await;
    assert_eq!(
        app.lifecycle(&a, "suspend", Some(json!({"reason": "Checking"})))
            .await
            .status(),
        200
    );
    let feed = app.get_json("/api/v1/changes").await;
    let expected: Vec<i64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    assert!(expected.len() >= 5, "{feed}");
    let log_path = format!("/api/v1/webhooks/subscriptions/{id}/deliveries");
    let started = Instant::now();
    loop {
        let log = app.get_json_as(&log_path, &token).await;
        if log["items"].as_array().unwrap().len() >= 2 {
            assert!(
                log["items"][0]["error"]
                    .as_str()
                    .unwrap()
                    .contains("connect"),
                "{log}"
            );
            assert_eq!(
                log["items"][0]["message_id"],
                format!("msg_{}", expected[0])
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "attempts while it is down"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let listed = app
        .get_json_as("/api/v1/webhooks/subscriptions", &token)
        .await;
    assert_eq!(listed["items"][0]["state"], "retrying");

    // Back up: everything arrives, once each, in order, each verified by the
    // reference library, each body the feed's entry.
    let receiver = Receiver::start_at(port, &secret);
    until(&receiver, "every change", |seen| {
        seqs(seen).len() >= expected.len()
    })
    .await;
    let seen = receiver.seen();
    assert_eq!(seqs(&seen), expected);
    for (m, change) in seen.iter().zip(feed["items"].as_array().unwrap()) {
        assert_eq!(m["verified"], true);
        assert_eq!(
            &serde_json::from_str::<Value>(m["body"].as_str().unwrap()).unwrap(),
            change
        );
    }

    // A replay from a seq sends exactly the later changes again, in order.
    let from = expected[2];
    let res = app
        .post(
            &format!("/api/v1/webhooks/subscriptions/{id}/replay"),
            Some(&token),
            json!({"since": from}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let again: Vec<i64> = expected.iter().copied().filter(|s| *s > from).collect();
    until(&receiver, "the replay", |seen| {
        seqs(seen).len() >= expected.len() + again.len()
    })
    .await;
    assert_eq!(seqs(&receiver.seen())[expected.len()..], again[..]);

    // One message delivered again on request, outside the order, logged as such.
    let res = app
        .post(
            &format!(
                "/api/v1/webhooks/subscriptions/{id}/deliveries/{}/redeliver",
                expected[0]
            ),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let attempt: Value = res.json().await.unwrap();
    assert_eq!(
        (attempt["status"].as_i64(), attempt["seq"].as_i64()),
        (Some(204), Some(expected[0]))
    );
    let before = expected.len() + again.len();
    until(&receiver, "the redelivery", |seen| seen.len() > before).await;
    assert_eq!(seqs(&receiver.seen())[before], expected[0]);
    let res = app
        .post(
            &format!("/api/v1/webhooks/subscriptions/{id}/deliveries/999999/redeliver"),
            Some(&token),
            json!({}),
        )
        .await;
    problem(res, 404).await;

    // Later changes follow; a paused subscription gets nothing until resumed.
    let res = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/webhooks/subscriptions/{id}"),
            Some(&token),
            Some(json!({"paused": true})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.sign(&b).await.status(), 201);
    let res = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/webhooks/subscriptions/{id}"),
            Some(&token),
            Some(json!({"paused": false})),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "active");
    until(&receiver, "the change made while paused", |seen| {
        seqs(seen).len() > expected.len() + again.len() + 1
    })
    .await;
}

#[tokio::test]
async fn filters_let_through_only_what_was_asked_for() {
    let app = app().await;
    let token = subscriber(&app).await;
    let a = app.register("Filtered A Ltd").await;
    let b = app.register("Filtered B Ltd").await;
    let secret_holder = free_port();
    let (_, secret) = subscribe(
        &app,
        &token,
        json!({"url": format!("http://127.0.0.1:{secret_holder}/ok"), "event_types": ["status.changed"],
               "supplier_ids": [a.id], "since": 0}),
    )
    .await;
    let receiver = Receiver::start_at(secret_holder, &secret);
    for s in [&a, &b] {
        assert_eq!(app.sign(s).await.status(), 201);
        assert_eq!(app.lifecycle(s, "verify", None).await.status(), 200);
        assert_eq!(
            app.lifecycle(s, "suspend", Some(json!({"reason": "Review"})))
                .await
                .status(),
            200
        );
    }
    let feed = app.get_json("/api/v1/changes?limit=200").await;
    let wanted: Vec<i64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["supplier_id"] == a.id.as_str())
        .filter(|c| {
            let t = c["type"].as_str().unwrap();
            t == "supplier.verified" || (t.starts_with("signature.") && t != "signature.signed")
        })
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    assert!(wanted.len() >= 2, "{feed}");
    until(&receiver, "A's status changes", |seen| {
        seqs(seen).len() >= wanted.len()
    })
    .await;
    // Everything after the last wanted one is passed over: the subscription catches up.
    caught_up(&app, &token, feed["next_since"].as_i64().unwrap()).await;
    assert_eq!(seqs(&receiver.seen()), wanted);
}

#[tokio::test]
async fn a_hanging_endpoint_holds_up_no_other() {
    let fx = crate::fixture::Fixture::start().await;
    // A delivery may take an hour: were deliveries held up by one another, nothing
    // after the hanging one would arrive before the test gives up.
    let app = TestApp::spawn_with(&[
        ("REGISTRY_CHECKER_ALLOW_LOOPBACK", "true"),
        ("REGISTRY_WEBHOOK_INTERVAL", "20ms"),
        ("REGISTRY_WEBHOOK_TIMEOUT", "1h"),
    ])
    .await;
    let token = subscriber(&app).await;
    subscribe(&app, &token, json!({"url": fx.url("/hang"), "since": 0})).await;
    app.register("Busy 0 Ltd").await;
    // The hanging endpoint has its first change and holds on to it.
    let started = Instant::now();
    while fx.hits("/hang") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the hanging endpoint was never called"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let port = free_port();
    let (_, secret) = subscribe(
        &app,
        &token,
        json!({"url": format!("http://127.0.0.1:{port}/ok"), "since": 0}),
    )
    .await;
    let receiver = Receiver::start_at(port, &secret);
    for i in 1..3 {
        app.register(&format!("Busy {i} Ltd")).await;
    }
    let n = app.get_json("/api/v1/changes").await["items"]
        .as_array()
        .unwrap()
        .len();
    until(&receiver, "every change at the fast endpoint", |seen| {
        seqs(seen).len() >= n
    })
    .await;
    assert_eq!(fx.hits("/hang"), 1, "still the one delivery, unanswered");
}

#[tokio::test]
async fn subscriptions_are_a_subscribers_own_and_take_only_public_endpoints() {
    let app = TestApp::spawn().await;
    let token = subscriber(&app).await;
    for url in [
        "http://hooks.example.org/x",
        "https://10.0.0.1/x",
        "https://127.0.0.1/x",
    ] {
        let res = app
            .post(
                "/api/v1/webhooks/subscriptions",
                Some(&token),
                json!({"url": url}),
            )
            .await;
        assert_eq!(
            crate::helpers::fields(&problem(res, 422).await),
            ["url"],
            "{url}"
        );
    }
    // A subscriber's token is for its subscriptions only, and other tokens cannot
    // reach subscriptions.
    assert_eq!(
        app.req(reqwest::Method::GET, "/api/v1/admin/audit", Some(&token))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let s = app.register("Not A Subscriber Ltd").await;
    let res = app
        .req(
            reqwest::Method::GET,
            "/api/v1/webhooks/subscriptions",
            Some(&s.token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let other = subscriber(&app).await;
    let (id, _) = subscribe(&app, &token, json!({"url": "https://hooks.example.org/x"})).await;
    let res = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/webhooks/subscriptions/{id}"),
            Some(&other),
            None,
        )
        .await;
    problem(res, 404).await;
    let res = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/webhooks/subscriptions/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn failures_wait_longer_each_time_and_a_subscription_failing_too_long_is_disabled() {
    let app = TestApp::spawn_with(&[
        ("REGISTRY_CHECKER_ALLOW_LOOPBACK", "true"),
        ("REGISTRY_WEBHOOK_INTERVAL", "10ms"),
        ("REGISTRY_WEBHOOK_RETRY", "40ms"),
        ("REGISTRY_WEBHOOK_GIVE_UP", "600ms"),
    ])
    .await;
    let token = subscriber(&app).await;
    let port = free_port();
    let (id, secret) = subscribe(
        &app,
        &token,
        json!({"url": format!("http://127.0.0.1:{port}/big")}),
    )
    .await;
    let _receiver = Receiver::start_at(port, &secret);
    app.register("Never Delivered Ltd").await;
    let path = format!("/api/v1/webhooks/subscriptions/{id}");
    let started = Instant::now();
    let listed = loop {
        let listed = app
            .get_json_as("/api/v1/webhooks/subscriptions", &token)
            .await;
        if listed["items"][0]["state"] == "disabled" {
            break listed;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{listed}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        listed["items"][0]["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("HTTP 500")
    );
    let log = app.get_json_as(&format!("{path}/deliveries"), &token).await;
    let mut attempts: Vec<Value> = log["items"].as_array().unwrap().clone();
    attempts.reverse();
    assert!(attempts.len() >= 3, "{log}");
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v["at"].as_str().unwrap()).unwrap();
    for (i, pair) in attempts.windows(2).enumerate() {
        assert_eq!(pair[1]["attempt"], i as i64 + 2);
        assert_eq!(pair[0]["status"], 500);
        assert_eq!(pair[0]["response"].as_str().unwrap().len(), 1024);
        // Never sooner than the wait after that many failures.
        let gap = (at(&pair[1]) - at(&pair[0])).num_milliseconds();
        assert!(gap >= 40 << i, "attempt {}: {gap} ms", i + 2);
    }
    {
        use diesel::prelude::*;
        use pledge_registry::db::schema::outbox;
        let mut conn = app.pool.get().unwrap();
        let told: i64 = outbox::table
            .filter(outbox::recipient.eq("assurance@northshire.example"))
            .filter(outbox::kind.eq("webhook_disabled"))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(told, 1, "the subscriber is emailed");
    }
}

/// A SIGKILL of the delivering process mid-delivery loses nothing: the next process
/// delivers every change after the position the killed one recorded, in order (the
/// message in flight may come twice, with the same webhook-id).
#[tokio::test]
async fn a_sigkill_mid_delivery_loses_nothing() {
    // The test's own instance delivers nothing: only the processes below do.
    let app = TestApp::spawn_with(&[
        ("REGISTRY_WEBHOOK_INTERVAL", "off"),
        ("REGISTRY_CHECKER_ALLOW_LOOPBACK", "true"),
    ])
    .await;
    let token = subscriber(&app).await;
    let port = free_port();
    let (_, secret) = subscribe(
        &app,
        &token,
        json!({"url": format!("http://127.0.0.1:{port}/ok"), "since": 0}),
    )
    .await;
    for i in 0..30 {
        app.register(&format!("Crash Hook {i} Ltd")).await;
    }
    let feed = app.get_json("/api/v1/changes?limit=200").await;
    let expected: Vec<i64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    let receiver = Receiver::start_at(port, &secret);
    let settings = [
        ("REGISTRY_CHECKER_ALLOW_LOOPBACK", "true"),
        ("REGISTRY_WEBHOOK_INTERVAL", "10ms"),
        ("REGISTRY_WEBHOOK_LEASE", "1s"),
    ];
    let http = reqwest::Client::new();
    let first_port = free_port();
    let mut first = crate::crash::start_with(&app, first_port, &settings);
    crate::crash::ready(&http, &format!("http://127.0.0.1:{first_port}")).await;
    // Killed once some, not all, have arrived.
    until(&receiver, "some deliveries", |seen| seen.len() >= 5).await;
    first.kill().unwrap();
    first.wait().unwrap();
    let delivered_before = receiver.seen().len();
    let second_port = free_port();
    let mut second = crate::crash::start_with(&app, second_port, &settings);
    until(&receiver, "every change", |seen| {
        let mut s = seqs(seen);
        s.sort();
        s.dedup();
        s.len() >= expected.len()
    })
    .await;
    second.kill().unwrap();
    second.wait().unwrap();
    let seen = seqs(&receiver.seen());
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, expected, "every change, in order");
    assert!(
        seen.len() <= expected.len() + 1,
        "at most the one in flight twice: {seen:?}"
    );
    assert!(
        delivered_before < expected.len(),
        "the kill came mid-stream"
    );
}

#[tokio::test]
async fn a_change_of_words_arrives_under_its_own_event_type() {
    let app = app().await;
    let instance = app.second_instance().await;
    let fx = crate::fixture::Fixture::start().await;
    let token = subscriber(&app).await;
    let port = free_port();
    let (_, secret) = subscribe(
        &app,
        &token,
        json!({"url": format!("http://127.0.0.1:{port}/ok"),
               "event_types": ["evidence.content_changed"], "since": 0}),
    )
    .await;
    let receiver = Receiver::start_at(port, &secret);
    let s = app.register("Reworded Hooks Ltd").await;
    fx.set_page("hooked", "text/plain", "We keep records in the UK.");
    let link = app.add_evidence(&s, &fx.url("/page/hooked")).await;
    crate::snapshots::check(&instance, &s.id, &link).await;
    assert_eq!(app.sign(&s).await.status(), 201);
    fx.set_page("hooked", "text/plain", "We keep records in the EU.");
    crate::snapshots::check(&instance, &s.id, &link).await;
    until(&receiver, "the change of words", |seen| !seen.is_empty()).await;
    let feed = app.get_json("/api/v1/changes?limit=200").await;
    let reworded: Vec<i64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "evidence.content_changed")
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(reworded.len(), 1, "{feed}");
    // Once the subscription has passed the feed's head, it was the only one sent.
    caught_up(&app, &token, feed["next_since"].as_i64().unwrap()).await;
    assert_eq!(seqs(&receiver.seen()), reworded);
    let body: Value = serde_json::from_str(receiver.seen()[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["type"], "evidence.content_changed");
    assert_eq!(body["entity_id"], link.as_str());
}
