//! A subscriber's subscriptions (its own token), one handler a file: create, list,
//! update, remove, rotate the secret, replay, and the delivery log with redelivery.

pub mod create;
pub mod deliveries;
pub mod list;
pub mod redeliver;
pub mod remove;
pub mod replay;
pub mod rotate;
pub mod update;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::webhooks::SubscriptionRow;
use crate::domain::EventType;
use crate::domain::{Status, SubscriptionId, SupplierId};
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
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
        let filters = Filters::read(&row)
            .map_err(|e| ApiError::Domain(Error::Internal(anyhow::anyhow!(e))))?;
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
