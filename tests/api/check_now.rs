//! Checking one link now: a supplier who has mended a page sees it at once, on the API
//! and on the pages (reached from the broken-link email through sign-in), and nobody
//! can make the registry call a site more than once a minute for a link.

use reqwest::Method;
use serde_json::{Value, json};

use crate::fixture::Fixture;
use crate::helpers::{Supplier, TestApp, app_with_mail, problem, registration};
use crate::mailbox::Mailbox;

/// Checks fail on the first try and are told at once.
pub(crate) fn settings() -> Vec<(&'static str, &'static str)> {
    let mut s: Vec<(&str, &str)> = crate::checker::FAST.to_vec();
    s.extend([
        ("REGISTRY_CHECK_FAILURE_THRESHOLD", "1"),
        ("REGISTRY_CHECK_RETRIES", "0"),
    ]);
    s
}

async fn supplier_of(app: &TestApp, name: &str, email: &str) -> Supplier {
    let mut body = registration(name);
    body["contact_email"] = json!(email);
    let res = app.post("/api/v1/registrations", None, body).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    Supplier {
        id: body["supplier"]["id"].as_str().unwrap().to_owned(),
        slug: body["supplier"]["slug"].as_str().unwrap().to_owned(),
        token: body["token"]["token"].as_str().unwrap().to_owned(),
    }
}

async fn check_now(app: &TestApp, s: &Supplier, link: &str, token: &str) -> reqwest::Response {
    app.req(
        Method::POST,
        &format!("/api/v1/suppliers/{}/evidence/{link}/checks", s.id),
        Some(token),
    )
    .send()
    .await
    .unwrap()
}

/// Time passes: the link's last check moves `secs` seconds into the past.
pub(crate) fn last_checked_ago(app: &TestApp, link: &str, secs: i64) {
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    use pledge_registry::db::schema::evidence;
    let at = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(secs);
    let mut conn = app.pool.get().unwrap();
    let id: pledge_registry::domain::EvidenceId = link.parse().unwrap();
    diesel::update(evidence::table.filter(evidence::id.eq(id)))
        .set(evidence::checked_at.eq(Some(at)))
        .execute(&mut *conn)
        .unwrap();
}

