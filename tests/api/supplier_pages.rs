//! A supplier's journeys on the pages: everything the API lets a supplier do, with a
//! browser's forms and no token of their own.

use serde_json::Value;

use crate::accounts::register;
use crate::helpers::{TestApp, app_with_mail};
use crate::mailbox::Mailbox;
use crate::memberships::{account_page, newest_after, page_session};

/// A registered, signed and verified supplier, and a page session of its first owner:
/// (supplier id, cookie, form token, account page).
async fn signed_in_supplier(
    app: &TestApp,
    mailbox: &Mailbox,
    name: &str,
    email: &str,
) -> (String, String, String, String) {
    let (id, token) = register(app, name, email).await;
    let body = app.signature_body().await;
    let res = app
        .post(
            &format!("/api/v1/suppliers/{id}/signature"),
            Some(&token),
            body,
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .admin_post(&format!("/api/v1/admin/suppliers/{id}/verify"), None)
        .await;
    assert_eq!(res.status(), 200);
    let before = mailbox.count(email, "sign_in");
    let res = app
        .http
        .post(app.url("/sign-in"))
        .form(&[("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let link = newest_after(mailbox, email, "sign_in", before).await;
    let (cookie, csrf, html) = page_session(app, &link, Some(&id)).await;
    (id, cookie, csrf, html)
}

/// Posts a page form with the session's cookie.
async fn send_form(
    app: &TestApp,
    cookie: &str,
    path: String,
    form: Vec<(String, String)>,
) -> reqwest::Result<reqwest::Response> {
    app.http
        .post(app.url(&path))
        .header("Cookie", cookie)
        .form(&form)
        .send()
        .await
}

fn owned(form: Vec<(&str, &str)>) -> Vec<(String, String)> {
    form.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

async fn history(app: &TestApp, id: &str) -> Vec<Value> {
    app.get_json(&format!("/api/v1/suppliers/{id}/history?limit=100"))
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_supplier_corrects_a_statement_and_reaffirms_on_the_account_page() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let (id, cookie, csrf, html) =
        signed_in_supplier(&app, &mailbox, "Pages Ltd", "lead@pages.example").await;
    assert!(html.contains("Reaffirm the pledge"), "{html}");
    assert!(html.contains("Save corrections and reaffirm"), "{html}");
    assert!(!html.contains("name=\"signatory_name\""), "{html}");

    let pledge = app.get_json("/api/v1/pledge").await;
    let codes: Vec<String> = pledge["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect();
    let record = app.supplier(&id).await;
    let stated = |code: &str| {
        record["signature"]["statements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["commitment"] == code)
            .unwrap()["statement"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let post =
        |form: Vec<(String, String)>, path: &str| send_form(&app, &cookie, path.to_owned(), form);
    let statements_form = |first: &str| {
        let mut form = vec![("csrf".to_owned(), csrf.clone())];
        for (i, code) in codes.iter().enumerate() {
            let text = if i == 0 {
                first.to_owned()
            } else {
                stated(code)
            };
            form.push((format!("statement.{code}"), text));
        }
        form
    };

    // A correction too short is refused, and the page keeps what was typed.
    let res = post(statements_form("Too short"), "/account/statements")
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains(">Too short</textarea>"), "{page}");
    assert!(page.contains(&format!("statements.{}", codes[0])), "{page}");
    assert_eq!(app.supplier(&id).await["signature"], record["signature"]);

    // A real correction: saved, reaffirmed, and in the public history with the old text.
    let new = "We explain every AI feature to the people it affects, in plain English.";
    let res = post(statements_form(new), "/account/statements")
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account?done=statements");
    let now = app.supplier(&id).await;
    let shown: Vec<&Value> = now["signature"]["statements"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert!(shown.iter().any(|s| s["statement"] == new));
    assert!(now["signature"]["reaffirmed_at"].is_string());
    let events = history(&app, &id).await;
    let corrected: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "statement_corrected")
        .collect();
    assert_eq!(corrected.len(), 1, "{events:?}");
    assert!(
        corrected[0]["reason"]
            .as_str()
            .unwrap()
            .contains(&stated(&codes[0]))
    );
    let public = app
        .get(&format!("/suppliers/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        public.contains(new),
        "the public page shows the corrected text"
    );

    // The reaffirm button, twice on one day: one reaffirmation in the history.
    for _ in 0..2 {
        let res = post(vec![("csrf".into(), csrf.clone())], "/account/reaffirm")
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/account?done=reaffirmed");
    }
    let reaffirmed = history(&app, &id)
        .await
        .iter()
        .filter(|e| e["event"] == "reaffirmed")
        .count();
    assert_eq!(reaffirmed, 1);
    let page = account_page(&app, &cookie).await;
    assert!(page.contains("must be reaffirmed by"), "{page}");
}

#[tokio::test]
async fn a_supplier_adds_a_certification_with_its_expiry_and_changes_it_on_the_pages() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let (id, cookie, csrf, html) =
        signed_in_supplier(&app, &mailbox, "Certified Ltd", "lead@certified.example").await;
    assert!(!html.contains('`'), "no API wording on the page");
    assert!(html.contains("If it is a certification"), "{html}");
    let post = |form: Vec<(&str, &str)>, path: String| send_form(&app, &cookie, path, owned(form));
    // A date that is no date is refused, naming the field.
    let res = post(
        vec![
            ("csrf", &csrf),
            ("url", "https://example.org/ce"),
            ("title", "Cyber Essentials certificate"),
            ("kind", "certification"),
            ("scheme", "cyber_essentials"),
            ("reference", "CE-12345"),
            ("expires_on", "next spring"),
            ("commitments", "safety"),
        ],
        "/account/evidence".into(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("expires_on"));

    let res = post(
        vec![
            ("csrf", &csrf),
            ("url", "https://example.org/ce"),
            ("title", "Cyber Essentials certificate"),
            ("kind", "certification"),
            ("scheme", "cyber_essentials"),
            ("reference", "CE-12345"),
            ("expires_on", "2099-06-30"),
            ("commitments", "safety"),
        ],
        "/account/evidence".into(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let record = app.supplier(&id).await;
    let link = &record["evidence"][0];
    assert_eq!(link["scheme"], "cyber_essentials");
    assert_eq!(link["reference"], "CE-12345");
    assert_eq!(link["expires_on"], "2099-06-30");
    let link_id = link["id"].as_str().unwrap().to_owned();

    // Its own page, filled in; a change is saved.
    let page = app
        .http
        .get(app.url(&format!("/account/evidence/{link_id}")))
        .header("Cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("value=\"CE-12345\""), "{page}");
    assert!(page.contains("value=\"2099-06-30\""), "{page}");
    assert!(
        page.contains("<option value=\"cyber_essentials\" selected>"),
        "{page}"
    );
    let res = post(
        vec![
            ("csrf", &csrf),
            ("url", "https://example.org/ce"),
            ("title", "Cyber Essentials Plus certificate"),
            ("kind", "certification"),
            ("scheme", "cyber_essentials_plus"),
            ("reference", "CEP-999"),
            ("expires_on", "2100-01-31"),
            ("commitments", "safety"),
        ],
        format!("/account/evidence/{link_id}/edit"),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account?done=edited");
    let link = &app.supplier(&id).await["evidence"][0];
    assert_eq!(link["title"], "Cyber Essentials Plus certificate");
    assert_eq!(link["scheme"], "cyber_essentials_plus");
    assert_eq!(link["expires_on"], "2100-01-31");
    let account = account_page(&app, &cookie).await;
    assert!(
        account.contains(
            "Certification, Cyber Essentials Plus, reference CEP-999, valid until 31 January 2100"
        ),
        "{account}"
    );
    // Another supplier's link, or none, is not found.
    let other = app
        .http
        .get(app.url(&format!("/account/evidence/{}", uuid_like())))
        .header("Cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

fn uuid_like() -> &'static str {
    "5f8b5bbf-8fce-4dc2-9ccb-20b32eb010d4"
}

#[tokio::test]
async fn an_owner_manages_tokens_and_roles_on_the_pages_and_every_removal_asks_first() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let (id, cookie, csrf, _) =
        signed_in_supplier(&app, &mailbox, "Owned Ltd", "owner@owned.example").await;
    let post = |form: Vec<(&str, &str)>, path: String| send_form(&app, &cookie, path, owned(form));
    // A token: its secret shown once, and it works.
    let res = post(
        vec![
            ("csrf", &csrf),
            ("name", "CRM sync"),
            ("scope", "read"),
            ("expires_in_days", "30"),
        ],
        "/account/tokens".into(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    let secret = page
        .split("<pre class=\"snippet\" id=\"token\" tabindex=\"0\">")
        .nth(1)
        .unwrap()
        .split("</pre>")
        .next()
        .unwrap()
        .to_owned();
    let read_members = |token: &str| {
        app.req(
            reqwest::Method::GET,
            &format!("/api/v1/suppliers/{id}/members"),
            Some(token),
        )
        .send()
    };
    let res = read_members(&secret).await.unwrap();
    assert_eq!(res.status(), 200, "the token reads the private record");
    let account = account_page(&app, &cookie).await;
    assert!(account.contains("CRM sync"), "{account}");
    assert!(!account.contains(&secret), "the list never shows a secret");
    let jti = account
        .split("/account/tokens/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();

    // Revoking asks first; only the confirmed form revokes.
    let res = post(
        vec![("csrf", &csrf), ("label", "CRM sync")],
        format!("/account/tokens/{jti}/revoke"),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let ask = res.text().await.unwrap();
    assert!(
        ask.contains("Revoke this API token?") && ask.contains("CRM sync"),
        "{ask}"
    );
    assert!(ask.contains("name=\"confirm\" value=\"yes\""), "{ask}");
    let still = read_members(&secret).await.unwrap();
    assert_eq!(still.status(), 200, "not revoked before it is confirmed");
    // A confirmation with another session's form token is refused.
    let res = post(
        vec![("csrf", "not-the-token"), ("confirm", "yes")],
        format!("/account/tokens/{jti}/revoke"),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 403);
    let res = post(
        vec![("csrf", &csrf), ("confirm", "yes")],
        format!("/account/tokens/{jti}/revoke"),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account?done=revoked");
    let gone = read_members(&secret).await.unwrap();
    assert_eq!(gone.status(), 401);

    // A colleague is invited, made an owner, then an editor again, then removed.
    let res = post(
        vec![
            ("csrf", &csrf),
            ("name", "Kim Lee"),
            ("email", "kim@owned.example"),
            ("role", "editor"),
        ],
        "/account/members".into(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let account = account_page(&app, &cookie).await;
    // The row after Kim's name holds Kim's role form.
    let kim = account
        .split("<td>Kim Lee</td>")
        .nth(1)
        .unwrap()
        .split("/account/members/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let role_of = |html: &str, member: &str| {
        html.split(&format!("id=\"role-{member}\""))
            .nth(1)
            .unwrap()
            .split("</select>")
            .next()
            .unwrap()
            .split(" selected>")
            .next()
            .unwrap()
            .rsplit("value=\"")
            .next()
            .unwrap()
            .trim_end_matches('"')
            .to_owned()
    };
    for role in ["owner", "editor"] {
        let res = post(
            vec![("csrf", &csrf), ("role", role)],
            format!("/account/members/{kim}/role"),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(role_of(&account_page(&app, &cookie).await, &kim), role);
    }
    let res = post(
        vec![("csrf", &csrf), ("label", "Kim Lee")],
        format!("/account/members/{kim}/remove"),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        account_page(&app, &cookie).await.contains("Kim Lee"),
        "asked, not removed"
    );
    let res = post(
        vec![("csrf", &csrf), ("confirm", "yes")],
        format!("/account/members/{kim}/remove"),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    assert!(!account_page(&app, &cookie).await.contains("Kim Lee"));

    // The only owner cannot make themselves an editor.
    let account = account_page(&app, &cookie).await;
    let me = account
        .split("/account/members/")
        .find_map(|rest| rest.split_once("/leave\"").map(|(id, _)| id.to_owned()))
        .unwrap();
    let res = post(
        vec![("csrf", &csrf), ("role", "editor")],
        format!("/account/members/{me}/role"),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 409);
}

#[tokio::test]
async fn a_member_chooses_their_reminders_on_the_account_page_and_turns_them_back_on() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let (_, cookie, csrf, html) =
        signed_in_supplier(&app, &mailbox, "Choosy Ltd", "lead@choosy.example").await;
    let checked = |html: &str, kind: &str| {
        html.split(&format!("id=\"reminder-{kind}\""))
            .nth(1)
            .unwrap()
            .split('>')
            .next()
            .unwrap()
            .contains("checked")
    };
    for kind in [
        "reaffirm_reminder",
        "certification_expiring",
        "new_pledge_version",
    ] {
        assert!(checked(&html, kind), "{kind} on at first");
    }
    let me = html
        .split("/account/members/")
        .find_map(|rest| rest.split_once("/leave\"").map(|(id, _)| id.to_owned()))
        .unwrap();
    let stopped = || {
        let mut conn = app.pool.get().unwrap();
        pledge_registry::db::models::members::reminders_stopped(&mut conn, me.parse().unwrap())
            .unwrap()
    };
    let choose = |on: Vec<&str>| {
        let mut form = vec![("csrf".to_owned(), csrf.clone())];
        form.extend(on.into_iter().map(|k| ("on".to_owned(), k.to_owned())));
        send_form(&app, &cookie, "/account/reminders".into(), form)
    };
    let res = choose(vec!["certification_expiring"]).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account?done=reminders");
    assert_eq!(stopped(), ["new_pledge_version", "reaffirm_reminder"]);
    let html = account_page(&app, &cookie).await;
    assert!(!checked(&html, "reaffirm_reminder"));
    assert!(checked(&html, "certification_expiring"));
    // None at all, then all of them again: the way back on.
    assert_eq!(choose(vec![]).await.unwrap().status(), 303);
    assert_eq!(stopped().len(), 3);
    assert_eq!(
        choose(vec![
            "reaffirm_reminder",
            "certification_expiring",
            "new_pledge_version"
        ])
        .await
        .unwrap()
        .status(),
        303
    );
    assert!(stopped().is_empty());
    let html = account_page(&app, &cookie).await;
    assert!(checked(&html, "reaffirm_reminder"));
}

#[tokio::test]
async fn a_supplier_registers_on_the_pages_checks_its_answers_and_confirms_by_email() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let get = |path: &'static str| app.http.get(app.url(path)).send();
    let start = get("/register").await.unwrap();
    assert_eq!(start.status(), 200);
    let start = start.text().await.unwrap();
    assert!(start.contains("What you need") && start.contains("href=\"/register/details\""));
    let sign_in = get("/sign-in").await.unwrap().text().await.unwrap();
    assert!(
        sign_in.contains("href=\"/register\""),
        "the sign-in page leads to registering"
    );

    let form = |website: &str| {
        vec![
            ("name", "Pages Registered Ltd".to_owned()),
            ("website", website.to_owned()),
            ("company_number", String::new()),
            ("description", "Care planning.".to_owned()),
            ("products", "Care plans\nRota".to_owned()),
            ("contact_name", "Pat Page".to_owned()),
            ("contact_email", "pat@pages-registered.example".to_owned()),
        ]
    };
    // A bad answer: the form again, the field named, nothing stored.
    let res = app
        .http
        .post(app.url("/register/details"))
        .form(&form("not a website"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("href=\"#website\""), "{page}");
    assert!(
        page.contains("value=\"Pages Registered Ltd\""),
        "what was typed is kept"
    );
    // The answers to check; nothing stored yet.
    let res = app
        .http
        .post(app.url("/register/details"))
        .form(&form("https://pages-registered.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let check = res.text().await.unwrap();
    assert!(
        check.contains("Check your answers") && check.contains("Care plans, Rota"),
        "{check}"
    );
    let before = app.get("/api/v1/suppliers/pages-registered-ltd").await;
    assert_eq!(before.status(), 404, "nothing stored before confirming");
    // From another site: refused.
    let res = app
        .http
        .post(app.url("/register"))
        .header("Origin", "https://evil.example")
        .form(&form("https://pages-registered.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Confirmed: recorded, on to what happens next, and the link arrives.
    let res = app
        .http
        .post(app.url("/register"))
        .header("Origin", app.base.clone())
        .form(&form("https://pages-registered.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/register/done");
    let done = get("/register/done").await.unwrap().text().await.unwrap();
    assert!(done.contains("Check your email"), "{done}");
    let mail = mailbox
        .wait_for("the confirmation link", |m| {
            m.to().contains("pat@pages-registered.example") && m.kind() == "confirm_address"
        })
        .await;
    assert!(
        mail.text.contains("/sign-in/confirm?token="),
        "{}",
        mail.text
    );
    let record = app.supplier("pages-registered-ltd").await;
    assert_eq!(record["name"], "Pages Registered Ltd");
    assert_eq!(
        record["products"],
        serde_json::json!(["Care plans", "Rota"])
    );
    assert_eq!(record["status"], "unsigned");
}
