//! Public changes: audit entries about a supplier that also carry the supplier's public
//! list view after the change, which the change feed (`GET /api/v1/changes`) serves.

use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::db::models::audit::{self, Entry};
use crate::db::models::{pledge, supplier};
use crate::error::{ApiError, ApiResult};
use crate::views::supplier::SupplierSummary;

/// Records a change about `entry.supplier_id`; call it after the change is written, in
/// the same transaction, so the public view it carries is the state after the change.
pub fn record(conn: &mut DbConn, at: NaiveDateTime, entry: Entry<'_>) -> ApiResult<()> {
    let public = match entry.supplier_id.as_deref() {
        None => None,
        Some(id) => {
            let row = supplier::find(conn, id)?.ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!(
                    "change recorded for a missing supplier {id}"
                ))
            })?;
            let current = pledge::current(conn)?.map(|v| v.version);
            let summary = SupplierSummary::load_many(conn, vec![row], current.as_deref())?
                .pop()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no summary for {id}")))?;
            Some(serde_json::to_value(summary).map_err(|e| ApiError::Internal(e.into()))?)
        }
    };
    audit::append(conn, at, entry, public)?;
    Ok(())
}
