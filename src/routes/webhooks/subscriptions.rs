use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Subscriber;
use crate::db::models::now;
use crate::db::models::webhooks::{self as stored, DeliveryRow, SubscriptionRow};
use crate::domain::{Status, SubscriptionId, SupplierId};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::extract::Json;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError, SubscriberLimit};
use crate::state::State;
use crate::usecases::webhooks;
use crate::webhooks::events::EventType;
use crate::webhooks::filters::Filters;

/// A subscription as its subscriber sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Subscription {
    #[schema(value_type = String, format = Uuid)]
    pub id: SubscriptionId,
    pub url: String,
    /// Kinds of change delivered; empty: all.
    pub event_types: Vec<EventType>,
    /// Suppliers whose changes are delivered; empty: all.
    #[schema(value_type = Vec<String>)]
    pub supplier_ids: Vec<SupplierId>,
    /// Statuses (after the change) whose changes are delivered; empty: all.
    pub statuses: Vec<Status>,
    /// The `seq` of the last change delivered (or passed over by the filters).
    pub position: i64,
    /// active, paused, retrying (a delivery failed; the next try is at `retry_at`) or
    /// disabled (failing for days; resume it to start again).
    pub state: String,
    pub retry_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Subscription {
    fn of(row: SubscriptionRow) -> ApiResult<Subscription> {
        let filters = Filters::read(&row).map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
        let state = if row.disabled_at.is_some() {
            "disabled"
        } else if row.paused_at.is_some() {
            "paused"
        } else if row.retry_at.is_some() {
            "retrying"
        } else {
            "active"
        };
        Ok(Subscription {
            id: row.id,
            url: row.url,
            event_types: filters.event_types,
            supplier_ids: filters.supplier_ids,
            statuses: filters.statuses,
            position: row.position,
            state: state.into(),
            retry_at: row.retry_at.map(|t| t.and_utc()),
            failing_since: row.failing_since.map(|t| t.and_utc()),
            disabled_reason: row.disabled_reason,
            created_at: row.created_at.and_utc(),
        })
    }
}

/// A subscription with its signing secret: on creation and rotation only.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionWithSecret {
    pub subscription: Subscription,
    /// `whsec_...`: verify each message's `webhook-signature` with it (any Standard
    /// Webhooks library does).
    pub secret: String,
}

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

/// A subscriber's subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Subscriptions {
    pub items: Vec<Subscription>,
}

/// List your subscriptions.
#[utoipa::path(operation_id = "listSubscriptions", tag = "webhooks", security(("bearer" = [])), responses(
    (status = 200, body = Subscriptions, description = "Your subscriptions, oldest first"),
    AuthErrors,
))]
#[get("/webhooks/subscriptions")]
pub async fn list(state: State, who: Subscriber) -> ApiResult<HttpResponse> {
    let rows = state
        .db(move |conn| Ok(stored::of_subscriber(conn, who.id)?))
        .await?;
    let items = rows
        .into_iter()
        .map(Subscription::of)
        .collect::<ApiResult<_>>()?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(Subscriptions { items }))
}

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
    let (id, since, by) = (path.into_inner(), body.0.since, who.by());
    let row = state
        .tx(move |conn| webhooks::replay(conn, who.id, &by, id, since, now()))
        .await?;
    Ok(HttpResponse::Ok().json(Subscription::of(row)?))
}

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
                .ok_or_else(|| ApiError::NotFound(format!("no subscription {id} of yours")))?;
            Ok(stored::deliveries(conn, id, 100)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(Deliveries {
            items: rows.into_iter().map(Delivery::from).collect(),
        }))
}
