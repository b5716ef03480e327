//! The public history of a supplier's status: every change, with time, actor and reason.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::status_events;
use crate::domain::{SignatureId, Status, SupplierId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = status_events)]
pub struct StatusEventRow {
    pub id: i64,
    pub supplier_id: SupplierId,
    pub signature_id: Option<SignatureId>,
    pub pledge_version: Option<String>,
    pub event: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub reason: Option<String>,
    pub actor: String,
    pub at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = status_events)]
pub struct NewStatusEvent<'a> {
    pub supplier_id: SupplierId,
    pub signature_id: Option<SignatureId>,
    pub pledge_version: Option<&'a str>,
    pub event: &'a str,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub reason: Option<&'a str>,
    pub actor: &'a str,
    pub at: NaiveDateTime,
}

/// Adds an event to a supplier's history (shown on its page), and says so on the change
/// signal.
pub fn insert(conn: &mut DbConn, e: &NewStatusEvent<'_>) -> QueryResult<()> {
    crate::db::signal::touched_supplier(conn, e.supplier_id)?;
    diesel::insert_into(status_events::table)
        .values(e)
        .execute(conn)
        .map(|_| ())
}

/// A page of a supplier's history, oldest first, after event `after_id`.
pub fn page(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<StatusEventRow>> {
    status_events::table
        .filter(status_events::supplier_id.eq(supplier_id))
        .filter(status_events::id.gt(after_id))
        .order(status_events::id.asc())
        .limit(limit)
        .select(StatusEventRow::as_select())
        .load(conn)
}

/// A supplier's newest `limit` events, oldest first.
pub fn latest(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    limit: i64,
) -> QueryResult<Vec<StatusEventRow>> {
    let mut rows: Vec<StatusEventRow> = status_events::table
        .filter(status_events::supplier_id.eq(supplier_id))
        .order(status_events::id.desc())
        .limit(limit)
        .select(StatusEventRow::as_select())
        .load(conn)?;
    rows.reverse();
    Ok(rows)
}

/// The reason given with a supplier's latest `event`.
pub fn last_reason(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    event: &str,
) -> QueryResult<Option<String>> {
    Ok(status_events::table
        .filter(status_events::supplier_id.eq(supplier_id))
        .filter(status_events::event.eq(event))
        .order(status_events::id.desc())
        .select(status_events::reason)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}
