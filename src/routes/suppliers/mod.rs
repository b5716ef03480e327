//! Suppliers: the public list, one supplier, its history, and profile updates.

pub mod attestation;
pub mod filters;
pub mod history;
pub mod list;
pub mod read;
pub mod update;
pub mod view;

use crate::db::DbConn;
use crate::db::models::supplier::{self, SupplierRow};
use crate::domain::SupplierId;
use crate::error::{ApiError, ApiResult};
use view::SupplierView;

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

/// The ETag of a supplier's representation. The revision changes with every write to
/// the supplier; what the view works out from elsewhere (whether a newer pledge version
/// has been published since it signed, which certifications' expiry dates have passed)
/// is added, so that a cached copy is not confirmed once either has changed. At one
/// revision each only changes one way, so the count of expired evidence is enough.
pub fn etag(view: &SupplierView, revision: i64, private: bool) -> String {
    let outdated = view
        .signature
        .as_ref()
        .is_some_and(|s| !s.is_current_version);
    let expired = view.evidence.iter().filter(|e| e.expired).count() as i64;
    etag_of(revision, outdated, expired, private)
}

/// The ETag from its parts, as [`etag`] reads them off a view, or as
/// [`public_etag`] asks the database for them without building the view.
fn etag_of(revision: i64, outdated: bool, expired: i64, private: bool) -> String {
    let outdated = u8::from(outdated);
    let private = if private { "-private" } else { "" };
    format!("\"r{revision}.{outdated}.{expired}{private}\"")
}

/// The public ETag of `row`'s record, in one small query: the record it names may be
/// served from the record cache without being assembled. Also the current pledge
/// version, which assembling the record needs.
pub fn public_etag(conn: &mut DbConn, row: &SupplierRow) -> ApiResult<(String, Option<String>)> {
    let today = chrono::Utc::now().date_naive();
    let (current, expired) =
        crate::db::models::evidence::current_version_and_expired(conn, &row.id, today)?;
    let outdated = row.signed_version.is_some() && row.signed_version != current;
    Ok((etag_of(row.revision, outdated, expired, false), current))
}

/// The revision an `If-Match` value names, if it is one of ours.
pub fn revision_of(if_match: &str) -> Vec<i64> {
    if_match
        .split(',')
        .filter_map(|t| {
            let t = t.trim().trim_start_matches("W/").trim_matches('"');
            let t = t.strip_prefix('r')?;
            t.split(['.', '-']).next()?.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::revision_of;

    #[test]
    fn if_match_names_revisions_in_every_form_we_hand_out() {
        assert_eq!(revision_of("\"r7.0.0\""), [7]);
        assert_eq!(revision_of("\"r12.1.3-private\""), [12]);
        assert_eq!(revision_of("W/\"r3.0.1\", \"r4.1.0-private\""), [3, 4]);
        assert_eq!(revision_of("\"r5\""), [5]);
        assert!(revision_of("\"abc\"").is_empty());
        assert!(revision_of("*").is_empty());
    }
}
