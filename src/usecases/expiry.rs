//! Certifications passing their expiry date: a change that time brings about.

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::DbConn;
use crate::db::models::records as stored;
use crate::db::models::{audit, evidence, supplier};
use crate::domain::Action;
use crate::domain::SupplierId;
use crate::error::Result;
use crate::usecases::changes;
use crate::usecases::projection;

/// Records a certification expiry that time has brought about for one supplier, if
/// its stored record still predates it: an `evidence.expired` change for each link
/// that expired, which rewrites the record. Call it in a transaction; it does nothing
/// when another instance got there first.
pub fn note(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    today: NaiveDate,
    at: NaiveDateTime,
) -> Result<usize> {
    let Some(stored) = stored::get(conn, supplier_id)? else {
        return Ok(0);
    };
    let Some(from) = stored.expires_next.filter(|d| *d < today) else {
        return Ok(0);
    };
    let expired = evidence::expiring_between(conn, supplier_id, from, today)?;
    supplier::touch(conn, supplier_id, Some(at))?;
    for (id, expires_on) in &expired {
        changes::record(
            conn,
            at,
            audit::Entry::new(
                "system",
                Action::EvidenceExpired,
                "evidence",
                id.to_string(),
            )
            .supplier(supplier_id.to_owned())
            .after(serde_json::json!({ "expires_on": expires_on })),
        )?;
    }
    if expired.is_empty() {
        // Retired or edited since: the record is only out of date.
        projection::project(conn, supplier_id, at)?;
    }
    Ok(expired.len())
}
