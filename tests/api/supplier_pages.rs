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
    let post = |form: Vec<(String, String)>, path: &str| {
        app.http
            .post(app.url(path))
            .header("Cookie", cookie.clone())
            .form(&form)
            .send()
    };
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
