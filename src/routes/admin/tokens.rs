use actix_web::{HttpResponse, delete, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::tokens::IssuedToken;
use crate::auth::{Admin, Role};
use crate::db::models::now;
use crate::domain::SupplierId;
use crate::http::extract::Json;
use crate::http::problem::ApiResult;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;
use crate::usecases;

/// A token to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    role: Role,
    /// Required for a supplier token; not allowed for an admin token.
    #[schema(value_type = Option<String>, format = Uuid)]
    supplier_id: Option<SupplierId>,
    /// Lifetime in days, 1 to 3650 (default: the configured lifetime).
    #[schema(minimum = 1, maximum = 3650)]
    ttl_days: Option<u32>,
    /// A note for the operator: who or what the token is for (1 to 200 characters).
    #[schema(min_length = 1, max_length = 200)]
    label: Option<String>,
}

/// Issue a token. It is shown only in this response.
#[utoipa::path(operation_id = "issueToken", tag = "admin", request_body = TokenRequest, security(("bearer" = [])), responses(
    (status = 201, body = IssuedToken, description = "The new token; it is shown only once"),
    AuthErrors,
    BodyErrors,
))]
#[post("/admin/tokens")]
pub async fn issue(
    state: State,
    admin: Admin,
    body: Json<TokenRequest>,
) -> ApiResult<HttpResponse> {
    let r = body.0;
    let grant = usecases::tokens::OperatorGrant::parse(
        r.role,
        r.supplier_id,
        r.ttl_days.unwrap_or(state.config.token_days),
        r.label.as_deref(),
    )?;
    let by = admin.0.by();
    let state2 = state.clone();
    let issued = state
        .tx(move |conn| {
            usecases::tokens::issue(
                conn,
                &state2.keys.current(),
                &state2.config.public_url,
                &by,
                grant,
                now(),
            )
        })
        .await?;
    tracing::info!(jti = %issued.jti, role = %issued.role, "token issued");
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(issued))
}

/// Revoke a token by its id. Revoking an already revoked token is not an error.
#[utoipa::path(operation_id = "revokeToken", tag = "admin",
    params(("jti" = String, Path, description = "Token id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        AuthErrors,
        NotFoundError,
                )
)]
#[delete("/admin/tokens/{jti}")]
pub async fn revoke(
    state: State,
    admin: Admin,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let jti = path.into_inner();
    let by = admin.0.by();
    state
        .tx(move |conn| usecases::tokens::revoke(conn, &by, &jti, now()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
