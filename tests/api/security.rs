//! Regressions for what a hostile supplier or outsider tried: each test failed before
//! its fix.

use jsonwebtoken::jwk::JwkSet;
use pledge_registry::tlog::attestation;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};

fn reason(text: &str) -> Option<Value> {
    Some(json!({ "reason": text }))
}

async fn attested(app: &TestApp, slug: &str) -> attestation::AttestationClaims {
    let token = app
        .get(&format!("/api/v1/suppliers/{slug}/attestation"))
        .await
        .text()
        .await
        .unwrap();
    let jwks: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    attestation::verify(&token, &jwks).unwrap()
}

#[tokio::test]
async fn a_suspended_supplier_cannot_lift_its_own_suspension() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Suspended Self Ltd").await;
    let res = app
        .lifecycle(&s, "suspend", reason("Complaint under investigation"))
        .await;
    assert_eq!(res.status(), 200);
    let res = app.withdraw(&s, "Leaving").await;
    assert_eq!(res.status(), 200);
    let res = app.sign(&s).await;
    assert_eq!(res.status(), 201);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["status"], "suspended", "{view}");
    assert_eq!(view["signature"]["status"], "suspended");
    let why = view["signature"]["status_reason"].as_str().unwrap();
    assert!(
        why.contains("Complaint under investigation"),
        "the reason carries over: {why}"
    );
    assert_eq!(attested(&app, &s.slug).await.status.as_str(), "suspended");
    let badge = app
        .get(&format!("/badge/{}.svg", s.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(!badge.to_lowercase().contains(">active<"), "{badge}");

    // Withdrawing and signing again, twice over, changes nothing.
    app.withdraw(&s, "Again").await;
    let view: Value = app.sign(&s).await.json().await.unwrap();
    assert_eq!(view["status"], "suspended");

    // The supplier cannot reinstate itself; the operator can.
    let res = app
        .post(
            &format!("/api/v1/admin/suppliers/{}/reinstate", s.id),
            Some(&s.token),
            json!({"reason": "Me"}),
        )
        .await;
    problem(res, 403).await;
    let res = app
        .lifecycle(&s, "reinstate", reason("Investigation closed"))
        .await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["status"], "active");

    let history = app
        .get_json(&format!("/api/v1/suppliers/{}/history", s.slug))
        .await;
    let events: Vec<(String, String)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_owned(),
                e["to_status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let signed_after_withdrawal: Vec<&(String, String)> = events
        .iter()
        .filter(|(e, _)| e == "signed")
        .skip(1)
        .collect();
    assert!(
        signed_after_withdrawal
            .iter()
            .all(|(_, to)| to == "suspended"),
        "{events:?}"
    );
}

#[tokio::test]
async fn changing_a_verified_identity_ends_the_verification() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Verified Identity Ltd").await;
    let path = format!("/api/v1/suppliers/{}", s.id);
    // Editing what verification does not cover keeps it.
    let res = app
        .send(
            Method::PATCH,
            &path,
            Some(&s.token),
            Some(json!({"description": "Now with more care."})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["identity_verified"], true);
    assert_eq!(view["status"], "active");

    let res = app
        .send(
            Method::PATCH,
            &path,
            Some(&s.token),
            Some(json!({
                "name": "NHS England",
                "company_number": "SC654321",
                "website": "https://impostor.example"
            })),
        )
        .await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["identity_verified"], false, "{view}");
    assert_eq!(view["status"], "pending");
    let claims = attested(&app, &s.slug).await;
    assert!(!claims.identity_verified);
    assert_eq!(claims.status.as_str(), "pending");
    let page = app.page(&s).await;
    assert!(
        page.contains("<dd>Not yet checked by the registry")
            && !page.contains("<dd>Verified by the registry"),
        "the page claims a verification"
    );

    // The public history says so, and why.
    let history = app
        .get_json(&format!("/api/v1/suppliers/{}/history", s.slug))
        .await;
    let ended = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "verification_ended")
        .expect("the history records the end of verification");
    let why = ended["reason"].as_str().unwrap();
    assert!(
        why.contains("NHS England") && why.contains("SC654321"),
        "{why}"
    );
    // The audit log records what the operator had verified.
    let (actions, page) = app.audit_of(&s).await;
    assert!(actions.contains(&"supplier.verification_ended".to_owned()));
    let entry = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "supplier.verified")
        .unwrap();
    assert_eq!(entry["after"]["name"], "Verified Identity Ltd");

    // Verifying again makes it active again.
    let view: Value = app
        .lifecycle(&s, "verify", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "active");
    assert_eq!(view["identity_verified"], true);
}

