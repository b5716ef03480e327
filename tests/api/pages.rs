//! The pages people read: rendered by the real service.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let res = app
        .req(Method::GET, path, None)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{path}"
    );
    (status, res.text().await.unwrap())
}

#[tokio::test]
async fn the_home_page_explains_the_pledge_and_lists_signatories() {
    let app = TestApp::spawn().await;
    let a = app.active_supplier("Homely Care Ltd").await;
    app.register("Unsigned <b>Bold</b> Ltd").await;
    let (status, html) = page(&app, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"en-GB\">"));
    assert!(html.contains("Transparency"), "the commitments are shown");
    assert!(html.contains(&format!("href=\"/suppliers/{}\"", a.slug)));
    assert!(html.contains("status-active\">Active<"));
    assert!(
        !html.contains("Bold"),
        "registrations the registry has not checked are not listed unless asked for"
    );
    let (_, all) = page(&app, "/?unverified=1").await;
    assert!(
        all.contains("Unsigned &#60;b&#62;Bold&#60;/b&#62; Ltd")
            || all.contains("Unsigned &lt;b&gt;Bold&lt;/b&gt; Ltd"),
        "names are escaped"
    );
    assert!(all.contains("Not yet checked by the registry"));
    for field in ["q", "status", "commitment", "evidence", "unverified"] {
        assert!(
            html.contains(&format!("<label for=\"{field}\">")),
            "{field} has a label"
        );
    }
    assert!(!html.contains("<script"), "no JavaScript");
    let (_, found) = page(&app, "/?q=homely&unverified=1").await;
    assert!(found.contains("Homely Care Ltd") && !found.contains("Bold"));
    let (_, none) = page(&app, "/?q=zzzz").await;
    assert!(none.contains("No suppliers match"));
}

#[tokio::test]
async fn odd_and_long_searches_are_handled_gracefully() {
    let app = TestApp::spawn().await;
    app.register("Plain Ltd").await;
    let long = "a".repeat(5000);
    for q in [
        long.as_str(),
        "%27%22%3Cscript%3E",
        "%F0%9F%98%80",
        "100%25",
        "%00",
    ] {
        let (status, html) = page(&app, &format!("/?q={q}")).await;
        assert_eq!(status, 200, "{q}");
        assert!(!html.contains("<script>"), "{q}");
    }
    let (_, html) = page(&app, &format!("/?q={long}")).await;
    assert!(html.contains("only its first 200 characters"));
    let (status, html) = page(
        &app,
        "/?status=sleeping&evidence_health=green&commitment=astrology&cursor=!!",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("status is not one we know")
            && html.contains("commitment is not one we know")
    );
}

#[tokio::test]
async fn the_supplier_page_says_where_it_stands() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Standing Ltd").await;
    let evidence = json!({"url": "https://example.org/policy", "title": "Our AI policy", "kind": "policy", "commitments": ["safety"]});
    app.post(
        &format!("/api/v1/suppliers/{}/evidence", s.id),
        Some(&s.token),
        evidence,
    )
    .await;
    app.lifecycle(
        &s,
        "suspend",
        Some(json!({"reason": "Complaint under review"})),
    )
    .await;
    let (status, html) = page(&app, &format!("/suppliers/{}", s.slug)).await;
    assert_eq!(status, 200);
    for text in [
        "<h1>Standing Ltd</h1>",
        "status-suspended\">Suspended<",
        "Complaint under review",
        "2025-09",
        "<dt>Suspended on</dt>",
        "What Standing Ltd said before it was suspended",
        "<h3>Safety</h3>",
        "What we do for safety",
        "Our AI policy",
        "Not checked yet",
        "Suspended by the registry",
        "Identity verified by the registry",
        &format!("/api/v1/suppliers/{}/attestation", s.slug),
        &format!("/badge/{}.svg", s.slug),
        "&#60;a href=",
    ] {
        assert!(html.contains(text), "missing {text:?}");
    }
}

