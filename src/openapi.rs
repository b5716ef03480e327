//! The top of the OpenAPI document: info, tags, security; paths come from the routes.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    OpenApi as Doc, PathItem, ResponseBuilder, path::HttpMethod, path::OperationBuilder,
};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tech Pledge registry",
        description = "The public registry of technology suppliers that signed the Tech Pledge for the \
            responsible use of AI in social care: who signed which version, what each says it does for each \
            commitment, and what evidence backs it. Errors are application/problem+json (RFC 9457). Lists \
            answer {\"items\": [...], \"next_cursor\": ...}; pass next_cursor back as `cursor`.",
        license(name = "MIT")
    ),
    tags(
        (name = "pledge", description = "Pledge versions and their commitments"),
        (name = "suppliers", description = "Public view of signatories"),
        (name = "supplier self-service", description = "A supplier managing its own record (supplier token)"),
        (name = "admin", description = "The registry operator (admin token)"),
        (name = "log", description = "The verifiable audit log, the change feed and the keys that sign attestations"),
        (name = "pages", description = "Pages for people, and the status badge"),
        (name = "service", description = "Health, readiness and this document"),
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
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

/// Adds what is not a handler of ours: the OpenAPI document and the docs UI.
pub fn finish(mut api: Doc) -> Doc {
    let fixed = [
        (
            "/openapi.json",
            "openapi_document",
            "This OpenAPI 3.1 document",
            "200",
            "The OpenAPI document",
        ),
        (
            "/docs/",
            "docs_ui",
            "Browsable API documentation (Swagger UI, served from the binary)",
            "200",
            "HTML page",
        ),
        (
            "/docs",
            "docs_redirect",
            "Redirects to the documentation UI",
            "308",
            "Redirect to /docs/",
        ),
    ];
    for (path, id, summary, status, description) in fixed {
        let op = OperationBuilder::new()
            .tag("service")
            .summary(Some(summary))
            .operation_id(Some(id))
            .response(
                status,
                ResponseBuilder::new().description(description).build(),
            )
            .build();
        api.paths
            .paths
            .insert(path.into(), PathItem::new(HttpMethod::Get, op));
    }
    api
}
