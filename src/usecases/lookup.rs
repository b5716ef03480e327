//! What a request names, found or answered with 404; and the company number rule that
//! several writes share.

use crate::db::DbConn;
use crate::db::models::supplier::{self, SupplierRow};
use crate::domain::SupplierId;
use crate::error::{Error, Result};

/// The supplier named in a path, or 404.
pub fn find_or_404(conn: &mut DbConn, id_or_slug: &str) -> Result<SupplierRow> {
    supplier::find(conn, id_or_slug)?
        .ok_or_else(|| Error::NotFound(format!("there is no supplier {id_or_slug:?}")))
}

/// The supplier with this id, or 404.
pub fn get_or_404(conn: &mut DbConn, id: SupplierId) -> Result<SupplierRow> {
    supplier::get(conn, id)?.ok_or_else(|| Error::NotFound(format!("there is no supplier {id}")))
}

/// The supplier with this id, locked for the rest of the transaction, or 404.
pub fn lock_or_404(conn: &mut DbConn, id: SupplierId) -> Result<SupplierRow> {
    supplier::get_for_update(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("there is no supplier {id}")))
}

/// The 409 for a number a verified supplier holds, or `Ok` when it is free to claim.
pub fn may_claim(conn: &mut DbConn, number: &str, except: Option<SupplierId>) -> Result<(), Error> {
    match supplier::company_number_holder(conn, number, except)? {
        None => Ok(()),
        Some(holder) => Err(Error::Conflict(format!(
            "company number {number} belongs to {} (/suppliers/{}), as the registry \
             verified; if that is wrong, tell the registry operator",
            holder.name, holder.slug
        ))),
    }
}
