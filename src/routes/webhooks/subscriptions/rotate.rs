use actix_web::{HttpResponse, post, web};

use super::*;
use crate::auth::Subscriber;
use crate::db::models::now;
use crate::domain::SubscriptionId;
use crate::http::problem::ApiResult;
use crate::routes::problems::{AuthErrors, NotFoundError, SubscriberLimit};
use crate::state::State;
use crate::usecases::webhooks;

/// Rotate the signing secret: the new one is in the answer; the old one also signs
/// for 24 hours, so receivers can switch without losing a message.
#[utoipa::path(operation_id = "rotateSubscriptionSecret", tag = "webhooks",
    params(("subscription_id" = String, Path, format = Uuid, description = "Subscription id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SubscriptionWithSecret, description = "The new secret"),
        SubscriberLimit,
        AuthErrors,
        NotFoundError,
    ))]
#[post("/webhooks/subscriptions/{subscription_id}/rotate")]
pub async fn rotate(
    state: State,
    who: Subscriber,
    path: web::Path<SubscriptionId>,
) -> ApiResult<HttpResponse> {
    let (id, by) = (path.into_inner(), who.by());
    let (row, secret) = state
        .tx(move |conn| webhooks::rotate(conn, who.id, &by, id, now()))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(SubscriptionWithSecret {
            subscription: Subscription::of(row)?,
            secret: secret.expose(),
        }))
}
