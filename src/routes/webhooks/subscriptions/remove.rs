use actix_web::{HttpResponse, delete, web};

use crate::auth::Subscriber;
use crate::db::models::now;
use crate::domain::SubscriptionId;
use crate::http::problem::ApiResult;
use crate::routes::problems::{AuthErrors, NotFoundError, SubscriberLimit};
use crate::state::State;
use crate::usecases::webhooks;

/// Delete a subscription and its delivery log.
#[utoipa::path(operation_id = "deleteSubscription", tag = "webhooks",
    params(("subscription_id" = String, Path, format = Uuid, description = "Subscription id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        SubscriberLimit,
        AuthErrors,
        NotFoundError,
    ))]
#[delete("/webhooks/subscriptions/{subscription_id}")]
pub async fn remove(
    state: State,
    who: Subscriber,
    path: web::Path<SubscriptionId>,
) -> ApiResult<HttpResponse> {
    let (id, by) = (path.into_inner(), who.by());
    state
        .tx(move |conn| webhooks::unsubscribe(conn, who.id, &by, id, now()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