#[tokio::test]
async fn a_suspended_supplier_changing_identity_returns_to_pending_when_reinstated() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Renamed While Suspended Ltd").await;
    app.lifecycle(&s, "suspend", reason("Checking")).await;
    let res = app
        .patch_profile(&s, json!({"name": "Someone Else Ltd"}))
        .await;
    assert_eq!(res.status(), 200);
    let view: Value = app
        .lifecycle(&s, "reinstate", reason("Done"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "pending");
    assert_eq!(view["identity_verified"], false);
}

/// The claims of a token, read without checking it (the tests forge variants).
fn claims_of(token: &str) -> pledge_registry::auth::tokens::Claims {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn forge(keys: &pledge_registry::auth::Keys, claims: &impl serde::Serialize) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(keys.kid.clone());
    jsonwebtoken::encode(&header, claims, &keys.encoding).unwrap()
}

async fn status_with(app: &TestApp, token: &str) -> u16 {
    app.req(Method::GET, "/api/v1/admin/audit", Some(token))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_token_must_carry_the_claims_it_was_issued_with() {
    let app = TestApp::spawn().await;
    let s = app.register("Claims Ltd").await;
    assert_eq!(status_with(&app, &app.admin_token).await, 200);
    let mine = claims_of(&s.token);
    let now = chrono::Utc::now().timestamp();
    // Each forgery is signed with the registry's own key and names a real token id.
    let mut as_admin = mine.clone();
    as_admin.role = pledge_registry::auth::Role::Admin;
    as_admin.supplier_id = None;
    as_admin.sub = "admin".into();
    let mut longer = claims_of(&app.admin_token);
    longer.exp += 3600 * 24 * 365;
    let mut elsewhere = claims_of(&app.admin_token);
    elsewhere.iss = "https://impostor.example".into();
    let mut early = claims_of(&app.admin_token);
    early.nbf = Some(now + 3600);
    let mut other_supplier = mine.clone();
    other_supplier.supplier_id = Some(app.register("Other Ltd").await.id.parse().unwrap());
    for (what, claims) in [
        ("a supplier's token id with the admin role", as_admin),
        ("an expiry past the record's", longer),
        ("another issuer", elsewhere),
        ("not valid yet", early),
    ] {
        let res = app
            .req(
                Method::GET,
                "/api/v1/admin/audit",
                Some(&forge(&app.keys, &claims)),
            )
            .send()
            .await
            .unwrap();
        let p = problem(res, 401).await;
        assert!(p["detail"].is_string(), "{what}: {p}");
    }
    let res = app
        .send(
            Method::PATCH,
            &format!("/api/v1/suppliers/{}", other_supplier.supplier_id.unwrap()),
            Some(&forge(&app.keys, &other_supplier)),
            Some(json!({"description": "Taken over"})),
        )
        .await;
    problem(res, 401).await;
    // The real tokens still work.
    assert_eq!(status_with(&app, &app.admin_token).await, 200);
}

#[tokio::test]
async fn a_retired_key_verifies_no_bearer_token() {
    use diesel::RunQueryDsl;
    use pledge_registry::db::schema::signing_keys;
    let app = TestApp::spawn().await;
    // An old key of the registry's, retired: it still verifies attestations it signed.
    let old = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let old = pledge_registry::auth::Keys::from_signing_key(&old).unwrap();
    {
        use diesel::ExpressionMethods;
        let mut conn = app.pool.get().unwrap();
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::days(30);
        diesel::insert_into(signing_keys::table)
            .values((
                signing_keys::kid.eq(&old.kid),
                signing_keys::public_x.eq(&old.public_x),
                signing_keys::created_at.eq(past),
                signing_keys::retired_at.eq(Some(past + chrono::Duration::days(1))),
            ))
            .execute(&mut *conn)
            .unwrap();
    }
    // A forged admin token, naming a real admin token's id, signed with the retired key.
    let forged = forge(&old, &claims_of(&app.admin_token));
    let res = app
        .req(Method::GET, "/api/v1/admin/audit", Some(&forged))
        .send()
        .await
        .unwrap();
    problem(res, 401).await;
    let res = app
        .post(
            "/api/v1/admin/tokens",
            Some(&forged),
            json!({"role": "admin"}),
        )
        .await;
    problem(res, 401).await;
}

#[tokio::test]
async fn rotating_the_key_is_no_outage_and_a_compromise_ends_every_token() {
    let app = TestApp::spawn_with(&[("REGISTRY_KEY_RELOAD", "50ms")]).await;
    let s = app.active_supplier("Rotated Ltd").await;
    let before = app
        .get(&format!("/api/v1/suppliers/{}/attestation", s.slug))
        .await
        .text()
        .await
        .unwrap();
    let log_key = app.get_json("/api/v1/log/key").await;
    assert_eq!(log_key["retired"], json!([]));
    let out = crate::cli::cli(&app, &["key", "rotate"], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The running instance moves to the new key without a restart.
    let started = std::time::Instant::now();
    while app.get_json("/api/v1/log/key").await["verifier_key"] == log_key["verifier_key"] {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "never moved to the new key"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Tokens signed with the retired key keep working: the operator's, the supplier's.
    assert_eq!(status_with(&app, &app.admin_token).await, 200);
    let res = app
        .send(
            Method::PATCH,
            &format!("/api/v1/suppliers/{}", s.id),
            Some(&s.token),
            Some(json!({"description": "Still working after the rotation."})),
        )
        .await;
    assert_eq!(res.status(), 200);
    // New tokens are signed with the new key, and work.
    let fresh = app.register("After Rotation Ltd").await;
    let kid = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_ne!(kid(&fresh.token), kid(&s.token));
    let res = app
        .send(
            Method::PATCH,
            &format!("/api/v1/suppliers/{}", fresh.id),
            Some(&fresh.token),
            Some(json!({"description": "Signed with the new key."})),
        )
        .await;
    assert_eq!(res.status(), 200);
    // What the old key signed still verifies with the published keys, and its
    // checkpoints with the retired log key.
    let jwks: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(jwks.keys.len(), 2);
    assert!(attestation::verify(&before, &jwks).is_ok());
    let now = app.get_json("/api/v1/log/key").await;
    assert_eq!(now["retired"][0]["verifier_key"], log_key["verifier_key"]);
    // An instance started with the old key is refused.
    let retired_file = std::fs::read_dir(app.config.signing_key_file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(".retired-"))
        .expect("the old key is kept beside the new one");
    let mut config = app.config.clone();
    config.signing_key_file = retired_file;
    let refused =
        tokio::task::spawn_blocking(move || pledge_registry::app::bootstrap::prepare(config))
            .await
            .unwrap();
    let err = refused
        .err()
        .expect("an instance with a retired key does not start");
    assert!(err.to_string().contains("retired"), "{err}");

    // A rotation for a compromise ends every token, old key or new, and tells the
    // holders (here the suppliers' contact, as no owner has accepted yet), once each.
    let out = crate::cli::cli(&app, &["key", "rotate", "--compromised"], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("tokens ended"));
    for token in [&app.admin_token, &s.token, &fresh.token] {
        assert_eq!(status_with(&app, token).await, 401);
    }
    let res = app
        .send(
            Method::PATCH,
            &format!("/api/v1/suppliers/{}", fresh.id),
            Some(&fresh.token),
            Some(json!({"description": "Refused."})),
        )
        .await;
    problem(res, 401).await;
    {
        use diesel::prelude::*;
        use pledge_registry::db::schema::outbox;
        let told: Vec<String> = outbox::table
            .filter(outbox::kind.eq("key_replaced"))
            .select(outbox::recipient)
            .load(&mut *app.pool.get().unwrap())
            .unwrap();
        // Both suppliers name the same contact: one letter, not one per token.
        assert_eq!(told, ["jo@example.org"]);
    }
    // The instance moves to the newest key; a token it issues now works.
    let started = std::time::Instant::now();
    loop {
        let t = app
            .register(&format!(
                "Fresh Start {} Ltd",
                started.elapsed().as_millis()
            ))
            .await;
        let res = app
            .send(
                Method::PATCH,
                &format!("/api/v1/suppliers/{}", t.id),
                Some(&t.token),
                Some(json!({"description": "After the compromise."})),
            )
            .await;
        if res.status() == 200 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{}",
            res.status()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        attestation::verify(
            &before,
            &app.get("/.well-known/jwks.json")
                .await
                .json()
                .await
                .unwrap()
        )
        .is_ok()
    );
}

/// Runs `verify-log` and says whether it passed, with what it printed.
async fn verify_log(app: &TestApp) -> (bool, String) {
    let out = crate::cli::cli(app, &["verify-log"], &[]).await;
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn an_edited_log_is_not_rechained_and_malformed_entries_are_tampering() {
    use diesel::prelude::*;
    use pledge_registry::db::schema::audit_log;
    let app = TestApp::spawn().await;
    app.active_supplier("Logged Ltd").await;
    assert!(verify_log(&app).await.0);
    let mut conn = app.pool.get().unwrap();
    let original: (String, Option<String>, Option<String>) = audit_log::table
        .find(2)
        .select((audit_log::actor, audit_log::after_json, audit_log::hash))
        .first(&mut *conn)
        .unwrap();

    // Edit an entry and empty the hashes from it onwards, then open the registry again
    // (as any command does): nothing re-chains it, and verify-log names the entry.
    diesel::update(audit_log::table.find(2))
        .set(audit_log::actor.eq("someone-else"))
        .execute(&mut *conn)
        .unwrap();
    diesel::update(audit_log::table.filter(audit_log::seq.ge(2)))
        .set((
            audit_log::hash.eq(None::<String>),
            audit_log::prev_hash.eq(None::<String>),
        ))
        .execute(&mut *conn)
        .unwrap();
    // (A command that starts the registry and writes nothing: one that writes, such as
    // `token issue`, appends to the damaged log, which is the witness guards' to refuse.)
    let out = crate::cli::cli(&app, &["seed-demo", "--count", "0"], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ok, said) = verify_log(&app).await;
    assert!(!ok && said.contains("entry 2 is bad"), "{said}");

    // Put it back, then try content that reads the same to a lenient parser.
    diesel::update(audit_log::table.find(2))
        .set((
            audit_log::actor.eq(&original.0),
            audit_log::hash.eq(&original.2),
        ))
        .execute(&mut *conn)
        .unwrap();
    let rows: Vec<(i64, Option<String>)> = audit_log::table
        .select((audit_log::seq, audit_log::hash))
        .order(audit_log::seq.asc())
        .load(&mut *conn)
        .unwrap();
    drop(conn);
    // Re-chain the rest as the registry would have, so only the content is at fault.
    {
        let mut conn = app.pool.get().unwrap();
        let mut prev = pledge_registry::db::models::audit::GENESIS.to_owned();
        for (seq, _) in rows {
            let mut row: pledge_registry::db::models::audit::AuditRow = audit_log::table
                .find(seq)
                .select(pledge_registry::db::models::audit::AuditRow::as_select())
                .first(&mut *conn)
                .unwrap();
            row.prev_hash = Some(prev.clone());
            let hash = pledge_registry::db::models::audit::hash_of(&row);
            diesel::update(audit_log::table.find(seq))
                .set((
                    audit_log::prev_hash.eq(&row.prev_hash),
                    audit_log::hash.eq(&hash),
                ))
                .execute(&mut *conn)
                .unwrap();
            prev = hash;
        }
    }
    let restored = verify_log(&app).await;
    assert!(restored.0, "restored and re-chained: {}", restored.1);
    // Edits a lenient reader would not see: the hash still matches, so only reading
    // strictly catches them. A repeated key (the last one wins), and text that is not
    // JSON where there was nothing (read as null).
    let after = original.1.clone().unwrap();
    let first_key = after[1..].split('"').nth(1).unwrap().to_owned();
    let repeated = format!("{{\"{first_key}\":\"forged\",{}", &after[1..]);
    let before: Option<String> = {
        let mut conn = app.pool.get().unwrap();
        audit_log::table
            .find(2)
            .select(audit_log::before_json)
            .first(&mut *conn)
            .unwrap()
    };
    assert!(before.is_none(), "entry 2 has no before");
    for (what, column, text) in [
        ("a repeated key", "after", repeated),
        ("not JSON", "before", "not json at all".to_owned()),
    ] {
        let mut conn = app.pool.get().unwrap();
        let target = audit_log::table.find(2);
        if column == "after" {
            diesel::update(target)
                .set(audit_log::after_json.eq(&text))
                .execute(&mut *conn)
                .unwrap();
        } else {
            diesel::update(target)
                .set((
                    audit_log::after_json.eq(&original.1),
                    audit_log::before_json.eq(&text),
                ))
                .execute(&mut *conn)
                .unwrap();
        }
        let row: pledge_registry::db::models::audit::AuditRow = audit_log::table
            .find(2)
            .select(pledge_registry::db::models::audit::AuditRow::as_select())
            .first(&mut *conn)
            .unwrap();
        assert_eq!(
            Some(pledge_registry::db::models::audit::hash_of(&row)),
            row.hash,
            "{what}: the edit keeps the hash"
        );
        let (ok, said) = verify_log(&app).await;
        assert!(!ok && said.contains("entry 2 is bad"), "{what}: {said}");
    }
}

#[tokio::test]
async fn the_generated_key_is_one_openssl_reads_and_the_registry_reads_theirs() {
    let app = TestApp::spawn().await;
    let path = &app.config.signing_key_file;
    let pem = std::fs::read_to_string(path).unwrap();
    // PKCS#8 v1 (RFC 8410): version 0 and no public key attribute: 48 bytes of DER.
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let out = std::process::Command::new("openssl")
        .args(["pkey", "-noout", "-text", "-in"])
        .arg(path)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl pkey: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And a key made by OpenSSL is read by the registry.
    let dir = tempfile::tempdir().unwrap();
    let theirs = dir.path().join("openssl.pem");
    let made = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&theirs)
        .status()
        .unwrap();
    assert!(made.success());
    assert!(pledge_registry::auth::Keys::load_or_generate(&theirs).is_ok());
}

#[tokio::test]
async fn a_nul_anywhere_is_a_4xx_naming_where() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Nul Ltd").await;
    // djE6YQBi is "v1:a\0b": a cursor in the form we issue, holding a NUL.
    for (path, field) in [
        ("/api/v1/suppliers?cursor=djE6YQBi", "cursor"),
        ("/api/v1/suppliers?q=a%00b", "q"),
        ("/api/v1/suppliers?pledge_version=%00", "pledge_version"),
        ("/api/v1/suppliers?commitment=safety%00", "commitment"),
        ("/api/v1/changes?since=1%00", "since"),
        ("/api/v1/export?cursor=djE6YQBi", "cursor"),
    ] {
        let res = app.get(path).await;
        let p = problem(res, 400).await;
        assert!(
            crate::helpers::fields(&p).contains(&field.to_owned()),
            "{path}: {p}"
        );
    }
    // The home page explains odd input instead of refusing it.
    assert_eq!(app.get("/?cursor=djE6YQBi&q=a%00b").await.status(), 200);
    for path in [
        "/api/v1/suppliers/a%00b",
        "/api/v1/suppliers/a%00b/history",
        "/api/v1/pledge/versions/2025-09%00",
        "/suppliers/a%00b",
        "/badge/a%00b.svg",
    ] {
        let status = app.get(path).await.status();
        assert_eq!(status, 404, "{path}");
    }
    let res = app
        .post(
            &format!("/api/v1/suppliers/{}/evidence", s.id),
            Some(&s.token),
            json!({"url": "https://example.org/p", "title": "Policy", "kind": "policy",
                   "commitments": ["safety", "transparency\u{0}"]}),
        )
        .await;
    let p = problem(res, 422).await;
    assert_eq!(crate::helpers::fields(&p), vec!["commitments[1]"], "{p}");
    let res = app
        .patch_profile(&s, json!({"products": ["Care\u{0}records"]}))
        .await;
    let p = problem(res, 422).await;
    assert_eq!(crate::helpers::fields(&p), vec!["products[0]"], "{p}");
    // Nothing was stored by the refused writes.
    let view = app.supplier(&s.slug).await;
    assert_eq!(view["evidence"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn what_one_supplier_can_make_the_registry_carry_is_bounded() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Hoarder Ltd").await;
    let mut ids = Vec::new();
    for i in 0..50 {
        ids.push(
            app.add_evidence(&s, &format!("https://example.org/doc/{i}"))
                .await,
        );
    }
    let res = app
        .post(
            &format!("/api/v1/suppliers/{}/evidence", s.id),
            Some(&s.token),
            json!({"url": "https://example.org/doc/51", "title": "One more", "kind": "policy",
                   "commitments": ["safety"]}),
        )
        .await;
    let p = problem(res, 409).await;
    assert_eq!(p["type"], "urn:pledge-registry:problem:limit-reached");
    assert!(p["detail"].as_str().unwrap().contains("50"), "{p}");
    // Retiring one makes room.
    let res = app
        .send(
            Method::DELETE,
            &format!("/api/v1/suppliers/{}/evidence/{}", s.id, ids[0]),
            Some(&s.token),
            None,
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    app.add_evidence(&s, "https://example.org/doc/replacement")
        .await;
    let view = app.supplier(&s.slug).await;
    assert_eq!(view["evidence"].as_array().unwrap().len(), 50);

    // Other lists a supplier grows are bounded where they are written.
    let res = app
        .patch_profile(
            &s,
            json!({"products": (0..51).map(|i| format!("Product {i}")).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(
        crate::helpers::fields(&problem(res, 422).await),
        ["products"]
    );
    let res = app
        .patch_profile(&s, json!({"description": "x".repeat(4001)}))
        .await;
    assert_eq!(
        crate::helpers::fields(&problem(res, 422).await),
        ["description"]
    );
}

#[tokio::test]
async fn long_histories_are_paged_and_the_page_shows_the_newest() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Busy Ltd").await;
    // Suspensions and reinstatements by the operator: two history lines each.
    for i in 0..53 {
        let why = json!({"reason": format!("Round {i}")});
        assert_eq!(
            app.lifecycle(&s, "suspend", Some(why.clone()))
                .await
                .status(),
            200
        );
        assert_eq!(
            app.lifecycle(&s, "reinstate", Some(why)).await.status(),
            200
        );
    }
    let page = app.page(&s).await;
    assert_eq!(
        page.matches("Suspended by the registry").count()
            + page.matches("Reinstated by the registry").count(),
        100
    );
    assert!(page.contains("the whole history"));
    let first = app
        .get_json(&format!("/api/v1/suppliers/{}/history?limit=100", s.slug))
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 100);
    let mut cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let mut seen = 100;
    loop {
        let rest = app
            .get_json(&format!(
                "/api/v1/suppliers/{}/history?limit=100&cursor={cursor}",
                s.slug
            ))
            .await;
        seen += rest["items"].as_array().unwrap().len();
        match rest["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    // Signed, verified, then a suspension and a reinstatement for each of the 53.
    assert_eq!(seen, 2 + 2 * 53);
}

/// A supplier token that names no supplier is refused, never taken for an operator's.
#[tokio::test]
async fn a_supplier_token_without_a_supplier_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.token(
        pledge_registry::auth::tokens::Role::Supplier,
        None,
        chrono::Duration::days(1),
    );
    let res = app
        .req(Method::GET, "/api/v1/admin/audit", Some(&token))
        .send()
        .await
        .unwrap();
    problem(res, 401).await;
}
