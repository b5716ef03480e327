use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, problem};

fn slugs(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].as_str().unwrap().to_owned())
        .collect()
}

/// Every slug a query lists, following `next_cursor` page by page; and how many pages.
async fn walk(app: &TestApp, query: &str) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/suppliers?{query}&cursor={c}"),
            None => format!("/api/v1/suppliers?{query}"),
        };
        let page = app.get_json(&path).await;
        seen.extend(slugs(&page));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    (seen, pages)
}

#[tokio::test]
async fn pages_cover_every_supplier_once_in_order() {
    let app = TestApp::spawn().await;
    let mut expected = Vec::new();
    let mut caring = Vec::new();
    for i in 0..23 {
        // Every third name matches a search for "homecare".
        let name = if i % 3 == 0 {
            format!("Supplier {i:02} Homecare")
        } else {
            format!("Supplier {i:02}")
        };
        let slug = app.register(&name).await.slug;
        if i % 3 == 0 {
            caring.push(slug.clone());
        }
        expected.push(slug);
    }
    expected.sort();
    caring.sort();
    let (seen, pages) = walk(&app, "limit=5").await;
    assert_eq!(pages, 5);
    assert_eq!(seen, expected, "no duplicates, no gaps, ordered by slug");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 23);

    let (found, pages) = walk(&app, "q=HOMECARE&limit=3").await;
    assert_eq!(found, caring, "a search pages through every match in order");
    assert_eq!(pages, 3);
    let (found, _) = walk(&app, "q=homecare&status=unsigned&limit=2").await;
    assert_eq!(found, caring, "and combines with the other filters");
    let (found, _) = walk(&app, "q=homecare&status=active&limit=2").await;
    assert!(found.is_empty());
}

#[tokio::test]
async fn list_filters_narrow_the_results() {
    let app = TestApp::spawn().await;
    let active = app.active_supplier("Active Care Systems").await;
    let pending = app.register("Pending Health Ltd").await;
    assert_eq!(app.sign(&pending).await.status(), 201);
    let mut with_number = crate::helpers::registration("Numbered Ltd");
    with_number["company_number"] = json!("NI123456");
    assert_eq!(
        app.post("/api/v1/registrations", None, with_number)
            .await
            .status(),
        201
    );
    let evidence = json!({"url": "https://example.org/policy", "title": "AI policy", "kind": "policy", "commitments": ["safety"]});
    let res = app
        .post(
            &format!("/api/v1/suppliers/{}/evidence", active.id),
            Some(&active.token),
            evidence,
        )
        .await;
    assert_eq!(res.status(), 201);

    assert_eq!(
        slugs(&app.get_json("/api/v1/suppliers?status=active").await),
        [active.slug.as_str()]
    );
    assert_eq!(
        slugs(&app.get_json("/api/v1/suppliers?status=pending").await),
        [pending.slug.as_str()]
    );
    // A repeated filter means any of its values; other parameters may not repeat.
    assert_eq!(
        slugs(
            &app.get_json("/api/v1/suppliers?status=pending&status=active&status=lapsed")
                .await
        ),
        [active.slug.as_str(), pending.slug.as_str()]
    );
    assert_eq!(
        slugs(
            &app.get_json("/api/v1/suppliers?commitment=safety&commitment=transparency")
                .await
        ),
        [active.slug.as_str()]
    );
    let res = app
        .get("/api/v1/suppliers?status=active&status=asleep")
        .await;
    assert_eq!(fields(&problem(res, 400).await), ["status"]);
    let res = app.get("/api/v1/suppliers?limit=2&limit=3").await;
    assert_eq!(fields(&problem(res, 400).await), ["limit"]);
    assert_eq!(
        slugs(&app.get_json("/api/v1/suppliers?q=HEALTH").await),
        [pending.slug.as_str()]
    );
    assert_eq!(
        slugs(&app.get_json("/api/v1/suppliers?q=ni123456").await),
        ["numbered-ltd"]
    );
    assert_eq!(
        slugs(&app.get_json("/api/v1/suppliers?q=100%25").await).len(),
        0,
        "LIKE wildcards are literal"
    );
    assert_eq!(
        slugs(&app.get_json("/api/v1/suppliers?commitment=safety").await),
        [active.slug.as_str()]
    );
    assert_eq!(
        slugs(&app.get_json("/api/v1/suppliers?commitment=fairness").await).len(),
        0
    );
    assert_eq!(
        slugs(
            &app.get_json("/api/v1/suppliers?evidence_health=pending")
                .await
        ),
        [active.slug.as_str()]
    );
    assert_eq!(
        slugs(
            &app.get_json("/api/v1/suppliers?pledge_version=2025-09")
                .await
        )
        .len(),
        2
    );
    assert_eq!(
        slugs(
            &app.get_json("/api/v1/suppliers?updated_since=2999-01-01T00:00:00Z")
                .await
        )
        .len(),
        0
    );
    assert_eq!(
        slugs(
            &app.get_json("/api/v1/suppliers?updated_since=2000-01-01T00:00:00Z")
                .await
        )
        .len(),
        3
    );
    let item = &app.get_json("/api/v1/suppliers?status=active").await["items"][0];
    assert_eq!(item["signed_current_version"], true);
    assert_eq!(item["identity_verified"], true);
}

