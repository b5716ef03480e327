use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const PUBLIC: &str = "https://registry.example";

fn doc() -> Value {
    crate::app::api_doc(PUBLIC)
}

/// Every operation as (method path, operation).
fn operations(doc: &Value) -> Vec<(String, Value)> {
    let mut doc = doc.clone();
    let mut out = Vec::new();
    super::for_each_operation(&mut doc, |path, method, op| {
        out.push((format!("{method} {path}"), op.clone()));
    });
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
            || (tags.contains(&"supplier self-service") && !at.ends_with("/registrations"));
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
    let guides: BTreeSet<String> = crate::web::guides::GUIDES
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
