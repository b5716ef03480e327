use actix_web::{HttpResponse, post};

use super::*;
use crate::auth::Subscriber;
use crate::db::models::now;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, BodyErrors, SubscriberLimit};
use crate::state::State;
use crate::usecases::webhooks;

/// Subscribe an endpoint to changes. Each change the filters let through is POSTed as
/// the change feed's entry, signed as Standard Webhooks says; in `seq` order, at least
/// once.
#[utoipa::path(operation_id = "createSubscription", tag = "webhooks", request_body = webhooks::NewSubscription, security(("bearer" = [])), responses(
    (status = 201, body = SubscriptionWithSecret, description = "Subscribed; the secret signs every message"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "The subscriber holds as many subscriptions as allowed"),
    SubscriberLimit,
    AuthErrors,
    BodyErrors,
))]
#[post("/webhooks/subscriptions")]
pub async fn create(
    state: State,
    who: Subscriber,
    body: Json<webhooks::NewSubscription>,
) -> ApiResult<HttpResponse> {
    let new = webhooks::Subscribe::parse(body.0, &state.webhooks)?;
    let by = who.by();
    let (row, secret) = state
        .tx(move |conn| webhooks::subscribe(conn, who.id, &by, new, now()))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Location",
            format!("/api/v1/webhooks/subscriptions/{}", row.id),
        ))
        .json(SubscriptionWithSecret {
            subscription: Subscription::of(row)?,
            secret: secret.expose(),
        }))
}
