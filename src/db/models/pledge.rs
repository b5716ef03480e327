//! Pledge versions and their commitments.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{commitments, pledge_versions};
use crate::domain::WebUrl;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pledge_versions)]
pub struct PledgeVersionRow {
    pub version: String,
    pub position: i32,
    pub title: String,
    pub summary: String,
    pub source_url: WebUrl,
    pub published_on: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = commitments)]
pub struct CommitmentRow {
    pub version: String,
    pub code: String,
    pub position: i32,
    pub title: String,
    pub description: String,
}

/// The current version: the one published last.
pub fn current(conn: &mut DbConn) -> QueryResult<Option<PledgeVersionRow>> {
    on_backend!(conn, |c| pledge_versions::table
        .order(pledge_versions::position.desc())
        .select(PledgeVersionRow::as_select())
        .first(c)
        .optional())
}

pub fn find(conn: &mut DbConn, version: &str) -> QueryResult<Option<PledgeVersionRow>> {
    if version.contains('\0') {
        return Ok(None); // no stored label has one, and PostgreSQL refuses it in a query
    }
    pledge_versions::table
        .find(version)
        .select(PledgeVersionRow::as_select())
        .first(conn)
        .optional()
}

/// Every version, newest first.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<PledgeVersionRow>> {
    pledge_versions::table
        .order(pledge_versions::position.desc())
        .select(PledgeVersionRow::as_select())
        .load(conn)
}

/// The commitments of one version, in order.
pub fn commitments_of(conn: &mut DbConn, version: &str) -> QueryResult<Vec<CommitmentRow>> {
    commitments::table
        .filter(commitments::version.eq(version))
        .order(commitments::position.asc())
        .select(CommitmentRow::as_select())
        .load(conn)
}

/// Every commitment of every version, for listing versions in one query.
pub fn all_commitments(conn: &mut DbConn) -> QueryResult<Vec<CommitmentRow>> {
    commitments::table
        .order((commitments::version.asc(), commitments::position.asc()))
        .select(CommitmentRow::as_select())
        .load(conn)
}

/// Stores a new version after the current one, with its commitments, and says on the
/// change signal that every page changed (each names the version in force).
pub fn insert(
    conn: &mut DbConn,
    mut version: PledgeVersionRow,
    items: &[CommitmentRow],
) -> QueryResult<PledgeVersionRow> {
    crate::db::signal::touched(conn, crate::db::signal::Touched::Everything)?;
    let last: Option<i32> = pledge_versions::table
        .select(diesel::dsl::max(pledge_versions::position))
        .first(conn)?;
    version.position = last.unwrap_or(0) + 1;
    diesel::insert_into(pledge_versions::table)
        .values(&version)
        .execute(conn)?;
    for item in items {
        diesel::insert_into(commitments::table)
            .values(item)
            .execute(conn)?;
    }
    Ok(version)
}
