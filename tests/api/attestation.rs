use jsonwebtoken::jwk::JwkSet;
use pledge_registry::auth::Role;
use pledge_registry::tlog::attestation;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, problem};

/// The verification example the documentation gives procurement tools.
#[path = "../../examples/verify_attestation.rs"]
mod example;

#[tokio::test]
async fn an_attestation_verifies_offline_with_the_published_keys() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Attested Ltd").await;
    let res = app
        .get(&format!("/api/v1/suppliers/{}/attestation", s.slug))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/jwt");
    let token = res.text().await.unwrap();
    let jwks: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(jwks.keys.len(), 1);
    let claims = attestation::verify(&token, &jwks).unwrap();
    assert_eq!(claims.sub, s.id);
    assert_eq!(claims.supplier_slug, s.slug);
    assert_eq!(claims.status.as_str(), "active");
    assert_eq!(claims.pledge_version.as_deref(), Some("2025-09"));
    assert!(claims.signed_current_version);
    assert_eq!(claims.evidence_health.as_str(), "none");
    let head = app.get_json("/api/v1/log/head").await;
    assert_eq!(claims.log_head.seq, head["seq"].as_i64().unwrap());
    assert_eq!(claims.log_head.hash, head["hash"].as_str().unwrap());
    assert!(claims.exp - claims.iat >= 29 * 24 * 3600);

    // The documented example agrees, from the saved key set alone.
    let jwks_text = app
        .get("/.well-known/jwks.json")
        .await
        .text()
        .await
        .unwrap();
    let claims = example::verify(&token, &jwks_text).unwrap();
    assert_eq!(claims["status"], "active");
    assert!(example::verify(&token, r#"{"keys": []}"#).is_err());

    // Tampering is detected; an attestation is not an API token, nor the reverse.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    assert!(attestation::verify(&parts.join("."), &jwks).is_err());
    let as_token = app
        .req(Method::GET, "/api/v1/admin/audit", Some(&token))
        .send()
        .await
        .unwrap();
    problem(as_token, 401).await;
    assert!(
        attestation::verify(
            &app.token(Role::Admin, None, chrono::Duration::days(1)),
            &jwks
        )
        .is_err()
    );
    problem(app.get("/api/v1/suppliers/nobody/attestation").await, 404).await;
}

#[tokio::test]
async fn a_rotated_key_stays_published_and_old_tokens_keep_working() {
    let app = TestApp::spawn().await;
    let s = app.active_supplier("Rotated Ltd").await;
    let old: String = app
        .get(&format!("/api/v1/suppliers/{}/attestation", s.slug))
        .await
        .text()
        .await
        .unwrap();
    // An instance starts with a new key (the operator rotated it).
    let new_key = app.config.data_dir.join("rotated.pem");
    let mut config = app.config.clone();
    config.signing_key_file = new_key;
    let rotated =
        tokio::task::spawn_blocking(move || pledge_registry::app::bootstrap::prepare(config))
            .await
            .unwrap()
            .unwrap();
    assert_ne!(rotated.keys.current().kid, app.keys.kid);
    let jwks: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let kids: Vec<String> = jwks
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect();
    assert!(
        kids.contains(&rotated.keys.current().kid) && kids.contains(&app.keys.kid),
        "{kids:?}"
    );
    assert!(
        attestation::verify(&old, &jwks).is_ok(),
        "attestations signed before the rotation still verify"
    );
    // A token signed by the new key is accepted by an instance still on the old one.
    let token = {
        let mut conn = rotated.database.pool().get().unwrap();
        pledge_registry::auth::tokens::issue(
            &mut conn,
            &rotated.keys.current(),
            &app.config.public_url,
            pledge_registry::auth::tokens::Grant::operator(chrono::Duration::days(1)),
        )
        .unwrap()
        .token
    };
    let res = app
        .req(Method::GET, "/api/v1/admin/audit", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let _: Value = res.json().await.unwrap();
}
