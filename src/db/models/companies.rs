//! `company_checks`: what Companies House last said of each supplier's number.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{company_checks, suppliers};
use crate::domain::SupplierId;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = company_checks, treat_none_as_null = true)]
pub struct CompanyCheckRow {
    pub supplier_id: SupplierId,
    pub company_number: String,
    /// `found` or `not_found`; none until an answer came.
    pub outcome: Option<String>,
    pub registered_name: Option<String>,
    pub company_status: Option<String>,
    pub incorporated_on: Option<NaiveDate>,
    /// The flags raised, as a JSON array of words.
    pub flags: String,
    pub checked_at: Option<NaiveDateTime>,
    pub attempted_at: NaiveDateTime,
    pub attempt_error: Option<String>,
}

pub fn get(conn: &mut DbConn, supplier: SupplierId) -> QueryResult<Option<CompanyCheckRow>> {
    company_checks::table
        .find(supplier)
        .select(CompanyCheckRow::as_select())
        .first(conn)
        .optional()
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<CompanyCheckRow>> {
    company_checks::table
        .select(CompanyCheckRow::as_select())
        .load(conn)
}

/// Every supplier with a company number: (id, name, number).
pub fn numbered(conn: &mut DbConn) -> QueryResult<Vec<(SupplierId, String, String)>> {
    suppliers::table
        .filter(suppliers::company_number.is_not_null())
        .order(suppliers::created_at.asc())
        .select((
            suppliers::id,
            suppliers::name,
            suppliers::company_number.assume_not_null(),
        ))
        .load(conn)
}

pub fn save(conn: &mut DbConn, row: &CompanyCheckRow) -> QueryResult<()> {
    let n = diesel::update(company_checks::table.find(row.supplier_id))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(company_checks::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}
