//! `tokens`: every API token the registry issued, so that it can be revoked.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{signing_keys, tokens};
use crate::domain::SupplierId;

/// A token as it is recorded when issued.
#[derive(Debug, Insertable)]
#[diesel(table_name = tokens)]
pub struct NewToken<'a> {
    pub jti: &'a str,
    pub role: &'a str,
    pub supplier_id: Option<SupplierId>,
    pub label: Option<&'a str>,
    pub issued_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub kid: &'a str,
    pub issuer: &'a str,
}

pub fn insert(conn: &mut DbConn, token: &NewToken<'_>) -> QueryResult<()> {
    diesel::insert_into(tokens::table)
        .values(token)
        .execute(conn)
        .map(|_| ())
}

/// What the registry recorded when it issued a token.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tokens)]
pub struct Record {
    pub jti: String,
    pub role: String,
    pub supplier_id: Option<SupplierId>,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub kid: Option<String>,
    pub issuer: Option<String>,
}

/// The record of token `jti`, if the registry issued one.
pub fn find(conn: &mut DbConn, jti: &str) -> QueryResult<Option<Record>> {
    Ok(find_with_key(conn, jti)?.map(|(r, _)| r))
}

/// The record of token `jti` and whether the key it was issued with is still in use.
pub fn find_with_key(conn: &mut DbConn, jti: &str) -> QueryResult<Option<(Record, bool)>> {
    if jti.contains('\0') {
        return Ok(None);
    }
    let row: Option<(Record, Option<String>, Option<NaiveDateTime>)> = tokens::table
        .left_join(signing_keys::table.on(signing_keys::kid.nullable().eq(tokens::kid)))
        .filter(tokens::jti.eq(jti))
        .select((
            Record::as_select(),
            signing_keys::kid.nullable(),
            signing_keys::retired_at.nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(record, key, retired)| (record, key.is_some() && retired.is_none())))
}

/// Marks a token revoked; false when there is no such token.
pub fn revoke(conn: &mut DbConn, jti: &str) -> QueryResult<Option<bool>> {
    match find(conn, jti)?.map(|r| r.revoked_at) {
        None => Ok(None),
        Some(Some(_)) => Ok(Some(false)),
        Some(None) => {
            diesel::update(tokens::table.find(jti))
                .set(tokens::revoked_at.eq(Utc::now().naive_utc()))
                .execute(conn)?;
            Ok(Some(true))
        }
    }
}
