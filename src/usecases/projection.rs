//! The projection writer: a supplier's stored record and list item, rewritten from the
//! tables in the transaction of the write that changed them (`changes::record` calls it
//! before appending the change), and rebuilt in bulk by `pledge-registry reproject`.

use chrono::NaiveDateTime;
use diesel::Connection;

use crate::db::DbConn;
use crate::db::models::records::{self, RecordRow};
use crate::db::models::supplier;
use crate::domain::SupplierId;
use crate::error::{Error, Result};
use crate::views::records::assemble;

/// Rewrites a supplier's stored record from the tables; call it in the transaction of
/// the write, after the write.
pub fn project(conn: &mut DbConn, supplier_id: SupplierId, at: NaiveDateTime) -> Result<RecordRow> {
    let row = assemble(conn, supplier_id, at)?;
    records::put(conn, &row)?;
    Ok(row)
}

/// Builds the stored record of every supplier that has none; returns how many.
pub fn project_missing(conn: &mut DbConn) -> Result<usize> {
    let missing = records::missing(conn)?;
    let at = crate::db::models::now();
    for &id in &missing {
        project(conn, id, at)?;
    }
    Ok(missing.len())
}

/// Rebuilds every stored record from the tables, each supplier in its own
/// transaction; returns how many there are and how many differed (other than in when
/// they were written).
pub fn reproject_all(conn: &mut DbConn) -> Result<(usize, usize)> {
    let ids = supplier::all_ids(conn)?;
    let mut differed = 0;
    for &id in &ids {
        let changed = conn.transaction::<_, Error, _>(|conn| {
            crate::db::take_write_lock(conn)?;
            let at = crate::db::models::now();
            let fresh = assemble(conn, id, at)?;
            let stored = records::get(conn, id)?;
            let same = stored.is_some_and(|s| {
                RecordRow {
                    projected_at: at,
                    ..s
                } == fresh
            });
            if !same {
                records::put(conn, &fresh)?;
            }
            Ok(!same)
        })?;
        differed += usize::from(changed);
    }
    Ok((ids.len(), differed))
}