#[tokio::test]
async fn a_link_is_checked_on_request_at_most_once_a_minute() {
    let fx = Fixture::start().await;
    let app = TestApp::spawn_with(&settings()).await;
    let s = supplier_of(&app, "Mended Pages Ltd", "lead@mended.example").await;
    let link = app.add_evidence(&s, &fx.url("/flaky/api/1")).await;

    // Never checked: checked at once, and the answer is the link as it now stands.
    let res = check_now(&app, &s, &link, &s.token).await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["id"], link.as_str());
    assert_eq!(view["health"]["status"], "broken", "{view}");
    assert!(view["health"]["checked_at"].is_string());
    let hits = fx.hits("/flaky/api/1");
    assert!(hits >= 1);

    // At once again: refused with the wait, and the site is not called.
    let res = check_now(&app, &s, &link, &s.token).await;
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let p = problem(res, 429).await;
    assert!(p["detail"].as_str().unwrap().contains("retry in"), "{p}");
    assert_eq!(
        fx.hits("/flaky/api/1"),
        hits,
        "a refused check calls nobody"
    );

    // A minute later (the page was mended meanwhile): checked again, and it works.
    last_checked_ago(&app, &link, 61);
    let res = check_now(&app, &s, &link, &s.token).await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["health"]["status"], "ok", "{view}");
    let public = app.supplier(&s.id).await;
    assert_eq!(public["evidence"][0]["health"]["status"], "ok");

    // The operator may check it too; another supplier may not, nor anyone for a
    // retired link.
    last_checked_ago(&app, &link, 61);
    let res = check_now(&app, &s, &link, &app.admin_token.clone()).await;
    assert_eq!(res.status(), 200);
    let other = supplier_of(&app, "Nosy Ltd", "lead@nosy.example").await;
    last_checked_ago(&app, &link, 61);
    problem(check_now(&app, &s, &link, &other.token).await, 403).await;
    let res = app
        .req(
            Method::DELETE,
            &format!("/api/v1/suppliers/{}/evidence/{link}", s.id),
            Some(&s.token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    problem(check_now(&app, &s, &link, &s.token).await, 404).await;
}

#[tokio::test]
async fn the_broken_link_email_leads_through_sign_in_to_the_link_which_is_checked_again_there() {
    let fx = Fixture::start().await;
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &settings()).await;
    let email = "office@mended-pages.example";
    let s = supplier_of(&app, "Mended Pages Two Ltd", email).await;
    let link = app.add_evidence(&s, &fx.url("/flaky/pages/1")).await;
    assert_eq!(check_now(&app, &s, &link, &s.token).await.status(), 200);
    let letter = mailbox
        .wait_for("the broken link", |m| {
            m.to().contains(email) && m.kind() == "evidence_broken"
        })
        .await;
    let page = format!("/account/evidence/{link}");
    assert!(
        letter
            .text
            .contains(&format!("{}{page}", app.config.public_url))
    );

    // Not signed in: to sign in, and back to the link afterwards.
    let res = app.http.get(app.url(&page)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/sign-in?next={page}"));
    let form = app
        .http
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form.contains(&format!("name=\"next\" value=\"{page}\"")),
        "{form}"
    );
    let before = mailbox.count(email, "sign_in");
    let res = app
        .http
        .post(app.url("/sign-in"))
        .form(&[("email", email), ("next", page.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    mailbox
        .wait_for("the sign-in link", |_| {
            mailbox.count(email, "sign_in") > before
        })
        .await;
    let letter = mailbox
        .all()
        .into_iter()
        .rfind(|m| m.to().contains(email) && m.kind() == "sign_in")
        .unwrap();
    let token = letter.link_token();
    assert!(
        letter.text.contains(&format!("token={token}&next={page}")),
        "the link leads back: {}",
        letter.text
    );
    let confirm = app
        .http
        .get(app.url(&format!("/sign-in/confirm?token={token}&next={page}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(confirm.contains(&format!("name=\"next\" value=\"{page}\"")));
    let res = app
        .http
        .post(app.url("/sign-in/confirm"))
        .form(&[
            ("token", token.as_str()),
            ("supplier_id", s.id.as_str()),
            ("next", page.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], page.as_str());
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let get = |path: String| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            let res = app
                .http
                .get(app.url(&path))
                .header("Cookie", cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.text().await.unwrap()
        }
    };
    let html = get(page.clone()).await;
    assert!(html.contains("Link broken"), "{html}");
    let csrf = crate::memberships::csrf_in(&html);

    // Checked less than a minute ago: the page says when it can be checked again.
    let check = |csrf: String| {
        let cookie = cookie.clone();
        let app = &app;
        let path = format!("{page}/check");
        async move {
            app.http
                .post(app.url(&path))
                .header("Cookie", cookie)
                .form(&[("csrf", csrf)])
                .send()
                .await
                .unwrap()
        }
    };
    let res = check(csrf.clone()).await;
    assert_eq!(res.status(), 429);
    let html = res.text().await.unwrap();
    assert!(html.contains("You can check it again in"), "{html}");

    // A minute on, the mended page is checked and found.
    last_checked_ago(&app, &link, 61);
    let res = check(csrf.clone()).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("{page}?done=checked").as_str()
    );
    let html = get(format!("{page}?done=checked")).await;
    assert!(html.contains("Checked just now."), "{html}");
    assert!(html.contains("Page found"), "{html}");
    mailbox
        .wait_for("the recovery", |m| {
            m.to().contains(email) && m.kind() == "evidence_recovered"
        })
        .await;

    // A form token of another session is refused.
    last_checked_ago(&app, &link, 61);
    assert_eq!(check("forged".into()).await.status(), 403);
}

#[tokio::test]
async fn a_sign_in_link_never_leads_off_the_account_pages() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let email = "lead@elsewhere-not.example";
    let s = supplier_of(&app, "Stays Home Ltd", email).await;
    for next in [
        "https://evil.example/account",
        "//evil.example",
        "/account/../admin",
    ] {
        let form = app
            .http
            .get(app.url(&format!("/sign-in?next={}", urlencode(next))))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!form.contains("name=\"next\""), "{next} is not kept");
        let before = mailbox.count(email, "sign_in");
        let res = app
            .http
            .post(app.url("/sign-in"))
            .form(&[("email", email), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        mailbox
            .wait_for("the sign-in link", |_| {
                mailbox.count(email, "sign_in") > before
            })
            .await;
        let letter = mailbox
            .all()
            .into_iter()
            .rfind(|m| m.to().contains(email) && m.kind() == "sign_in")
            .unwrap();
        assert!(!letter.text.contains("next="), "{}", letter.text);
        let res = app
            .http
            .post(app.url("/sign-in/confirm"))
            .form(&[
                ("token", letter.link_token().as_str()),
                ("supplier_id", s.id.as_str()),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/account", "{next}");
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
