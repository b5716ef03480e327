use actix_web::{HttpResponse, delete, get, post, web};

use crate::auth::tokens::IssuedToken;
use crate::db::models::{now, tokens};
use crate::http::callers::SupplierOwner;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;
use crate::usecases::accounts;
use crate::views::accounts::{Token, Tokens};

/// A supplier's tokens (never their secrets): named API tokens, the registration
/// token and any the operator issued, the newest 200 (every token in force among
/// them); members' sessions are not listed. Owners only.
#[utoipa::path(operation_id = "listSupplierTokens", tag = "accounts",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Tokens, description = "The tokens, newest first"),
        AuthErrors,
        NotFoundError,
    )
)]
#[get("/suppliers/{id_or_slug}/tokens")]
pub async fn list(state: State, who: SupplierOwner) -> ApiResult<HttpResponse> {
    let id = who.id;
    let items = state
        .db(move |conn| Ok(tokens::of_supplier(conn, id)?))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(Tokens {
            items: items.into_iter().map(Token::from).collect(),
        }))
}

/// Create a named API token for automation. Its secret is shown only in this answer.
/// Owners only.
#[utoipa::path(operation_id = "createSupplierToken", tag = "accounts", request_body = accounts::NewApiToken,
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    security(("bearer" = [])),
    responses(
        (status = 201, body = IssuedToken, description = "The new token; it is shown only once"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The supplier holds 50 API tokens in force; revoke one first"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    )
)]
#[post("/suppliers/{id_or_slug}/tokens")]
pub async fn create(
    state: State,
    who: SupplierOwner,
    body: Json<accounts::NewApiToken>,
) -> ApiResult<HttpResponse> {
    let (id, caller) = (who.id, who.caller);
    let by = caller.by();
    let new = accounts::NewToken::parse(body.0)?;
    let state2 = state.clone();
    let issued = state
        .tx(move |conn| {
            accounts::create_token(
                conn,
                &state2.keys.current(),
                &state2.config.public_url,
                id,
                &by,
                new,
                now(),
            )
        })
        .await?;
    tracing::info!(jti = %issued.jti, supplier_id = %id, "API token created");
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(issued))
}

/// Revoke one of the supplier's tokens (a leaver's, a leaked one); it is refused from
/// then on, on every instance. Owners only.
#[utoipa::path(operation_id = "revokeSupplierToken", tag = "accounts",
    params(
        ("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug"),
        ("jti" = String, Path, description = "Token id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked (or it was already)"),
        AuthErrors,
        NotFoundError,
    )
)]
#[delete("/suppliers/{id_or_slug}/tokens/{jti}")]
pub async fn revoke(
    state: State,
    who: SupplierOwner,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, jti, caller) = (who.id, path.into_inner().1, who.caller);
    let by = caller.by();
    state
        .tx(move |conn| accounts::revoke_token(conn, id, &by, &jti, now()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
