use actix_web::{HttpResponse, post};
use serde::Deserialize;
use utoipa::ToSchema;

use super::*;
use crate::auth::Subscriber;
use crate::db::models::now;
use crate::domain::EventType;
use crate::domain::{Status, SupplierId};
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, BodyErrors, SubscriberLimit};
use crate::state::State;
use crate::usecases::webhooks;
use crate::webhooks::filters::Filters;

/// A subscription to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// The endpoint: https, a public address.
    #[schema(max_length = 2048)]
    url: String,
    #[serde(default)]
    event_types: Vec<EventType>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    supplier_ids: Vec<SupplierId>,
    #[serde(default)]
    statuses: Vec<Status>,
    /// Deliver the changes after this `seq` too (0: all of them); absent: only changes
    /// from now on.
    #[schema(minimum = 0)]
    since: Option<i64>,
}

/// Subscribe an endpoint to changes. Each change the filters let through is POSTed as
/// the change feed's entry, signed as Standard Webhooks says; in `seq` order, at least
/// once.
#[utoipa::path(operation_id = "createSubscription", tag = "webhooks", request_body = NewSubscription, security(("bearer" = [])), responses(
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
    body: Json<NewSubscription>,
) -> ApiResult<HttpResponse> {
    let r = body.0;
    let by = who.by();
    let state2 = state.clone();
    let (row, secret) = state
        .tx(move |conn| {
            webhooks::subscribe(
                conn,
                &state2.webhooks,
                who.id,
                &by,
                webhooks::NewSubscription {
                    url: r.url,
                    filters: Filters {
                        event_types: r.event_types,
                        supplier_ids: r.supplier_ids,
                        statuses: r.statuses,
                    },
                    since: r.since,
                },
                now(),
            )
        })
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
