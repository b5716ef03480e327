//! Suppliers: the public list, one supplier, its history, and profile updates.

pub mod attestation;
pub mod history;
pub mod list;
pub mod read;
pub mod update;
pub mod view;

use crate::db::DbConn;
use crate::db::models::supplier::{self, SupplierRow};
use crate::domain::SupplierId;
use crate::error::{ApiError, ApiResult};

/// The supplier named in a path, or 404.
pub fn find_or_404(conn: &mut DbConn, id_or_slug: &str) -> ApiResult<SupplierRow> {
    supplier::find(conn, id_or_slug)?
        .ok_or_else(|| ApiError::NotFound(format!("there is no supplier {id_or_slug:?}")))
}

/// The supplier with this id, or 404.
pub fn get_or_404(conn: &mut DbConn, id: SupplierId) -> ApiResult<SupplierRow> {
    supplier::get(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("there is no supplier {id}")))
}

/// The supplier with this id, locked for the rest of the transaction, or 404.
pub fn lock_or_404(conn: &mut DbConn, id: SupplierId) -> ApiResult<SupplierRow> {
    supplier::get_for_update(conn, id)?
        .ok_or_else(|| ApiError::NotFound(format!("there is no supplier {id}")))
}

/// The ETag of a supplier's representation at a revision.
pub fn etag(revision: i64, private: bool) -> String {
    if private {
        format!("\"r{revision}-private\"")
    } else {
        format!("\"r{revision}\"")
    }
}

/// The revision an `If-Match` value names, if it is one of ours.
pub fn revision_of(if_match: &str) -> Vec<i64> {
    if_match
        .split(',')
        .filter_map(|t| {
            let t = t.trim().trim_start_matches("W/").trim_matches('"');
            let t = t.strip_prefix('r')?;
            t.trim_end_matches("-private").parse().ok()
        })
        .collect()
}
