//! An example for every schema and parameter in the document, drawn from one made-up
//! supplier so that the examples agree with each other. CI checks each against its
//! schema (Redocly's `no-invalid-schema-examples` and `no-invalid-parameter-examples`),
//! and a test checks that none is missing.

use serde_json::{Value, json};

const SUPPLIER_ID: &str = "cee33691-4783-4bbc-99ba-47295029224e";
const SLUG: &str = "oakleaf-insight-group";
const EVIDENCE_ID: &str = "5f8b5bbf-8fce-4dc2-9ccb-20b32eb010d4";
const SIGNATURE_ID: &str = "6fd59144-623c-45ff-84c7-acece57c718c";
const MEMBER_ID: &str = "0c6a4b7e-52d1-4f0e-9b3a-8e2f1d7c6a55";
const SUBSCRIPTION_ID: &str = "9d2e7c1a-4b6f-4e3a-8c5d-1f0a2b3c4d5e";
const VERSION: &str = "2025-09";
const CURSOR: &str = "b2FrbGVhZi1pbnNpZ2h0LWdyb3Vw";
const HASH: &str = "aa21961fd653dfae4d47d4cc2bca88afcfb29f2134a87f41344b3cd1b019e424";

/// Adds the examples to `doc`; a schema or parameter that already has one keeps it.
pub fn apply(doc: &mut Value) {
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            if schema.get("examples").is_none()
                && schema.get("example").is_none()
                && let Some(example) = schema_example(name)
            {
                schema["examples"] = json!([example]);
            }
        }
    }
    // Each problem answer shows a problem of its own status, not the schema's one
    // (a 422) for every status.
    super::for_each_operation(doc, |_, _, op| {
        let takes_body = op.get("requestBody").is_some();
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for (status, response) in responses.iter_mut() {
                problem_example(status, response, takes_body);
            }
        }
    });
    if let Some(shared) = doc["components"]["responses"].as_object_mut() {
        for (name, response) in shared.iter_mut() {
            let status = match name.as_str() {
                "TooManyRequests" => "429",
                _ => continue,
            };
            problem_example(status, response, false);
        }
    }
    super::for_each_operation(doc, |_, _, op| {
        let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
            return;
        };
        for param in params {
            let name = param["name"].as_str().unwrap_or_default();
            if param.get("example").is_none()
                && let Some(example) = parameter_example(name)
            {
                // A repeatable parameter's example is a list of its values.
                let repeatable = param["schema"]["type"] == "array"
                    || param["schema"]["type"]
                        .as_array()
                        .is_some_and(|t| t.contains(&json!("array")));
                param["example"] = if repeatable {
                    json!([example])
                } else {
                    example
                };
            }
        }
    });
}

