//! What a subscription lets through: kinds of change, suppliers, statuses. An empty
//! list lets everything through.

use serde::{Deserialize, Serialize};

use crate::db::models::webhooks::SubscriptionRow;
use crate::domain::EventType;
use crate::domain::{Status, SupplierId};
use crate::views::changes::Change;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    pub event_types: Vec<EventType>,
    pub supplier_ids: Vec<SupplierId>,
    /// The supplier's status right after the change.
    pub statuses: Vec<Status>,
}

impl Filters {
    /// The filters stored with a subscription.
    pub fn read(sub: &SubscriptionRow) -> Result<Filters, String> {
        let read =
            |what: &str, text: &str| format!("stored {what} {text:?} of {} is unreadable", sub.id);
        Ok(Filters {
            event_types: serde_json::from_str(&sub.event_types)
                .map_err(|_| read("event types", &sub.event_types))?,
            supplier_ids: serde_json::from_str(&sub.supplier_ids)
                .map_err(|_| read("supplier ids", &sub.supplier_ids))?,
            statuses: serde_json::from_str(&sub.statuses)
                .map_err(|_| read("statuses", &sub.statuses))?,
        })
    }

    /// Whether `change` is one the subscription asked for.
    pub fn admit(&self, change: &Change) -> bool {
        let kind = EventType::of(&change.kind);
        (self.event_types.is_empty() || self.event_types.contains(&kind))
            && (self.supplier_ids.is_empty()
                || self
                    .supplier_ids
                    .iter()
                    .any(|id| id.to_string() == change.supplier_id))
            && (self.statuses.is_empty() || self.statuses.contains(&change.supplier.status))
    }
}
