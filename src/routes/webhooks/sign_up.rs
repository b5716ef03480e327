use actix_web::{HttpResponse, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::now;
use crate::error::Error;
use crate::http::extract::Json;
use crate::http::problem::{ApiError, ApiResult, Problem};
use crate::http::ratelimit::SignInQuota;
use crate::routes::problems::BodyErrors;
use crate::state::State;
use crate::usecases::{accounts, webhooks};
use crate::views::accounts::SubscriberCreated;

/// A procurement tool signing itself up for webhooks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    /// Who it is, such as "Northshire County Council supplier assurance".
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// The address to confirm; the registry also writes to it when a subscription
    /// stops working.
    #[schema(max_length = 254)]
    email: String,
}

/// What happens next; the same whether or not the address has an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignUpSent {
    pub detail: String,
}

/// The registry's operator turned self-service sign-up off.
fn closed(state: &State) -> ApiResult<()> {
    if state.config.webhooks.sign_up {
        Ok(())
    } else {
        Err(ApiError::Domain(Error::Forbidden(
            "this registry does not take webhook sign-ups; ask its operator for an account".into(),
        )))
    }
}

/// Sign up for webhooks: a link that confirms the address is emailed to it, and the
/// account and its token come when the link is used. The answer never says whether the
/// address has an account already (if it has, the link gives that account a new
/// token). Never refused for an address: past three links an hour (sign-in links
/// included), nothing more is sent while one is still waiting unused. Limited per
/// client.
#[utoipa::path(operation_id = "signUpSubscriber", tag = "webhooks", request_body = SignUp,
    security(()),
    responses(
        (status = 202, body = SignUpSent, description = "A confirmation link is on its way"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "This registry does not take sign-ups (`REGISTRY_WEBHOOK_SIGN_UP=off`)"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many links asked for from this client; `Retry-After` says when to try again"),
        BodyErrors,
    )
)]
#[post("/webhooks/subscribers")]
pub async fn request(
    state: State,
    _quota: SignInQuota,
    body: Json<SignUp>,
) -> ApiResult<HttpResponse> {
    closed(&state)?;
    let ask = webhooks::SignUpAsk::parse(&body.0.name, &body.0.email)?;
    state
        .tx(move |conn| webhooks::request_sign_up(conn, ask, now()))
        .await?;
    Ok(HttpResponse::Accepted().json(SignUpSent {
        detail: format!(
            "A link to confirm the address is on its way to it. It works once, within {} minutes, \
             and gives the account's token.",
            accounts::LINK_MINUTES
        ),
    }))
}

/// A sign-up link's secret, to exchange for the account's token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpConfirm {
    /// The `token` parameter of the link in the email.
    #[schema(max_length = 100)]
    token: String,
}

/// Use a sign-up link: exchanges its secret (once) for a subscriber account and its
/// token. An address that has an account already gets a new token for it (200); a new
/// one is created otherwise (201).
#[utoipa::path(operation_id = "confirmSubscriber", tag = "webhooks", request_body = SignUpConfirm,
    security(()),
    responses(
        (status = 201, body = SubscriberCreated, description = "A new subscriber and its token, shown only once"),
        (status = 200, body = SubscriberCreated, description = "The address's subscriber, with a new token shown only once"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "The link is unknown, used or expired"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "This registry does not take sign-ups"),
        BodyErrors,
    )
)]
#[post("/webhooks/subscribers/confirm")]
pub async fn confirm(state: State, body: Json<SignUpConfirm>) -> ApiResult<HttpResponse> {
    closed(&state)?;
    let (created, new) = use_link(&state, body.0.token).await?;
    let mut res = if new {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(res
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

/// Uses a sign-up link; the account, and whether it is new.
pub async fn use_link(state: &State, link: String) -> ApiResult<(SubscriberCreated, bool)> {
    let issuing = state.issuing();
    let done = state
        .tx(move |conn| webhooks::confirm_sign_up(conn, &issuing, &link, now()))
        .await?;
    tracing::info!(subscriber_id = %done.subscriber.id, new = done.new, "webhook subscriber confirmed");
    Ok((SubscriberCreated::of(done.subscriber, done.token), done.new))
}
