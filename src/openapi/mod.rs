//! The OpenAPI document. Its top (info, tags, security schemes) is declared here, the
//! paths come from the routes' annotations, and [`finish`] adds what annotations cannot
//! say: the server's own address, the routes that are not handlers of ours, explicit
//! "no token needed" on public operations, and an example for every schema and
//! parameter ([`examples`]).

mod examples;

use serde_json::{Value, json};
use utoipa::openapi::OpenApi as Doc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tech Pledge registry",
        description = "The public registry of technology suppliers that signed the Tech Pledge for the \
            responsible use of AI in social care: who signed which version, what each says it does for each \
            commitment, and what evidence backs it.\n\n\
            Reading needs no token. Errors are `application/problem+json` (RFC 9457) and name the field at \
            fault. Lists answer `{\"items\": [...], \"next_cursor\": ...}`; pass `next_cursor` back as \
            `cursor`. Reads carry an `ETag` and `Last-Modified`; send them back as `If-None-Match` or \
            `If-Modified-Since` for a `304`. The guide (see externalDocs) covers paging, the change feed, \
            mirroring, caching, rate limits and the versioning policy.",
        license(name = "MIT", identifier = "MIT")
    ),
    tags(
        (name = "pledge", description = "The pledge: its published versions and the commitments in each"),
        (name = "suppliers", description = "Signatories as anyone may read them: the list, one supplier, its \
            history, a signed attestation of its status, and the whole register as one export"),
        (name = "supplier self-service", description = "A supplier registering and managing its own record: \
            profile, signature and evidence links (the supplier's token)"),
        (name = "accounts", description = "A supplier's people and tokens: members sign in with a one-time link \
            sent to their email address, owners add and remove members and create, list and revoke named API tokens"),
        (name = "admin", description = "The registry operator: publishing pledge versions, verifying, \
            suspending and reinstating suppliers, tokens, the audit log and evidence checks (admin token)"),
        (name = "webhooks", description = "Push, not poll: a subscriber's endpoints get each change of the feed as it \
            happens, signed in the Standard Webhooks format, in order (a subscriber token: sign up with an address \
            you confirm, or ask the operator)"),
        (name = "log", description = "What lets others check the registry: the audit log head, the change feed \
            a mirror follows, and the keys that sign attestations"),
        (name = "pages", description = "Pages for people (HTML), the guides, and the status badge (SVG)"),
        (name = "service", description = "Health, readiness, metrics, this document and its browsable form"),
    ),
    components(schemas(crate::http::problem::Problem, crate::http::problem::FieldError)),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut Doc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A token from `pledge-registry token issue`, `POST /api/v1/admin/tokens` or registration"))
                    .build(),
            ),
        );
    }
}

/// The guide the document points at for what a schema cannot say.
pub const GUIDE: &str = "/guides/api";

/// Completes the generated document for a registry reached at `public_url`.
pub fn finish(api: Doc, public_url: &str) -> Value {
    let mut doc = serde_json::to_value(api).unwrap_or_default();
    doc["servers"] = json!([{ "url": public_url, "description": "This registry" }]);
    doc["info"]["contact"] = json!({
        "name": "The registry operator",
        "url": format!("{public_url}{GUIDE}"),
    });
    doc["externalDocs"] = json!({
        "description": "Using the API: paging, the change feed, caching, rate limits, errors and versioning",
        "url": format!("{public_url}{GUIDE}"),
    });
    add_fixed_routes(&mut doc);
    declare_public_operations(&mut doc);
    declare_rate_limits(&mut doc);
    refer_to_page_items(&mut doc);
    examples::apply(&mut doc);
    crate::http::deprecation::mark(&mut doc, crate::http::deprecation::DEPRECATED);
    doc
}

/// What is not a handler of ours: the document itself and its browsable form.
fn add_fixed_routes(doc: &mut Value) {
    doc["paths"]["/openapi.json"] = json!({ "get": {
        "tags": ["service"],
        "summary": "This OpenAPI 3.1 document",
        "operationId": "getOpenApiDocument",
        "responses": { "200": {
            "description": "The OpenAPI document",
            "content": { "application/json": { "schema": { "type": "object" } } },
        } },
    } });
    doc["paths"]["/docs"] = json!({ "get": {
        "tags": ["service"],
        "summary": "Browsable API reference (Swagger UI, served from the binary with its scripts and styles under `/docs/`)",
        "operationId": "getApiReference",
        "responses": { "200": {
            "description": "HTML page",
            "content": { "text/html": {} },
        } },
    } });
}

/// Public by default: the document's own requirement is the empty one ("no token"),
/// and operations that need a token say so. (An empty requirement repeated on each
/// public operation would read, to some client generators, as "needs a token".)
fn declare_public_operations(doc: &mut Value) {
    doc["security"] = json!([{}]);
}

/// Every read but the probes counts against the client's read limit
/// ([`crate::ratelimit`]), and may answer 429.
fn declare_rate_limits(doc: &mut Value) {
    let field = |description: &str, example: &str| json!({ "description": description, "schema": { "type": "string" }, "example": example });
    doc["components"]["responses"]["TooManyRequests"] = json!({
        "description": "Too many requests from this client: wait `Retry-After` seconds. \
            The pages answer a browser with a page (text/html), the API with a problem document.",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before asking again",
                "schema": { "type": "integer" },
                "example": 42,
            },
            "RateLimit-Policy": field(
                "The limit: quota `q` per window of `w` seconds (IETF httpapi RateLimit fields draft)",
                "\"reads\";q=1200;w=60",
            ),
            "RateLimit": field(
                "What remains (`r`) and seconds until the window resets (`t`)",
                "\"reads\";r=0;t=42",
            ),
        },
        "content": {
            "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } },
            "text/html": { "schema": { "type": "string" } },
        },
    });
    for_each_operation(doc, |path, method, op| {
        if method == "get" && !crate::http::ratelimit::is_probe(path) {
            op["responses"]["429"] = json!({ "$ref": "#/components/responses/TooManyRequests" });
        }
    });
}

/// A page's items refer to their schema rather than repeating it, so that generated
/// clients have one model per kind of record.
fn refer_to_page_items(doc: &mut Value) {
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let Some(item) = name.strip_prefix("Page_") else {
            continue;
        };
        if schemas.contains_key(item) {
            schemas[&name]["properties"]["items"]["items"] =
                json!({ "$ref": format!("#/components/schemas/{item}") });
        }
    }
}

/// Calls `f(path, method, operation)` for every operation in the document.
pub(crate) fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Value)) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if matches!(
                method.as_str(),
                "get" | "put" | "post" | "delete" | "patch" | "head" | "options" | "trace"
            ) {
                f(path, method, op);
            }
        }
    }
}