#[tokio::test]
async fn unknown_pages_get_a_helpful_404() {
    let app = TestApp::spawn().await;
    let (status, html) = page(&app, "/suppliers/no-such-care-ltd").await;
    assert_eq!(status, 404);
    assert!(html.contains("no such care ltd") && html.contains("/?q=no%20such%20care%20ltd"));
    let (status, html) = page(&app, "/nothing/here").await;
    assert_eq!(status, 404);
    assert!(html.contains("Search the signatories"));
    let api = app.get("/api/v1/nothing").await;
    assert_eq!(
        api.headers()["content-type"],
        "application/problem+json",
        "API paths stay problem+json"
    );
}

#[tokio::test]
async fn the_badge_shows_the_status_and_caches_briefly() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Badged Ltd").await;
    let res = app.get(&format!("/badge/{}.svg", s.slug)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let svg = res.text().await.unwrap();
    assert!(svg.contains("<title>Badged Ltd: Tech Pledge active</title>"));
    assert!(svg.contains("Tech Pledge") && svg.contains(">active<"));
    assert!(svg.contains(&format!("/suppliers/{}", s.slug)));
    let again = app
        .req(Method::GET, &format!("/badge/{}.svg", s.slug), None)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    app.lifecycle(&s, "suspend", Some(json!({"reason": "x"})))
        .await;
    let changed = app
        .req(Method::GET, &format!("/badge/{}.svg", s.slug), None)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "a status change makes a new badge");
    assert!(changed.text().await.unwrap().contains(">suspended<"));
    assert_eq!(app.get("/badge/nobody.svg").await.status(), 404);
}

#[tokio::test]
async fn the_pledge_page_shows_every_version_and_what_changed() {
    let app = TestApp::spawn().await;
    let (status, html) = page(&app, "/pledge").await;
    assert_eq!(status, 200);
    let first = app.get_json("/api/v1/pledge").await;
    let v1 = first["version"].as_str().unwrap().to_owned();
    assert!(html.contains(&format!("Version {v1} (current)")), "{html}");
    for c in first["commitments"].as_array().unwrap() {
        assert!(html.contains(c["title"].as_str().unwrap()), "{html}");
    }
    assert!(
        !html.contains("What changed"),
        "one version: nothing to compare"
    );

    // A second version rewords one commitment and adds another.
    let mut commitments = first["commitments"].clone();
    let list = commitments.as_array_mut().unwrap();
    for c in list.iter_mut() {
        c.as_object_mut()
            .unwrap()
            .retain(|k, _| ["code", "title", "description"].contains(&k.as_str()));
    }
    let reworded = list[0]["title"].as_str().unwrap().to_owned();
    list[0]["description"] = json!("Said another way, more plainly than before.");
    list.push(json!({"code": "people_first", "title": "People first", "description": "People come before any tool."}));
    let body = json!({"version": "2099-01", "title": "Tech Pledge", "summary": "Next.",
                      "source_url": "https://example.org/pledge", "published_on": "2099-01-01",
                      "commitments": commitments});
    let res = app
        .admin_post("/api/v1/admin/pledge/versions", Some(body))
        .await;
    assert_eq!(res.status(), 201);

    let (_, html) = page(&app, "/pledge").await;
    assert!(html.contains("Version 2099-01 (current)"), "{html}");
    assert!(html.contains(&format!("Version {v1}</h2>")), "{html}");
    assert!(
        html.contains(&format!("What changed from version {v1}")),
        "{html}"
    );
    assert!(html.contains(&format!("Reworded: {reworded}")), "{html}");
    assert!(html.contains("New commitment: People first"), "{html}");
    assert!(html.find("2099-01").unwrap() < html.find(&format!("Version {v1}<")).unwrap());
}

#[tokio::test]
async fn every_page_says_who_runs_the_registry_with_privacy_and_accessibility() {
    let app =
        TestApp::spawn_with(&[("REGISTRY_OPERATOR_EMAIL", "registry@operator.example")]).await;
    for path in [
        "/",
        "/about",
        "/pledge",
        "/concerns",
        "/sign-in",
        "/privacy",
        "/accessibility",
    ] {
        let (status, html) = page(&app, path).await;
        assert_eq!(status, 200, "{path}");
        for link in ["/about#contact", "/privacy", "/accessibility", "/pledge"] {
            assert!(
                html.contains(&format!("href=\"{link}\"")),
                "{path} links to {link}"
            );
        }
    }
    for path in ["/about", "/privacy", "/accessibility"] {
        let (_, html) = page(&app, path).await;
        assert!(html.contains("mailto:registry@operator.example"), "{path}");
    }
}

