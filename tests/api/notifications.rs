//! What the registry tells people, through a real SMTP server: each event's message,
//! and each reminder on its day (the tests move the time the reminder job runs at).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use pledge_registry::db::schema::{outbox, signatures};
use pledge_registry::jobs::{lapse, reminders};
use serde_json::{Value, json};

use crate::fixture::Fixture;
use crate::helpers::{Supplier, TestApp, app_with_mail, registration};
use crate::mailbox::Mailbox;

/// A signed supplier whose contact (its first owner) is `email`; verified if asked.
async fn signed(app: &TestApp, name: &str, email: &str, verify: bool) -> Supplier {
    let mut body = registration(name);
    body["contact_email"] = json!(email);
    let res = app.post("/api/v1/registrations", None, body).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let s = Supplier {
        id: body["supplier"]["id"].as_str().unwrap().to_owned(),
        slug: body["supplier"]["slug"].as_str().unwrap().to_owned(),
        token: body["token"]["token"].as_str().unwrap().to_owned(),
    };
    assert_eq!(app.sign(&s).await.status(), 201);
    if verify {
        let res = app
            .admin_post(&format!("/api/v1/admin/suppliers/{}/verify", s.id), None)
            .await;
        assert_eq!(res.status(), 200);
    }
    s
}

fn reaffirm_by(app: &TestApp, s: &Supplier) -> NaiveDateTime {
    let mut conn = app.pool.get().unwrap();
    signatures::table
        .filter(signatures::supplier_id.eq(&s.id))
        .filter(signatures::withdrawn_at.is_null())
        .select(signatures::reaffirm_by)
        .first(&mut *conn)
        .unwrap()
}

/// Messages of `kind` written to the outbox for `to` (sent or not).
fn written(app: &TestApp, to: &str, kind: &str) -> i64 {
    let mut conn = app.pool.get().unwrap();
    outbox::table
        .filter(outbox::recipient.eq(to))
        .filter(outbox::kind.eq(kind))
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

#[tokio::test]
async fn every_reaffirm_reminder_comes_on_its_day_once_and_then_the_lapse() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[("REGISTRY_REMINDER_INTERVAL", "off")]).await;
    let email = "reminded@remind.example";
    let s = signed(&app, "Remind Me Ltd", email, true).await;
    mailbox
        .wait_for("identity verified", |m| {
            m.to().contains(email) && m.kind() == "verified"
        })
        .await;
    let by = reaffirm_by(&app, &s);
    let instance = app.second_instance().await;
    let db = &instance.database;
    let kind = "reaffirm_reminder";

    // Time as the tests move it: 61 days before, nothing; each step once, however
    // often the job runs; a day between steps adds nothing.
    let at = |days: i64| by - Duration::days(days) + Duration::hours(1);
    reminders::run_once(db, at(62)).await.unwrap();
    assert_eq!(written(&app, email, kind), 0);
    for (day, expected) in [(60, 1), (59, 1), (45, 1), (30, 2), (29, 2), (7, 3), (3, 3)] {
        reminders::run_once(db, at(day)).await.unwrap();
        reminders::run_once(db, at(day)).await.unwrap();
        assert_eq!(written(&app, email, kind), expected, "{day} days before");
    }
    let arrived = mailbox
        .wait_for("three reminders", |_| mailbox.count(email, kind) == 3)
        .await;
    assert!(arrived.text.contains("Remind Me Ltd"));
    let reminder = mailbox
        .all()
        .into_iter()
        .find(|m| m.kind() == kind)
        .unwrap();
    let unsubscribe = reminder
        .header("List-Unsubscribe")
        .expect("a reminder can be stopped");
    assert!(
        unsubscribe.starts_with(&format!("<{}/unsubscribe/", app.config.public_url)),
        "{unsubscribe}"
    );
    assert_eq!(
        reminder.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(reminder.text.contains("days from now"));

    // The date passes: the signature lapses and its members are told.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::update(signatures::table.filter(signatures::supplier_id.eq(&s.id)))
            .set(signatures::reaffirm_by.eq(chrono::Utc::now().naive_utc() - Duration::hours(1)))
            .execute(&mut *conn)
            .unwrap();
    }
    assert_eq!(lapse::run_once(db, 12).await.unwrap(), 1);
    let lapsed = mailbox
        .wait_for("the lapse", |m| {
            m.to().contains(email) && m.kind() == "lapsed"
        })
        .await;
    assert!(
        lapsed.header("List-Unsubscribe").is_none(),
        "the lapse is news, not a reminder"
    );
}

