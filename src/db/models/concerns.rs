//! `concerns`: what people told the operator about suppliers' records.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{concern_replies, concerns};
use crate::domain::{ConcernId, ReplyId, SupplierId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = concerns)]
pub struct ConcernRow {
    pub id: ConcernId,
    pub supplier_id: Option<SupplierId>,
    pub about: String,
    pub details: String,
    pub email: Option<String>,
    pub created_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub closed_by: Option<String>,
    pub outcome: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &ConcernRow) -> QueryResult<()> {
    diesel::insert_into(concerns::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut DbConn, id: ConcernId) -> QueryResult<Option<ConcernRow>> {
    concerns::table
        .find(id)
        .select(ConcernRow::as_select())
        .first(conn)
        .optional()
}

/// Which concerns a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub open_only: bool,
    /// Only those raised about this supplier.
    pub supplier: Option<crate::domain::SupplierId>,
    /// Only those raised from a supplier's page (true) or about someone not on the
    /// registry (false).
    pub named: Option<bool>,
    /// Only those older than this one (raised at, id): the page after it.
    pub before: Option<(NaiveDateTime, ConcernId)>,
}

/// Concerns, newest first, as `filter` says.
pub fn list(conn: &mut DbConn, filter: &Filter, limit: i64) -> QueryResult<Vec<ConcernRow>> {
    let mut q = concerns::table.into_boxed::<crate::db::MultiBackend>();
    if filter.open_only {
        q = q.filter(concerns::closed_at.is_null());
    }
    if let Some(s) = filter.supplier {
        q = q.filter(concerns::supplier_id.eq(s));
    }
    match filter.named {
        Some(true) => q = q.filter(concerns::supplier_id.is_not_null()),
        Some(false) => q = q.filter(concerns::supplier_id.is_null()),
        None => {}
    }
    if let Some((at, id)) = filter.before {
        q = q.filter(
            concerns::created_at
                .lt(at)
                .or(concerns::created_at.eq(at).and(concerns::id.lt(id))),
        );
    }
    q.order((concerns::created_at.desc(), concerns::id.desc()))
        .limit(limit)
        .select(ConcernRow::as_select())
        .load(conn)
}

/// How many concerns are open.
pub fn open_count(conn: &mut DbConn) -> QueryResult<i64> {
    concerns::table
        .filter(concerns::closed_at.is_null())
        .count()
        .get_result(conn)
}

/// Closes a concern that is open; false when it was closed already.
pub fn close(
    conn: &mut DbConn,
    id: ConcernId,
    by: &str,
    outcome: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        concerns::table
            .find(id)
            .filter(concerns::closed_at.is_null()),
    )
    .set((
        concerns::closed_at.eq(at),
        concerns::closed_by.eq(by),
        concerns::outcome.eq(outcome),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// What the operator wrote back to the person who raised a concern.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = concern_replies)]
pub struct ReplyRow {
    pub id: ReplyId,
    pub concern_id: ConcernId,
    pub body: String,
    pub written_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_reply(conn: &mut DbConn, row: &ReplyRow) -> QueryResult<()> {
    diesel::insert_into(concern_replies::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// What was written back about a concern, oldest first.
pub fn replies(conn: &mut DbConn, concern: ConcernId) -> QueryResult<Vec<ReplyRow>> {
    concern_replies::table
        .filter(concern_replies::concern_id.eq(concern))
        .order((concern_replies::created_at.asc(), concern_replies::id.asc()))
        .select(ReplyRow::as_select())
        .load(conn)
}
