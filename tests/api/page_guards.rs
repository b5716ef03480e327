//! The pages against another site and against floods: no framing, no signing a visitor
//! in from another site, no concern posted from another site, forms bounded like API
//! bodies and never said back at length, and the operator's concern list paged and
//! filtered so that a flood cannot hide a real concern.

use reqwest::Method;
use serde_json::Value;

use crate::accounts::register;
use crate::helpers::TestApp;
use crate::helpers::app_with_mail;
use crate::mailbox::Mailbox;

#[tokio::test]
async fn no_page_can_be_framed_and_the_api_reference_has_a_policy() {
    let app = TestApp::spawn().await;
    for path in ["/", "/sign-in", "/about", "/docs", "/api/v1/pledge"] {
        let res = app.get(path).await;
        assert_eq!(res.headers()["x-frame-options"], "DENY", "{path}");
    }
    let page = app.get("/").await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let docs = app.get("/docs").await;
    let csp = docs.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
}

#[tokio::test]
async fn a_sign_in_link_cannot_be_used_from_another_site() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let (id, _) = register(&app, "Framed Ltd", "owner@framed.example").await;
    let link = mailbox
        .wait_for("the registration link", |m| m.kind() == "confirm_address")
        .await
        .link_token();
    let post = |origin: Option<&'static str>| {
        let mut req = app
            .http
            .post(app.url("/sign-in/confirm"))
            .form(&[("token", link.as_str()), ("supplier_id", id.as_str())]);
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        req.send()
    };
    // An attacker's page posting their own link would sign the visitor in to the
    // attacker's account: refused, and the link is not used up.
    let res = post(Some("https://evil.example")).await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("set-cookie").is_none());
    let res = app
        .http
        .post(app.url("/sign-in/confirm"))
        .header("Referer", "https://evil.example/page")
        .form(&[("token", link.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // From the registry's own page, it works.
    let res = post(Some(Box::leak(app.base.clone().into_boxed_str())))
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account");
}

#[tokio::test]
async fn forms_are_bounded_and_not_said_back_at_length() {
    let app = TestApp::spawn().await;
    let huge = "x".repeat(100 * 1024);
    for (path, field) in [("/concerns", "details"), ("/sign-in", "email")] {
        let res = app
            .http
            .post(app.url(path))
            .form(&[(field, huge.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.len() < 2048, "{path}: {} bytes back", body.len());
    }
    // Under the limit, but longer than the field takes: refused, said back clipped.
    let long = "y".repeat(30 * 1024);
    let res = app
        .http
        .post(app.url("/concerns"))
        .form(&[("about", "Someone"), ("details", long.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.len() < 16 * 1024, "{} bytes back", body.len());
    let res = app
        .http
        .post(app.url("/sign-in"))
        .form(&[("email", long.as_str())])
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    assert!(body.len() < 16 * 1024, "{} bytes back", body.len());
    assert!(!body.contains(&"y".repeat(1024)), "the address is clipped");
    // Nothing was stored.
    let listed = app
        .get_json_as("/api/v1/admin/concerns?state=all", &app.admin_token)
        .await;
    assert_eq!(listed["items"], serde_json::json!([]));
}

#[tokio::test]
async fn concerns_from_another_site_are_refused_and_the_list_is_paged_and_filtered() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Concerning Ltd").await;
    let raise = |fields: Vec<(&'static str, String)>, origin: Option<String>| {
        let mut req = app.req(Method::POST, "/concerns", None).form(&fields);
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        async move { req.send().await.unwrap() }
    };
    let res = raise(
        vec![
            ("about", "Spam".into()),
            ("details", "Posted from another site entirely.".into()),
        ],
        Some("https://evil.example".into()),
    )
    .await;
    assert_eq!(res.status(), 403);
    for i in 0..3 {
        let res = raise(
            vec![
                ("about", format!("Someone {i}")),
                (
                    "details",
                    format!("A concern not about the registry's suppliers, {i}."),
                ),
            ],
            Some(app.base.clone()),
        )
        .await;
        assert_eq!(res.status(), 303);
    }
    let res = raise(
        vec![
            ("supplier", s.slug.clone()),
            ("details", "Their policy link is about cookies.".into()),
        ],
        None,
    )
    .await;
    assert_eq!(res.status(), 303);

    let page = |q: &str| {
        let (app, path) = (&app, format!("/api/v1/admin/concerns?{q}"));
        async move { app.get_json_as(&path, &app.admin_token).await }
    };
    let first = page("limit=2").await;
    assert_eq!(first["open"], 4);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = page(&format!("limit=2&cursor={cursor}")).await;
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert!(second["next_cursor"].is_null());
    let mut seen: Vec<Value> = first["items"].as_array().unwrap().clone();
    seen.extend(second["items"].as_array().unwrap().iter().cloned());
    let mut ids: Vec<&str> = seen.iter().map(|c| c["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "every concern once across the pages");
    let named = page("named=true").await;
    assert_eq!(named["items"].as_array().unwrap().len(), 1);
    assert_eq!(named["items"][0]["supplier_id"], s.id.as_str());
    let by_supplier = page(&format!("supplier_id={}", s.id)).await;
    assert_eq!(by_supplier["items"], named["items"]);
    assert_eq!(
        page("named=false").await["items"].as_array().unwrap().len(),
        3
    );
    let res = app
        .req(
            Method::GET,
            "/api/v1/admin/concerns?cursor=nonsense",
            Some(&app.admin_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
