//! What waits for the operator, one query per queue, each the oldest first and
//! bounded: registrations to verify, links failing, pending signatures near their
//! lapse, mail given up. (Concerns and stopped webhooks are in their own tables' files.)

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::evidence::EvidenceRow;
use super::outbox::MailRow;
use super::signature::SignatureRow;
use super::supplier::SupplierRow;
use crate::db::DbConn;
use crate::db::schema::{evidence, outbox, signatures, suppliers};
use crate::domain::Status;
use crate::domain::evidence::EvidenceHealth;

/// The most a queue shows; the count says how many there are in all.
pub const SHOWN: i64 = 50;

/// Suppliers whose identity nobody has verified yet, oldest registration first, and
/// how many in all. Withdrawn ones are not waiting for anything.
pub fn to_verify(conn: &mut DbConn) -> QueryResult<(Vec<SupplierRow>, i64)> {
    let waiting = || {
        suppliers::table
            .filter(suppliers::verified_at.is_null())
            .filter(suppliers::status.ne(Status::Withdrawn))
    };
    let rows = waiting()
        .order((suppliers::created_at.asc(), suppliers::id.asc()))
        .limit(SHOWN)
        .select(SupplierRow::as_select())
        .load(conn)?;
    Ok((rows, waiting().count().get_result(conn)?))
}

/// Live links whose last check failed, longest failing first, with their supplier's
/// name, and how many in all.
pub fn failing_links(conn: &mut DbConn) -> QueryResult<(Vec<(EvidenceRow, String)>, i64)> {
    let failing = [
        EvidenceHealth::Broken,
        EvidenceHealth::Unreachable,
        EvidenceHealth::Blocked,
    ];
    let rows = evidence::table
        .inner_join(suppliers::table.on(suppliers::id.eq(evidence::supplier_id)))
        .filter(evidence::retired_at.is_null())
        .filter(evidence::health.eq_any(failing))
        .order((evidence::last_ok_at.asc(), evidence::id.asc()))
        .limit(SHOWN)
        .select((EvidenceRow::as_select(), suppliers::name))
        .load(conn)?;
    let all = evidence::table
        .filter(evidence::retired_at.is_null())
        .filter(evidence::health.eq_any(failing))
        .count()
        .get_result(conn)?;
    Ok((rows, all))
}

/// Pending signatures (their supplier not verified) that lapse before `by`, soonest
/// first, with their supplier's name.
pub fn pending_near_lapse(
    conn: &mut DbConn,
    by: NaiveDateTime,
) -> QueryResult<Vec<(SignatureRow, String)>> {
    signatures::table
        .inner_join(suppliers::table.on(suppliers::id.eq(signatures::supplier_id)))
        .filter(signatures::status.eq(Status::Pending))
        .filter(signatures::reaffirm_by.lt(by))
        .order((signatures::reaffirm_by.asc(), signatures::id.asc()))
        .limit(SHOWN)
        .select((SignatureRow::as_select(), suppliers::name))
        .load(conn)
}

/// Mail the registry gave up sending, newest first.
pub fn mail_given_up(conn: &mut DbConn) -> QueryResult<Vec<MailRow>> {
    outbox::table
        .filter(outbox::failed_at.is_not_null())
        .order((outbox::failed_at.desc(), outbox::id.desc()))
        .limit(SHOWN)
        .select(MailRow::as_select())
        .load(conn)
}
