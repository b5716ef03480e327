use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Subscriber;
use crate::db::models::webhooks::{self as stored, DeliveryRow};
use crate::domain::SubscriptionId;
use crate::error::Error;
use crate::http::problem::ApiResult;
use crate::routes::problems::{AuthErrors, NotFoundError};
use crate::state::State;

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub seq: i64,
    /// The message's `webhook-id`, the same on every attempt.
    pub message_id: String,
    pub attempt: i32,
    pub at: DateTime<Utc>,
    /// The endpoint's answer; absent when it gave none.
    pub status: Option<i32>,
    pub latency_ms: i32,
    /// The answer's first bytes (up to 1 KiB).
    pub response: String,
    pub error: Option<String>,
}

impl From<DeliveryRow> for Delivery {
    fn from(d: DeliveryRow) -> Self {
        Delivery {
            seq: d.seq,
            message_id: d.message_id,
            attempt: d.attempt,
            at: d.at.and_utc(),
            status: d.status,
            latency_ms: d.latency_ms,
            response: d.response,
            error: d.error,
        }
    }
}

/// A subscription's newest delivery attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deliveries {
    pub items: Vec<Delivery>,
}

/// The delivery log: the newest 100 attempts, newest first.
#[utoipa::path(operation_id = "listDeliveries", tag = "webhooks",
    params(("subscription_id" = String, Path, format = Uuid, description = "Subscription id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Deliveries, description = "The newest attempts"),
        AuthErrors,
        NotFoundError,
    ))]
#[get("/webhooks/subscriptions/{subscription_id}/deliveries")]
pub async fn deliveries(
    state: State,
    who: Subscriber,
    path: web::Path<SubscriptionId>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let rows = state
        .db(move |conn| {
            stored::get(conn, who.id, id)?
                .ok_or_else(|| Error::NotFound(format!("no subscription {id} of yours")))?;
            Ok(stored::deliveries(conn, id, 100)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(Deliveries {
            items: rows.into_iter().map(Delivery::from).collect(),
        }))
}
