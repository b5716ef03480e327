use actix_web::{HttpResponse, post, web};
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

/// Where to replay from.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// Deliver again every change after this `seq`, in order.
    #[schema(minimum = 0)]
    since: i64,
}

/// Replay: deliver again, in order, every change after a `seq`.
#[utoipa::path(operation_id = "replaySubscription", tag = "webhooks", request_body = Replay,
    params(("subscription_id" = String, Path, format = Uuid, description = "Subscription id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Subscription, description = "Replaying from the next round; a replay that one in progress already covers is folded into it"),
        SubscriberLimit,
        AuthErrors,
        BodyErrors,
        NotFoundError,
    ))]
#[post("/webhooks/subscriptions/{subscription_id}/replay")]
pub async fn replay(
    state: State,
    who: Subscriber,
    path: web::Path<SubscriptionId>,
    body: Json<Replay>,
) -> ApiResult<HttpResponse> {
    let since = webhooks::ReplayFrom::parse(body.0.since)?;
    let (id, by) = (path.into_inner(), who.by());
    let row = state
        .tx(move |conn| webhooks::replay(conn, who.id, &by, id, since, now()))
        .await?;
    Ok(HttpResponse::Ok().json(Subscription::of(row)?))
}
