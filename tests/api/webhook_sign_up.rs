//! Procurement tools signing up for webhooks themselves, with an address they confirm
//! through a real SMTP server.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, app_with_mail, fields, problem};
use crate::mailbox::Mailbox;

async fn sign_up(app: &TestApp, name: &str, email: &str) -> reqwest::Response {
    app.post(
        "/api/v1/webhooks/subscribers",
        None,
        json!({"name": name, "email": email}),
    )
    .await
}

/// Signs up and waits for the link; returns its secret.
async fn link_for(app: &TestApp, mailbox: &Mailbox, name: &str, email: &str) -> String {
    let before = mailbox.count(&email.to_lowercase(), "confirm_subscriber");
    assert_eq!(sign_up(app, name, email).await.status(), 202);
    mailbox
        .wait_for("the confirmation link", |_| {
            mailbox.count(&email.to_lowercase(), "confirm_subscriber") > before
        })
        .await;
    mailbox
        .all()
        .into_iter()
        .rev()
        .find(|m| m.to().contains(&email.to_lowercase()) && m.kind() == "confirm_subscriber")
        .unwrap()
        .token_of("/webhooks/confirm")
}

async fn confirm(app: &TestApp, link: &str) -> reqwest::Response {
    app.post(
        "/api/v1/webhooks/subscribers/confirm",
        None,
        json!({ "token": link }),
    )
    .await
}

async fn subscriptions(app: &TestApp, token: &str) -> Vec<Value> {
    app.get_json_as("/api/v1/webhooks/subscriptions", token)
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_tool_signs_up_with_an_address_it_confirms_and_gets_back_in_by_it() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let email = "hooks@northshire.example";
    let link = link_for(
        &app,
        &mailbox,
        "Northshire assurance",
        "Hooks@Northshire.example",
    )
    .await;

    // Nothing exists until the link is used; a sign-in cannot use it up.
    problem(
        app.post("/api/v1/sign-in/confirm", None, json!({ "token": link }))
            .await,
        401,
    )
    .await;
    let res = confirm(&app, &link).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let account: Value = res.json().await.unwrap();
    assert_eq!(account["name"], "Northshire assurance");
    assert_eq!(account["email"], email);
    assert_eq!(account["confirmed"], true);
    assert_eq!(account["token"]["role"], "subscriber");
    let token = account["token"]["token"].as_str().unwrap().to_owned();
    let again = problem(confirm(&app, &link).await, 401).await;
    assert!(again["detail"].as_str().unwrap().contains("used already"));

    // The token manages subscriptions and reaches nothing else.
    let res = app
        .post(
            "/api/v1/webhooks/subscriptions",
            Some(&token),
            json!({"url": "https://hooks.northshire.example/tech-pledge"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let status = |path: &'static str| {
        let req = app.req(Method::GET, path, Some(&token));
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(status("/api/v1/admin/audit").await, 403);

    // The same address signs up again (a lost token): the link gives the same account
    // a new token, on the page the email leads to, and the first token still works.
    let link = link_for(&app, &mailbox, "Another name", email).await;
    let page = app.get(&format!("/webhooks/confirm?token={link}")).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("value=\"{link}\"")), "{html}");
    let form = [("token", link.as_str())];
    let page = app
        .req(Method::POST, "/webhooks/confirm", None)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("A new token for your webhook account"),
        "{html}"
    );
    assert!(html.contains(account["id"].as_str().unwrap()), "{html}");
    let start =
        html.find("id=\"token\" tabindex=\"0\">").unwrap() + "id=\"token\" tabindex=\"0\">".len();
    let second = &html[start..start + html[start..].find('<').unwrap()];
    assert_ne!(second, token);
    let seen = subscriptions(&app, second).await;
    assert_eq!(seen.len(), 1, "the same account: {seen:?}");
    assert_eq!(subscriptions(&app, &token).await.len(), 1);
    let page = app
        .req(Method::POST, "/webhooks/confirm", None)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 401);

    // The log says who signed up and who was given a token again.
    let log = app
        .get_json_as("/api/v1/admin/audit?limit=200", &app.admin_token)
        .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("webhook.subscriber"))
        .collect();
    assert_eq!(
        actions,
        [
            "webhook.subscriber_signed_up",
            "webhook.subscriber_confirmed"
        ]
    );
}

#[tokio::test]
async fn signing_up_answers_alike_never_locks_an_address_out_and_can_be_closed() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    // An address the operator gave an account gets the same answer as a new one.
    let res = app
        .admin_post(
            "/api/v1/admin/subscribers",
            Some(json!({"name": "Known", "email": "known@hooks.example"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let known: Value = sign_up(&app, "Known", "known@hooks.example")
        .await
        .json()
        .await
        .unwrap();
    let fresh: Value = sign_up(&app, "Fresh", "fresh@hooks.example")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(known, fresh);

    let res = sign_up(&app, "", "not an address").await;
    assert_eq!(fields(&problem(res, 422).await), ["name", "email"]);

    // Never refused for the address (nobody can lock it out), but past three links
    // an hour, sign-in links counted with sign-up links, nothing more is sent while
    // one waits unused.
    for _ in 0..4 {
        assert_eq!(
            sign_up(&app, "Fresh", "fresh@hooks.example").await.status(),
            202
        );
    }
    assert_eq!(
        app.post(
            "/api/v1/sign-in",
            None,
            json!({"email": "fresh@hooks.example"}),
        )
        .await
        .status(),
        202
    );
    {
        use diesel::prelude::*;
        use pledge_registry::db::schema::outbox;
        let mut conn = app.pool.get().unwrap();
        let written: i64 = outbox::table
            .filter(outbox::recipient.eq("fresh@hooks.example"))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(written, 3);
    }
    mailbox
        .wait_for("three links", |_| {
            mailbox.count("fresh@hooks.example", "confirm_subscriber") == 3
        })
        .await;

    let closed = app_with_mail(&mailbox, &[("REGISTRY_WEBHOOK_SIGN_UP", "off")]).await;
    let p = problem(sign_up(&closed, "Fresh", "fresh@hooks.example").await, 403).await;
    assert!(p["detail"].as_str().unwrap().contains("operator"));
    problem(confirm(&closed, "anything").await, 403).await;
    assert_eq!(closed.get("/webhooks/confirm?token=x").await.status(), 403);
}
