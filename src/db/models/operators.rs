//! `operators`: the people who run the registry.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::operators;
use crate::domain::OperatorId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = operators)]
pub struct OperatorRow {
    pub id: OperatorId,
    pub email: String,
    pub name: String,
    pub added_at: NaiveDateTime,
    pub removed_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &OperatorRow) -> QueryResult<()> {
    diesel::insert_into(operators::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The operator known by `email` (removed ones too).
pub fn with_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<OperatorRow>> {
    operators::table
        .filter(operators::email.eq(email))
        .select(OperatorRow::as_select())
        .first(conn)
        .optional()
}

pub fn get(conn: &mut DbConn, id: OperatorId) -> QueryResult<Option<OperatorRow>> {
    operators::table
        .find(id)
        .select(OperatorRow::as_select())
        .first(conn)
        .optional()
}

/// Every operator, removed ones last, each group by address.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<OperatorRow>> {
    operators::table
        .order((operators::removed_at.is_not_null(), operators::email.asc()))
        .select(OperatorRow::as_select())
        .load(conn)
}

/// Sets when `id` was removed (none: taken back on).
pub fn set_removed(
    conn: &mut DbConn,
    id: OperatorId,
    removed_at: Option<NaiveDateTime>,
    name: &str,
) -> QueryResult<()> {
    diesel::update(operators::table.find(id))
        .set((
            operators::removed_at.eq(removed_at),
            operators::name.eq(name),
        ))
        .execute(conn)
        .map(|_| ())
}