/// Gives a problem answer (`application/problem+json`) an example of its own status:
/// the kind of problem the registry answers with it, and the answer's description as
/// the detail.
fn problem_example(status: &str, response: &mut Value, takes_body: bool) {
    let description = response["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let Some(content) = response
        .get_mut("content")
        .and_then(|c| c.get_mut("application/problem+json"))
    else {
        return;
    };
    if content.get("example").is_some() || content.get("examples").is_some() {
        return;
    }
    let Ok(code) = status.parse::<u16>() else {
        return;
    };
    let (slug, title) = match code {
        400 if takes_body => ("malformed-body", "Malformed request body"),
        400 => ("invalid-query", "Invalid query parameters"),
        401 => ("unauthorized", "Authentication required"),
        403 => ("forbidden", "Not allowed"),
        404 => ("not-found", "Not found"),
        405 => ("method-not-allowed", "Method not allowed"),
        409 if description.contains(" at most ") || description.contains("holds ") => {
            ("limit-reached", "A limit of the registry is reached")
        }
        409 => ("conflict", "Conflict with the current state"),
        412 => ("precondition-failed", "Precondition failed"),
        413 => ("payload-too-large", "Request body too large"),
        415 => ("unsupported-media-type", "Unsupported media type"),
        422 => {
            if let Some(example) = schema_example("Problem") {
                content["example"] = example;
            }
            return;
        }
        429 => ("too-many-requests", "Too many requests"),
        431 => ("headers-too-large", "Request headers too large"),
        503 => ("unavailable", "Service unavailable"),
        _ => return,
    };
    let detail = match code {
        400 if takes_body => {
            "the request body is not valid JSON: expected value at line 1 column 1".to_owned()
        }
        400 => "unknown query parameter: colour".to_owned(),
        401 => "the token has expired; sign in again or ask the operator for a new one".to_owned(),
        413 => "the request body is larger than 65536 bytes".to_owned(),
        415 => "the request body must be JSON (Content-Type: application/json)".to_owned(),
        429 => "too many requests from this client; retry in 42 seconds".to_owned(),
        _ => description
            .trim_end_matches('.')
            .split("; see ")
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    content["example"] = json!({
        "type": format!("urn:pledge-registry:problem:{slug}"),
        "title": title,
        "status": code,
        "detail": detail,
    });
}

/// The example for a parameter, by name (a name means the same on every route).
pub fn parameter_example(name: &str) -> Option<Value> {
    Some(match name {
        "id_or_slug" | "slug" | "supplier" => json!(SLUG),
        "id" | "supplier_id" => json!(SUPPLIER_ID),
        "evidence_id" => json!(EVIDENCE_ID),
        "version" | "pledge_version" => json!(VERSION),
        "jti" => json!("7b0e4f0c-3a2d-4b8e-9a51-2f4c6d8e1a90"),
        "member_id" => json!(MEMBER_ID),
        "form" => json!("profile"),
        "subscription_id" => json!(SUBSCRIPTION_ID),
        "seq" => json!(1201),
        "list" => json!("evidence"),
        "item" => json!(EVIDENCE_ID),
        "action" => json!("retire"),
        "token" => json!("q9G3v0mXz7bW2kRr5TtYc1uJp8sLd4eNf6hAa0iOo2E"),
        "key" => json!("3f9a2c41d8e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1"),
        "kind" => json!("reaffirm_reminder"),
        "reference" => json!("C-5F8B5BBF"),
        "answer" => json!("yes"),
        "done" => json!("checked"),
        "at_or_after" => json!("2026-11-01T00:00:00Z"),
        "before" => json!("2026-12-01T00:00:00Z"),
        "order" => json!("newest"),
        "next" => json!(format!("/account/evidence/{EVIDENCE_ID}")),
        "q" => json!("oakleaf"),
        "status" => json!("active"),
        "commitment" => json!("safety"),
        "evidence_health" => json!("broken"),
        "evidence_summary" | "evidence" => json!("some_failing"),
        "unverified" => json!("1"),
        "page" => json!("2"),
        "state" => json!("open"),
        "updated_since" => json!("2026-11-01T00:00:00Z"),
        "cursor" => json!(CURSOR),
        "limit" => json!(50),
        "since" => json!(1200),
        "tree_size" | "to" => json!(10342),
        "from" => json!(10000),
        "format" => json!("csv"),
        "include_total" | "named" => json!(true),
        "If-Match" => json!("\"r7-3f9a2c41\""),
        "name" => json!("attestations"),
        _ => return None,
    })
}

fn statement() -> Value {
    json!({
        "commitment": "safety",
        "statement": "We keep a clinical safety case and hazard log (DCB0129), and a carer can review and override every suggestion.",
    })
}

fn signature() -> Value {
    json!({
        "id": SIGNATURE_ID,
        "pledge_version": VERSION,
        "is_current_version": true,
        "signatory_name": "Alex Morgan",
        "signatory_role": "Chief Executive",
        "signed_at": "2025-10-16T15:16:23Z",
        "reaffirmed_at": null,
        "reaffirm_by": "2026-10-16T15:16:23Z",
        "status": "active",
        "status_reason": null,
        "status_changed_at": "2026-03-20T15:16:23Z",
        "statements": [statement()],
    })
}

fn check() -> Value {
    json!({
        "checked_at": "2026-11-27T03:10:00Z",
        "outcome": "ok",
        "http_status": 200,
        "final_url": null,
        "detail": "200 OK",
    })
}

fn health() -> Value {
    json!({
        "status": "ok",
        "detail": null,
        "recent_checks": [check()],
        "http_status": 200,
        "final_url": null,
        "checked_at": "2026-11-27T03:10:00Z",
        "last_ok_at": "2026-11-27T03:10:00Z",
        "consecutive_failures": 0,
    })
}

fn snapshot() -> Value {
    json!({
        "body_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "text_sha256": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
        "content_type": "text/html; charset=utf-8",
        "size": 48213,
        "first_seen_at": "2025-10-16T15:20:02Z",
        "last_seen_at": "2026-11-30T06:00:11Z",
    })
}

fn content() -> Value {
    json!({
        "since": "unchanged",
        "changed_at": null,
        "baseline": { "reason": "signed", "at": "2025-10-16T16:02:40Z", "snapshot": snapshot() },
        "current": snapshot(),
        "note": null,
    })
}

fn diff() -> Value {
    json!([
        { "op": "equal", "text": "Care records stay in the UK and are " },
        { "op": "delete", "text": "never" },
        { "op": "insert", "text": "not" },
        { "op": "equal", "text": " used to train models." },
    ])
}

fn evidence() -> Value {
    merged(
        new_evidence(),
        json!({
            "id": EVIDENCE_ID,
            "expired": false,
            "health": health(),
            "content": content(),
            "created_at": "2025-10-16T15:16:23Z",
            "updated_at": "2025-10-16T15:16:23Z",
        }),
    )
}

/// `base` with the fields of `more` added.
fn merged(mut base: Value, more: Value) -> Value {
    if let (Some(base), Value::Object(more)) = (base.as_object_mut(), more) {
        base.extend(more);
    }
    base
}

/// What a supplier and its list item have in common.
fn identity() -> Value {
    json!({
        "id": SUPPLIER_ID,
        "slug": SLUG,
        "name": "Oakleaf Insight Group",
        "website": "https://www.oakleaf.example",
        "company_number": "09689361",
        "identity_verified": true,
        "status": "active",
        "evidence_summary": "all_ok",
        "updated_at": "2026-03-20T15:16:23Z",
    })
}

fn supplier() -> Value {
    merged(
        identity(),
        json!({
            "description": "Care planning and eMAR medication management for adult social care providers.",
            "products": ["Care planning assistant", "eMAR medication management"],
            "verified_at": "2026-03-20T15:16:23Z",
            "signature": signature(),
            "evidence": [evidence()],
            "company_check": {
                "outcome": "found",
                "registered_name": "OAKLEAF INSIGHT GROUP LIMITED",
                "company_status": "active",
                "incorporated_on": "2015-07-14",
                "flags": [],
                "checked_at": "2026-12-03T06:00:00Z",
            },
            "created_at": "2025-10-10T09:00:00Z",
        }),
    )
}

fn summary() -> Value {
    merged(
        identity(),
        json!({
            "pledge_version": VERSION,
            "signed_current_version": true,
            "reaffirm_by": "2026-10-16T15:16:23Z",
        }),
    )
}

fn commitment() -> Value {
    json!({
        "code": "safety",
        "title": "Safety",
        "description": "We assess and reduce the risks our AI poses to people's safety and wellbeing before and after release.",
    })
}

fn pledge_version() -> Value {
    json!({
        "version": VERSION,
        "title": "Tech Pledge for the responsible use of AI in social care",
        "summary": "Technology suppliers commit to developing and offering AI for adult social care responsibly.",
        "source_url": "https://www.digitalcarehub.co.uk/",
        "published_on": "2025-09-01",
        "is_current": true,
        "commitments": [commitment()],
    })
}

fn status_change() -> Value {
    json!({
        "event": "verified",
        "from_status": "pending",
        "to_status": "active",
        "reason": null,
        "actor": "operator",
        "pledge_version": VERSION,
        "at": "2026-03-20T15:16:23Z",
    })
}

fn audit_entry() -> Value {
    json!({
        "seq": 1201,
        "at": "2026-03-20T15:16:23Z",
        "actor": "admin:7b0e4f0c-3a2d-4b8e-9a51-2f4c6d8e1a90",
        "action": "supplier.verified",
        "entity_type": "supplier",
        "entity_id": SUPPLIER_ID,
        "supplier_id": SUPPLIER_ID,
        "before": { "identity_verified": false },
        "after": { "identity_verified": true },
        "public": null,
        "prev_hash": "4f9c0f3b9d3a51b6c2f1e0a7d8c9b6a5f4e3d2c1b0a99887766554433221100f",
        "hash": "9a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcdef",
        "salt": "5e2d8b1f0c7a4e3d9b6a1f8e2c5d7b0a3e6f9c1d4b7a0e3f6c9d2b5a8e1f4c7d",
    })
}

fn token() -> Value {
    json!({
        "token": "eyJhbGciOiJFZERTQSIsImtpZCI6IjNzNl9ScUIxU0dLRWFGWjIifQ.eyJyb2xlIjoic3VwcGxpZXIifQ.c2lnbmF0dXJl",
        "jti": "7b0e4f0c-3a2d-4b8e-9a51-2f4c6d8e1a90",
        "role": "supplier",
        "supplier_id": SUPPLIER_ID,
        "expires_at": "2027-11-27T15:00:00Z",
    })
}

fn subscription() -> Value {
    json!({
        "id": SUBSCRIPTION_ID,
        "url": "https://assurance.northshire.example/hooks/tech-pledge",
        "event_types": ["status.changed", "evidence.health_changed"],
        "supplier_ids": [SUPPLIER_ID],
        "statuses": [],
        "position": 1201,
        "state": "active",
        "retry_at": null,
        "failing_since": null,
        "disabled_reason": null,
        "created_at": "2026-11-27T15:00:00Z",
    })
}

fn delivery() -> Value {
    json!({
        "seq": 1201,
        "message_id": "msg_1201",
        "attempt": 1,
        "at": "2026-11-27T15:00:01Z",
        "status": 204,
        "latency_ms": 38,
        "response": "",
        "error": null,
    })
}

fn member() -> Value {
    json!({
        "id": MEMBER_ID,
        "supplier_id": SUPPLIER_ID,
        "email": "sam.patel@oakleaf.example",
        "name": "Sam Patel",
        "role": "owner",
        "confirmed": true,
        "reminders": true,
        "added_at": "2026-03-02T09:30:00Z",
    })
}

fn api_token() -> Value {
    json!({
        "jti": "7b0e4f0c-3a2d-4b8e-9a51-2f4c6d8e1a90",
        "name": "CRM sync",
        "scope": "write",
        "kind": "api",
        "issued_at": "2026-11-27T15:00:00Z",
        "expires_at": "2027-11-27T15:00:00Z",
        "revoked_at": null,
    })
}

fn new_evidence() -> Value {
    json!({
        "url": "https://www.oakleaf.example/trust/cyber-essentials-plus",
        "title": "Cyber Essentials Plus certificate",
        "kind": "certification",
        "commitments": ["data_protection"],
        "scheme": "cyber_essentials_plus",
        "reference": "CEP-743828",
        "expires_on": "2027-01-03",
    })
}

fn page(item: Value, next_cursor: Option<&str>) -> Value {
    json!({ "items": [item], "next_cursor": next_cursor })
}

/// The example for a component schema, by name.
pub fn schema_example(name: &str) -> Option<Value> {
    Some(match name {
        "SupplierView" => supplier(),
        "SupplierSummary" => summary(),
        "SignatureView" => signature(),
        "StatementView" => statement(),
        "Reaffirmation" => json!({
            "statements": {
                "transparency": "We publish a plain-English model card for every AI feature, reviewed each quarter."
            }
        }),
        "EvidenceView" => evidence(),
        "HealthView" => health(),
        "CheckView" => check(),
        "Contact" => json!({ "name": "Sam Patel", "email": "sam.patel@oakleaf.example" }),
        "PledgeVersion" => pledge_version(),
        "ChangeLine" => json!({ "change": "added", "code": "environment", "title": "Environment" }),
        "ExampleEmail" => json!({
            "subject": "A new version of the Tech Pledge is ready to sign: 2026-09",
            "text": "Hello Sam,\n\nThe registry has published version 2026-09 of the Tech Pledge (\"Tech Pledge, second edition\"). Oakleaf Care Systems Ltd's record shows the version it signed, which is now an earlier one.\n\nTo stay current, sign in, read the new version and sign it with your statements for each commitment.\n\nRead the new version:\n{{site}}/pledge\n\nThe Tech Pledge registry\n",
        }),
        "PublishPreview" => json!({
            "version": pledge_version(),
            "current": VERSION,
            "changes": [schema_example("ChangeLine")?],
            "signers": 214,
            "emails": 388,
            "example_email": schema_example("ExampleEmail")?,
        }),
        "Commitment" => commitment(),
        "StatusChange" => status_change(),
        "AuditEntry" => audit_entry(),
        "Concern" => concern(),
        "LogKey" => json!({ "origin": "registry.example/tech-pledge-log",
            "verifier_key": "registry.example/tech-pledge-log+8c1b3f0a+AUr2nS4mB3ZkV0Qw8pYc7tH1xJ9eLdG6fR5uK2aW3sT0",
            "retired": [schema_example("RetiredLogKey")?] }),
        "RetiredLogKey" => json!({
            "verifier_key": "registry.example/tech-pledge-log+41d0a6e2+AQm7Yw3Zr0k2Lp9sX4cV8bN1qT6eH5uJ0aD3fG7iK2lM",
            "retired_at": "2026-03-01T09:00:00Z" }),
        "InclusionProof" => json!({ "seq": 1201, "leaf_index": 1200, "tree_size": 10342,
            "leaf_hash": "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
            "hashes": ["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4="],
            "root": "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=" }),
        "ConsistencyProof" => json!({ "from": 10000, "to": 10342,
            "hashes": ["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4="],
            "from_root": "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
            "to_root": "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=" }),
        "Concerns" => {
            json!({ "items": [concern()], "open": 1, "next_cursor": "MTc3NDAwMDAwMDAwMDAwMF8x" })
        }
        "CloseConcern" => {
            json!({ "outcome": "The supplier replaced the broken policy link; nothing else was wrong." })
        }
        "Page_SupplierSummary" => json!({
            "items": [summary()],
            "next_cursor": CURSOR,
            "total": 214,
        }),
        "Page_PledgeVersion" => page(pledge_version(), None),
        "Page_StatusChange" => page(status_change(), None),
        "Page_AuditEntry" => page(audit_entry(), Some("MTIwMQ")),
        "Change" => json!({
            "seq": 1201,
            "at": "2026-03-20T15:16:23Z",
            "type": "supplier.verified",
            "supplier_id": SUPPLIER_ID,
            "entity_id": SUPPLIER_ID,
            "supplier": summary(),
        }),
        "ChangePage" => json!({
            "items": [schema_example("Change")?],
            "next_since": 1201,
            "more": false,
            "checkpoint": "registry.example/tech-pledge-log\n10342\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u{2014} registry.example/tech-pledge-log jBs/Cp0DyIBC3u2XqmTwSh5lt3rV2gFUOS7ZyP4VcHtrdX5eCkRwb2dm6QnaaDzvVy1kbAB1J3v2c2k0lAVs2yB3Eg0=\n",
        }),
        "LogHead" => json!({ "seq": 1201, "hash": HASH, "at": "2026-03-20T15:16:23Z" }),
        "Jwk" => json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": "T1bUbVDaYctchu6Wnlj2qBw_aZ3cjO3b3CBt3J2R1Bo",
            "kid": "3s6_RqB1SGKEaFZ2",
            "alg": "EdDSA",
            "use": "sig",
        }),
        "Jwks" => json!({ "keys": [schema_example("Jwk")?] }),
        "Problem" => json!({
            "type": "urn:pledge-registry:problem:validation",
            "title": "Validation failed",
            "status": 422,
            "detail": "website: must be an http or https URL",
            "errors": [schema_example("FieldError")?],
        }),
        "FieldError" => json!({ "field": "website", "message": "must be an http or https URL" }),
        "Health" => json!({ "status": "ok" }),
        "Started" => json!({ "status": "started" }),
        "Summary" => json!({
            "checked": 12,
            "outcomes": { "ok": 10, "redirected": 1, "broken": 1 },
            "changed": 2,
            "expired": 0,
        }),
        "CheckRequest" => json!({ "supplier_id": SUPPLIER_ID }),
        "IssuedToken" => token(),
        "TokenRequest" => json!({
            "role": "supplier",
            "supplier_id": SUPPLIER_ID,
            "label": "Oakleaf's procurement integration",
            "ttl_days": 365,
        }),
        "Registration" => json!({
            "name": "Oakleaf Insight Group",
            "website": "https://www.oakleaf.example",
            "company_number": "09689361",
            "description": "Care planning and eMAR medication management for adult social care providers.",
            "products": ["Care planning assistant", "eMAR medication management"],
            "contact_name": "Sam Patel",
            "contact_email": "sam.patel@oakleaf.example",
        }),
        "Registered" => json!({ "supplier": supplier(), "token": token() }),
        "ProfilePatch" => json!({
            "description": "Care planning, eMAR and hydration tracking for adult social care providers.",
            "products": ["Care planning assistant", "eMAR medication management", "Hydration tracking"],
        }),
        "SignRequest" => json!({
            "pledge_version": VERSION,
            "signatory_name": "Alex Morgan",
            "signatory_role": "Chief Executive",
            "statements": { "safety": statement()["statement"] },
        }),
        "Reason" => {
            json!({ "reason": "The certificate named as evidence was revoked by its issuer." })
        }
        "NewEvidence" => new_evidence(),
        "EvidencePatch" => {
            json!({ "title": "Cyber Essentials Plus certificate (renewed)", "expires_on": "2028-01-03" })
        }
        "NewCommitment" => commitment(),
        "NewPledgeVersion" => json!({
            "version": "2026-09",
            "title": "Tech Pledge for the responsible use of AI in social care",
            "summary": "The second version: adds a commitment on environmental impact.",
            "source_url": "https://www.digitalcarehub.co.uk/",
            "published_on": "2026-09-01",
            "commitments": [commitment()],
        }),
        "Status" => json!("active"),
        "EvidenceHealth" => json!("ok"),
        "SnapshotView" => snapshot(),
        "CompanyFlag" => json!("dissolved"),
        "CompanyCheckView" => json!({
            "outcome": "found",
            "registered_name": "EXAMPLE CARE TECH LIMITED",
            "company_status": "active",
            "incorporated_on": "2011-04-12",
            "flags": [],
            "checked_at": "2026-12-03T06:00:00Z",
        }),
        "ContentView" => content(),
        "BaselineView" => content()["baseline"].clone(),
        "BaselineReason" => json!("signed"),
        "Since" => json!("changed"),
        "Op" => json!("delete"),
        "Piece" => diff()[1].clone(),
        "ContentChangesView" => merged(
            json!({
                "evidence_id": "0b5d3f0e-8f7a-4c1e-9a53-2d1f6c7e9b10",
                "title": "Data protection policy",
                "url": "https://example.org/data-protection",
                "text_shown": true,
                "diff": diff(),
                "inserted_words": 1,
                "deleted_words": 1,
            }),
            merged(
                content(),
                json!({ "since": "changed", "changed_at": "2026-11-02T06:00:10Z" }),
            ),
        ),
        "EvidenceKind" => json!("certification"),
        "CertScheme" => json!("cyber_essentials_plus"),
        "EvidenceSummary" => json!("all_ok"),
        "Role" => json!("supplier"),
        "MemberRole" => json!("owner"),
        "EventType" => json!("status.changed"),
        "NewSubscriber" => {
            json!({ "name": "Northshire County Council supplier assurance", "email": "assurance@northshire.example" })
        }
        "SubscriberCreated" => {
            json!({ "id": "3c1b9a7e-2d4f-4a6b-9c8d-7e6f5a4b3c2d", "name": "Northshire County Council supplier assurance",
            "email": "assurance@northshire.example", "confirmed": true, "created_at": "2026-11-27T15:00:00Z",
            "token": merged(token(), json!({"role": "subscriber", "supplier_id": null})) })
        }
        "SignUp" => {
            json!({ "name": "Northshire County Council supplier assurance", "email": "assurance@northshire.example" })
        }
        "SignUpSent" => json!({
            "detail": "A link to confirm the address is on its way to it. It works once, within 20 minutes, and gives the account's token."
        }),
        "SignUpConfirm" => json!({ "token": "q9G3v0mXz7bW2kRr5TtYc1uJp8sLd4eNf6hAa0iOo2E" }),
        "Subscription" => subscription(),
        "Subscriptions" => json!({ "items": [subscription()] }),
        "SubscriptionWithSecret" => {
            json!({ "subscription": subscription(), "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" })
        }
        "NewSubscription" => {
            json!({ "url": "https://assurance.northshire.example/hooks/tech-pledge",
            "event_types": ["status.changed", "evidence.health_changed"], "supplier_ids": [SUPPLIER_ID], "statuses": [] })
        }
        "SubscriptionPatch" => json!({ "paused": true }),
        "Replay" => json!({ "since": 1200 }),
        "Delivery" => delivery(),
        "Deliveries" => json!({ "items": [delivery()] }),
        "Scope" => json!("write"),
        "TokenKind" => json!("api"),
        "Member" => member(),
        "Members" => json!({ "items": [member()] }),
        "Token" => api_token(),
        "Tokens" => json!({ "items": [api_token()] }),
        "SignInRequest" => json!({ "email": "sam.patel@oakleaf.example" }),
        "SignInSent" => json!({
            "detail": "If this address belongs to a member of a supplier, a sign-in link is on its way. It works once, within 20 minutes."
        }),
        "SignInConfirm" => json!({ "token": "q9G3v0mXz7bW2kRr5TtYc1uJp8sLd4eNf6hAa0iOo2E" }),
        "SignedIn" => json!({ "token": token(), "member": member(), "memberships": [member()] }),
        "NewMember" => {
            json!({ "email": "alex.jones@oakleaf.example", "name": "Alex Jones", "role": "editor" })
        }
        "MemberPatch" => json!({ "role": "owner" }),
        "NewApiToken" => json!({ "name": "CRM sync", "scope": "write", "expires_in_days": 365 }),
        "NewOwner" => json!({ "email": "alex.jones@oakleaf.example", "name": "Alex Jones" }),
        _ => return None,
    })
}

fn concern() -> Value {
    json!({ "id": "5b2e7c1a-9d3f-4e8b-a6c4-2f1d0e9b8a7c", "supplier_id": SUPPLIER_ID, "about": "Oakleaf Care Tech",
    "details": "The AI policy link leads to a page about cookies, not to an AI policy.",
    "email": "care.manager@sunnyside.example", "raised_at": "2026-11-27T15:00:00Z",
    "closed_at": null, "closed_by": null, "outcome": null })
}
