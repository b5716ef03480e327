use actix_web::{HttpResponse, patch, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::*;
use crate::auth::Subscriber;
use crate::db::models::now;
use crate::domain::SubscriptionId;
use crate::http::extract::Json;
use crate::http::problem::ApiResult;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError, SubscriberLimit};
use crate::state::State;
use crate::usecases::webhooks;

/// What to change of a subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionPatch {
    /// true pauses deliveries; false resumes them (a disabled subscription starts again
    /// where it stopped).
    paused: bool,
}

/// Pause or resume a subscription.
#[utoipa::path(operation_id = "updateSubscription", tag = "webhooks", request_body = SubscriptionPatch,
    params(("subscription_id" = String, Path, format = Uuid, description = "Subscription id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Subscription, description = "Changed"),
        SubscriberLimit,
        AuthErrors,
        BodyErrors,
        NotFoundError,
    ))]
#[patch("/webhooks/subscriptions/{subscription_id}")]
pub async fn update(
    state: State,
    who: Subscriber,
    path: web::Path<SubscriptionId>,
    body: Json<SubscriptionPatch>,
) -> ApiResult<HttpResponse> {
    let (id, paused, by) = (path.into_inner(), body.0.paused, who.by());
    let row = state
        .tx(move |conn| webhooks::set_paused(conn, who.id, &by, id, paused, now()))
        .await?;
    Ok(HttpResponse::Ok().json(Subscription::of(row)?))
}
