use actix_web::{HttpResponse, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::tokens::IssuedToken;
use crate::db::models::now;
use crate::domain::SupplierId;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::http::ratelimit::SignInQuota;
use crate::routes::problems::BodyErrors;
use crate::state::State;
use crate::usecases::accounts;
use crate::views::accounts::Member;

/// An address to send a sign-in link to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// The member's email address.
    #[schema(max_length = 254)]
    email: String,
}

/// What happens next; the same whether or not the address is a member's.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignInSent {
    pub detail: String,
}

/// Ask for a sign-in link by email. If the address belongs to a member of any supplier,
/// a link is sent to it that works once within 20 minutes. The answer never says
/// whether the address is known, and an address is never refused (nobody can lock a
/// member out): past three links an hour, nothing more is sent while one is still
/// waiting unused. Limited per client.
#[utoipa::path(operation_id = "requestSignIn", tag = "accounts", request_body = SignInRequest,
    security(()),
    responses(
        (status = 202, body = SignInSent, description = "A link is on its way if the address belongs to a member"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many links asked for from this client; `Retry-After` says when to try again"),
        BodyErrors,
    )
)]
#[post("/sign-in")]
pub async fn request(
    state: State,
    _quota: SignInQuota,
    body: Json<SignInRequest>,
) -> ApiResult<HttpResponse> {
    let ask = accounts::SignInAsk::parse(&body.0.email)?;
    state
        .tx(move |conn| accounts::request_sign_in(conn, ask, now()))
        .await?;
    Ok(HttpResponse::Accepted().json(SignInSent {
        detail: format!(
            "If this address belongs to a member of a supplier, a sign-in link is on its way. \
             It works once, within {} minutes.",
            accounts::LINK_MINUTES
        ),
    }))
}

/// A sign-in link's secret, to exchange for a session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInConfirm {
    /// The `token` parameter of the link in the email.
    #[schema(max_length = 100)]
    token: String,
    /// The supplier to sign in to, when the address is a member of several; naming a
    /// supplier the address is invited to accepts the invitation.
    #[schema(value_type = Option<String>, format = Uuid)]
    supplier_id: Option<SupplierId>,
}

/// A session: a bearer token for the API, for one membership.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedIn {
    /// The session token; it lasts 12 hours. Sign in again by email for another.
    pub token: IssuedToken,
    /// Who signed in, and their role.
    pub member: Member,
    /// Every supplier the address is a member of, or invited to (`confirmed` false:
    /// not accepted yet; name it in `supplier_id` to accept).
    pub memberships: Vec<Member>,
}

/// Use a sign-in link: exchanges its secret (once) for a session token. A link sent
/// with an invitation (or a registration) accepts that membership; any other signs in
/// to a membership the address accepted, or accepts the invitation `supplier_id`
/// names. Signing in never accepts an invitation nobody chose. 422 naming
/// `supplier_id` (and the link is not used) when the address belongs to several
/// suppliers, or has only invitations it has not accepted.
#[utoipa::path(operation_id = "confirmSignIn", tag = "accounts", request_body = SignInConfirm,
    security(()),
    responses(
        (status = 200, body = SignedIn, description = "Signed in"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "The link is unknown, used or expired"),
        BodyErrors,
    )
)]
#[post("/sign-in/confirm")]
pub async fn confirm(state: State, body: Json<SignInConfirm>) -> ApiResult<HttpResponse> {
    let r = body.0;
    let state2 = state.clone();
    let session = state
        .tx(move |conn| {
            accounts::confirm_sign_in(
                conn,
                &state2.keys.current(),
                &state2.config.public_url,
                &r.token,
                r.supplier_id
                    .map_or(accounts::Choice::Only, accounts::Choice::Named),
                now(),
            )
        })
        .await?;
    tracing::info!(member_id = %session.member.id, supplier_id = %session.member.supplier_id, "signed in");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(SignedIn {
            token: session.token,
            member: session.member.into(),
            memberships: session.memberships.into_iter().map(Member::from).collect(),
        }))
}