#[tokio::test]
async fn a_search_that_only_an_unchecked_registration_matches_says_so() {
    let app = TestApp::spawn().await;
    app.active_supplier("Checked Care Ltd").await;
    app.register("Quietly Registered Ltd").await;
    let (status, html) = page(&app, "/?q=Quietly").await;
    assert_eq!(status, 200);
    assert!(!html.contains("No suppliers match"), "{html}");
    assert!(
        html.contains("a registration the registry has not checked yet matches"),
        "{html}"
    );
    let (_, shown) = page(
        &app,
        "/?q=Quietly&status=&commitment=&evidence=&unverified=1",
    )
    .await;
    assert!(shown.contains("Quietly Registered Ltd"), "{shown}");
    assert!(shown.contains("Not yet checked by the registry"), "{shown}");
    // Nothing at all: the plain answer.
    let (_, none) = page(&app, "/?q=Nobody+At+All").await;
    assert!(none.contains("No suppliers match"), "{none}");
}

#[tokio::test]
async fn a_suspended_record_sets_its_statements_apart_and_the_printout_says_what_it_is() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Paused Care Ltd").await;
    app.add_evidence(&s, "https://example.org/policy").await;
    let (_, active) = page(&app, &format!("/suppliers/{}", s.slug)).await;
    assert!(
        !active.contains("reaffirmed on time"),
        "says only what is true"
    );
    assert!(
        active.contains("What Paused Care Ltd says it does"),
        "{active}"
    );
    assert!(
        active.contains("No evidence link is given for this commitment."),
        "{active}"
    );
    assert!(
        active.contains("1 evidence link supports this commitment."),
        "{active}"
    );
    assert!(active.contains("Looked up on "), "{active}");
    assert!(active.contains("not an accreditation"), "{active}");
    let res = app
        .lifecycle(
            &s,
            "suspend",
            Some(json!({"reason": "Under investigation"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let (_, suspended) = page(&app, &format!("/suppliers/{}", s.slug)).await;
    assert!(
        suspended.contains("What Paused Care Ltd said before it was suspended"),
        "{suspended}"
    );
    assert!(
        suspended.contains("These statements are not in force"),
        "{suspended}"
    );
    assert!(suspended.contains("<dt>Suspended on</dt>"), "{suspended}");
    assert!(!suspended.contains("Must reaffirm by"), "{suspended}");
}

#[tokio::test]
async fn the_default_list_is_of_signatures_in_force_and_counts_the_others_apart() {
    let app = TestApp::spawn().await;
    let a = app.active_supplier("In Force Ltd").await;
    let b = app.active_supplier("Stopped Ltd").await;
    let res = app
        .lifecycle(&b, "suspend", Some(json!({"reason": "Checking"})))
        .await;
    assert_eq!(res.status(), 200);
    let (_, html) = page(&app, "/").await;
    assert!(html.contains(&format!("/suppliers/{}\"", a.slug)), "{html}");
    assert!(
        !html.contains(&format!("href=\"/suppliers/{}\"", b.slug)),
        "a suspended supplier is not among the signatories"
    );
    assert!(html.contains("1 supplier."), "{html}");
    assert!(html.contains("Signed, but not in force"), "{html}");
    assert!(html.contains("Suspended: 1 supplier"), "{html}");
    let (_, suspended) = page(&app, "/?status=suspended").await;
    assert!(suspended.contains(&format!("href=\"/suppliers/{}\"", b.slug)));
    assert!(suspended.contains("Suppliers: suspended"), "{suspended}");

    // A new version: the signatory is marked as on an earlier one.
    assert_eq!(app.publish_version("2099-02").await, 201);
    let (_, html) = page(&app, "/").await;
    let v1 = "2025-09";
    assert!(
        html.contains(&format!("Signed an earlier version ({v1})")),
        "{html}"
    );
    let badge = String::from_utf8(app.get_bytes(&format!("/badge/{}.svg", a.slug)).await).unwrap();
    assert!(
        badge.contains(&format!("active, earlier version {v1}")),
        "{badge}"
    );
}
