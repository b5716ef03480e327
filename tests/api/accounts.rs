//! Accounts: signing in by email through a real SMTP server, members, owners' tokens.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, app_with_mail, fields, problem, registration};
use crate::mailbox::Mailbox;

/// Registers a supplier whose contact is `email`; returns (id, registration token).
pub(crate) async fn register(app: &TestApp, name: &str, email: &str) -> (String, String) {
    let mut body = registration(name);
    body["contact_email"] = json!(email);
    let res = app.post("/api/v1/registrations", None, body).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    (
        body["supplier"]["id"].as_str().unwrap().to_owned(),
        body["token"]["token"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn confirm(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/v1/sign-in/confirm", None, json!({ "token": token }))
        .await
}

/// Signs `email` in through the mailbox: asks for a link, waits for it, uses it.
pub(crate) async fn sign_in(app: &TestApp, mailbox: &Mailbox, email: &str) -> String {
    sign_in_to(app, mailbox, email, None).await
}

/// Signs `email` in to `supplier` (accepting its invitation if it is one).
pub(crate) async fn sign_in_to(
    app: &TestApp,
    mailbox: &Mailbox,
    email: &str,
    supplier: Option<&str>,
) -> String {
    let before = mailbox.count(email, "sign_in");
    let res = app
        .post("/api/v1/sign-in", None, json!({ "email": email }))
        .await;
    assert_eq!(res.status(), 202);
    mailbox
        .wait_for("a sign-in link", |m| {
            m.to().contains(email) && m.kind() == "sign_in"
        })
        .await;
    let links: Vec<_> = mailbox
        .all()
        .into_iter()
        .filter(|m| m.to().contains(email) && m.kind() == "sign_in")
        .collect();
    assert!(links.len() > before);
    let mut body = json!({ "token": links.last().unwrap().link_token() });
    if let Some(s) = supplier {
        body["supplier_id"] = json!(s);
    }
    let res = app.post("/api/v1/sign-in/confirm", None, body).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["token"]["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_contact_confirms_by_email_and_signs_in_again_with_a_link_that_works_once() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let email = "office.manager@oakleaf.example";
    let (id, _) = register(&app, "Oakleaf Care Tech", "Office.Manager@Oakleaf.example").await;

    let welcome = mailbox
        .wait_for("the confirmation", |m| m.kind() == "confirm_address")
        .await;
    assert!(welcome.to().contains(email), "{:?}", welcome.headers);
    assert!(
        welcome.header("List-Unsubscribe").is_none(),
        "security mail has no unsubscribe"
    );
    assert!(welcome.text.contains("Oakleaf Care Tech"));
    let link = welcome.link_token();
    // The link was stored only as a hash, and the sent message's body is not kept.
    {
        use diesel::prelude::*;
        use pledge_registry::db::schema::{outbox, sign_in_links};
        let mut conn = app.pool.get().unwrap();
        let hashes: Vec<String> = sign_in_links::table
            .select(sign_in_links::secret_hash)
            .load(&mut *conn)
            .unwrap();
        assert!(!hashes.iter().any(|h| h.contains(&link)) && !hashes.is_empty());
        // Arrived first, then recorded as sent: wait for the record.
        let started = std::time::Instant::now();
        while outbox::table
            .filter(outbox::sent_at.is_null())
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap()
            > 0
        {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "recorded as sent"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let bodies: Vec<String> = outbox::table
            .select(outbox::body_text)
            .load(&mut *conn)
            .unwrap();
        assert!(!bodies.iter().any(|b| b.contains(&link)), "{bodies:?}");
    }

    let res = confirm(&app, &link).await;
    assert_eq!(res.status(), 200);
    let session: Value = res.json().await.unwrap();
    assert_eq!(session["member"]["email"], email);
    assert_eq!(session["member"]["role"], "owner");
    assert_eq!(session["member"]["confirmed"], true);
    let token = session["token"]["token"].as_str().unwrap().to_owned();

    // Used once: never again.
    let again = problem(confirm(&app, &link).await, 401).await;
    assert!(again["detail"].as_str().unwrap().contains("used already"));

    // The session works on the member's own record, private fields included.
    let members = app
        .get_json_as(&format!("/api/v1/suppliers/{id}/members"), &token)
        .await;
    assert_eq!(members["items"].as_array().unwrap().len(), 1);

    // Signing in again later, by a new link.
    let second = sign_in(&app, &mailbox, email).await;
    assert_ne!(second, token);
}

#[tokio::test]
async fn asking_for_a_link_says_nothing_about_the_address_and_never_locks_it_out() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let (known_id, _) = register(&app, "Known Ltd", "known@known.example").await;
    let ask = |email: &'static str| {
        let app = &app;
        async move {
            let res = app
                .post("/api/v1/sign-in", None, json!({ "email": email }))
                .await;
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let unknown = ask("stranger@elsewhere.example").await;
    let known = ask("known@known.example").await;
    assert_eq!(unknown, known);
    assert_eq!(known.0, 202);
    mailbox
        .wait_for("the known address's link", |m| {
            m.to().contains("known@known.example") && m.kind() == "sign_in"
        })
        .await;
    {
        use diesel::prelude::*;
        use pledge_registry::db::schema::outbox;
        let mut conn = app.pool.get().unwrap();
        let to_stranger: i64 = outbox::table
            .filter(outbox::recipient.eq("stranger@elsewhere.example"))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(to_stranger, 0);
    }
    // Anyone may ask in a member's name as often as they like: never refused (no
    // lockout), the same for both, and past three links an hour nothing more is sent
    // while one waits unused in the inbox.
    for email in ["stranger@elsewhere.example", "known@known.example"] {
        for _ in 0..8 {
            let answer = ask(email).await;
            assert_eq!(answer, known, "{email}");
        }
    }
    let sent = || mailbox.count("known@known.example", "sign_in");
    mailbox.wait_for("three links", |_| sent() == 3).await;
    // The member signs in with one of them, as if they had asked (naming the
    // supplier: the registration's own link went unused, so this accepts it).
    let link = mailbox
        .all()
        .into_iter()
        .rfind(|m| m.to().contains("known@known.example") && m.kind() == "sign_in")
        .unwrap();
    let res = app
        .post(
            "/api/v1/sign-in/confirm",
            None,
            json!({ "token": link.link_token(), "supplier_id": known_id }),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Once no link is waiting (used or expired), asking sends a new one at once.
    {
        use diesel::prelude::*;
        use pledge_registry::db::schema::sign_in_links::dsl as l;
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
        diesel::update(l::sign_in_links.filter(l::email.eq("known@known.example")))
            .set(l::expires_at.eq(past))
            .execute(&mut *app.pool.get().unwrap())
            .unwrap();
    }
    assert_eq!(ask("known@known.example").await.0, 202);
    mailbox.wait_for("a fourth link", |_| sent() == 4).await;
    let fresh = mailbox
        .all()
        .into_iter()
        .rfind(|m| m.to().contains("known@known.example") && m.kind() == "sign_in")
        .unwrap();
    assert_eq!(confirm(&app, &fresh.link_token()).await.status(), 200);
    // Not an address at all: 422 naming the field.
    let res = app
        .post("/api/v1/sign-in", None, json!({ "email": "nobody" }))
        .await;
    assert_eq!(fields(&problem(res, 422).await), ["email"]);
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    register(&app, "Late Ltd", "late@late.example").await;
    let m = mailbox
        .wait_for("the confirmation", |m| m.kind() == "confirm_address")
        .await;
    {
        use diesel::prelude::*;
        use pledge_registry::db::schema::sign_in_links;
        let mut conn = app.pool.get().unwrap();
        diesel::update(sign_in_links::table)
            .set(sign_in_links::expires_at.eq(chrono::Utc::now().naive_utc()))
            .execute(&mut *conn)
            .unwrap();
    }
    problem(confirm(&app, &m.link_token()).await, 401).await;
}

#[tokio::test]
async fn owners_manage_members_and_tokens_and_editors_cannot() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let (id, registration_token) = register(&app, "Teamwork Ltd", "owner@teamwork.example").await;
    let owner = sign_in_to(&app, &mailbox, "owner@teamwork.example", Some(&id)).await;
    let path = |p: &str| format!("/api/v1/suppliers/{id}{p}");

    // The owner adds an editor, who is told and signs in.
    let res = app
        .post(
            &path("/members"),
            Some(&owner),
            json!({"email": "editor@teamwork.example", "name": "Eddie Tor", "role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let editor_member: Value = res.json().await.unwrap();
    assert_eq!(
        editor_member["confirmed"], false,
        "invited, not a member yet"
    );
    let invitation = mailbox
        .wait_for("the invitation", |m| {
            m.to().contains("editor@teamwork.example") && m.kind() == "invited"
        })
        .await;
    // The invitation's link accepts it.
    let res = confirm(&app, &invitation.link_token()).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["member"]["confirmed"], true);
    let editor = body["token"]["token"].as_str().unwrap().to_owned();
    let again = app
        .post(
            &path("/members"),
            Some(&owner),
            json!({"email": "EDITOR@teamwork.example", "name": "Eddie", "role": "editor"}),
        )
        .await;
    problem(again, 409).await;

    // An editor edits the record but manages neither members nor tokens.
    let res = app
        .send(
            Method::PATCH,
            &path(""),
            Some(&editor),
            Some(json!({"description": "Edited by an editor."})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post(
            &path("/tokens"),
            Some(&editor),
            json!({"name": "x", "scope": "read", "expires_in_days": 30}),
        )
        .await;
    let refused = problem(res, 403).await;
    assert!(refused["detail"].as_str().unwrap().contains("owner"));
    let res = app
        .req(Method::GET, &path("/tokens"), Some(&editor))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // The owner creates a read-only token and a writing one; neither is shown again.
    let create = |scope: &'static str, days: i64| {
        let (app, owner, path) = (&app, owner.clone(), path("/tokens"));
        async move {
            app.post(
                &path,
                Some(&owner),
                json!({"name": format!("{scope} sync"), "scope": scope, "expires_in_days": days}),
            )
            .await
        }
    };
    let too_long = problem(create("read", 731).await, 422).await;
    assert_eq!(fields(&too_long), ["expires_in_days"]);
    let read: Value = create("read", 30).await.json().await.unwrap();
    let write: Value = create("write", 730).await.json().await.unwrap();
    let read_token = read["token"].as_str().unwrap();
    let write_token = write["token"].as_str().unwrap();
    let listed: Value = app.get_json_as(&path("/tokens"), &owner).await;
    let items = listed["items"].as_array().unwrap();
    assert!(!listed.to_string().contains(read_token));
    let names: Vec<&str> = items.iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(
        names.contains(&"read sync")
            && names.contains(&"write sync")
            && names.contains(&"registration"),
        "{names:?}"
    );
    assert!(
        items.iter().all(|t| t["kind"] != "session"),
        "sessions are not listed"
    );

    // Read scope reads private fields and writes nothing; write scope writes.
    let own = app
        .req(Method::GET, &path(""), Some(read_token))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert!(own.json::<Value>().await.unwrap()["contact"].is_object());
    let res = app
        .send(
            Method::PATCH,
            &path(""),
            Some(read_token),
            Some(json!({"description": "Nope."})),
        )
        .await;
    assert!(
        problem(res, 403).await["detail"]
            .as_str()
            .unwrap()
            .contains("only read")
    );
    let res = app
        .send(
            Method::PATCH,
            &path(""),
            Some(write_token),
            Some(json!({"description": "By automation."})),
        )
        .await;
    assert_eq!(res.status(), 200);
    // An API token, whatever its scope, does not manage tokens.
    let res = app
        .req(Method::GET, &path("/tokens"), Some(write_token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Revoked: refused from then on. The registration token can be revoked too.
    let jti = write["jti"].as_str().unwrap();
    let res = app
        .send(
            Method::DELETE,
            &path(&format!("/tokens/{jti}")),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .send(
            Method::PATCH,
            &path(""),
            Some(write_token),
            Some(json!({"description": "Again."})),
        )
        .await;
    assert!(
        problem(res, 401).await["detail"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    let other = app.register("Someone Else Ltd").await;
    let res = app
        .send(
            Method::DELETE,
            &format!("/api/v1/suppliers/{}/tokens/{jti}", other.id),
            Some(&other.token),
            None,
        )
        .await;
    problem(res, 404).await;

    // Removing the editor ends their session at once; the only owner stays.
    let mid = editor_member["id"].as_str().unwrap();
    let res = app
        .send(
            Method::DELETE,
            &path(&format!("/members/{mid}")),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .send(
            Method::PATCH,
            &path(""),
            Some(&editor),
            Some(json!({"description": "Gone."})),
        )
        .await;
    problem(res, 401).await;
    let members: Value = app.get_json_as(&path("/members"), &owner).await;
    let owner_id = members["items"][0]["id"].as_str().unwrap().to_owned();
    let res = app
        .send(
            Method::DELETE,
            &path(&format!("/members/{owner_id}")),
            Some(&registration_token),
            None,
        )
        .await;
    problem(res, 409).await;
    let res = app
        .send(
            Method::PATCH,
            &path(&format!("/members/{owner_id}")),
            Some(&owner),
            Some(json!({"role": "editor"})),
        )
        .await;
    problem(res, 409).await;

    let (actions, _) = app
        .audit_of(&crate::helpers::Supplier {
            id: id.clone(),
            slug: String::new(),
            token: String::new(),
        })
        .await;
    for action in [
        "member.signed_in",
        "member.added",
        "token.created",
        "token.revoked",
        "member.removed",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn the_operator_hands_a_record_to_a_new_owner() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let (id, _) = register(&app, "Handover Ltd", "leaver@handover.example").await;
    let res = app
        .send(
            Method::PUT,
            &format!("/api/v1/admin/suppliers/{id}/owner"),
            Some(&app.admin_token.clone()),
            Some(json!({"email": "successor@handover.example", "name": "Sue Cessor"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let owner: Value = res.json().await.unwrap();
    assert_eq!(owner["role"], "owner");
    mailbox
        .wait_for("the new owner's letter", |m| {
            m.to().contains("successor@handover.example") && m.kind() == "made_owner"
        })
        .await;
    let session = sign_in(&app, &mailbox, "successor@handover.example").await;
    let members: Value = app
        .get_json_as(&format!("/api/v1/suppliers/{id}/members"), &session)
        .await;
    let roles: Vec<(String, String)> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("successor@handover.example".to_owned(), "owner".to_owned()),
            ("leaver@handover.example".to_owned(), "editor".to_owned())
        ]
    );
    let (actions, _) = app
        .audit_of(&crate::helpers::Supplier {
            id,
            slug: String::new(),
            token: String::new(),
        })
        .await;
    assert!(
        actions
            .iter()
            .any(|a| a == "supplier.ownership_transferred"),
        "{actions:?}"
    );
}

/// The signed-in pages: a link from the email, a button, a cookie; forms that need the
/// session's form token; signing out ends the session.
#[tokio::test]
async fn a_member_manages_the_record_in_the_signed_in_pages() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let email = "pages@pages.example";
    let (id, _) = register(&app, "Pages Ltd", email).await;
    let page = app.get("/account").await;
    assert_eq!(page.status(), 303, "not signed in");
    assert_eq!(page.headers()["location"], "/sign-in");

    let res = app
        .http
        .post(app.url("/sign-in"))
        .form(&[("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Check your email"));
    let mail = mailbox
        .wait_for("the link", |m| {
            m.to().contains(email) && m.kind() == "sign_in"
        })
        .await;
    let token = mail.link_token();
    // Following the link shows a button and uses nothing up. The registration's
    // membership was never accepted (its own link went unused), so the button says
    // it accepts it; signing in without choosing comes back to this page.
    let confirm = app.get(&format!("/sign-in/confirm?token={token}")).await;
    assert_eq!(confirm.status(), 200);
    assert_eq!(confirm.headers()["referrer-policy"], "no-referrer");
    assert!(
        confirm
            .text()
            .await
            .unwrap()
            .contains("Accept and sign in to Pages Ltd")
    );
    let res = app
        .http
        .post(app.url("/sign-in/confirm"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/sign-in/confirm?token=")
    );
    let res = app
        .http
        .post(app.url("/sign-in/confirm"))
        .form(&[("token", token.as_str()), ("supplier_id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account");
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    let get = |path: &str| {
        app.http
            .get(app.url(path))
            .header("Cookie", cookie.clone())
            .send()
    };
    let page = get("/account").await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("Pages Ltd") && html.contains("Signed in as pages@pages.example"));
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let post = |path: &str, form: Vec<(&str, &str)>| {
        app.http
            .post(app.url(path))
            .header("Cookie", cookie.clone())
            .form(&form)
            .send()
    };

    // Without the form token (a page of another site): refused, nothing changes.
    let res = post(
        "/account/profile",
        vec![
            ("website", "https://evil.example"),
            ("description", "Hijacked."),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 403);
    assert_ne!(app.supplier(&id).await["description"], "Hijacked.");

    let res = post(
        "/account/profile",
        vec![
            ("csrf", &csrf),
            ("website", "https://pages.example"),
            ("description", "Care planning, edited on the page."),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account?done=profile");
    assert_eq!(
        app.supplier(&id).await["description"],
        "Care planning, edited on the page."
    );

    // A wrong field comes back on the page, named.
    let res = post(
        "/account/evidence",
        vec![
            ("csrf", &csrf),
            ("url", "not a link"),
            ("title", "Policy"),
            ("kind", "policy"),
            ("commitments", "safety"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("url"));
    let res = post(
        "/account/evidence",
        vec![
            ("csrf", &csrf),
            ("url", "https://pages.example/ai-policy"),
            ("title", "AI policy"),
            ("kind", "policy"),
            ("commitments", "safety"),
            ("commitments", "transparency"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let view = app.supplier(&id).await;
    assert_eq!(
        view["evidence"][0]["commitments"],
        json!(["safety", "transparency"])
    );

    let res = post(
        "/account/members",
        vec![
            ("csrf", &csrf),
            ("name", "Pat Page"),
            ("email", "pat@pages.example"),
            ("role", "editor"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    mailbox
        .wait_for("the invitation", |m| {
            m.to().contains("pat@pages.example") && m.kind() == "invited"
        })
        .await;

    // Signing out ends the session everywhere: the cookie no longer opens the page.
    let res = post("/sign-out", vec![("csrf", &csrf)]).await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(get("/account").await.unwrap().status(), 303);
}
