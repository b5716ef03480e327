//! Public reads served from each instance's memory: never behind on the instance that
//! made a write, and behind on another by at most the bound, whatever happens to the
//! change signal in between.

use std::io::Read;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};
use serde_json::{Value, json};

use crate::cli::cli;
use crate::helpers::{Instance, Supplier, TestApp};
use pledge_registry::views::cache::BOUND;

/// Waits until `cond` holds, asking again and again; a minute without it fails.
async fn until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !cond().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok()
}

async fn describe(app: &TestApp, s: &Supplier, words: &str) {
    let res = app.patch_profile(s, json!({ "description": words })).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
}

/// The page without the one line that says when it was built.
fn page_content(html: &str) -> String {
    match html.find("Looked up on ") {
        Some(at) => {
            let end = html[at..].find('.').map_or(html.len(), |e| at + e);
            format!("{}{}", &html[..at], &html[end..])
        }
        None => html.to_owned(),
    }
}

#[tokio::test]
async fn a_write_is_served_at_once_where_it_was_made_and_elsewhere_within_the_bound() {
    let app = TestApp::spawn().await;
    let b = app.second_server().await;
    let s = app.active_supplier("Memory Care Ltd").await;
    let record = format!("/api/v1/suppliers/{}", s.slug);
    let page = format!("/suppliers/{}", s.slug);
    // Both instances hold the record, its page and the lists.
    for _ in 0..2 {
        assert_eq!(app.supplier(&s.slug).await["status"], "active");
        assert_eq!(b.get_json(&record).await["status"], "active");
        b.get_text(&page).await;
        b.get_json("/api/v1/suppliers").await;
        b.get_text("/").await;
    }
    describe(&app, &s, "Written on the first instance.").await;
    // The instance that answered the write serves it at once: no waiting here.
    assert_eq!(
        app.supplier(&s.slug).await["description"],
        "Written on the first instance."
    );
    assert!(
        app.page(&s)
            .await
            .contains("Written on the first instance.")
    );
    // The other serves it once it has heard.
    until("the second instance serves the write", || async {
        b.get_json(&record).await["description"] == "Written on the first instance."
    })
    .await;
    assert!(
        b.get_text(&page)
            .await
            .contains("Written on the first instance.")
    );
    // A write that changes the list (the status) reaches both lists.
    let res = app
        .lifecycle(
            &s,
            "suspend",
            Some(json!({"reason": "Checking a complaint"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let listed = app.get_json("/api/v1/suppliers?status=suspended").await;
    assert_eq!(listed["items"][0]["slug"], s.slug.as_str(), "at once, here");
    until("the second instance lists it as suspended", || async {
        b.get_json("/api/v1/suppliers?status=suspended").await["items"][0]["slug"]
            == s.slug.as_str()
    })
    .await;
    until("the second instance's home page says suspended", || async {
        b.get_text("/?status=suspended")
            .await
            .contains("Memory Care Ltd")
    })
    .await;
}

#[tokio::test]
async fn pages_and_lists_answer_304_and_gzip_from_memory() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Conditional Care Ltd").await;
    for path in [
        format!("/suppliers/{}", s.slug),
        format!("/api/v1/suppliers/{}", s.slug),
        "/api/v1/suppliers?limit=5".to_owned(),
        "/".to_owned(),
    ] {
        let first = app.get(&path).await;
        assert_eq!(first.status(), 200, "{path}");
        let tag = first.headers()[ETAG].to_str().unwrap().to_owned();
        let plain = first.bytes().await.unwrap();
        let again = app
            .req(Method::GET, &path, None)
            .header(IF_NONE_MATCH, &tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        let zipped = app
            .req(Method::GET, &path, None)
            .header(ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(zipped.status(), 200, "{path}");
        assert_eq!(zipped.headers()[CONTENT_ENCODING], "gzip", "{path}");
        assert_eq!(zipped.headers()[ETAG].to_str().unwrap(), tag, "{path}");
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped.bytes().await.unwrap()[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain, "{path}: the same bytes, compressed");
        let refused = app
            .req(Method::GET, &path, None)
            .header(ACCEPT_ENCODING, "gzip;q=0, identity")
            .send()
            .await
            .unwrap();
        assert!(refused.headers().get(CONTENT_ENCODING).is_none(), "{path}");
        assert_eq!(refused.bytes().await.unwrap(), plain, "{path}");
    }
    // A change makes the old tag stale: the page is sent again.
    let path = format!("/suppliers/{}", s.slug);
    let tag = app.get(&path).await.headers()[ETAG]
        .to_str()
        .unwrap()
        .to_owned();
    describe(&app, &s, "Changed since you looked.").await;
    let res = app
        .req(Method::GET, &path, None)
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Changed since you looked.")
    );
}

/// Another process (the command line, after the tables were edited underneath) writes
/// the record: both instances serve it within the bound of the command's commit.
#[tokio::test]
async fn another_process_writing_is_served_by_every_instance_within_the_bound() {
    let app = TestApp::spawn().await;
    let b = app.second_server().await;
    let s = app.active_supplier("Underneath Ltd").await;
    let record = format!("/api/v1/suppliers/{}", s.slug);
    for _ in 0..2 {
        app.supplier(&s.slug).await;
        b.get_json(&record).await;
    }
    {
        use diesel::prelude::*;
        use pledge_registry::db::schema::suppliers;
        let mut conn = app.pool.get().unwrap();
        let id: uuid::Uuid = s.id.parse().unwrap();
        diesel::update(suppliers::table.find(pledge_registry::domain::SupplierId(id)))
            .set(suppliers::description.eq("Corrected by the operator's tools."))
            .execute(&mut conn)
            .unwrap();
    }
    let out = cli(&app, &["reproject"], &[]).await;
    assert!(out.status.success(), "{out:?}");
    // The command has exited: its write committed before now.
    tokio::time::sleep(BOUND).await;
    assert_eq!(
        app.supplier(&s.slug).await["description"],
        "Corrected by the operator's tools."
    );
    assert_eq!(
        b.get_json(&record).await["description"],
        "Corrected by the operator's tools."
    );
}

/// The lines of `/metrics` that start with `name`.
async fn metric(instance: &Instance, name: &str) -> Vec<String> {
    instance
        .get("/metrics")
        .await
        .text()
        .await
        .unwrap()
        .lines()
        .filter(|l| l.starts_with(name))
        .map(str::to_owned)
        .collect()
}

/// The change signal is cut while writes happen (PostgreSQL: the listener's backend is
/// terminated by the server; SQLite: the write-ahead log is checkpointed and truncated
/// under the watcher): the other instance never serves a record older than the bound,
/// and serves from memory again once it hears again.
#[tokio::test]
async fn a_cut_signal_never_serves_a_record_older_than_the_bound() {
    let app = TestApp::spawn().await;
    let b = app.second_server().await;
    let s = app.active_supplier("Cut Signal Ltd").await;
    let record = format!("/api/v1/suppliers/{}", s.slug);
    for round in 0..4 {
        // B holds the record as it is.
        b.get_json(&record).await;
        b.get_json(&record).await;
        {
            use diesel::RunQueryDsl;
            let mut conn = app.pool.get().unwrap();
            if on_postgres() {
                let cut = diesel::sql_query(format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = current_database() AND application_name = '{}'",
                    pledge_registry::db::watch::APPLICATION_NAME
                ))
                .execute(&mut conn)
                .unwrap();
                assert!(cut >= 1, "round {round}: no listener to cut");
            } else {
                diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&mut conn)
                    .unwrap();
            }
        }
        let words = format!("Round {round} of the cut signal.");
        describe(&app, &s, &words).await;
        // The write has committed: past the bound, B serves it, on the first read.
        tokio::time::sleep(BOUND).await;
        assert_eq!(b.get_json(&record).await["description"], words.as_str());
        // And B goes back to serving from memory once it hears the signal again.
        until("the second instance serves from memory again", || async {
            metric(&b, "registry_read_cache_serving").await == ["registry_read_cache_serving 1"]
        })
        .await;
    }
    if on_postgres() {
        let lost = metric(&b, "registry_read_cache_signal_lost").await;
        assert_ne!(lost, ["registry_read_cache_signal_lost 0"], "{lost:?}");
    }
    let hits = metric(&b, "registry_read_cache_lookups{state=\"hit\"}").await;
    assert_ne!(
        hits,
        ["registry_read_cache_lookups{state=\"hit\"} 0"],
        "{hits:?}"
    );
}

/// Both instances' records, lists and pages equal those of an instance that keeps
/// nothing in memory (built from the stored records on every read).
async fn alike(a: &TestApp, b: &Instance, truth: &Instance, ids: &[String], step: usize) {
    let list = "/api/v1/suppliers?limit=200&include_total=true";
    let want = truth.get_json(list).await;
    assert_eq!(
        a.get_json(list).await,
        want,
        "step {step}: the first's list"
    );
    assert_eq!(
        b.get_json(list).await,
        want,
        "step {step}: the second's list"
    );
    let home = page_content(&truth.get_text("/?unverified=1").await);
    assert_eq!(
        page_content(&b.get_text("/?unverified=1").await),
        home,
        "step {step}"
    );
    for id in ids {
        let record = format!("/api/v1/suppliers/{id}");
        let want = truth.get_json(&record).await;
        assert_eq!(a.supplier(id).await, want, "step {step}: {id} on the first");
        assert_eq!(
            b.get_json(&record).await,
            want,
            "step {step}: {id} on the second"
        );
        let page = format!("/suppliers/{id}");
        let want = page_content(&truth.get_text(&page).await);
        let on_b = page_content(&b.get_text(&page).await);
        assert!(
            on_b == want,
            "step {step}: {id}'s page on the second differs"
        );
    }
}

/// Random writes, each made on one of two instances: the instance that made it serves
/// it at once, and past the bound both serve what the stored records say.
#[tokio::test]
async fn random_writes_on_two_instances_are_served_alike_by_both_within_the_bound() {
    let app = TestApp::spawn().await;
    let b = app.second_server().await;
    let truth = app.uncached_server().await;
    let mut next = crate::helpers::choices(0x2545_f491_4f6c_dd1d);
    let mut suppliers = Vec::new();
    for i in 0..3 {
        suppliers.push(app.register(&format!("Alike {i} Ltd")).await);
    }
    assert_eq!(app.sign(&suppliers[0]).await.status(), 201);
    let ids: Vec<String> = suppliers.iter().map(|s| s.id.clone()).collect();
    for _ in 0..2 {
        alike(&app, &b, &truth, &ids, 0).await;
    }
    for step in 1..=24 {
        let s = &suppliers[next(suppliers.len())];
        let on_b = next(2) == 1;
        let base = if on_b { &b.base } else { &app.base };
        let send = |method: Method, tail: &str, token: &str, body: Option<Value>| {
            let path = match tail.strip_prefix("/admin-") {
                Some(action) => format!("/api/v1/admin/suppliers/{}/{action}", s.id),
                None => format!("/api/v1/suppliers/{}{tail}", s.id),
            };
            let mut r = app
                .http
                .request(method, format!("{base}{path}"))
                .bearer_auth(token);
            if let Some(body) = body {
                r = r.json(&body);
            }
            r.send()
        };
        let admin = app.admin_token.clone();
        let reason = Some(json!({"reason": format!("Step {step}")}));
        let res = match next(8) {
            0 => send(
                Method::POST,
                "/signature",
                &s.token,
                Some(app.signature_body().await),
            ),
            1 => send(Method::POST, "/admin-verify", &admin, None),
            2 => send(Method::POST, "/admin-suspend", &admin, reason),
            3 => send(Method::POST, "/admin-reinstate", &admin, reason),
            4 => send(
                Method::POST,
                "/evidence",
                &s.token,
                Some(
                    json!({"url": format!("https://example.org/{step}"), "title": "Doc",
                            "kind": "report", "commitments": ["safety"]}),
                ),
            ),
            5 => send(
                Method::POST,
                "/signature/reaffirm",
                &s.token,
                Some(json!({})),
            ),
            6 => send(
                Method::POST,
                "/signature/withdraw",
                &s.token,
                Some(json!({"reason": "Out"})),
            ),
            _ => send(
                Method::PATCH,
                "",
                &s.token,
                Some(json!({"description": format!("Step {step}: what we make."),
                            "website": format!("https://site{step}.example")})),
            ),
        }
        .await
        .unwrap();
        let status = res.status();
        assert!(
            status.is_success() || status == 409,
            "step {step}: {status} {}",
            res.text().await.unwrap()
        );
        // Where it was made, at once.
        let record = format!("/api/v1/suppliers/{}", s.id);
        let want = truth.get_json(&record).await;
        let here = if on_b {
            b.get_json(&record).await
        } else {
            app.supplier(&s.id).await
        };
        assert_eq!(
            here, want,
            "step {step}: the writer serves its write at once"
        );
        // Everywhere, past the bound.
        tokio::time::sleep(BOUND).await;
        alike(&app, &b, &truth, &ids, step).await;
    }
}
