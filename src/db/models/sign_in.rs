//! `sign_in_links`: one-time links sent by email (to sign in, or to confirm a webhook
//! subscriber's address), kept as hashes of their secrets.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::sign_in_links;
use crate::domain::account::LinkPurpose;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sign_in_links)]
pub struct LinkRow {
    pub secret_hash: String,
    pub email: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub asked: bool,
    pub purpose: LinkPurpose,
    /// On a subscriber link: the name asked for.
    pub subscriber_name: Option<String>,
    /// On a link that accepts a membership (a registration's, an invitation's): which.
    pub member_id: Option<crate::domain::MemberId>,
}

/// The link with this secret hash, used or not, without using it.
pub fn peek(conn: &mut DbConn, secret_hash: &str) -> QueryResult<Option<LinkRow>> {
    sign_in_links::table
        .find(secret_hash)
        .select(LinkRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, row: &LinkRow) -> QueryResult<()> {
    diesel::insert_into(sign_in_links::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Uses the link for `purpose` whose secret hashes to `secret_hash`, if it is unused
/// and unexpired: one statement, so that two uses at once cannot both succeed.
pub fn take(
    conn: &mut DbConn,
    secret_hash: &str,
    purpose: LinkPurpose,
    now: NaiveDateTime,
) -> QueryResult<Option<LinkRow>> {
    let n = diesel::update(
        sign_in_links::table
            .find(secret_hash)
            .filter(sign_in_links::purpose.eq(purpose))
            .filter(sign_in_links::used_at.is_null())
            .filter(sign_in_links::expires_at.gt(now)),
    )
    .set(sign_in_links::used_at.eq(now))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    sign_in_links::table
        .find(secret_hash)
        .select(LinkRow::as_select())
        .first(conn)
        .optional()
}

/// Links asked for `email` since `since`, for any purpose: the per-address limit counts
/// them.
pub fn asked_since(conn: &mut DbConn, email: &str, since: NaiveDateTime) -> QueryResult<i64> {
    sign_in_links::table
        .filter(sign_in_links::email.eq(email))
        .filter(sign_in_links::asked.eq(true))
        .filter(sign_in_links::created_at.gt(since))
        .count()
        .get_result(conn)
}

/// Whether a link for `purpose` that someone asked for is waiting, unused, in
/// `email`'s inbox at `now`.
pub fn outstanding(
    conn: &mut DbConn,
    email: &str,
    purpose: LinkPurpose,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sign_in_links::table
            .filter(sign_in_links::email.eq(email))
            .filter(sign_in_links::purpose.eq(purpose))
            .filter(sign_in_links::asked.eq(true))
            .filter(sign_in_links::used_at.is_null())
            .filter(sign_in_links::expires_at.gt(now)),
    ))
    .get_result(conn)
}

/// Forgets links that ended before `before`.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sign_in_links::table.filter(sign_in_links::expires_at.lt(before))).execute(conn)
}