#[tokio::test]
async fn bad_query_parameters_are_named() {
    let app = TestApp::spawn().await;
    for (query, field) in [
        ("status=sleeping", "status"),
        ("evidence_health=green", "evidence_health"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=!!!", "cursor"),
        ("updated_since=yesterday", "updated_since"),
        ("colour=blue", "colour"),
    ] {
        let p = problem(app.get(&format!("/api/v1/suppliers?{query}")).await, 400).await;
        assert_eq!(fields(&p), [field], "{query}");
    }
    let long = "q".repeat(300);
    let p = problem(app.get(&format!("/api/v1/suppliers?q={long}")).await, 400).await;
    assert_eq!(fields(&p), ["q"]);
}

#[tokio::test]
async fn one_supplier_by_id_or_slug_with_etag() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Readable Ltd").await;
    let by_slug = app.supplier(&s.slug).await;
    let by_id = app.supplier(&s.id).await;
    assert_eq!(by_slug, by_id);
    assert_eq!(by_slug["status"], "active");
    let sig = &by_slug["signature"];
    assert_eq!(sig["pledge_version"], "2025-09");
    assert_eq!(sig["statements"].as_array().unwrap().len(), 6);
    assert_eq!(sig["statements"][0]["commitment"], "co_production");
    assert!(sig["reaffirm_by"].as_str().unwrap().ends_with('Z'));
    let res = app.get(&format!("/api/v1/suppliers/{}", s.slug)).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let cached = app
        .req(Method::GET, &format!("/api/v1/suppliers/{}", s.slug), None)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    last_modified_revalidates(&app, &format!("/api/v1/suppliers/{}", s.slug), &s).await;
    last_modified_revalidates(&app, "/api/v1/suppliers", &s).await;
    problem(app.get("/api/v1/suppliers/no-such-supplier").await, 404).await;
    problem(
        app.get("/api/v1/suppliers/00000000-0000-4000-8000-000000000000")
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn profile_updates_use_if_match_against_lost_updates() {
    let app = TestApp::spawn().await;
    let s = app.register("Patchable Ltd").await;
    let path = format!("/api/v1/suppliers/{}", s.id);
    let res = app
        .req(Method::GET, &path, Some(&s.token))
        .send()
        .await
        .unwrap();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let patch = |body: Value, if_match: Option<&str>| {
        let mut r = app.req(Method::PATCH, &path, Some(&s.token)).json(&body);
        if let Some(m) = if_match {
            r = r.header("If-Match", m);
        }
        r.send()
    };
    let res = patch(
        json!({"description": "New words", "company_number": "oc000001"}),
        Some(&etag),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["description"], "New words");
    assert_eq!(body["company_number"], "OC000001");
    assert_eq!(body["slug"], "patchable-ltd", "the slug is stable");
    // A second writer holding the old ETag is refused and changes nothing.
    let stale = patch(json!({"description": "Overwrite"}), Some(&etag))
        .await
        .unwrap();
    problem(stale, 412).await;
    assert_eq!(app.supplier(&s.slug).await["description"], "New words");
    // The ETag from a public read works too.
    let public_etag = app.get(&path).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let res = patch(
        json!({"company_number": null, "name": "Patchable Group"}),
        Some(&public_etag),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let view = app.supplier(&s.slug).await;
    assert_eq!(view["company_number"], Value::Null);
    assert_eq!(view["name"], "Patchable Group");
    // Validation names the field and stores nothing.
    let p = problem(
        patch(json!({"website": "nope", "contact_email": "x"}), None)
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(fields(&p), ["website", "contact_email"]);
    let p = problem(patch(json!({}), None).await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["body"]);
    assert_eq!(
        app.supplier(&s.slug).await["website"],
        "https://example.org/"
    );
    // The operator may edit too, and the audit log records it.
    let res = app
        .req(Method::PATCH, &path, Some(&app.admin_token))
        .json(&json!({"description": "Operator fix"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (actions, audit) = app.audit_of(&s).await;
    assert_eq!(
        actions,
        [
            "supplier.registered",
            "supplier.profile_updated",
            "supplier.profile_updated",
            "supplier.profile_updated"
        ]
    );
    assert_eq!(audit["items"][3]["before"]["description"], "New words");
    assert_eq!(audit["items"][3]["after"]["description"], "Operator fix");
}

#[tokio::test]
async fn claiming_a_verified_suppliers_company_number_is_a_conflict() {
    let app = TestApp::spawn().await;
    let mut one = crate::helpers::registration("Holder Ltd");
    one["company_number"] = json!("07654321");
    let res = app.post("/api/v1/registrations", None, one).await;
    assert_eq!(res.status(), 201);
    let holder: Value = res.json().await.unwrap();
    let s = app.register("Other Ltd").await;
    let claim = |token: String| {
        app.req(
            Method::PATCH,
            &format!("/api/v1/suppliers/{}", s.id),
            Some(&token),
        )
        .json(&json!({"company_number": "07654321"}))
        .send()
    };
    // An unverified claim does not lock the number.
    assert_eq!(claim(s.token.clone()).await.unwrap().status(), 200);
    let res = app.patch_profile(&s, json!({"company_number": null})).await;
    assert_eq!(res.status(), 200);
    let id = holder["supplier"]["id"].as_str().unwrap();
    let res = app
        .admin_post(&format!("/api/v1/admin/suppliers/{id}/verify"), None)
        .await;
    assert_eq!(res.status(), 200);
    problem(claim(s.token.clone()).await.unwrap(), 409).await;
}

#[tokio::test]
async fn nul_bytes_and_odd_characters_are_client_errors() {
    let app = TestApp::spawn().await;
    let p = problem(app.get("/api/v1/suppliers?commitment=%00").await, 400).await;
    assert_eq!(fields(&p), ["commitment"]);
    let p = problem(app.get("/api/v1/suppliers?pledge_version=a%00b").await, 400).await;
    assert_eq!(fields(&p), ["pledge_version"]);
    problem(app.get("/api/v1/suppliers?q=%00").await, 400).await;
    problem(app.get("/api/v1/suppliers/a%00b").await, 404).await;
    problem(app.get("/api/v1/suppliers/a%00b/history").await, 404).await;
    problem(app.get("/api/v1/pledge/versions/%00").await, 404).await;
    let res = app
        .send(
            Method::DELETE,
            "/api/v1/admin/tokens/%00",
            Some(&app.admin_token),
            None,
        )
        .await;
    problem(res, 404).await;
    let odd = app
        .get_json("/api/v1/suppliers?q=%27%3B%20DROP%20TABLE%20suppliers%3B--%20%E2%9C%93")
        .await;
    assert_eq!(odd["items"], json!([]));
    let mut body = crate::helpers::registration("Nul\u{0}Name");
    body["description"] = json!("fine");
    let p = problem(app.post("/api/v1/registrations", None, body).await, 422).await;
    assert_eq!(fields(&p), ["name"]);
}

#[tokio::test]
async fn the_view_shows_a_new_version_and_new_evidence_at_once() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Cached Ltd").await;
    let first = app.supplier(&s.slug).await;
    assert_eq!(first, app.supplier(&s.slug).await, "the same view again");
    assert_eq!(first["signature"]["is_current_version"], true);
    let path = format!("/api/v1/suppliers/{}", s.slug);
    let etag = app.get(&path).await.headers()["etag"].clone();
    let version = json!({
        "version": "2027-01", "title": "T", "summary": "S", "source_url": "https://example.org/p",
        "published_on": "2027-01-01", "commitments": [{"code": "safety", "title": "Safety", "description": "Safe."}]
    });
    assert_eq!(
        app.admin_post("/api/v1/admin/pledge/versions", Some(version))
            .await
            .status(),
        201
    );
    assert_eq!(
        app.supplier(&s.slug).await["signature"]["is_current_version"],
        false,
        "a new version shows at once"
    );
    let res = app
        .req(Method::GET, &path, None)
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "a cached copy from before is not confirmed"
    );
    let body = json!({"url": "https://example.org/new", "title": "New", "kind": "report", "commitments": ["safety"]});
    app.post(
        &format!("/api/v1/suppliers/{}/evidence", s.id),
        Some(&s.token),
        body,
    )
    .await;
    assert_eq!(
        app.supplier(&s.slug).await["evidence"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "new evidence shows at once"
    );
}

/// Public records are served from memory by their ETag; every write, and a private
/// reader, still sees the record as it is.
#[tokio::test]
async fn a_record_held_in_memory_follows_writes_and_never_reaches_private_readers_or_back() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Cached Ltd").await;
    let first = app.get(&format!("/api/v1/suppliers/{}", s.slug)).await;
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    let first: Value = first.json().await.unwrap();
    let page = app.page(&s).await;
    assert!(!page.contains("new-policy"));
    let again = app.get(&format!("/api/v1/suppliers/{}", s.slug)).await;
    assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert!(first.get("contact").is_none_or(Value::is_null));

    let own: Value = app.own_record(&s).await;
    assert!(
        own["contact"]["email"].is_string(),
        "the supplier sees its contact"
    );
    let public: Value = app.get_json(&format!("/api/v1/suppliers/{}", s.slug)).await;
    assert!(
        public.get("contact").is_none_or(Value::is_null),
        "and the public still does not"
    );

    app.add_evidence(&s, "https://example.org/new-policy").await;
    let after = app.get(&format!("/api/v1/suppliers/{}", s.slug)).await;
    assert_ne!(after.headers()["etag"].to_str().unwrap(), tag);
    let after: Value = after.json().await.unwrap();
    assert_eq!(after["evidence"].as_array().unwrap().len(), 1);
    let page = app.page(&s).await;
    assert!(page.contains("new-policy"), "the page follows too");
    app.lifecycle(&s, "suspend", Some(json!({"reason": "Checking"})))
        .await;
    let page = app.page(&s).await;
    assert!(page.contains("Checking"));
    assert_eq!(app.supplier(&s.slug).await["status"], "suspended");
}

/// What time changes (a certification's expiry date passing) and what changes many
/// records at once (a newer pledge version) reach the stored record, the page and the
/// feed.
#[tokio::test]
async fn stored_records_follow_time_and_new_pledge_versions() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Expiring Ltd").await;
    let res = app
        .post(
            &format!("/api/v1/suppliers/{}/evidence", s.id),
            Some(&s.token),
            json!({"url": "https://example.org/cert", "title": "ISO", "kind": "certification",
                   "scheme": "iso_iec_27001", "expires_on": "2099-01-01", "commitments": ["safety"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let path = format!("/api/v1/suppliers/{}", s.slug);
    for _ in 0..2 {
        let view = app.get_json(&path).await;
        assert_eq!(view["evidence"][0]["expired"], false);
    }
    let page = app.page(&s).await;
    let tag = app.get(&path).await.headers()["etag"].clone();
    // The date passes; the instance's time job records it.
    app.expire_certifications(&s);
    let instance = app.second_instance().await;
    let expired = pledge_registry::jobs::lapse::note_expiries(&instance.database)
        .await
        .unwrap();
    assert_eq!(expired, 1);
    // Recorded by another instance: served here within the bound.
    tokio::time::sleep(pledge_registry::views::cache::BOUND).await;
    let res = app.get(&path).await;
    assert_ne!(res.headers()["etag"], tag);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["evidence"][0]["expired"], true);
    assert_eq!(view["evidence_summary"], "some_failing");
    let after = app.page(&s).await;
    assert_ne!(page, after, "the page follows too");
    let feed = app.get_json("/api/v1/changes?limit=200").await;
    let last = feed["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "evidence.expired");
    assert_eq!(last["supplier"]["evidence_summary"], "some_failing");
    assert_eq!(
        pledge_registry::jobs::lapse::note_expiries(&instance.database)
            .await
            .unwrap(),
        0,
        "recorded once"
    );
    // A newer pledge version: the record says the signature names an earlier one.
    assert_eq!(app.publish_version("2027-01").await, 201);
    let view = app.get_json(&path).await;
    assert_eq!(view["signature"]["is_current_version"], false);
    let feed = app.get_json("/api/v1/changes?limit=200").await;
    let last = feed["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "pledge.published");
    assert_eq!(last["supplier"]["signed_current_version"], false);
}

/// Every supplier address takes the id or the slug, reads and writes alike, and the
/// slug names the same supplier for the same rules.
#[tokio::test]
async fn writes_take_the_slug_as_reads_do() {
    let app = TestApp::spawn().await;
    let a = app.register("Slug Writer Ltd").await;
    let b = app.register("Someone Else Ltd").await;
    let path = format!("/api/v1/suppliers/{}", a.slug);
    let res = app
        .send(
            Method::PATCH,
            &path,
            Some(&a.token),
            Some(json!({ "description": "Written by slug" })),
        )
        .await;
    assert_eq!(res.status(), 200);
    let by_id = app.get_json(&format!("/api/v1/suppliers/{}", a.id)).await;
    assert_eq!(by_id["description"], "Written by slug");
    let res = app
        .send(
            Method::PATCH,
            &path,
            Some(&b.token),
            Some(json!({ "description": "Not mine" })),
        )
        .await;
    problem(res, 403).await;
    let res = app
        .post(
            &format!("{path}/signature"),
            Some(&a.token),
            app.signature_body().await,
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .admin_post(&format!("/api/v1/admin/suppliers/{}/verify", a.slug), None)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get_json(&path).await["status"], "active");
    let res = app
        .send(
            Method::PATCH,
            "/api/v1/suppliers/no-such-supplier",
            Some(&a.token),
            Some(json!({ "description": "x" })),
        )
        .await;
    problem(res, 404).await;
}

/// `Last-Modified` is in the past; `If-Modified-Since` at or after the last change is a
/// 304, before it a 200; a write moves it on; `If-None-Match`, when sent, decides alone.
async fn last_modified_revalidates(app: &TestApp, path: &str, s: &crate::helpers::Supplier) {
    let http_date = |t: std::time::SystemTime| httpdate(t);
    let ask = |since: String, etag: Option<&str>| {
        let mut req = app
            .req(Method::GET, path, None)
            .header("If-Modified-Since", since);
        if let Some(etag) = etag {
            req = req.header("If-None-Match", etag);
        }
        req.send()
    };
    let res = app.get(path).await;
    let last_modified = res.headers()["last-modified"].to_str().unwrap().to_owned();
    let now = http_date(std::time::SystemTime::now());
    assert_eq!(
        ask(now.clone(), None).await.unwrap().status(),
        304,
        "{path}"
    );
    assert_eq!(
        ask(now.clone(), Some("\"another\""))
            .await
            .unwrap()
            .status(),
        200,
        "If-None-Match decides alone"
    );
    let res = app
        .send(
            Method::PATCH,
            &format!("/api/v1/suppliers/{}", s.id),
            Some(&s.token),
            Some(json!({ "description": format!("Changed for {path}") })),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = ask(last_modified, None).await.unwrap();
    assert_eq!(res.status(), 200, "{path} changed since");
}

/// An HTTP date (RFC 9110), as a client sends it.
fn httpdate(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// A list item and a change-feed item say what a tool acts on without reading each
/// record: the reaffirm-by date and the evidence at a glance, as the record says them.
#[tokio::test]
async fn list_and_feed_items_carry_reaffirm_by_and_evidence_summary() {
    let app = TestApp::spawn().await;
    let active = app.active_supplier("Glance Active Ltd").await;
    let evidence = json!({"url": "https://example.org/policy", "title": "AI policy", "kind": "policy", "commitments": ["safety"]});
    let path = format!("/api/v1/suppliers/{}/evidence", active.id);
    assert_eq!(
        app.post(&path, Some(&active.token), evidence)
            .await
            .status(),
        201
    );
    let unsigned = app.register("Glance Unsigned Ltd").await;
    app.register("Glance Third Ltd").await;

    let list = app.get_json("/api/v1/suppliers?q=glance").await;
    assert!(list.get("total").is_none(), "only when asked for");
    for item in list["items"].as_array().unwrap() {
        let record = app.supplier(item["slug"].as_str().unwrap()).await;
        assert_eq!(item["evidence_summary"], record["evidence_summary"]);
        assert_eq!(item["reaffirm_by"], record["signature"]["reaffirm_by"]);
    }
    let find = |slug: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["slug"] == slug)
            .cloned()
            .unwrap()
    };
    assert_eq!(find(&active.slug)["evidence_summary"], "pending");
    assert!(find(&active.slug)["reaffirm_by"].is_string());
    assert_eq!(find(&unsigned.slug)["evidence_summary"], "none");
    assert!(find(&unsigned.slug)["reaffirm_by"].is_null());

    let page = app
        .get_json("/api/v1/suppliers?q=glance&limit=1&include_total=true")
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["total"], 3, "over every page");
    let page = app
        .get_json("/api/v1/suppliers?status=active&include_total=true")
        .await;
    assert_eq!(page["total"], 1);

    let feed = app.get_json("/api/v1/changes?limit=200").await;
    let last = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|c| c["supplier_id"] == active.id.as_str())
        .unwrap();
    assert_eq!(last["type"], "evidence.added");
    assert_eq!(last["supplier"]["evidence_summary"], "pending");
    assert_eq!(
        last["supplier"],
        find(&active.slug),
        "the feed's view is the list's"
    );
}
