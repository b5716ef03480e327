//! The read model. Every supplier's public record and list item are stored finished,
//! with the record's ETag, and rewritten in the transaction of every write that
//! changes them: [`crate::changes::record`] projects before it appends the change, so
//! the feed carries the very list item the list serves. Time changes records too: a
//! certification passing its expiry date (`usecases::expiry`), and lapsing, which is a
//! lifecycle write. Reads serve the stored bytes; the owner's and the operator's
//! private view is still assembled on demand.

use chrono::{NaiveDateTime, Utc};
use diesel::Connection;

use crate::db::DbConn;
use crate::db::models::records::{self, RecordRow};
use crate::db::models::{pledge, supplier};
use crate::domain::SupplierId;
use crate::error::{ApiError, ApiResult};
use crate::views::supplier::{SupplierSummary, SupplierView, etag};

/// What a supplier's stored record should be, assembled from the tables now.
pub fn assemble(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    at: NaiveDateTime,
) -> ApiResult<RecordRow> {
    let row = supplier::get(conn, supplier_id)?.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("no supplier {supplier_id} to project"))
    })?;
    let current = pledge::current(conn)?.map(|v| v.version);
    let (revision, slug) = (row.revision, row.slug.clone());
    let view = SupplierView::load_with(conn, row.clone(), false, current.clone())?;
    let summary = SupplierSummary::of_record(row, &view, current.as_deref())?;
    let today = Utc::now().date_naive();
    let expires_next = view
        .evidence
        .iter()
        .filter_map(|e| e.expires_on)
        .filter(|d| *d >= today)
        .min();
    Ok(RecordRow {
        supplier_id: supplier_id.to_owned(),
        slug,
        etag: etag(&view, revision, false),
        record: json(&view)?,
        summary: json(&summary)?,
        expires_next,
        projected_at: at,
        evidence_summary: view.evidence_summary,
    })
}

/// Rewrites a supplier's stored record from the tables; call it in the transaction of
/// the write, after the write.
pub fn project(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    at: NaiveDateTime,
) -> ApiResult<RecordRow> {
    let row = assemble(conn, supplier_id, at)?;
    records::put(conn, &row)?;
    Ok(row)
}

/// Builds the stored record of every supplier that has none; returns how many.
pub fn project_missing(conn: &mut DbConn) -> ApiResult<usize> {
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
pub fn reproject_all(conn: &mut DbConn) -> ApiResult<(usize, usize)> {
    let ids = supplier::all_ids(conn)?;
    let mut differed = 0;
    for &id in &ids {
        let changed = conn.transaction::<_, ApiError, _>(|conn| {
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

fn json<T: serde::Serialize>(value: &T) -> ApiResult<String> {
    serde_json::to_string(value).map_err(|e| ApiError::Internal(e.into()))
}
