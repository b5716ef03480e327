use std::collections::{BTreeMap, BTreeSet};

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
    let doc = pledge_registry::app::api_doc("http://127.0.0.1:8080");
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

// The rules every operation of the document keeps.

const PUBLIC: &str = "https://registry.example";

fn doc() -> Value {
    pledge_registry::app::api_doc(PUBLIC)
}

/// Every operation as (method path, operation).
fn operations(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                out.push((format!("{method} {path}"), op.clone()));
            }
        }
    }
    out
}

/// Every value under `v`, with its JSON pointer.
fn walk<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    out.push((at.clone(), v));
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, v)| walk(v, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| walk(v, format!("{at}/{i}"), out)),
        _ => {}
    }
}

#[test]
fn operation_ids_are_unique_and_read_as_method_names() {
    let mut seen = BTreeMap::new();
    for (at, op) in operations(&doc()) {
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        assert!(
            id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{at}: operationId {id:?} is not lowerCamelCase"
        );
        if let Some(other) = seen.insert(id.clone(), at.clone()) {
            panic!("{at} and {other} share the operationId {id}");
        }
    }
}

#[test]
fn one_path_template_per_resource() {
    let doc = doc();
    let mut shapes = BTreeMap::new();
    for path in doc["paths"].as_object().unwrap().keys() {
        assert!(
            path == "/" || !path.ends_with('/'),
            "{path} ends with a slash"
        );
        let shape: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        if let Some(other) = shapes.insert(shape, path.clone()) {
            panic!("{path} and {other} are one path with two templates");
        }
    }
}

#[test]
fn every_response_is_described_and_every_operation_states_its_security() {
    let doc = doc();
    for (at, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            let response = match response["$ref"].as_str() {
                Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
                None => response,
            };
            let d = response["description"].as_str().unwrap_or_default();
            assert!(!d.is_empty(), "{at} {status} has no description");
        }
        assert_eq!(
            doc["security"],
            serde_json::json!([{}]),
            "public unless said"
        );
        let security = op
            .get("security")
            .unwrap_or(&doc["security"])
            .as_array()
            .unwrap();
        let needs_token = !security
            .iter()
            .any(|s| s.as_object().is_some_and(|o| o.is_empty()));
        let tags: Vec<&str> = op["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let private = tags.contains(&"admin")
            || (tags.contains(&"supplier self-service") && !at.ends_with("/registrations"))
            || (tags.contains(&"accounts") && !at.contains("/sign-in"))
            || (tags.contains(&"webhooks") && !at.contains("/webhooks/subscribers"));
        assert_eq!(needs_token, private, "{at}: security {security:?}");
    }
}

#[test]
fn every_schema_and_parameter_has_an_example() {
    let doc = doc();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        assert!(
            schema["examples"].as_array().is_some_and(|e| !e.is_empty()),
            "schema {name} has no example"
        );
    }
    for (at, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            assert!(
                !p["example"].is_null(),
                "{at}: parameter {} has no example",
                p["name"]
            );
        }
    }
}

#[test]
fn every_enum_value_has_a_meaning() {
    let doc = doc();
    let mut all = Vec::new();
    walk(&doc, String::new(), &mut all);
    let mut enums = 0;
    for (at, v) in all {
        let Some(values) = v.get("enum").and_then(Value::as_array) else {
            continue;
        };
        enums += 1;
        let meanings = &v["x-enumDescriptions"];
        let description = v["description"].as_str().unwrap_or_default();
        for value in values.iter().filter_map(Value::as_str) {
            let meaning = meanings[value].as_str().unwrap_or_default();
            assert!(!meaning.is_empty(), "{at}: `{value}` has no meaning");
            assert!(
                description.contains(&format!("`{value}`: {meaning}")),
                "{at}: the description does not explain `{value}`"
            );
        }
    }
    assert!(enums >= 7, "found only {enums} enums");
}

#[test]
fn the_document_names_this_registry_and_links_only_to_what_it_serves() {
    let doc = doc();
    assert_eq!(doc["servers"][0]["url"], PUBLIC);
    assert_eq!(doc["info"]["license"]["identifier"], "MIT");
    let mut all = Vec::new();
    walk(&doc, String::new(), &mut all);
    let guides: BTreeSet<String> = pledge_registry::web::guides::GUIDES
        .iter()
        .map(|(n, _, _)| format!("{PUBLIC}/guides/{n}"))
        .collect();
    let mut links = 0;
    for (at, v) in all {
        let Some(url) = v.as_str().filter(|s| s.starts_with(PUBLIC)) else {
            continue;
        };
        if at == "/servers/0/url" {
            continue;
        }
        links += 1;
        assert!(
            guides.contains(url),
            "{at} links to {url}, which is not served"
        );
    }
    assert!(links >= 2, "the contact and externalDocs link to the guide");
}

#[test]
fn every_deprecation_names_a_documented_operation_and_gives_six_months() {
    let doc = doc();
    for d in pledge_registry::http::deprecation::DEPRECATED {
        assert!(
            doc["paths"][d.path][d.method.to_lowercase()].is_object(),
            "{d:?}"
        );
        assert!(d.sunset >= d.since + chrono::Months::new(6), "{d:?}");
    }
}

#[test]
fn each_problem_answer_shows_a_problem_of_its_own_status() {
    let doc = doc();
    let mut seen = BTreeSet::new();
    let mut check = |at: &str, status: &str, response: &Value| {
        let response = match response["$ref"].as_str() {
            Some(r) => &doc["components"]["responses"][r.rsplit('/').next().unwrap()],
            None => response,
        };
        let Some(content) = response["content"].get("application/problem+json") else {
            return;
        };
        let example = &content["example"];
        assert_eq!(
            example["status"].as_u64().map(|s| s.to_string()).as_deref(),
            Some(status),
            "{at} {status}: {example}"
        );
        let kind = example["type"].as_str().unwrap_or_default();
        assert!(
            kind.starts_with("urn:pledge-registry:problem:"),
            "{at} {status}: {kind}"
        );
        seen.insert((status.to_owned(), kind.to_owned()));
    };
    for (at, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            check(&at, status, response);
        }
    }
    // The registration's answers: each status its own kind of problem.
    let registration = &doc["paths"]["/api/v1/registrations"]["post"]["responses"];
    for (status, kind) in [
        ("409", "conflict"),
        ("422", "validation"),
        ("429", "too-many-requests"),
        ("413", "payload-too-large"),
    ] {
        let example = &registration[status]["content"]["application/problem+json"]["example"];
        assert_eq!(
            example["type"],
            format!("urn:pledge-registry:problem:{kind}"),
            "{status}"
        );
    }
    assert!(seen.len() > 10, "{seen:?}");
}
