//! What the pages tell a care manager at a glance: the real checker against the local
//! fixture, the list's filters, counts and pages, and concerns raised for the operator.

use reqwest::Method;
use serde_json::{Value, json};

use crate::fixture::Fixture;
use crate::helpers::{Supplier, TestApp, problem};
use crate::mailbox::Mailbox;

async fn html(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.get(path).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn evidence(app: &TestApp, s: &Supplier, body: Value) {
    let res = app
        .post(
            &format!("/api/v1/suppliers/{}/evidence", s.id),
            Some(&s.token),
            body,
        )
        .await;
    assert_eq!(res.status(), 201);
}

async fn check(app: &TestApp, s: &Supplier) {
    let res = app
        .admin_post(
            "/api/v1/admin/evidence/checks",
            Some(json!({"supplier_id": s.id})),
        )
        .await;
    assert_eq!(res.status(), 200);
}

/// The slugs a page of the list shows, in order.
fn listed(html: &str) -> Vec<String> {
    html.split("<a class=\"name\" href=\"/suppliers/")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

/// The slugs the API lists for a query.
async fn api_listed(app: &TestApp, query: &str) -> Vec<String> {
    let body = app
        .get_json(&format!("/api/v1/suppliers?{query}&limit=100"))
        .await;
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_link_says_what_is_known_and_the_list_shows_evidence_trouble() {
    let fx = Fixture::start().await;
    let mut settings: Vec<(&str, &str)> = crate::checker::FAST.to_vec();
    settings.extend([
        ("REGISTRY_CHECK_FAILURE_THRESHOLD", "2"),
        ("REGISTRY_CHECK_RETRIES", "0"),
    ]);
    let app = TestApp::spawn_with(&settings).await;
    let a = app.active_supplier("Failing Links Ltd").await;
    let b = app.active_supplier("Working Links Ltd").await;
    let res = app
        .send(
            Method::PATCH,
            &format!("/api/v1/suppliers/{}", a.id),
            Some(&a.token),
            Some(json!({"company_number": "09876543"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Changing the company number ended the verification; the operator checks again.
    let res = app
        .admin_post(&format!("/api/v1/admin/suppliers/{}/verify", a.id), None)
        .await;
    assert_eq!(res.status(), 200);
    let link = |url: String, title: &str| json!({"url": url, "title": title, "kind": "policy", "commitments": ["safety"]});
    evidence(&app, &a, link(fx.url("/status/404"), "Our AI policy")).await;
    evidence(&app, &a, link(fx.url("/redirect/2"), "Our safety case")).await;
    let expires = (chrono::Utc::now() + chrono::Duration::days(200)).date_naive();
    evidence(
        &app,
        &a,
        json!({"url": fx.url("/ok"), "title": "Clinical safety", "kind": "certification",
               "commitments": ["safety"], "scheme": "dcb0129", "reference": "CERT-979889",
               "expires_on": expires}),
    )
    .await;
    // Two certifications whose schemes have a public search of their own.
    for (scheme, reference) in [("cyber_essentials_plus", "a1b2c3d4-ce"), ("dspt", "8jx17")] {
        evidence(
            &app,
            &a,
            json!({"url": fx.url("/ok"), "title": format!("Our {scheme}"), "kind": "certification",
                   "commitments": ["data_protection"], "scheme": scheme, "reference": reference,
                   "expires_on": expires}),
        )
        .await;
    }
    evidence(&app, &b, link(fx.url("/ok"), "Our AI policy")).await;
    check(&app, &a).await;
    check(&app, &b).await;

    let (_, page) = html(&app, &format!("/suppliers/{}", a.slug)).await;
    let today = chrono::Utc::now().format("%-d %B %Y").to_string();
    for text in [
        // Failed once, below the threshold: said, not hidden as "not checked".
        format!("Checked on {today}: "),
        "Checking again before flagging it".to_owned(),
        format!(
            "Page found, but the link now leads to {}",
            fx.url("/redirect/0")
        ),
        "Certification: DCB0129 clinical risk management, reference CERT-979889".to_owned(),
        "<a href=\"https://iasme.co.uk/cyber-essentials/ncsc-certificate-search/\" rel=\"nofollow noopener\">Look the certificate up on the scheme’s own search (IASME)</a>".to_owned(),
        "<a href=\"https://www.dsptoolkit.nhs.uk/OrganisationSearch/8JX17\" rel=\"nofollow noopener\">See its entry on the DSPT organisation search</a>".to_owned(),
        format!("Last checked {today}"),
        format!("<dt>Record last updated</dt><dd>{today}</dd>"),
        "https://find-and-update.company-information.service.gov.uk/company/09876543".to_owned(),
        "For developers".to_owned(),
        "This record as data (JSON)".to_owned(),
        format!("/concerns?supplier={}", a.slug),
    ] {
        assert!(page.contains(&text), "missing {text:?}");
    }
    assert!(!page.contains("Not checked yet"), "it was checked");
    let (_, list) = html(&app, "/").await;
    assert!(
        !list.contains("class=\"trouble\""),
        "not flagged after one failure"
    );

    // The second failure flags it: beside the status in the list, and in the filters.
    check(&app, &a).await;
    let (_, page) = html(&app, &format!("/suppliers/{}", a.slug)).await;
    assert!(page.contains("Link broken"), "flagged");
    let (_, list) = html(&app, "/").await;
    let row = &list[list.find(&format!("/suppliers/{}\"", a.slug)).unwrap()..];
    let row = &row[..row.find("</li>").unwrap()];
    assert!(
        row.contains("status-active") && row.contains("Some evidence failing"),
        "{row}"
    );
    let (_, failing) = html(&app, "/?evidence=some_failing").await;
    assert_eq!(listed(&failing), [a.slug.as_str()]);
    let (_, working) = html(&app, "/?evidence=all_ok").await;
    assert_eq!(listed(&working), [b.slug.as_str()]);
    assert_eq!(
        api_listed(&app, "evidence_summary=some_failing").await,
        [a.slug.as_str()]
    );
    assert_eq!(
        api_listed(&app, "evidence_summary=all_ok&evidence_summary=none").await,
        [b.slug.as_str()]
    );
    // "At least one link works" is still what evidence_health means: both have one.
    assert_eq!(api_listed(&app, "evidence_health=ok").await.len(), 2);
    problem(
        app.get("/api/v1/suppliers?evidence_summary=green").await,
        400,
    )
    .await;

    // A withdrawn record says when it ended, not when it must reaffirm.
    let res = app.withdraw(&b, "Leaving the market").await;
    assert_eq!(res.status(), 200);
    let (_, page) = html(&app, &format!("/suppliers/{}", b.slug)).await;
    assert!(!page.contains("reaffirm by"), "withdrawn: no reaffirm date");
    assert!(page.contains(&format!("<dt>Withdrawn on</dt><dd>{today}</dd>")));
}

#[tokio::test]
async fn the_list_shows_checked_signatories_counts_them_and_pages_both_ways() {
    let app = TestApp::spawn().await;
    let mut active = Vec::new();
    for i in 0..27 {
        active.push(
            app.active_supplier(&format!("Signatory {i:02} Ltd"))
                .await
                .slug,
        );
    }
    active.sort();
    let pending = app.register("Awaiting Checks Ltd").await;
    assert_eq!(app.sign(&pending).await.status(), 201);
    let res = app
        .post(
            "/api/v1/registrations",
            None,
            json!({"name": "Medicines Round Ltd", "website": "https://example.org",
                   "description": "Medication records.", "products": ["eMAR medication records"],
                   "contact_name": "Jo", "contact_email": "jo@example.org"}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let (_, first) = html(&app, "/").await;
    assert!(
        first.contains("27 suppliers: showing 1 to 25, page 1 of 2."),
        "count"
    );
    assert_eq!(listed(&first), active[..25]);
    assert!(first.contains("rel=\"next\"") && !first.contains("rel=\"prev\""));
    let next = &first[first.find("href=\"/?").unwrap() + 6..];
    let next = next[..next.find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let (_, second) = html(&app, &next).await;
    assert!(
        second.contains("showing 26 to 27, page 2 of 2."),
        "{next}: {second}"
    );
    assert_eq!(listed(&second), active[25..]);
    assert!(second.contains("rel=\"prev\"") && !second.contains("rel=\"next\""));
    let (_, beyond) = html(&app, "/?page=9").await;
    assert_eq!(listed(&beyond), active[25..], "past the end: the last page");

    // Registrations the registry has not checked: only on request, and labelled.
    assert!(!first.contains("Awaiting Checks"));
    let (_, all) = html(&app, "/?unverified=1&q=awaiting").await;
    assert_eq!(listed(&all), [pending.slug.as_str()]);
    assert!(all.contains("Not yet checked by the registry"));
    let (_, asked) = html(&app, "/?status=pending").await;
    assert_eq!(
        listed(&asked),
        [pending.slug.as_str()],
        "asking for the status shows it"
    );

    // Search by product, on the pages and in the API.
    let (_, found) = html(&app, "/?q=emar&unverified=1").await;
    assert_eq!(listed(&found), ["medicines-round-ltd"]);
    assert_eq!(api_listed(&app, "q=EMAR").await, ["medicines-round-ltd"]);
    let (_, none) = html(&app, "/?q=emar").await;
    assert!(
        none.contains("No signatory matches")
            && none.contains("a registration the registry has not checked yet matches"),
        "unsigned: not a signatory, and said to match: {none}"
    );
}

#[tokio::test]
async fn a_concern_is_recorded_for_the_operator_without_an_account() {
    let mailbox = Mailbox::start();
    let app = TestApp::spawn_with(&[
        ("REGISTRY_SMTP_URL", &mailbox.url()),
        ("REGISTRY_MAIL_INTERVAL", "50ms"),
        ("REGISTRY_OPERATOR_EMAIL", "Operator@Registry.example"),
        ("REGISTRY_RATE_LIMIT_CONCERNS", "3/h"),
    ])
    .await;
    let s = app.active_supplier("Doubtful Claims Ltd").await;
    let (status, form) = html(&app, &format!("/concerns?supplier={}", s.slug)).await;
    assert_eq!(status, 200);
    assert!(form.contains("Raise a concern about Doubtful Claims Ltd"));
    let post = |fields: Vec<(&'static str, String)>| {
        let req = app.req(Method::POST, "/concerns", None).form(&fields);
        async move { req.send().await.unwrap() }
    };
    let res = post(vec![
        ("supplier", s.slug.clone()),
        ("details", "bad".into()),
    ])
    .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("href=\"#details\">What is wrong</a>"),
        "{page}"
    );
    assert!(page.contains(">bad</textarea>"), "what was typed is kept");

    let details = "Their AI policy link leads to a page about cookies.";
    let res = post(vec![
        ("supplier", s.slug.clone()),
        ("details", details.into()),
        ("email", "care.manager@sunnyside.example".into()),
    ])
    .await;
    // Posted, then sent on: a reload of what the person sees sends nothing again.
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        to.starts_with("/concerns/received?reference=C-")
            && to.contains("answer=yes")
            && to.contains(&format!("supplier={}", s.slug)),
        "{to}"
    );
    let reference = to
        .split("reference=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        let (status, page) = html(&app, &to).await;
        assert_eq!(status, 200);
        assert!(
            page.contains("What happens next") && page.contains(&reference),
            "{page}"
        );
        assert!(!page.contains("sunnyside"), "the address is in no page");
    }
    let ack = mailbox
        .wait_for("the acknowledgement", |m| m.kind() == "concern_received")
        .await;
    assert!(ack.to().contains("care.manager@sunnyside.example"));
    assert!(ack.text.contains(&reference), "{}", ack.text);
    assert_eq!(ack.header("Reply-To"), Some("operator@registry.example"));

    let listed = app
        .get_json_as("/api/v1/admin/concerns", &app.admin_token)
        .await;
    assert_eq!(listed["open"], 1);
    let concern = &listed["items"][0];
    assert_eq!(concern["supplier_id"], s.id.as_str());
    assert_eq!(concern["about"], "Doubtful Claims Ltd");
    assert_eq!(concern["details"], details);
    assert_eq!(concern["email"], "care.manager@sunnyside.example");
    let mail = mailbox
        .wait_for("the operator's copy", |m| m.kind() == "concern_raised")
        .await;
    assert!(mail.to().contains("operator@registry.example"));
    assert!(mail.text.contains(details));
    // The operator's copy names the concern and how to close it, and a reply to it
    // reaches the person who raised it.
    let id = concern["id"].as_str().unwrap();
    assert!(
        mail.text
            .contains(&format!("/api/v1/admin/concerns/{id}/close")),
        "{}",
        mail.text
    );
    assert!(
        !mail.text.contains("{id}"),
        "no placeholder left: {}",
        mail.text
    );
    assert_eq!(
        mail.header("Reply-To"),
        Some("care.manager@sunnyside.example")
    );

    // Not public: nothing in the change feed, and the log keeps only that it happened.
    let feed = app.get_json("/api/v1/changes?since=0").await;
    assert!(!feed.to_string().contains("cookies"));
    let log = app
        .get_json_as("/api/v1/admin/audit?limit=200", &app.admin_token)
        .await;
    let raised: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "concern.raised")
        .collect();
    assert_eq!(raised.len(), 1);
    assert!(!log.to_string().contains("cookies") && !log.to_string().contains("sunnyside"));
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("registry_concerns_open 1"), "{metrics}");

    let path = format!(
        "/api/v1/admin/concerns/{}/close",
        concern["id"].as_str().unwrap()
    );
    let close = || {
        app.admin_post(
            &path,
            Some(json!({"outcome": "The supplier fixed the link."})),
        )
    };
    let res = close().await;
    assert_eq!(res.status(), 200);
    let closed: Value = res.json().await.unwrap();
    assert_eq!(closed["outcome"], "The supplier fixed the link.");
    let told = mailbox
        .wait_for("the outcome, to who raised it", |m| {
            m.kind() == "concern_closed"
        })
        .await;
    assert!(told.to().contains("care.manager@sunnyside.example"));
    assert!(
        told.text.contains("The supplier fixed the link.") && told.text.contains(&reference),
        "{}",
        told.text
    );
    problem(close().await, 409).await;
    let open = app
        .get_json_as("/api/v1/admin/concerns", &app.admin_token)
        .await;
    assert_eq!(
        (
            open["open"].clone(),
            open["items"].as_array().unwrap().len()
        ),
        (json!(0), 0)
    );
    let all = app
        .get_json_as("/api/v1/admin/concerns?state=all", &app.admin_token)
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);

    // Without a supplier named, the person says who; then the client's limit.
    let res = post(vec![("about", String::new()), ("details", details.into())]).await;
    assert_eq!(res.status(), 422);
    let res = post(vec![
        ("about", "Someone".into()),
        ("details", details.into()),
    ])
    .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}
