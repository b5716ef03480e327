//! The evidence checker against a local fixture server: every behaviour, exact outcome.

use std::time::{Duration, Instant};

use pledge_registry::checker::Checker;
use pledge_registry::config::{CheckerSettings, Config};
use pledge_registry::domain::evidence::EvidenceHealth::{self, *};
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixture::{Fixture, closed_port_url};
use crate::helpers::{Supplier, TestApp, problem};

/// Fast settings for tests: loopback allowed, short timeouts and waits.
pub const FAST: &[(&str, &str)] = &[
    ("REGISTRY_CHECKER_ALLOW_LOOPBACK", "true"),
    ("REGISTRY_CHECK_CONNECT_TIMEOUT", "1s"),
    ("REGISTRY_CHECK_TIMEOUT", "1500ms"),
    ("REGISTRY_CHECK_BACKOFF", "50ms"),
    ("REGISTRY_CHECK_RETRIES", "2"),
    ("REGISTRY_CHECK_MAX_RETRY_AFTER", "3s"),
    ("REGISTRY_CHECK_MAX_REDIRECTS", "5"),
];

fn settings(extra: &[(&str, &str)]) -> CheckerSettings {
    let all: Vec<(&str, &str)> = FAST.iter().chain(extra).copied().collect();
    Config::from_lookup(|k| {
        all.iter()
            .rev()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap()
    .checker
}

#[tokio::test]
async fn every_behaviour_gets_its_exact_outcome() {
    let fx = Fixture::start().await;
    let checker = Checker::new(settings(&[])).unwrap();
    let cases: Vec<(String, EvidenceHealth, Option<u16>, Option<&str>)> = vec![
        (fx.url("/ok"), Ok, Some(200), None),
        (fx.url("/status/404"), Broken, Some(404), None),
        (fx.url("/status/410"), Broken, Some(410), None),
        (fx.url("/status/400"), Broken, Some(400), None),
        (fx.url("/status/500"), Broken, Some(500), None),
        (fx.url("/status/401"), Restricted, Some(401), None),
        (fx.url("/status/403"), Restricted, Some(403), None),
        (fx.url("/status/999"), Restricted, Some(999), None),
        (fx.url("/head-refused"), Ok, Some(200), None),
        (fx.url("/head-404"), Ok, Some(200), None),
        (fx.url("/head-501"), Ok, Some(200), None),
        (
            fx.url("/redirect/3"),
            Redirected,
            Some(200),
            Some("/redirect/0"),
        ),
        (
            fx.url("/relative-redirect"),
            Redirected,
            Some(200),
            Some("/ok/moved"),
        ),
        (fx.url("/redirect/6"), Broken, None, Some("/redirect/0")),
        (fx.url("/loop/a"), Broken, Some(302), Some("/loop/a")),
        (fx.url("/redirect-nowhere"), Broken, Some(302), None),
        (fx.url("/redirect-private"), Blocked, None, None),
        (fx.url("/redirect-metadata"), Blocked, None, None),
        (fx.url("/redirect-decimal"), Blocked, None, None),
        (fx.url("/redirect-ftp"), Blocked, None, None),
        (fx.url("/rate-limited/a/2"), Ok, Some(200), None),
        (fx.url("/always-429"), Restricted, Some(429), None),
        (fx.url("/long-retry-after"), Broken, Some(503), None),
        (fx.url("/flaky/a/2"), Ok, Some(200), None),
        (fx.url("/flaky/b/6"), Broken, Some(503), None),
        (fx.url("/slow"), Unreachable, None, None),
        (fx.url("/hang"), Unreachable, None, None),
        (closed_port_url(), Unreachable, None, None),
        (
            "http://no-such-host.invalid/".into(),
            Unreachable,
            None,
            None,
        ),
        ("http://10.0.0.1/".into(), Blocked, None, None),
        (
            "http://169.254.169.254/latest/meta-data/".into(),
            Blocked,
            None,
            None,
        ),
        ("http://[::ffff:10.0.0.1]/".into(), Blocked, None, None),
        ("http://0x0a000001/".into(), Blocked, None, None),
    ];
    let checks = cases.iter().map(|(url, ..)| checker.check(url));
    let results = futures_util::future::join_all(checks).await;
    for ((url, outcome, status, final_path), got) in cases.iter().zip(results) {
        assert_eq!(got.outcome, *outcome, "{url}: {got:?}");
        assert_eq!(got.http_status, *status, "{url}: {got:?}");
        match final_path {
            Some(p) => assert_eq!(got.final_url.as_deref(), Some(fx.url(p).as_str()), "{url}"),
            None => assert_eq!(got.final_url, None, "{url}: {got:?}"),
        }
        assert!(!got.detail.is_empty());
    }
    // The whole answer of a private address was refused before any connection: the
    // fixture saw only the redirecting request.
    assert_eq!(fx.hits("/redirect-private"), 1);
}

#[tokio::test]
async fn retry_after_is_honoured_and_retries_are_bounded() {
    let fx = Fixture::start().await;
    let checker = Checker::new(settings(&[])).unwrap();
    let started = Instant::now();
    let got = checker.check(&fx.url("/always-429")).await;
    assert_eq!(got.outcome, Restricted);
    assert_eq!(fx.hits("/always-429"), 3, "one attempt and two retries");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited Retry-After: 1 twice"
    );
    let got = checker.check(&fx.url("/flaky/c/1")).await;
    assert_eq!(got.outcome, Ok);
    assert_eq!(fx.hits("/flaky/c/1"), 2, "503, then 200 on the retry");
}

#[tokio::test]
async fn huge_bodies_are_not_downloaded() {
    let fx = Fixture::start().await;
    let checker = Checker::new(settings(&[])).unwrap();
    let got = checker.check(&fx.url("/huge")).await;
    assert_eq!(got.outcome, Ok);
    // The check ended, so the connection is closed: what was sent stays what it was.
    let sent = fx.huge_bytes_sent();
    assert!(
        sent < 64 * 1024 * 1024,
        "1 GiB was not downloaded, only what socket buffers hold: {sent} bytes sent"
    );
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let fx = Fixture::start().await;
    let strict = Checker::new(settings(&[("REGISTRY_CHECKER_ALLOW_LOOPBACK", "false")])).unwrap();
    let got = strict.check(&fx.url("/ok")).await;
    assert_eq!(got.outcome, Blocked, "{got:?}");
    let port = fx.base.rsplit(':').next().unwrap();
    let got = strict.check(&format!("http://localhost:{port}/ok")).await;
    assert_eq!(
        got.outcome, Blocked,
        "a name that resolves to loopback: {got:?}"
    );
    for spelling in ["[::ffff:0:7f00:1]", "[64:ff9b:1::7f00:1]"] {
        let got = strict.check(&format!("http://{spelling}:{port}/ok")).await;
        assert_eq!(got.outcome, Blocked, "{spelling}: {got:?}");
    }
    assert_eq!(fx.hits("/ok"), 0, "never connected");
}

#[tokio::test]
async fn per_host_concurrency_is_bounded() {
    let fx = Fixture::start().await;
    let checker = Checker::new(settings(&[
        ("REGISTRY_CHECK_PER_HOST", "2"),
        ("REGISTRY_CHECK_CONCURRENCY", "16"),
    ]))
    .unwrap();
    let urls: Vec<String> = (0..6)
        .map(|i| fx.url(&format!("/latency/300/200?{i}")))
        .collect();
    let started = Instant::now();
    let results = futures_util::future::join_all(urls.iter().map(|u| checker.check(u))).await;
    assert!(results.iter().all(|r| r.outcome == Ok));
    // Six 300 ms requests, two at a time, take at least three rounds.
    assert!(
        started.elapsed() >= Duration::from_millis(850),
        "{:?}",
        started.elapsed()
    );
}

async fn check_now(app: &TestApp, s: &Supplier) -> Value {
    let res = app
        .admin_post(
            "/api/v1/admin/evidence/checks",
            Some(json!({"supplier_id": s.id})),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn health_of(view: &Value, id: &str) -> Value {
    view["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap()["health"]
        .clone()
}

#[tokio::test]
async fn a_link_is_flagged_only_after_three_failed_checks_and_recovers() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(FAST).await;
    let s = app.active_supplier("Checked Ltd").await;
    let ok = app.add_evidence(&s, &fx.url("/ok")).await;
    let flaky = app.add_evidence(&s, &fx.url("/status/404")).await;
    let view = app.supplier(&s.slug).await;
    assert_eq!(view["evidence_summary"], "pending");

    let summary = check_now(&app, &s).await;
    assert_eq!(summary["checked"], 2);
    assert_eq!(summary["outcomes"], json!({"ok": 1, "broken": 1}));
    let view = app.supplier(&s.slug).await;
    assert_eq!(health_of(&view, &ok)["status"], "ok");
    assert!(health_of(&view, &ok)["last_ok_at"].is_string());
    let h = health_of(&view, &flaky);
    assert_eq!(
        h["status"], "pending",
        "one failure does not flag a supplier"
    );
    assert_eq!(h["consecutive_failures"], 1);
    assert_eq!(h["http_status"], 404);
    assert_eq!(h["recent_checks"][0]["outcome"], "broken");

    check_now(&app, &s).await;
    assert_eq!(
        health_of(&app.supplier(&s.slug).await, &flaky)["status"],
        "pending"
    );
    check_now(&app, &s).await;
    let view = app.supplier(&s.slug).await;
    assert_eq!(health_of(&view, &flaky)["status"], "broken");
    assert_eq!(
        health_of(&view, &flaky)["recent_checks"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(view["evidence_summary"], "some_failing");
    let broken = app
        .get_json("/api/v1/suppliers?evidence_health=broken")
        .await;
    assert_eq!(broken["items"][0]["slug"], s.slug.as_str());

    // The link comes back: fixed by the supplier.
    let path = format!("/api/v1/suppliers/{}/evidence/{flaky}", s.id);
    let res = app
        .send(
            Method::PATCH,
            &path,
            Some(&s.token),
            Some(json!({"url": fx.url("/ok/again")})),
        )
        .await;
    assert_eq!(res.status(), 200);
    check_now(&app, &s).await;
    let view = app.supplier(&s.slug).await;
    assert_eq!(health_of(&view, &flaky)["status"], "ok");
    assert_eq!(view["evidence_summary"], "all_ok");
    let recent = health_of(&view, &flaky)["recent_checks"]
        .as_array()
        .unwrap()
        .clone();
    // The new address's own checks only: the old one's failures say nothing of it.
    assert_eq!(recent.len(), 1, "{recent:?}");
    assert_eq!(recent[0]["outcome"], "ok");

    let (actions, audit) = app.audit_of(&s).await;
    let changes: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "evidence.health_changed")
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "evidence.health_changed")
            .count(),
        3,
        "{actions:?}"
    );
    assert_eq!(changes[1]["before"]["health"], "pending");
    assert_eq!(changes[1]["after"]["health"], "broken");
    assert_eq!(changes[1]["actor"], "system");
}

#[tokio::test]
async fn history_is_bounded_per_link() {
    let fx = Fixture::start().await;
    let mut settings = FAST.to_vec();
    settings.push(("REGISTRY_CHECK_HISTORY", "2"));
    let app = TestApp::spawn_with(&settings).await;
    let s = app.register("Bounded Ltd").await;
    let id = app.add_evidence(&s, &fx.url("/ok")).await;
    for _ in 0..4 {
        check_now(&app, &s).await;
    }
    use diesel::prelude::*;
    use pledge_registry::db::schema::evidence_checks;
    let mut conn = app.pool.get().unwrap();
    let kept: i64 = evidence_checks::table
        .filter(evidence_checks::evidence_id.eq(&id))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(kept, 2);
    assert_eq!(fx.hits("/ok"), 4);
}

#[tokio::test]
async fn concurrent_rounds_check_each_link_once() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(FAST).await;
    let s = app.register("Shared Ltd").await;
    for i in 0..12 {
        app.add_evidence(&s, &fx.url(&format!("/latency/100/200?{i}")))
            .await;
    }
    let a = app.admin_post(
        "/api/v1/admin/evidence/checks",
        Some(json!({"supplier_id": s.id})),
    );
    let b = app.admin_post(
        "/api/v1/admin/evidence/checks",
        Some(json!({"supplier_id": s.id})),
    );
    let (a, b) = tokio::join!(a, b);
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(
        a["checked"].as_u64().unwrap() + b["checked"].as_u64().unwrap(),
        12,
        "{a} {b}"
    );
    assert_eq!(
        fx.hits("/latency/100/200"),
        12,
        "each link fetched once (HEAD answers 200)"
    );
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_nothing_stays_claimed() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(FAST).await;
    let s = app.register("Crashy Ltd").await;
    let id = app.add_evidence(&s, &fx.url("/ok")).await;
    use diesel::prelude::*;
    use pledge_registry::db::schema::evidence;
    let mut conn = app.pool.get().unwrap();
    // An instance claimed the link and died: its lease ran out a minute ago.
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
    diesel::update(evidence::table.find(&id))
        .set((
            evidence::claimed_by.eq(Some("dead-instance")),
            evidence::claimed_until.eq(Some(past)),
        ))
        .execute(&mut *conn)
        .unwrap();
    let summary = check_now(&app, &s).await;
    assert_eq!(summary["checked"], 1);
    let claimed: Option<String> = evidence::table
        .find(&id)
        .select(evidence::claimed_by)
        .first(&mut *conn)
        .unwrap();
    assert_eq!(claimed, None);
    // A live lease is respected.
    let future = chrono::Utc::now().naive_utc() + chrono::Duration::minutes(5);
    diesel::update(evidence::table.find(&id))
        .set((
            evidence::claimed_by.eq(Some("busy-instance")),
            evidence::claimed_until.eq(Some(future)),
        ))
        .execute(&mut *conn)
        .unwrap();
    assert_eq!(check_now(&app, &s).await["checked"], 0);
}

#[tokio::test]
async fn the_schedule_checks_links_in_the_background() {
    let fx = Fixture::start().await;
    let mut settings = FAST.to_vec();
    settings.push(("REGISTRY_CHECK_INTERVAL", "1s"));
    let app = TestApp::spawn_with(&settings).await;
    let s = app.register("Scheduled Ltd").await;
    let id = app.add_evidence(&s, &fx.url("/ok")).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let view = app.supplier(&s.slug).await;
        if health_of(&view, &id)["status"] == "ok" {
            break;
        }
        assert!(Instant::now() < deadline, "the scheduled round never ran");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn checking_all_starts_in_the_background_and_is_for_the_operator() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(FAST).await;
    let s = app.register("Everyone Ltd").await;
    let id = app.add_evidence(&s, &fx.url("/ok")).await;
    let res = app.admin_post("/api/v1/admin/evidence/checks", None).await;
    assert_eq!(res.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(120);
    while health_of(&app.supplier(&s.slug).await, &id)["status"] != "ok" {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let res = app
        .post("/api/v1/admin/evidence/checks", Some(&s.token), json!({}))
        .await;
    problem(res, 403).await;
    let res = app
        .admin_post(
            "/api/v1/admin/evidence/checks",
            Some(json!({"supplier_id": "00000000-0000-4000-8000-000000000000"})),
        )
        .await;
    problem(res, 404).await;
}

#[tokio::test]
async fn the_public_sees_the_class_of_a_failure_not_the_networks_words() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(&[("REGISTRY_CHECKER_ALLOW_LOOPBACK", "false")]).await;
    let s = app.active_supplier("Mapping Ltd").await;
    let port = fx.base.rsplit(':').next().unwrap();
    let id = app
        .add_evidence(&s, &format!("http://localhost:{port}/ok"))
        .await;
    check_now(&app, &s).await;
    let public = health_of(&app.supplier(&s.slug).await, &id);
    assert_eq!(public["status"], "blocked");
    let words = public["detail"].as_str().unwrap();
    assert_eq!(words, "refused: not a public address, or not http or https");
    let recent = public["recent_checks"][0]["detail"].as_str().unwrap();
    assert_eq!(recent, words);
    let page = app.page(&s).await;
    assert!(!page.contains("resolves to") && !page.contains("loopback"));
    // The supplier itself and the operator see what happened.
    let private: Value = app.own_record(&s).await;
    let detail = health_of(&private, &id)["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("loopback"), "{detail}");
}

/// Where each link stands: (checked, still claimed), by evidence id.
fn standing(app: &TestApp, ids: &[String]) -> Vec<(bool, bool)> {
    use diesel::prelude::*;
    use pledge_registry::db::schema::evidence;
    let mut conn = app.pool.get().unwrap();
    ids.iter()
        .map(|id| {
            let (checked, claimed): (Option<chrono::NaiveDateTime>, Option<String>) =
                evidence::table
                    .find(id)
                    .select((evidence::checked_at, evidence::claimed_by))
                    .first(&mut *conn)
                    .unwrap();
            (checked.is_some(), claimed.is_some())
        })
        .collect()
}

/// Waits, polling the database, until `done` holds (or a minute has passed).
async fn until(app: &TestApp, ids: &[String], done: impl Fn(&[(bool, bool)]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(&standing(app, ids)) {
        assert!(
            Instant::now() < deadline,
            "not reached: {:?}",
            standing(app, ids)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A round in the background, on its own instance over the test's database.
async fn round_in_background(app: &TestApp) -> tokio::task::JoinHandle<()> {
    let instance = app.second_instance().await;
    tokio::spawn(async move {
        let scope =
            pledge_registry::usecases::checks::scope(None, pledge_registry::db::models::now());
        let _ = pledge_registry::usecases::checks::round(
            &instance.database,
            &instance.checker,
            scope,
            &|_| {},
        )
        .await;
    })
}

/// A link that hangs does not hold up the others: they are all checked while it is
/// still waiting. Stopping the round then lets go of every link it held.
#[tokio::test]
async fn a_hanging_link_delays_no_other_and_a_stopped_round_holds_nothing() {
    let fx = Fixture::start().await;
    let mut settings: Vec<(&str, &str)> = FAST.to_vec();
    settings.extend([
        ("REGISTRY_CHECK_TIMEOUT", "120s"),
        ("REGISTRY_CHECK_CONCURRENCY", "2"),
        ("REGISTRY_CHECK_PER_HOST", "2"),
    ]);
    let app = TestApp::spawn_with(&settings).await;
    let s = app.register("Patient Ltd").await;
    let hanging = app.add_evidence(&s, &fx.url("/hang")).await;
    let mut quick = Vec::new();
    for i in 0..12 {
        quick.push(app.add_evidence(&s, &fx.url(&format!("/ok?{i}"))).await);
    }
    let round = round_in_background(&app).await;
    until(&app, &quick, |s| s.iter().all(|(checked, _)| *checked)).await;
    assert_eq!(
        standing(&app, std::slice::from_ref(&hanging)),
        [(false, true)],
        "the hanging link is still held, unchecked, while all the others are done"
    );
    round.abort();
    assert!(round.await.unwrap_err().is_cancelled());
    let mut all = quick.clone();
    all.push(hanging);
    // The stopped round lets go on the blocking pool, not on the worker that dropped it.
    until(&app, &all, |s| s.iter().all(|(_, claimed)| !claimed)).await;
    assert_eq!(
        standing(&app, &all)
            .iter()
            .filter(|(checked, _)| !checked)
            .count(),
        1,
        "a stopped round leaves nothing claimed, and the hanging link unchecked"
    );
}

/// A slow host delays only its own links: another host's are checked meanwhile.
#[tokio::test]
async fn a_slow_host_delays_only_itself() {
    let slow = Fixture::start().await;
    let fast = Fixture::start().await;
    let mut settings: Vec<(&str, &str)> = FAST.to_vec();
    settings.extend([
        ("REGISTRY_CHECK_TIMEOUT", "30s"),
        ("REGISTRY_CHECK_CONCURRENCY", "2"),
        ("REGISTRY_CHECK_PER_HOST", "1"),
    ]);
    let app = TestApp::spawn_with(&settings).await;
    let a = app.register("Slow Host Ltd").await;
    let b = app.register("Fast Host Ltd").await;
    let mut slow_links = Vec::new();
    let mut fast_links = Vec::new();
    for i in 0..6 {
        slow_links.push(
            app.add_evidence(&a, &slow.url(&format!("/latency/2000/200?{i}")))
                .await,
        );
        fast_links.push(app.add_evidence(&b, &fast.url(&format!("/ok?{i}"))).await);
    }
    let round = round_in_background(&app).await;
    until(&app, &fast_links, |s| s.iter().all(|(checked, _)| *checked)).await;
    let slow_done = standing(&app, &slow_links)
        .iter()
        .filter(|(checked, _)| *checked)
        .count();
    assert!(
        slow_done <= 2,
        "the fast host's links waited for {slow_done} of the slow host's"
    );
    round.abort();
    let _ = round.await;
}

/// A check that outlasts its lease keeps its link: the round renews its claims, so a
/// second round finds nothing to take, and the link is fetched once.
#[tokio::test]
async fn a_long_check_keeps_its_link_past_the_first_lease() {
    use diesel::prelude::*;
    use pledge_registry::db::schema::evidence;
    let fx = Fixture::start().await;
    let mut settings: Vec<(&str, &str)> = FAST.to_vec();
    settings.extend([
        ("REGISTRY_CHECK_TIMEOUT", "60s"),
        ("REGISTRY_CHECK_LEASE", "3s"),
    ]);
    let app = TestApp::spawn_with(&settings).await;
    let s = app.register("Slow Answer Ltd").await;
    let id = app.add_evidence(&s, &fx.url("/latency/8000/200")).await;
    let held_until = || -> Option<chrono::NaiveDateTime> {
        let mut conn = app.pool.get().unwrap();
        evidence::table
            .find(&id)
            .select(evidence::claimed_until)
            .first(&mut *conn)
            .unwrap()
    };
    let round = round_in_background(&app).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let first = loop {
        if let Some(t) = held_until() {
            break t;
        }
        assert!(Instant::now() < deadline, "never claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Renewed while the check runs (the first lease would end three seconds in).
    while held_until().is_some_and(|t| t <= first) {
        assert!(Instant::now() < deadline, "the claim was never renewed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let other = app.second_instance().await;
    let scope = pledge_registry::usecases::checks::scope(None, pledge_registry::db::models::now());
    let second =
        pledge_registry::usecases::checks::round(&other.database, &other.checker, scope, &|_| {})
            .await
            .unwrap();
    assert_eq!(
        second.checked, 0,
        "the link is still held by the first round"
    );
    round.await.unwrap();
    assert_eq!(standing(&app, &[id]), [(true, false)]);
    assert_eq!(fx.hits("/latency/8000/200"), 1, "fetched once");
}
