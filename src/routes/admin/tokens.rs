use actix_web::{HttpResponse, delete, post, web};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::tokens::{self, IssuedToken};
use crate::auth::{Admin, Role};
use crate::db::models::{audit, now, supplier};
use crate::domain::{SupplierId, text};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;

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
    let days = r.ttl_days.unwrap_or(state.config.token_days);
    if !(1..=3650).contains(&days) {
        return Err(ApiError::field("ttl_days", "must be between 1 and 3650"));
    }
    match (r.role, r.supplier_id) {
        (Role::Supplier, None) => {
            return Err(ApiError::field(
                "supplier_id",
                "is required for a supplier token",
            ));
        }
        (Role::Subscriber, _) => {
            return Err(ApiError::field(
                "role",
                "a subscriber's token comes with the subscriber: POST /api/v1/admin/subscribers",
            ));
        }
        (Role::Admin, Some(_)) => {
            return Err(ApiError::field(
                "supplier_id",
                "must be absent for an admin token",
            ));
        }
        _ => {}
    }
    let label = r
        .label
        .as_deref()
        .map(|l| text::bounded(l, 1, 200))
        .transpose()
        .map_err(|m| ApiError::field("label", m))?;
    let actor = admin.0.actor();
    let state2 = state.clone();
    let issued = state
        .tx(move |conn| {
            if let Some(id) = r.supplier_id
                && supplier::get(conn, id)?.is_none()
            {
                return Err(ApiError::field(
                    "supplier_id",
                    "is not a registered supplier",
                ));
            }
            let issued = tokens::issue(
                conn,
                &state2.keys.current(),
                &state2.config.public_url,
                tokens::Grant {
                    role: r.role,
                    supplier_id: r.supplier_id,
                    label: label.as_deref(),
                    ..tokens::Grant::operator(Duration::days(days.into()))
                },
            )
            .map_err(ApiError::Internal)?;
            audit::record(
                conn,
                now(),
                audit::Entry {
                    actor: &actor,
                    action: "token.issued",
                    entity_type: "token",
                    entity_id: issued.jti.clone(),
                    supplier_id: r.supplier_id,
                    before: None,
                    after: Some(
                        json!({"role": r.role, "expires_at": issued.expires_at, "label": label}),
                    ),
                },
            )?;
            Ok(issued)
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
    let actor = admin.0.actor();
    state
        .tx(move |conn| match tokens::revoke(conn, &jti)? {
            None => Err(ApiError::NotFound(format!("there is no token {jti:?}"))),
            Some(false) => Ok(()),
            Some(true) => {
                audit::record(
                    conn,
                    now(),
                    audit::Entry {
                        actor: &actor,
                        action: "token.revoked",
                        entity_type: "token",
                        entity_id: jti.clone(),
                        supplier_id: None,
                        before: None,
                        after: None,
                    },
                )?;
                Ok(())
            }
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
