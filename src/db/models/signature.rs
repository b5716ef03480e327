//! Signatures of a pledge version and the statement made for each commitment.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{signatures, statements};
use crate::domain::lifecycle::Status;
use crate::domain::{SignatureId, SupplierId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = signatures, treat_none_as_null = true)]
pub struct SignatureRow {
    pub id: SignatureId,
    pub supplier_id: SupplierId,
    pub pledge_version: String,
    pub signatory_name: String,
    pub signatory_role: String,
    pub signed_at: NaiveDateTime,
    pub reaffirmed_at: Option<NaiveDateTime>,
    pub reaffirm_by: NaiveDateTime,
    pub status: Status,
    pub status_reason: Option<String>,
    pub suspended_from: Option<Status>,
    pub status_changed_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = statements)]
pub struct StatementRow {
    pub signature_id: SignatureId,
    pub commitment_code: String,
    pub position: i32,
    pub body: String,
}

/// The signature that is not withdrawn, if any.
pub fn open(conn: &mut DbConn, supplier_id: SupplierId) -> QueryResult<Option<SignatureRow>> {
    signatures::table
        .filter(signatures::supplier_id.eq(supplier_id))
        .filter(signatures::status.ne(Status::Withdrawn))
        .select(SignatureRow::as_select())
        .first(conn)
        .optional()
}

/// The most recent signature, withdrawn or not.
pub fn latest(conn: &mut DbConn, supplier_id: SupplierId) -> QueryResult<Option<SignatureRow>> {
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
    supplier_id: SupplierId,
) -> QueryResult<Option<(SignatureRow, Vec<StatementRow>)>> {
    let shown: Option<SignatureRow> = on_backend!(conn, |c| signatures::table
        .filter(signatures::supplier_id.eq(supplier_id))
        .order((
            signatures::status.eq(Status::Withdrawn).asc(),
            signatures::signed_at.desc(),
            signatures::id.desc(),
        ))
        .select(SignatureRow::as_select())
        .first(c)
        .optional())?;
    let Some(signature) = shown else {
        return Ok(None);
    };
    let statements = statements_of(conn, signature.id)?;
    Ok(Some((signature, statements)))
}

/// The statements of one signature, in commitment order.
pub fn statements_of(conn: &mut DbConn, signature: SignatureId) -> QueryResult<Vec<StatementRow>> {
    on_backend!(conn, |c| statements::table
        .filter(statements::signature_id.eq(signature))
        .order(statements::position.asc())
        .select(StatementRow::as_select())
        .load(c))
}

/// Replaces the text of one statement of a signature.
pub fn set_statement(
    conn: &mut DbConn,
    signature: SignatureId,
    commitment: &str,
    body: &str,
) -> QueryResult<()> {
    diesel::update(
        statements::table
            .filter(statements::signature_id.eq(signature))
            .filter(statements::commitment_code.eq(commitment)),
    )
    .set(statements::body.eq(body))
    .execute(conn)
    .map(|_| ())
}

/// Every supplier that has signed, at any time.
pub fn signers(conn: &mut DbConn) -> QueryResult<Vec<SupplierId>> {
    signatures::table
        .select(signatures::supplier_id)
        .distinct()
        .order(signatures::supplier_id.asc())
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

/// Signatures in force (active or pending) whose reaffirm-by date is after `from` and
/// no later than `to`: those a reminder is due for.
pub fn reaffirm_due_between(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<SignatureRow>> {
    signatures::table
        .filter(signatures::status.eq_any([Status::Active, Status::Pending]))
        .filter(signatures::reaffirm_by.gt(from))
        .filter(signatures::reaffirm_by.le(to))
        .order(signatures::reaffirm_by.asc())
        .select(SignatureRow::as_select())
        .load(conn)
}

/// Suppliers whose signature is active or pending and past its reaffirm-by date.
pub fn due_to_lapse(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Vec<String>> {
    signatures::table
        .filter(signatures::status.eq_any([Status::Active.as_str(), Status::Pending.as_str()]))
        .filter(signatures::reaffirm_by.le(now))
        .select(signatures::supplier_id)
        .load(conn)
}