#[tokio::test]
async fn letters_that_invite_a_reply_reach_the_operator_and_others_do_not() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(
        &mailbox,
        &[
            ("REGISTRY_REMINDER_INTERVAL", "off"),
            ("REGISTRY_OPERATOR_EMAIL", "operator@registry.example"),
        ],
    )
    .await;
    let email = "replies@replies.example";
    let s = signed(&app, "Replies Ltd", email, true).await;
    let res = app
        .lifecycle(
            &s,
            "suspend",
            Some(json!({"reason": "Checking a complaint"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let suspended = mailbox
        .wait_for("the suspension", |m| {
            m.to().contains(email) && m.kind() == "suspended"
        })
        .await;
    assert_eq!(
        suspended.header("Reply-To"),
        Some("operator@registry.example")
    );
    assert!(
        suspended
            .text
            .contains("it reaches the registry's operator")
    );
    assert!(!suspended.text.contains("{{reply}}"));
    let res = app
        .post("/api/v1/sign-in", None, json!({ "email": email }))
        .await;
    assert_eq!(res.status(), 202);
    let sign_in = mailbox
        .wait_for("the sign-in link", |m| {
            m.to().contains(email) && m.kind() == "sign_in"
        })
        .await;
    assert!(
        sign_in.header("Reply-To").is_none(),
        "a sign-in link invites no reply"
    );
    assert!(!sign_in.text.contains("registry's operator"));
}

#[tokio::test]
async fn a_pending_signature_past_its_date_lapses_too() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[("REGISTRY_REMINDER_INTERVAL", "off")]).await;
    let email = "pending@pending.example";
    let s = signed(&app, "Never Verified Ltd", email, false).await;
    assert_eq!(app.supplier(&s.slug).await["status"], "pending");
    app.backdate_reaffirm_by(&s);
    let instance = app.second_instance().await;
    assert_eq!(lapse::run_once(&instance.database, 12).await.unwrap(), 1);
    // Lapsed by another instance: served here within the bound.
    tokio::time::sleep(pledge_registry::views::cache::BOUND).await;
    assert_eq!(app.supplier(&s.slug).await["status"], "lapsed");
    mailbox
        .wait_for("the lapse", |m| {
            m.to().contains(email) && m.kind() == "lapsed"
        })
        .await;
}

#[tokio::test]
async fn a_member_stops_reminders_with_one_click_and_still_gets_security_mail() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[("REGISTRY_REMINDER_INTERVAL", "off")]).await;
    let email = "busy@busy.example";
    let s = signed(&app, "Busy Ltd", email, true).await;
    let by = reaffirm_by(&app, &s);
    let instance = app.second_instance().await;
    reminders::run_once(&instance.database, by - Duration::days(59))
        .await
        .unwrap();
    let reminder = mailbox
        .wait_for("a reminder", |m| {
            m.to().contains(email) && m.kind() == "reaffirm_reminder"
        })
        .await;
    let link = reminder
        .header("List-Unsubscribe")
        .unwrap()
        .trim_matches(['<', '>'])
        .replace(&app.config.public_url, &app.base);
    // A visit (a mail scanner following the link) changes nothing.
    let page = app.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let asked = page.text().await.unwrap();
    assert!(asked.contains("Stop reminders?"), "{asked}");
    assert!(
        asked.contains("reminders to reaffirm the pledge"),
        "{asked}"
    );
    assert!(asked.contains("Stop all reminders"), "{asked}");
    let members: Value = app
        .get_json_as(&format!("/api/v1/suppliers/{}/members", s.id), &s.token)
        .await;
    assert_eq!(members["items"][0]["reminders"], true);
    // The mail program's one-click request (RFC 8058).
    let res = app
        .http
        .post(&link)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The link stops its own kind of reminder; the others still come.
    let members: Value = app
        .get_json_as(&format!("/api/v1/suppliers/{}/members", s.id), &s.token)
        .await;
    assert_eq!(members["items"][0]["reminders"], true);
    reminders::run_once(&instance.database, by - Duration::days(6))
        .await
        .unwrap();
    assert_eq!(
        written(&app, email, "reaffirm_reminder"),
        1,
        "no reminder after stopping"
    );
    // The page's second button stops them all.
    let res = app
        .http
        .post(&link)
        .form(&[("scope", "all")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("You will get no more reminders")
    );
    let members: Value = app
        .get_json_as(&format!("/api/v1/suppliers/{}/members", s.id), &s.token)
        .await;
    assert_eq!(members["items"][0]["reminders"], false);
    // Security mail still comes.
    let res = app
        .post("/api/v1/sign-in", None, json!({ "email": email }))
        .await;
    assert_eq!(res.status(), 202);
    mailbox
        .wait_for("the sign-in link", |m| {
            m.to().contains(email) && m.kind() == "sign_in"
        })
        .await;
    // A wrong key is refused and changes nothing.
    let wrong = link.replace("key=", "key=0");
    assert_eq!(app.http.post(&wrong).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn suspension_reinstatement_a_new_version_a_certification_and_a_token_are_told() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[("REGISTRY_REMINDER_INTERVAL", "off")]).await;
    let email = "told@told.example";
    let s = signed(&app, "Told Ltd", email, true).await;
    let withdrawn = signed(&app, "Gone Ltd", "gone@gone.example", true).await;
    assert_eq!(
        app.withdraw(&withdrawn, "We stopped trading")
            .await
            .status(),
        200
    );

    let res = app
        .lifecycle(
            &s,
            "suspend",
            Some(json!({"reason": "Evidence found to be misleading"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let m = mailbox
        .wait_for("the suspension", |m| {
            m.to().contains(email) && m.kind() == "suspended"
        })
        .await;
    assert!(
        m.text.contains("Evidence found to be misleading"),
        "{}",
        m.text
    );
    assert!(m.header("List-Unsubscribe").is_none());
    let res = app
        .lifecycle(
            &s,
            "reinstate",
            Some(json!({"reason": "Corrected on review"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let m = mailbox
        .wait_for("the reinstatement", |m| {
            m.to().contains(email) && m.kind() == "reinstated"
        })
        .await;
    assert!(m.text.contains("Corrected on review"));

    assert_eq!(app.publish_version("2027-01").await, 201);
    mailbox
        .wait_for("the new version", |m| {
            m.to().contains(email) && m.kind() == "new_pledge_version"
        })
        .await;
    assert_eq!(
        written(&app, "gone@gone.example", "new_pledge_version"),
        0,
        "a withdrawn signer is not asked"
    );

    // A certification expiring in 40 days is told about 30 days before.
    let expires = (chrono::Utc::now() + Duration::days(40)).date_naive();
    let res = app
        .post(
            &format!("/api/v1/suppliers/{}/evidence", s.id),
            Some(&s.token),
            json!({"url": "https://certs.example/ce-plus.pdf", "title": "Cyber Essentials Plus",
                   "kind": "certification", "scheme": "cyber_essentials_plus", "reference": "CE-1",
                   "expires_on": expires, "commitments": ["safety"]}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    // An owner's API token that expires in 20 days is told about 14 days before.
    let res = app
        .post(
            &format!("/api/v1/suppliers/{}/tokens", s.id),
            Some(&s.token),
            json!({"name": "CRM sync", "scope": "write", "expires_in_days": 20}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let instance = app.second_instance().await;
    let now = chrono::Utc::now().naive_utc();
    reminders::run_once(&instance.database, now).await.unwrap();
    assert_eq!(written(&app, email, "certification_expiring"), 0);
    assert_eq!(written(&app, email, "token_expiring"), 0);
    reminders::run_once(&instance.database, now + Duration::days(11))
        .await
        .unwrap();
    reminders::run_once(&instance.database, now + Duration::days(12))
        .await
        .unwrap();
    assert_eq!(written(&app, email, "certification_expiring"), 1);
    assert_eq!(written(&app, email, "token_expiring"), 1);
    let m = mailbox
        .wait_for("the certification reminder", |m| {
            m.kind() == "certification_expiring"
        })
        .await;
    assert!(m.text.contains("Cyber Essentials Plus"));
    let m = mailbox
        .wait_for("the token reminder", |m| m.kind() == "token_expiring")
        .await;
    assert!(m.text.contains("CRM sync"));
}

#[tokio::test]
async fn a_link_that_breaks_and_recovers_is_told_both_times() {
    let fx = Fixture::start().await;
    let mailbox = Mailbox::start();
    let mut extra: Vec<(&str, &str)> = crate::checker::FAST.to_vec();
    extra.extend([
        ("REGISTRY_CHECK_FAILURE_THRESHOLD", "1"),
        ("REGISTRY_CHECK_RETRIES", "0"),
    ]);
    let app = app_with_mail(&mailbox, &extra).await;
    let email = "links@links.example";
    let s = signed(&app, "Links Ltd", email, true).await;
    // The first check fails; the second works.
    app.add_evidence(&s, &fx.url("/flaky/mail/1")).await;
    let check = || async {
        let res = app
            .admin_post(
                "/api/v1/admin/evidence/checks",
                Some(json!({"supplier_id": s.id})),
            )
            .await;
        assert_eq!(res.status(), 200);
    };
    check().await;
    let m = mailbox
        .wait_for("the broken link", |m| {
            m.to().contains(email) && m.kind() == "evidence_broken"
        })
        .await;
    assert!(m.text.contains("/flaky/mail/1"));
    let link_id = app.supplier(&s.id).await["evidence"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        m.text.contains(&format!(
            "{}/account/evidence/{link_id}",
            app.config.public_url
        )),
        "the button opens the link on the account page: {}",
        m.text
    );
    assert!(m.header("List-Unsubscribe").is_none(), "not a reminder");
    check().await;
    mailbox
        .wait_for("the recovery", |m| {
            m.to().contains(email) && m.kind() == "evidence_recovered"
        })
        .await;
}

/// A mail server that is down is tried again, waiting longer each time, and the message
/// arrives once it is back; a message that keeps failing is given up on, and counted.
#[tokio::test]
async fn mail_is_retried_until_the_server_is_back_and_given_up_on_after_its_attempts() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::spawn_with(&[
        ("REGISTRY_SMTP_URL", &url),
        ("REGISTRY_MAIL_INTERVAL", "20ms"),
        ("REGISTRY_MAIL_RETRY", "50ms"),
        ("REGISTRY_MAIL_ATTEMPTS", "30"),
    ])
    .await;
    let email = "patient@retry.example";
    let mut body = registration("Retry Ltd");
    body["contact_email"] = json!(email);
    assert_eq!(
        app.post("/api/v1/registrations", None, body).await.status(),
        201
    );
    let state = || -> (i32, Option<String>, bool) {
        let mut conn = app.pool.get().unwrap();
        let (attempts, error, sent): (i32, Option<String>, Option<NaiveDateTime>) = outbox::table
            .filter(outbox::recipient.eq(email))
            .select((outbox::attempts, outbox::last_error, outbox::sent_at))
            .first(&mut *conn)
            .unwrap();
        (attempts, error, sent.is_some())
    };
    let started = std::time::Instant::now();
    while state().0 < 2 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "attempts are made"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (_, error, sent) = state();
    assert!(!sent && error.is_some_and(|e| !e.is_empty()));
    let mailbox = Mailbox::start_at(port);
    mailbox
        .wait_for("the message, once the server is back", |m| {
            m.to().contains(email)
        })
        .await;
    let started = std::time::Instant::now();
    while !state().2 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "recorded as sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(mailbox.count(email, "confirm_address"), 1);
    drop(mailbox);

    // With the server gone for good, a message is given up on after its attempts.
    let closed = TestApp::spawn_with(&[
        ("REGISTRY_SMTP_URL", &url),
        ("REGISTRY_MAIL_INTERVAL", "20ms"),
        ("REGISTRY_MAIL_RETRY", "10ms"),
        ("REGISTRY_MAIL_ATTEMPTS", "3"),
    ])
    .await;
    let mut body = registration("Unlucky Ltd");
    body["contact_email"] = json!("unlucky@retry.example");
    assert_eq!(
        closed
            .post("/api/v1/registrations", None, body)
            .await
            .status(),
        201
    );
    let given_up = || -> Option<(i32, bool)> {
        let mut conn = closed.pool.get().unwrap();
        outbox::table
            .filter(outbox::recipient.eq("unlucky@retry.example"))
            .filter(outbox::failed_at.is_not_null())
            .select((outbox::attempts, outbox::sent_at.is_not_null()))
            .first(&mut *conn)
            .optional()
            .unwrap()
    };
    let started = std::time::Instant::now();
    let (attempts, sent) = loop {
        if let Some(done) = given_up() {
            break done;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "given up on"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!((attempts, sent), (3, false));
    let metrics = closed.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("registry_mail_given_up 1"), "{metrics}");
}
