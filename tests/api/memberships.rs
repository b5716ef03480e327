//! Memberships against a hostile supplier: an invitation is the invitee's to accept
//! (signing in never lands them in a supplier they did not choose), they can decline
//! it, leave, and switch between their suppliers on the pages; invitations are limited
//! and carry no text of the inviter's beyond a short plain name; concurrent demotions
//! never leave a supplier without an owner; tokens and members are bounded.

use chrono::Utc;
use pledge_registry::db::models::members::{self, MemberRow};
use pledge_registry::domain::account::MemberRole;
use pledge_registry::domain::{MemberId, SupplierId};
use reqwest::Method;
use serde_json::{Value, json};

use crate::accounts::register;
use crate::helpers::app_with_mail;
use crate::helpers::{TestApp, problem};
use crate::mailbox::Mailbox;

/// A page session: (cookie, form token, the account page's HTML).
pub(crate) async fn page_session(
    app: &TestApp,
    token: &str,
    supplier: Option<&str>,
) -> (String, String, String) {
    let mut form = vec![("token", token.to_owned())];
    if let Some(s) = supplier {
        form.push(("supplier_id", s.to_owned()));
    }
    let res = app
        .http
        .post(app.url("/sign-in/confirm"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account");
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = account_page(app, &cookie).await;
    let csrf = csrf_in(&html);
    (cookie, csrf, html)
}

pub(crate) async fn account_page(app: &TestApp, cookie: &str) -> String {
    let res = app
        .http
        .get(app.url("/account"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// The link of the newest `kind` mail to `to`, once there are more than `before`.
pub(crate) async fn newest_after(mailbox: &Mailbox, to: &str, kind: &str, before: usize) -> String {
    mailbox
        .wait_for(kind, |_| mailbox.count(to, kind) > before)
        .await;
    mailbox
        .all()
        .into_iter()
        .rfind(|m| m.to().contains(to) && m.kind() == kind)
        .unwrap()
        .link_token()
}

async fn newest_link(mailbox: &Mailbox, to: &str, kind: &str) -> String {
    newest_after(mailbox, to, kind, 0).await
}

#[tokio::test]
async fn an_invitation_is_the_invitees_to_accept_decline_or_leave() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let victim = "jo@honest.example";
    // A squatter registers first and adds the victim's address.
    let (squat, squat_token) = register(&app, "Squatter Ltd", "boss@squat.example").await;
    let res = app
        .post(
            &format!("/api/v1/suppliers/{squat}/members"),
            Some(&squat_token),
            json!({"email": victim, "name": "Jo", "role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // The victim registers their own company and confirms with its link.
    let (honest, _) = register(&app, "Honest Care Ltd", victim).await;
    let registration = newest_link(&mailbox, victim, "confirm_address").await;
    let (_, _, html) = page_session(&app, &registration, None).await;
    assert!(html.contains("<h1>Honest Care Ltd</h1>"), "{html}");

    // Later, a plain sign-in on the pages lands in their own company, never the
    // squatter's, and the squatter's membership stays an unaccepted invitation.
    let before = mailbox.count(victim, "sign_in");
    let res = app
        .http
        .post(app.url("/sign-in"))
        .form(&[("email", victim)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let link = newest_after(&mailbox, victim, "sign_in", before).await;
    let choose = app.get(&format!("/sign-in/confirm?token={link}")).await;
    let choose = choose.text().await.unwrap();
    assert!(choose.contains("Sign in to Honest Care Ltd"), "{choose}");
    assert!(
        choose.contains("Accept and sign in to Squatter Ltd"),
        "{choose}"
    );
    let (cookie, csrf, html) = page_session(&app, &link, None).await;
    assert!(html.contains("<h1>Honest Care Ltd</h1>"), "{html}");
    assert!(
        html.contains("Squatter Ltd invited you as editor"),
        "{html}"
    );
    let squatters = app
        .get_json_as(&format!("/api/v1/suppliers/{squat}/members"), &squat_token)
        .await;
    let jo = squatters["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == victim)
        .unwrap()
        .clone();
    assert_eq!(jo["confirmed"], false);

    // The API does the same: the one accepted membership, never the invitation.
    let before = mailbox.count(victim, "sign_in");
    let res = app
        .post("/api/v1/sign-in", None, json!({"email": victim}))
        .await;
    assert_eq!(res.status(), 202);
    let link = newest_after(&mailbox, victim, "sign_in", before).await;
    let res = app
        .post("/api/v1/sign-in/confirm", None, json!({"token": link}))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["member"]["supplier_id"], honest.as_str());

    // They decline the invitation on the page: it goes.
    let post = |path: String, form: Vec<(&'static str, String)>| {
        app.http
            .post(app.url(&path))
            .header("Cookie", cookie.clone())
            .form(&form)
            .send()
    };
    let res = post(
        format!("/account/suppliers/{squat}/decline"),
        vec![("csrf", csrf.clone())],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let squatters = app
        .get_json_as(&format!("/api/v1/suppliers/{squat}/members"), &squat_token)
        .await;
    assert!(!squatters.to_string().contains(victim), "{squatters}");

    // Invited again, they accept and switch to it on the page, then leave it.
    let res = app
        .post(
            &format!("/api/v1/suppliers/{squat}/members"),
            Some(&squat_token),
            json!({"email": victim, "name": "Jo", "role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = post(
        format!("/account/suppliers/{squat}/switch"),
        vec![("csrf", csrf.clone())],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let switched = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    // The old session ended with the switch.
    let old = app
        .http
        .get(app.url("/account"))
        .header("Cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 303);
    let html = account_page(&app, &switched).await;
    assert!(html.contains("<h1>Squatter Ltd</h1>"), "{html}");
    assert!(html.contains("Switch to Honest Care Ltd"), "{html}");
    let csrf = csrf_in(&html);
    let me = html
        .split("/account/members/")
        .find_map(|rest| rest.strip_suffix_leave())
        .unwrap();
    let res = app
        .http
        .post(app.url(&format!("/account/members/{me}/leave")))
        .header("Cookie", switched.clone())
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    let squatters = app
        .get_json_as(&format!("/api/v1/suppliers/{squat}/members"), &squat_token)
        .await;
    assert!(!squatters.to_string().contains(victim), "{squatters}");
    let (actions, _) = app
        .audit_of(&crate::helpers::Supplier {
            id: squat.clone(),
            slug: String::new(),
            token: String::new(),
        })
        .await;
    for action in [
        "member.added",
        "member.declined",
        "member.accepted",
        "member.removed",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

/// Uses a link sent for one membership through the API: (member id, session token).
async fn use_link(app: &TestApp, link: &str) -> (String, String) {
    let res = app
        .post("/api/v1/sign-in/confirm", None, json!({"token": link}))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    (
        body["member"]["id"].as_str().unwrap().to_owned(),
        body["token"]["token"].as_str().unwrap().to_owned(),
    )
}

/// The form token on a signed-in page.
pub(crate) fn csrf_in(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

trait LeaveLink {
    fn strip_suffix_leave(&self) -> Option<&str>;
}

impl LeaveLink for str {
    /// `<member id>/leave"...` -> the member id.
    fn strip_suffix_leave(&self) -> Option<&str> {
        let (id, rest) = self.split_once('/')?;
        rest.starts_with("leave\"").then_some(id)
    }
}

#[tokio::test]
async fn a_member_leaves_through_the_api_and_the_last_owner_cannot() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let (id, token) = register(&app, "Leavers Ltd", "owner@leavers.example").await;
    let res = app
        .post(
            &format!("/api/v1/suppliers/{id}/members"),
            Some(&token),
            json!({"email": "ed@leavers.example", "name": "Ed", "role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let invitation = newest_link(&mailbox, "ed@leavers.example", "invited").await;
    let (ed, ed_session) = use_link(&app, &invitation).await;
    // An editor may not remove others, but may leave.
    let owner_link = newest_link(&mailbox, "owner@leavers.example", "confirm_address").await;
    let (owner, owner_session) = use_link(&app, &owner_link).await;
    let remove = |who: String, token: String| {
        let app = &app;
        let path = format!("/api/v1/suppliers/{id}/members/{who}");
        async move { app.send(Method::DELETE, &path, Some(&token), None).await }
    };
    problem(remove(owner.clone(), ed_session.clone()).await, 403).await;
    assert_eq!(remove(ed.clone(), ed_session.clone()).await.status(), 204);
    let res = app
        .req(
            Method::GET,
            &format!("/api/v1/suppliers/{id}/members"),
            Some(&ed_session),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the session ended with the membership");
    problem(remove(owner.clone(), owner_session.clone()).await, 409).await;
}

#[tokio::test]
async fn invitations_are_limited_and_carry_no_text_of_the_inviters() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let (id, token) = register(&app, "Cheap pills at pills.example", "boss@spam.example").await;
    for i in 0..20 {
        let res = app
            .post(
                &format!("/api/v1/suppliers/{id}/members"),
                Some(&token),
                json!({"email": format!("target{i}@victims.example"), "name": "Visit www.pills.example", "role": "editor"}),
            )
            .await;
        assert_eq!(res.status(), 201, "invitation {i}");
    }
    let res = app
        .post(
            &format!("/api/v1/suppliers/{id}/members"),
            Some(&token),
            json!({"email": "one-more@victims.example", "name": "One more", "role": "editor"}),
        )
        .await;
    let refused = problem(res, 429).await;
    assert!(refused["detail"].is_string() || refused["title"].is_string());
    let mail = mailbox
        .wait_for("an invitation", |m| {
            m.to().contains("target0@victims.example") && m.kind() == "invited"
        })
        .await;
    assert!(!mail.text.contains("pills"), "{}", mail.text);
    assert!(mail.text.contains("a supplier"), "{}", mail.text);

    // Webhook sign-up: the requester's name reaches the unconfirmed address only when
    // it is a short plain name.
    for (name, shown) in [
        ("Northshire Procurement", true),
        ("Win now at http://evil.example", false),
        ("Line one\nLine two", false),
        ("evil.example", false),
    ] {
        let to = format!("hooks{}@victims.example", name.len());
        let res = app
            .post(
                "/api/v1/webhooks/subscribers",
                None,
                json!({"name": name, "email": to}),
            )
            .await;
        assert_eq!(res.status(), 202);
        let mail = mailbox
            .wait_for("a sign-up link", |m| {
                m.to().contains(&to) && m.kind() == "confirm_subscriber"
            })
            .await;
        assert_eq!(mail.text.contains(name), shown, "{name}: {}", mail.text);
        assert!(!mail.text.contains("evil"), "{}", mail.text);
    }
}

/// A member who accepted, written straight to the database.
fn accepted(app: &TestApp, supplier: &str, email: &str, role: MemberRole) -> MemberId {
    let id = MemberId::new();
    let row = MemberRow {
        id,
        supplier_id: supplier.parse::<SupplierId>().unwrap(),
        email: email.into(),
        name: email.into(),
        role,
        added_by: "test".into(),
        created_at: Utc::now().naive_utc(),
        confirmed_at: Some(Utc::now().naive_utc()),
        reminders_off_at: None,
        unsubscribe_key: uuid::Uuid::new_v4().to_string(),
    };
    members::insert(&mut app.pool.get().unwrap(), &row).unwrap();
    id
}

#[tokio::test]
async fn concurrent_demotions_and_removals_never_leave_a_supplier_without_an_owner() {
    let app = TestApp::spawn().await;
    let s = app.register("Two Owners Ltd").await;
    for round in 0..10 {
        let a = accepted(
            &app,
            &s.id,
            &format!("a{round}@owners.example"),
            MemberRole::Owner,
        );
        let b = accepted(
            &app,
            &s.id,
            &format!("b{round}@owners.example"),
            MemberRole::Owner,
        );
        // The first owner, made at registration, never accepted: it does not count.
        let path = |m: MemberId| format!("/api/v1/suppliers/{}/members/{m}", s.id);
        let (pa, pb) = (path(a), path(b));
        let (ra, rb) = if round % 2 == 0 {
            tokio::join!(
                app.send(
                    Method::PATCH,
                    &pa,
                    Some(&s.token),
                    Some(json!({"role": "editor"}))
                ),
                app.send(
                    Method::PATCH,
                    &pb,
                    Some(&s.token),
                    Some(json!({"role": "editor"}))
                ),
            )
        } else {
            tokio::join!(
                app.send(Method::DELETE, &pa, Some(&s.token), None),
                app.send(Method::DELETE, &pb, Some(&s.token), None),
            )
        };
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        assert!(
            statuses == [200, 409] || statuses == [204, 409],
            "round {round}: {statuses:?}"
        );
        let owners =
            members::accepted_owners(&mut app.pool.get().unwrap(), s.id.parse().unwrap()).unwrap();
        assert_eq!(owners, 1, "round {round}");
        // Back to none accepted for the next round.
        for m in members::of_supplier(&mut app.pool.get().unwrap(), s.id.parse().unwrap()).unwrap()
        {
            if m.confirmed_at.is_some() {
                members::delete(&mut app.pool.get().unwrap(), m.id).unwrap();
            }
        }
    }
}

#[tokio::test]
async fn tokens_and_members_are_bounded() {
    let app = TestApp::spawn().await;
    let s = app.register("Bounded Ltd").await;
    let path = format!("/api/v1/suppliers/{}/tokens", s.id);
    for i in 0..50 {
        let res = app
            .post(
                &path,
                Some(&s.token),
                json!({"name": format!("t{i}"), "scope": "read", "expires_in_days": 30}),
            )
            .await;
        assert_eq!(res.status(), 201, "token {i}");
    }
    let res = app
        .post(
            &path,
            Some(&s.token),
            json!({"name": "one more", "scope": "read", "expires_in_days": 30}),
        )
        .await;
    problem(res, 409).await;
    // Revoking one makes room.
    let listed = app.get_json_as(&path, &s.token).await;
    let jti = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "t0" || t["label"] == "t0")
        .map(|t| t["jti"].as_str().unwrap().to_owned())
        .unwrap();
    let res = app
        .send(
            Method::DELETE,
            &format!("{path}/{jti}"),
            Some(&s.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .post(
            &path,
            Some(&s.token),
            json!({"name": "one more", "scope": "read", "expires_in_days": 30}),
        )
        .await;
    assert_eq!(res.status(), 201);

    // Members (and invitations) stop at 100.
    for i in 0..98 {
        accepted(
            &app,
            &s.id,
            &format!("m{i}@bounded.example"),
            MemberRole::Editor,
        );
    }
    let members_path = format!("/api/v1/suppliers/{}/members", s.id);
    let res = app
        .post(
            &members_path,
            Some(&s.token),
            json!({"email": "last@bounded.example", "name": "Last", "role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), 201, "the hundredth");
    let res = app
        .post(
            &members_path,
            Some(&s.token),
            json!({"email": "over@bounded.example", "name": "Over", "role": "editor"}),
        )
        .await;
    problem(res, 409).await;
    let listed = app.get_json_as(&members_path, &s.token).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 100);
}
