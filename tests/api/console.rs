//! The operator's console: operators added on the command line sign in by email and
//! run the registry on the pages, each action audited under their own identity.

use reqwest::Method;
use serde_json::Value;

use crate::cli::cli;
use crate::helpers::{TestApp, app_with_mail};
use crate::mailbox::Mailbox;
use crate::memberships::csrf_in;

const OPERATOR: &str = "sam.ops@registry.example";

/// A signed-in operator on the console: (cookie, form token).
struct Console {
    cookie: String,
    csrf: String,
}

async fn add_operator(app: &TestApp, email: &str, name: &str) {
    let out = cli(app, &["operator", "add", email, "--name", name], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs `email` in to the console with the link it is sent.
async fn sign_in(app: &TestApp, mailbox: &Mailbox, email: &str) -> Console {
    let before = mailbox.count(email, "operator_sign_in");
    let res = app
        .http
        .post(app.url("/operator/sign-in"))
        .form(&[("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    mailbox
        .wait_for("the console link", |_| {
            mailbox.count(email, "operator_sign_in") > before
        })
        .await;
    let link = mailbox
        .all()
        .into_iter()
        .rfind(|m| m.to().contains(email) && m.kind() == "operator_sign_in")
        .unwrap()
        .token_of("/operator/sign-in/confirm");
    // The link opens a page with a button; only the button uses it.
    let button = app
        .get(&format!("/operator/sign-in/confirm?token={link}"))
        .await;
    assert_eq!(button.status(), 200);
    // Another site cannot sign a visitor in to the console with it.
    let forged = app
        .http
        .post(app.url("/operator/sign-in/confirm"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("token", link.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let res = app
        .http
        .post(app.url("/operator/sign-in/confirm"))
        .form(&[("token", link.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/operator");
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("Path=/operator")
            && set.contains("HttpOnly")
            && set.contains("SameSite=Strict")
            && set.contains("Max-Age=28800"),
        "{set}"
    );
    // Used once.
    let again = app
        .http
        .post(app.url("/operator/sign-in/confirm"))
        .form(&[("token", link.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401);
    let cookie = set.split(';').next().unwrap().to_owned();
    let (status, html) = page(app, &cookie, "/operator").await;
    assert_eq!(status, 200, "{html}");
    Console {
        csrf: csrf_in(&html),
        cookie,
    }
}

async fn page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let res = app
        .http
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

impl Console {
    async fn post(&self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut fields: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        fields.extend_from_slice(form);
        app.http
            .post(app.url(path))
            .header("Cookie", &self.cookie)
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    async fn page(&self, app: &TestApp, path: &str) -> String {
        let (status, html) = page(app, &self.cookie, path).await;
        assert_eq!(status, 200, "{path}: {html}");
        html
    }
}

/// The operator's id, as the audit log names them.
fn operator_actor(app: &TestApp, email: &str) -> String {
    let mut conn = app.pool.get().unwrap();
    let row = pledge_registry::db::models::operators::with_email(&mut conn, email)
        .unwrap()
        .expect("the operator");
    format!("admin:operator:{}", row.id)
}

async fn audit(app: &TestApp, action: &str) -> Vec<Value> {
    app.get_json_as(
        &format!("/api/v1/admin/audit?action={action}&order=newest"),
        &app.admin_token,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn an_operator_signs_in_by_email_and_verifies_suspends_and_reinstates_a_supplier() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    // Not signed in: to the sign-in page, for every page of the console.
    for path in ["/operator", "/operator/keys", "/operator/subscribers"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(res.headers()["location"], "/operator/sign-in");
    }
    add_operator(&app, OPERATOR, "Sam Operator").await;
    // An address that is no operator's is answered alike, and sent nothing.
    let res = app
        .http
        .post(app.url("/operator/sign-in"))
        .form(&[("email", "jo@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let c = sign_in(&app, &mailbox, OPERATOR).await;
    assert_eq!(mailbox.count("jo@example.org", "operator_sign_in"), 0);
    let actor = operator_actor(&app, OPERATOR);
    let signed_in = audit(&app, "operator.signed_in").await;
    assert_eq!(signed_in[0]["actor"], actor.as_str());

    // A registration waiting: the queue says what to check.
    let s = app.register("Waiting Care Ltd").await;
    assert_eq!(app.sign(&s).await.status(), 201);
    let html = c.page(&app, "/operator").await;
    assert!(html.contains("Signed in as Sam Operator"), "{html}");
    assert!(html.contains("Registrations to verify (1)"), "{html}");
    assert!(
        html.contains(&format!("/operator/suppliers/{}", s.id)),
        "{html}"
    );
    assert!(
        html.contains("Jo Bloggs &lt;jo@example.org&gt;")
            || html.contains("Jo Bloggs &#60;jo@example.org&#62;"),
        "{html}"
    );
    let record = c.page(&app, &format!("/operator/suppliers/{}", s.id)).await;
    assert!(record.contains("Identity not verified"), "{record}");
    assert!(
        record.contains("jo@example.org"),
        "the private record: {record}"
    );

    // A form without the session's token, or from another site, is refused.
    let path = format!("/operator/suppliers/{}/verify", s.id);
    let res = app
        .http
        .post(app.url(&path))
        .header("Cookie", &c.cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .http
        .post(app.url(&path))
        .header("Cookie", &c.cookie)
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("csrf", c.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.supplier(&s.id).await["status"], "pending");

    let res = c.post(&app, &path, &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("/operator/suppliers/{}?done=verify", s.id)
    );
    let public = app.supplier(&s.id).await;
    assert_eq!(public["status"], "active");
    assert_eq!(public["identity_verified"], true);
    let verified = audit(&app, "signature.verified").await;
    assert_eq!(verified[0]["actor"], actor.as_str(), "{verified:?}");
    // Again: refused with the reason on the page, nothing changed.
    let res = c.post(&app, &path, &[]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("already verified"));

    // Suspending needs a reason; the page names the field.
    let suspend = format!("/operator/suppliers/{}/suspend", s.id);
    let res = c.post(&app, &suspend, &[("reason", "  ")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("reason:"));
    assert_eq!(app.supplier(&s.id).await["status"], "active");
    let res = c
        .post(
            &app,
            &suspend,
            &[("reason", "Evidence under review after a concern.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let public = app.supplier(&s.id).await;
    assert_eq!(public["status"], "suspended");
    // The public history names the operator as the operator, never the person.
    let history = app
        .get_json(&format!("/api/v1/suppliers/{}/history", s.id))
        .await;
    let last = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "operator", "{history}");
    assert!(!history.to_string().contains(OPERATOR));
    let res = c
        .post(
            &app,
            &format!("/operator/suppliers/{}/reinstate", s.id),
            &[("reason", "Evidence mended.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.supplier(&s.id).await["status"], "active");

    // The record's history shows who did what, by name.
    let record = c.page(&app, &format!("/operator/suppliers/{}", s.id)).await;
    assert!(record.contains("Sam Operator (operator)"), "{record}");
    assert!(record.contains("signature suspended"), "{record}");

    // Handing over: the new owner is told.
    let res = c
        .post(
            &app,
            &format!("/operator/suppliers/{}/owner", s.id),
            &[("email", "new.owner@example.org"), ("name", "Ren Owner")],
        )
        .await;
    assert_eq!(res.status(), 303);
    mailbox
        .wait_for("the new owner's letter", |m| {
            m.to().contains("new.owner@example.org")
        })
        .await;

    // Finding it by name.
    let found = c.page(&app, "/operator/suppliers?q=waiting").await;
    assert!(found.contains("Waiting Care Ltd"), "{found}");

    // A supplier's token is no console session.
    let res = app
        .http
        .get(app.url("/operator"))
        .header("Cookie", format!("registry_operator={}", s.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // Nor is an API token of the operator's: the console is for people.
    let res = app
        .http
        .get(app.url("/operator"))
        .header("Cookie", format!("registry_operator={}", app.admin_token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    // Signing out ends the session everywhere.
    let res = c.post(&app, "/operator/sign-out", &[]).await;
    assert_eq!(res.status(), 303);
    let (status, _) = page(&app, &c.cookie, "/operator").await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn removing_an_operator_ends_their_session_and_their_links() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    add_operator(&app, OPERATOR, "Sam Operator").await;
    let c = sign_in(&app, &mailbox, OPERATOR).await;
    let out = cli(&app, &["operator", "remove", OPERATOR], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 session(s) ended"));
    let (status, _) = page(&app, &c.cookie, "/operator").await;
    assert_eq!(status, 303);
    // No more links are sent to them.
    let before = mailbox.all().len();
    let res = app
        .http
        .post(app.url("/operator/sign-in"))
        .form(&[("email", OPERATOR)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let out = cli(&app, &["operator", "list"], &[]).await;
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        listed.contains(OPERATOR) && listed.contains("removed"),
        "{listed}"
    );
    assert_eq!(mailbox.count(OPERATOR, "operator_sign_in"), 1, "{before}");
    // Removing someone who is not an operator says so, and fails.
    let out = cli(&app, &["operator", "remove", "nobody@example.org"], &[]).await;
    assert!(!out.status.success());
    let removed = audit(&app, "operator.removed").await;
    assert_eq!(removed[0]["actor"], "admin:command-line");
    assert!(!removed[0].to_string().contains(OPERATOR), "{removed:?}");
}

#[tokio::test]
async fn a_concern_is_read_answered_and_closed_on_the_console() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(
        &mailbox,
        &[("REGISTRY_OPERATOR_EMAIL", "ops@registry.example")],
    )
    .await;
    let s = app.active_supplier("Doubtful Claims Ltd").await;
    let details = "Their AI policy link leads to a page about cookies.";
    let res = app
        .req(Method::POST, "/concerns", None)
        .form(&[
            ("supplier", s.slug.as_str()),
            ("details", details),
            ("email", "care.manager@sunnyside.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let raised = mailbox
        .wait_for("the operator's copy", |m| m.kind() == "concern_raised")
        .await;
    let listed = app
        .get_json_as("/api/v1/admin/concerns", &app.admin_token)
        .await;
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    // The operator's copy leads to the concern on the console.
    assert!(
        raised.text.contains(&format!("/operator/concerns/{id}")),
        "{}",
        raised.text
    );

    add_operator(&app, OPERATOR, "Sam Operator").await;
    let c = sign_in(&app, &mailbox, OPERATOR).await;
    let queues = c.page(&app, "/operator").await;
    assert!(queues.contains("Open concerns (1)"), "{queues}");
    assert!(
        queues.contains(&format!("/operator/concerns/{id}")),
        "{queues}"
    );
    let html = c.page(&app, &format!("/operator/concerns/{id}")).await;
    assert!(html.contains(details), "{html}");
    assert!(html.contains("care.manager@sunnyside.example"), "{html}");

    let reply = "Thank you. We have asked the supplier to mend the link this week.";
    let res = c
        .post(
            &app,
            &format!("/operator/concerns/{id}/reply"),
            &[("reply", reply)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let letter = mailbox
        .wait_for("the reply", |m| m.kind() == "concern_reply")
        .await;
    assert!(letter.to().contains("care.manager@sunnyside.example"));
    assert!(letter.text.contains(reply), "{}", letter.text);
    let html = c
        .page(&app, &format!("/operator/concerns/{id}?done=reply"))
        .await;
    assert!(
        html.contains(reply) && html.contains("by Sam Operator"),
        "{html}"
    );
    let answered = audit(&app, "concern.answered").await;
    assert_eq!(answered.len(), 1);
    assert!(
        !answered[0].to_string().contains(reply),
        "what was written stays out of the log"
    );

    // An empty close is refused, naming the field.
    let res = c
        .post(
            &app,
            &format!("/operator/concerns/{id}/close"),
            &[("outcome", "")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = c
        .post(
            &app,
            &format!("/operator/concerns/{id}/close"),
            &[("outcome", "The supplier mended the link.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    mailbox
        .wait_for("the outcome", |m| m.kind() == "concern_closed")
        .await;
    let queues = c.page(&app, "/operator").await;
    assert!(queues.contains("Open concerns (0)"), "{queues}");
    // A closed concern takes no more replies.
    let res = c
        .post(
            &app,
            &format!("/operator/concerns/{id}/reply"),
            &[("reply", "More.")],
        )
        .await;
    assert_eq!(res.status(), 409);
    let closed = audit(&app, "concern.closed").await;
    assert_eq!(closed[0]["actor"], operator_actor(&app, OPERATOR).as_str());
}

#[tokio::test]
async fn a_subscriber_is_added_and_switched_off_on_the_console() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    add_operator(&app, OPERATOR, "Sam Operator").await;
    let c = sign_in(&app, &mailbox, OPERATOR).await;
    let res = c
        .post(
            &app,
            "/operator/subscribers",
            &[
                ("name", "Northshire procurement"),
                ("email", "not an address"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = c
        .post(
            &app,
            "/operator/subscribers",
            &[
                ("name", "Northshire procurement"),
                ("email", "tools@northshire.example"),
            ],
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let token = html
        .split("id=\"subscriber-token\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let subscriptions = || async {
        app.req(Method::GET, "/api/v1/webhooks/subscriptions", Some(&token))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(subscriptions().await, 200);
    let list = c.page(&app, "/operator/subscribers").await;
    assert!(
        list.contains("Northshire procurement")
            && list.contains("Switch Northshire procurement off")
    );
    let id = list
        .split("/operator/subscribers/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    // Asked first; nothing happens until the answer is yes.
    let path = format!("/operator/subscribers/{id}/disable");
    let res = c.post(&app, &path, &[]).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Switch this subscriber off?")
    );
    assert_eq!(subscriptions().await, 200, "not switched off yet");
    let res = c.post(&app, &path, &[("confirm", "yes")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(subscriptions().await, 401, "its token ended");
    let res = c.post(&app, &path, &[("confirm", "yes")]).await;
    assert_eq!(res.status(), 409);
    let disabled = audit(&app, "webhook.subscriber_disabled").await;
    assert_eq!(
        disabled[0]["actor"],
        operator_actor(&app, OPERATOR).as_str()
    );
}

#[tokio::test]
async fn the_signing_key_is_replaced_from_the_console_after_a_question() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    add_operator(&app, OPERATOR, "Sam Operator").await;
    let c = sign_in(&app, &mailbox, OPERATOR).await;
    let jwks = app.get_json("/.well-known/jwks.json").await;
    let old = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
    let html = c.page(&app, "/operator/keys").await;
    assert!(html.contains(&old), "{html}");
    let res = c
        .post(&app, "/operator/keys/rotate", &[("why", "routine")])
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Replace the signing key?")
    );
    assert_eq!(
        app.get_json("/.well-known/jwks.json").await,
        jwks,
        "nothing yet"
    );
    let res = c
        .post(
            &app,
            "/operator/keys/rotate",
            &[("why", "routine"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/operator/keys?done=rotate");
    // Routine: this session (signed with the old key) still works.
    let html = c.page(&app, "/operator/keys?done=rotate").await;
    assert!(
        !html.contains(&format!("id=\"current-kid\">{old}<")),
        "{html}"
    );
    assert!(
        html.contains(&old),
        "the old key is listed as retired: {html}"
    );
    let rotated = audit(&app, "key.rotated").await;
    assert_eq!(rotated[0]["actor"], operator_actor(&app, OPERATOR).as_str());
    assert_eq!(rotated[0]["before"]["kid"], old.as_str());
}

#[tokio::test]
async fn a_failing_link_is_queued_and_checked_again_from_the_console() {
    let fx = crate::fixture::Fixture::start().await;
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &crate::check_now::settings()).await;
    let s = app.active_supplier("Flaky Pages Ltd").await;
    let link = app.add_evidence(&s, &fx.url("/flaky/console/1")).await;
    let res = app
        .req(
            Method::POST,
            &format!("/api/v1/suppliers/{}/evidence/{link}/checks", s.id),
            Some(&s.token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    add_operator(&app, OPERATOR, "Sam Operator").await;
    let c = sign_in(&app, &mailbox, OPERATOR).await;
    let queues = c.page(&app, "/operator").await;
    assert!(queues.contains("Evidence links failing (1)"), "{queues}");
    assert!(queues.contains("Flaky Pages Ltd"), "{queues}");

    // Mended since; a minute after its last check the operator checks it again.
    crate::check_now::last_checked_ago(&app, &link, 61);
    let path = format!("/operator/suppliers/{}/check", s.id);
    let res = c.post(&app, &path, &[("evidence_id", &link)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("/operator/suppliers/{}?done=check#evidence", s.id)
    );
    assert_eq!(
        app.supplier(&s.id).await["evidence"][0]["health"]["status"],
        "ok"
    );
    let queues = c.page(&app, "/operator").await;
    assert!(queues.contains("Evidence links failing (0)"), "{queues}");
    // At once again: the page says to wait, and the site is not called.
    let hits = fx.hits("/flaky/console/1");
    let res = c.post(&app, &path, &[("evidence_id", &link)]).await;
    assert_eq!(res.status(), 429);
    assert!(res.text().await.unwrap().contains("try again in"));
    assert_eq!(fx.hits("/flaky/console/1"), hits);
    // A link of another supplier is not this one's to check.
    let other = app.active_supplier("Other Pages Ltd").await;
    let res = c
        .post(
            &app,
            &format!("/operator/suppliers/{}/check", other.id),
            &[("evidence_id", &link)],
        )
        .await;
    assert_eq!(res.status(), 404);
}

/// A console session for a new operator, made as signing in makes one (for tests whose
/// subject is not the sign-in): the cookie and the form token.
pub(crate) async fn session_without_mail(app: &TestApp, email: &str) -> (String, String) {
    use pledge_registry::usecases::accounts::operators;
    let mut conn = app.pool.get().unwrap();
    let at = pledge_registry::db::models::now();
    let (op, _) = operators::add(
        &mut conn,
        "admin:command-line",
        email,
        "Random Operator",
        at,
    )
    .unwrap();
    let token = pledge_registry::auth::tokens::issue(
        &mut conn,
        &app.keys,
        &app.config.public_url,
        pledge_registry::auth::tokens::Grant::console(op.id, operators::CONSOLE_SESSION),
    )
    .unwrap();
    drop(conn);
    let cookie = format!("registry_operator={}", token.token);
    let (status, html) = page(app, &cookie, "/operator").await;
    assert_eq!(status, 200, "{html}");
    (cookie, csrf_in(&html))
}

/// What the console's action on a supplier answered, as the API would have: 200 when
/// done, the refusal's status otherwise.
pub(crate) async fn supplier_action(
    app: &TestApp,
    (cookie, csrf): &(String, String),
    supplier: &str,
    action: &str,
    reason: &str,
) -> reqwest::StatusCode {
    let res = app
        .http
        .post(app.url(&format!("/operator/suppliers/{supplier}/{action}")))
        .header("Cookie", cookie)
        .form(&[("csrf", csrf.as_str()), ("reason", reason)])
        .send()
        .await
        .unwrap();
    match res.status() {
        reqwest::StatusCode::SEE_OTHER => reqwest::StatusCode::OK,
        other => other,
    }
}

/// A database changed under a running registry is noticed within a round of the
/// publishing job, not at the next start: the console's first page says writes are
/// refused and why, and `/metrics` says so for the alert.
#[tokio::test]
async fn the_console_says_when_the_log_refuses_writes_and_why() {
    use diesel::prelude::*;
    use pledge_registry::db::schema::audit_log;
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    add_operator(&app, OPERATOR, "Sam Operator").await;
    let c = sign_in(&app, &mailbox, OPERATOR).await;
    app.active_supplier("Logged Ltd").await;
    // Published first, then seen on the console.
    app.get("/checkpoint").await;
    let html = c.page(&app, "/operator").await;
    assert!(html.contains("The public log"), "{html}");
    assert!(html.contains("no witnesses are set"), "{html}");
    assert!(html.contains(r#"<dd id="log-writes">taken</dd>"#), "{html}");
    assert!(!html.contains("log-refused"), "{html}");
    {
        let mut conn = app.pool.get().unwrap();
        let last = pledge_registry::db::models::audit::last_seq(&mut conn).unwrap() as i64;
        diesel::delete(audit_log::table.filter(audit_log::seq.gt(last - 2)))
            .execute(&mut *conn)
            .unwrap();
    }
    let mut waited = 0;
    let html = loop {
        let html = c.page(&app, "/operator").await;
        if html.contains(r#"id="log-refused""#) {
            break html;
        }
        waited += 1;
        assert!(waited < 300, "the guard never ran: {html}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(html.contains("Writes are refused."), "{html}");
    assert!(html.contains("its Merkle tree holds"), "{html}");
    assert!(
        html.contains(r#"<dd id="log-writes">refused (above)</dd>"#),
        "{html}"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l == "registry_log_writes_refused 1"),
        "{metrics}"
    );
}
