use serde_json::Value;

use crate::helpers::TestApp;

const COMMITTED: &str = "openapi/openapi.json";

/// The committed document is what the code generates for the default address;
/// regenerate it with `cargo run -- openapi > openapi/openapi.json`.
#[tokio::test]
async fn committed_document_matches_the_code() {
    let app = TestApp::spawn().await;
    let served = app.get("/openapi.json").await.text().await.unwrap();
    assert!(served.contains(&format!(r#""url":"{}""#, app.config.public_url)));
    let served: Value =
        serde_json::from_str(&served.replace(&app.config.public_url, "http://127.0.0.1:8080"))
            .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED);
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("openapi/openapi.json exists"))
            .expect("committed document is JSON");
    assert!(
        served == committed,
        "{COMMITTED} differs from the served document; regenerate it with `cargo run -- openapi > {COMMITTED}`"
    );
    assert_eq!(served["openapi"], "3.1.0");
}

#[tokio::test]
async fn every_route_is_documented_with_its_errors() {
    let doc = pledge_registry::routes::api_doc("http://127.0.0.1:8080");
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("get", "/api/v1/pledge"),
        ("get", "/api/v1/pledge/versions"),
        ("get", "/api/v1/pledge/versions/{version}"),
        ("get", "/api/v1/suppliers"),
        ("get", "/api/v1/suppliers/{id_or_slug}"),
        ("get", "/api/v1/suppliers/{id_or_slug}/history"),
        ("get", "/api/v1/suppliers/{id_or_slug}/attestation"),
        ("get", "/.well-known/jwks.json"),
        ("get", "/api/v1/export"),
        ("get", "/api/v1/changes"),
        ("get", "/api/v1/log/head"),
        ("post", "/api/v1/registrations"),
        ("patch", "/api/v1/suppliers/{id_or_slug}"),
        ("post", "/api/v1/suppliers/{id_or_slug}/signature"),
        ("post", "/api/v1/suppliers/{id_or_slug}/signature/reaffirm"),
        ("post", "/api/v1/suppliers/{id_or_slug}/signature/withdraw"),
        ("post", "/api/v1/suppliers/{id_or_slug}/evidence"),
        (
            "patch",
            "/api/v1/suppliers/{id_or_slug}/evidence/{evidence_id}",
        ),
        (
            "delete",
            "/api/v1/suppliers/{id_or_slug}/evidence/{evidence_id}",
        ),
        ("post", "/api/v1/admin/pledge/versions"),
        ("post", "/api/v1/admin/suppliers/{id_or_slug}/verify"),
        ("post", "/api/v1/admin/suppliers/{id_or_slug}/suspend"),
        ("post", "/api/v1/admin/suppliers/{id_or_slug}/reinstate"),
        ("post", "/api/v1/admin/tokens"),
        ("delete", "/api/v1/admin/tokens/{jti}"),
        ("get", "/api/v1/admin/audit"),
        ("post", "/api/v1/admin/evidence/checks"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
        ("get", "/docs"),
        ("get", "/guides/{name}"),
        ("get", "/"),
        ("get", "/suppliers/{slug}"),
        ("get", "/badge/{slug}.svg"),
    ];
    for (method, path) in expected {
        let op = &paths.get(path).unwrap_or_else(|| panic!("{path} missing"))[method];
        assert!(op.is_object(), "{method} {path} missing");
        let responses = op["responses"].as_object().unwrap();
        let writes = method != "get";
        if writes {
            for status in ["401", "403"] {
                assert!(
                    responses.contains_key(status) || path == "/api/v1/registrations",
                    "{method} {path} lacks {status}"
                );
            }
        }
        // Pages for people answer their errors as pages (HTML, or the badge as SVG).
        let for_people = !path.starts_with("/api/");
        for (status, r) in responses {
            let r = match r["$ref"].as_str() {
                Some(at) => doc.pointer(at.trim_start_matches('#')).unwrap(),
                None => r,
            };
            if status.starts_with('4') && !for_people {
                assert!(
                    r["content"]["application/problem+json"].is_object(),
                    "{method} {path} {status} is not documented as problem+json"
                );
            }
        }
    }
}
