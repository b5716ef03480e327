//! The public log commits to nothing guessable: an outsider holding every leaf tries
//! the guesses that worked against plain hashes (the supplier a concern is about, which
//! member made a change, a member's address, when a member signed in) and confirms
//! none; the operator can still reveal one entry, salt and all, and it checks against
//! its leaf.

use pledge_registry::db::models::audit;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::accounts::{register, sign_in_to};
use crate::helpers::TestApp;
use crate::helpers::app_with_mail;
use crate::mailbox::Mailbox;

fn sha256(text: &str) -> String {
    pledge_registry::domain::text::hex(&Sha256::digest(text.as_bytes()))
}

/// Every leaf's public form, as anyone reads them.
async fn leaves(app: &TestApp) -> Vec<Value> {
    let size = app.get_json("/api/v1/log/head").await["seq"]
        .as_i64()
        .unwrap();
    let mut all = Vec::new();
    for seq in 1..=size {
        all.push(app.get_json(&format!("/api/v1/log/leaves/{seq}")).await);
    }
    all
}

#[tokio::test]
async fn no_guess_about_a_private_fact_is_confirmed_by_the_public_leaves() {
    let mailbox = Mailbox::start();
    let app = app_with_mail(&mailbox, &[]).await;
    let owner_email = "owner@guessable.example";
    let (id, _) = register(&app, "Guessable Ltd", owner_email).await;
    let owner = sign_in_to(&app, &mailbox, owner_email, Some(&id)).await;
    // The owner (a member) makes a public change, and adds an editor.
    let res = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/suppliers/{id}"),
            Some(&owner),
            Some(json!({"description": "Care records for home care, by members."})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post(
            &format!("/api/v1/suppliers/{id}/members"),
            Some(&owner),
            json!({"email": "editor@guessable.example", "name": "Ed", "role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // Someone raises a concern about the supplier.
    let res = app
        .req(reqwest::Method::POST, "/concerns", None)
        .form(&[
            ("supplier", "guessable-ltd"),
            ("details", "Their policy link is about cookies, not AI."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    let log = app
        .get_json_as("/api/v1/admin/audit?limit=200", &app.admin_token)
        .await;
    let entries = log["items"].as_array().unwrap().clone();
    let members = app
        .get_json_as(&format!("/api/v1/suppliers/{id}/members"), &owner)
        .await;
    let mut guesses: Vec<String> = vec![
        "system".into(),
        "public".into(),
        id.clone(),
        format!("supplier:{id}"),
        owner_email.into(),
        "editor@guessable.example".into(),
    ];
    for m in members["items"].as_array().unwrap() {
        let member = m["id"].as_str().unwrap();
        guesses.push(member.into());
        guesses.push(format!("supplier:{id}:member:{member}"));
    }
    for e in &entries {
        guesses.push(e["actor"].as_str().unwrap().to_owned());
        for state in [&e["before"], &e["after"]] {
            if !state.is_null() {
                guesses.push(state.to_string());
            }
        }
    }
    let leaves = leaves(&app).await;
    assert_eq!(leaves.len(), entries.len());
    let text = Value::Array(leaves.clone()).to_string();
    for guess in &guesses {
        assert!(
            !text.contains(&sha256(guess)),
            "the leaves confirm a guess: {guess}"
        );
    }
    for (leaf, entry) in leaves.iter().zip(&entries) {
        let action = entry["action"].as_str().unwrap();
        assert!(leaf.get("actor_sha256").is_none(), "{leaf}");
        if entry["public"].is_null() {
            // A private entry shows that something happened, nothing of what or when.
            let keys: Vec<&String> = leaf.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["entry_hash", "seq"], "{action}: {leaf}");
        } else {
            assert_eq!(leaf["action"], action);
            assert!(!leaf.to_string().contains(owner_email));
        }
        // Without the salt, guessing every private field right still does not give the
        // entry's hash; with it (the operator's reveal), it does.
        let mut guessed = entry.clone();
        let salt = guessed.as_object_mut().unwrap().remove("salt").unwrap();
        assert_eq!(salt.as_str().unwrap().len(), 64);
        let hash = guessed.as_object_mut().unwrap().remove("hash").unwrap();
        assert_eq!(leaf["entry_hash"], hash);
        assert_ne!(
            sha256(&canonical(&guessed)),
            hash.as_str().unwrap(),
            "{action}"
        );
        guessed["salt"] = salt;
        assert_eq!(
            sha256(&canonical(&guessed)),
            hash.as_str().unwrap(),
            "{action}"
        );
    }
    for action in ["concern.raised", "member.signed_in", "member.added"] {
        assert!(entries.iter().any(|e| e["action"] == action), "{action}");
    }
    // The registry's own verification of the whole log still passes.
    let mut conn = app.pool.get().unwrap();
    let (checked, problem) = audit::verify(&mut conn).unwrap();
    assert_eq!(problem, None);
    assert_eq!(checked as usize, entries.len());
}

/// The canonical form of an entry as the operator's audit view shows it: compact JSON,
/// keys sorted, times with microseconds (docs/audit-log.md).
fn canonical(entry: &Value) -> String {
    let mut form = entry.clone();
    let at = chrono::DateTime::parse_from_rfc3339(entry["at"].as_str().unwrap()).unwrap();
    form["at"] = json!(
        at.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    );
    form.to_string()
}
