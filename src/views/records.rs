//! The read model's shape. Every supplier's public record and list item are stored
//! finished, with the record's ETag, and rewritten (by `usecases::projection`) in the
//! transaction of every write that changes them: [`crate::usecases::changes::record`]
//! projects before it appends the change, so the feed carries the very list item the
//! list serves. Time changes records too: a
//! certification passing its expiry date (`usecases::expiry`), and lapsing, which is a
//! lifecycle write. Reads serve the stored bytes; the owner's and the operator's
//! private view is still assembled on demand.

use crate::db::DbConn;
use crate::db::models::records::RecordRow;
use crate::db::models::{pledge, supplier};
use crate::domain::SupplierId;
use crate::error::{Error, Result};
use crate::views::supplier::{SupplierSummary, SupplierView, etag};
use chrono::{NaiveDateTime, Utc};

/// What a supplier's stored record should be, assembled from the tables now.
pub fn assemble(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    at: NaiveDateTime,
) -> Result<RecordRow> {
    let row = supplier::get(conn, supplier_id)?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no supplier {supplier_id} to project")))?;
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

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(e.into()))
}
