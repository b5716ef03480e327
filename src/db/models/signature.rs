//! Signatures of a pledge version and the statement made for each commitment.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{signatures, statements};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = signatures, treat_none_as_null = true)]
pub struct SignatureRow {
    pub id: String,
    pub supplier_id: String,
    pub pledge_version: String,
    pub signatory_name: String,
    pub signatory_role: String,
    pub signed_at: NaiveDateTime,
    pub reaffirmed_at: Option<NaiveDateTime>,
    pub reaffirm_by: NaiveDateTime,
    pub status: String,
    pub status_reason: Option<String>,
    pub suspended_from: Option<String>,
    pub status_changed_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = statements)]
pub struct StatementRow {
    pub signature_id: String,
    pub commitment_code: String,
    pub position: i32,
    pub body: String,
}

/// The signature that is not withdrawn, if any.
pub fn open(conn: &mut DbConn, supplier_id: &str) -> QueryResult<Option<SignatureRow>> {
    signatures::table
        .filter(signatures::supplier_id.eq(supplier_id))
        .filter(signatures::status.ne("withdrawn"))
        .select(SignatureRow::as_select())
        .first(conn)
        .optional()
}

/// The most recent signature, withdrawn or not.
pub fn latest(conn: &mut DbConn, supplier_id: &str) -> QueryResult<Option<SignatureRow>> {
    signatures::table
        .filter(signatures::supplier_id.eq(supplier_id))
        .order((signatures::signed_at.desc(), signatures::id.desc()))
        .select(SignatureRow::as_select())
        .first(conn)
        .optional()
}

/// The signature a supplier's record shows (the open one, or else the most recent)
/// with its statements in order.
pub fn shown_with_statements(
    conn: &mut DbConn,
    supplier_id: &str,
) -> QueryResult<Option<(SignatureRow, Vec<StatementRow>)>> {
    let shown: Option<SignatureRow> = on_backend!(conn, |c| signatures::table
        .filter(signatures::supplier_id.eq(supplier_id))
        .order((
            signatures::status.eq("withdrawn").asc(),
            signatures::signed_at.desc(),
            signatures::id.desc(),
        ))
        .select(SignatureRow::as_select())
        .first(c)
        .optional())?;
    let Some(signature) = shown else {
        return Ok(None);
    };
    let statements = on_backend!(conn, |c| statements::table
        .filter(statements::signature_id.eq(&signature.id))
        .order(statements::position.asc())
        .select(StatementRow::as_select())
        .load(c))?;
    Ok(Some((signature, statements)))
}

/// The reaffirm-by date of each given supplier's signature in force (not withdrawn).
pub fn reaffirm_by_of_many(
    conn: &mut DbConn,
    supplier_ids: &[String],
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    signatures::table
        .filter(signatures::supplier_id.eq_any(supplier_ids))
        .filter(signatures::status.ne("withdrawn"))
        .select((signatures::supplier_id, signatures::reaffirm_by))
        .load(conn)
}

/// Every signature of the given suppliers.
pub fn of_suppliers(conn: &mut DbConn, supplier_ids: &[String]) -> QueryResult<Vec<SignatureRow>> {
    signatures::table
        .filter(signatures::supplier_id.eq_any(supplier_ids))
        .select(SignatureRow::as_select())
        .load(conn)
}

/// The statements of the given signatures, in commitment order.
pub fn statements_of_many(
    conn: &mut DbConn,
    signature_ids: &[String],
) -> QueryResult<Vec<StatementRow>> {
    statements::table
        .filter(statements::signature_id.eq_any(signature_ids))
        .order((statements::signature_id.asc(), statements::position.asc()))
        .select(StatementRow::as_select())
        .load(conn)
}

pub fn insert(conn: &mut DbConn, row: &SignatureRow, items: &[StatementRow]) -> QueryResult<()> {
    diesel::insert_into(signatures::table)
        .values(row)
        .execute(conn)?;
    for item in items {
        diesel::insert_into(statements::table)
            .values(item)
            .execute(conn)?;
    }
    Ok(())
}

pub fn save(conn: &mut DbConn, row: &SignatureRow) -> QueryResult<()> {
    diesel::update(signatures::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(|_| ())
}
