//! `supplier_records`: each supplier's public record and list item, stored finished.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{supplier_records, suppliers};
use crate::domain::SupplierId;
use crate::domain::evidence::EvidenceSummary;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = supplier_records)]
#[diesel(treat_none_as_null = true)]
pub struct RecordRow {
    pub supplier_id: SupplierId,
    pub slug: String,
    pub record: String,
    pub summary: String,
    pub etag: String,
    pub expires_next: Option<NaiveDate>,
    pub projected_at: NaiveDateTime,
    /// The record's `evidence_summary`, for the list's filter.
    pub evidence_summary: EvidenceSummary,
}

/// Writes a supplier's stored record, replacing the one it had, and says so on the
/// change signal.
pub fn put(conn: &mut DbConn, row: &RecordRow) -> QueryResult<()> {
    crate::db::signal::touched_supplier(conn, row.supplier_id)?;
    let n = diesel::update(supplier_records::table.find(row.supplier_id))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(supplier_records::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// A public record as served: its JSON, ETag and when it was last written.
#[derive(Debug, Clone, Queryable)]
pub struct Served {
    pub supplier_id: SupplierId,
    pub record: String,
    pub etag: String,
    pub projected_at: NaiveDateTime,
}

/// The stored public record of the supplier with this id or slug: one indexed query.
pub fn served(conn: &mut DbConn, id_or_slug: &str) -> QueryResult<Option<Served>> {
    if id_or_slug.contains('\0') {
        return Ok(None);
    }
    let columns = (
        supplier_records::supplier_id,
        supplier_records::record,
        supplier_records::etag,
        supplier_records::projected_at,
    );
    // On each backend's own connection, so the statement is prepared once and found
    // again by its type, not rebuilt as SQL text on every read to look it up.
    match uuid::Uuid::parse_str(id_or_slug) {
        Ok(id) => on_backend!(conn, |c| supplier_records::table
            .filter(supplier_records::supplier_id.eq(SupplierId(id)))
            .select(columns)
            .first(c)
            .optional()),
        Err(_) => on_backend!(conn, |c| supplier_records::table
            .filter(supplier_records::slug.eq(id_or_slug.to_ascii_lowercase()))
            .select(columns)
            .first(c)
            .optional()),
    }
}

/// The stored row of one supplier.
pub fn get(conn: &mut DbConn, supplier_id: SupplierId) -> QueryResult<Option<RecordRow>> {
    supplier_records::table
        .find(supplier_id)
        .select(RecordRow::as_select())
        .first(conn)
        .optional()
}

/// Suppliers whose stored record a passed certification expiry has made out of date.
pub fn expired_by(conn: &mut DbConn, today: NaiveDate) -> QueryResult<Vec<SupplierId>> {
    supplier_records::table
        .filter(supplier_records::expires_next.lt(today))
        .select(supplier_records::supplier_id)
        .order(supplier_records::supplier_id.asc())
        .load(conn)
}

/// Suppliers with no stored record yet (after an upgrade, before the first projection).
pub fn missing(conn: &mut DbConn) -> QueryResult<Vec<SupplierId>> {
    suppliers::table
        .left_join(supplier_records::table)
        .filter(supplier_records::supplier_id.is_null())
        .select(suppliers::id)
        .load(conn)
}
