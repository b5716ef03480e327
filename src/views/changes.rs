//! The public change: what the change feed serves and webhooks deliver, the same for
//! both, so a tool can use either.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::audit::AuditRow;
use crate::error::{Error, Result};
use crate::views::supplier::SupplierSummary;

/// One public change.
#[derive(Debug, Serialize, ToSchema)]
pub struct Change {
    /// Audit sequence number: strictly increasing, the same as in the verifiable log.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// What happened: `supplier.registered`, `supplier.profile_updated`,
    /// `supplier.verified`, `supplier.verification_ended`,
    /// `supplier.company_number_refused`, `signature.<event>`, `evidence.added`,
    /// `evidence.updated`, `evidence.retired`, `evidence.health_changed`,
    /// `evidence.content_changed`.
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(format = Uuid)]
    pub supplier_id: String,
    /// The thing that changed (a supplier, signature or evidence id).
    pub entity_id: String,
    /// The supplier as the public list showed it right after this change.
    pub supplier: SupplierSummary,
}

impl Change {
    /// The change an audit entry with a public view records.
    pub fn of(r: AuditRow) -> Result<Change> {
        // A public entry always carries its supplier: one that does not, or cannot be
        // read, is damage to report, never a change to leave out.
        let damaged = |why: &str| Error::Internal(anyhow::anyhow!("change {} {why}", r.seq));
        let json = r
            .public_json
            .as_deref()
            .ok_or_else(|| damaged("has no view"))?;
        let supplier = serde_json::from_str(json)
            .map_err(|e| damaged(&format!("has an unreadable view: {e}")))?;
        let supplier_id = r
            .supplier_id
            .clone()
            .ok_or_else(|| damaged("names no supplier"))?;
        Ok(Change {
            seq: r.seq,
            at: r.at.and_utc(),
            kind: r.action,
            supplier_id,
            entity_id: r.entity_id,
            supplier,
        })
    }
}
