//! Public changes: audit entries about a supplier that also carry the supplier's public
//! list view after the change, which the change feed (`GET /api/v1/changes`) serves.

use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::db::models::audit::{self, Entry};
use crate::error::Result;
use crate::usecases::projection;

/// Records a change about `entry.supplier_id`; call it after the change is written, in
/// the same transaction. The supplier's stored record is projected first, so the change
/// carries the list item the list serves from then on.
pub fn record(conn: &mut DbConn, at: NaiveDateTime, entry: Entry<'_>) -> Result<()> {
    let public = match entry.supplier_id {
        None => None,
        Some(id) => Some(projection::project(conn, id, at)?.summary),
    };
    audit::append(conn, at, entry, public)?;
    Ok(())
}
