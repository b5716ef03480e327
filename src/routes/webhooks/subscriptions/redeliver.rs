use actix_web::{HttpResponse, post, web};

use super::deliveries::Delivery;
use crate::auth::Subscriber;
use crate::db::models::now;
use crate::db::models::webhooks::{self as stored};
use crate::domain::SubscriptionId;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, NotFoundError};
use crate::state::State;
use crate::usecases::webhooks;

/// Deliver one change again, now, outside the order (the subscription's position does
/// not move); the attempt is logged and returned.
#[utoipa::path(operation_id = "redeliver", tag = "webhooks",
    params(
        ("subscription_id" = String, Path, format = Uuid, description = "Subscription id"),
        ("seq" = i64, Path, description = "The change's `seq`"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Delivery, description = "The attempt (see `status` and `error` for how it went)"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "More than 10 redeliveries in a minute for this subscriber; `Retry-After` says when to ask again"),
        AuthErrors,
        NotFoundError,
    ))]
#[post("/webhooks/subscriptions/{subscription_id}/deliveries/{seq}/redeliver")]
pub async fn redeliver(
    state: State,
    who: Subscriber,
    path: web::Path<(SubscriptionId, i64)>,
) -> ApiResult<HttpResponse> {
    let (id, seq) = path.into_inner();
    let (sub, change, attempt) = state
        .tx(move |conn| webhooks::start_redelivery(conn, who.id, id, seq, now()))
        .await?;
    let log = webhooks::send(&state.webhooks, &sub, &change, true).await?;
    let row = log.clone();
    state
        .tx(move |conn| Ok(stored::finish(conn, attempt, &row)?))
        .await?;
    Ok(HttpResponse::Ok().json(Delivery::from(log)))
}
