//! `tokens`: every API token the registry issued, so that it can be revoked.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{members, signing_keys, tokens};
use crate::domain::account::{MemberRole, Scope, TokenKind};
use crate::domain::{MemberId, OperatorId, SubscriberId, SupplierId};

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
    pub scope: Scope,
    pub member_id: Option<MemberId>,
    pub kind: TokenKind,
    pub subscriber_id: Option<SubscriberId>,
    pub operator_id: Option<OperatorId>,
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
    /// Older tokens have none, and write.
    pub scope: Option<Scope>,
    pub member_id: Option<MemberId>,
    pub kind: Option<TokenKind>,
    pub subscriber_id: Option<SubscriberId>,
    /// For an operator's console session, the operator signed in.
    pub operator_id: Option<OperatorId>,
}

/// A token as its supplier's owners see it in the list: never its secret.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tokens)]
pub struct Listed {
    pub jti: String,
    pub label: Option<String>,
    pub scope: Option<Scope>,
    pub kind: Option<TokenKind>,
    pub issued_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// A supplier's tokens other than sign-in sessions, newest first.
pub fn of_supplier(conn: &mut DbConn, supplier_id: SupplierId) -> QueryResult<Vec<Listed>> {
    tokens::table
        .filter(tokens::supplier_id.eq(supplier_id))
        .filter(
            tokens::kind
                .is_null()
                .or(tokens::kind.ne(TokenKind::Session)),
        )
        .order((tokens::issued_at.desc(), tokens::jti.asc()))
        .limit(LISTED)
        .select(Listed::as_select())
        .load(conn)
}

/// Tokens a supplier's list shows: the newest (at most 50 API tokens are in force at
/// once, so the ones in force are always among them).
pub const LISTED: i64 = 200;

/// Revokes every unrevoked token of one member (who left); returns how many.
pub fn revoke_member(
    conn: &mut DbConn,
    member_id: MemberId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::member_id.eq(member_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)
}

/// Ends every unrevoked token of one webhook subscriber; returns how many.
pub fn revoke_subscriber(
    conn: &mut DbConn,
    subscriber_id: SubscriberId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::subscriber_id.eq(subscriber_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)
}

/// Ends every unrevoked token of one operator (removed); returns how many.
pub fn revoke_operator(
    conn: &mut DbConn,
    operator_id: OperatorId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::operator_id.eq(operator_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)
}

/// A token about to expire, for the reminder to its owners.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tokens)]
pub struct Expiring {
    pub jti: String,
    pub supplier_id: Option<SupplierId>,
    pub label: Option<String>,
    pub expires_at: NaiveDateTime,
}

/// Unrevoked API tokens of any supplier that expire between `from` and `to`.
pub fn expiring_between(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<Expiring>> {
    tokens::table
        .filter(tokens::revoked_at.is_null())
        .filter(
            tokens::kind
                .is_null()
                .or(tokens::kind.ne(TokenKind::Session)),
        )
        .filter(tokens::supplier_id.is_not_null())
        .filter(tokens::expires_at.ge(from))
        .filter(tokens::expires_at.lt(to))
        .order(tokens::expires_at.asc())
        .select((
            tokens::jti,
            tokens::supplier_id,
            tokens::label,
            tokens::expires_at,
        ))
        .load(conn)
}

/// The record of token `jti`, if the registry issued one.
pub fn find(conn: &mut DbConn, jti: &str) -> QueryResult<Option<Record>> {
    Ok(find_with_key(conn, jti)?.map(|f| f.record))
}

/// A token's record with what its use depends on now.
#[derive(Debug, Clone)]
pub struct Found {
    pub record: Record,
    /// Whether the key it was issued with is unknown or was retired as compromised.
    pub key_compromised: bool,
    /// For a member's token, the member's role now; `None` if they are no longer one.
    pub member_role: Option<MemberRole>,
}

/// The record of token `jti`, with its key's and its member's standing: one query.
pub fn find_with_key(conn: &mut DbConn, jti: &str) -> QueryResult<Option<Found>> {
    if jti.contains('\0') {
        return Ok(None);
    }
    type Standing = (
        Record,
        Option<String>,
        Option<NaiveDateTime>,
        Option<MemberRole>,
    );
    let row: Option<Standing> = tokens::table
        .left_join(signing_keys::table.on(signing_keys::kid.nullable().eq(tokens::kid)))
        .left_join(members::table.on(members::id.nullable().eq(tokens::member_id)))
        .filter(tokens::jti.eq(jti))
        .select((
            Record::as_select(),
            signing_keys::kid.nullable(),
            signing_keys::compromised_at.nullable(),
            members::role.nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(record, key, compromised, member_role)| Found {
        record,
        key_compromised: key.is_none() || compromised.is_some(),
        member_role,
    }))
}

/// A supplier's API tokens in force at `at` (not revoked, not expired); sessions and
/// registration tokens are not counted.
pub fn in_force_of(conn: &mut DbConn, supplier: SupplierId, at: NaiveDateTime) -> QueryResult<i64> {
    tokens::table
        .filter(tokens::supplier_id.eq(supplier))
        .filter(tokens::kind.eq(crate::domain::account::TokenKind::Api))
        .filter(tokens::revoked_at.is_null())
        .filter(tokens::expires_at.gt(at))
        .count()
        .get_result(conn)
}

/// Whom a token in force is for.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tokens)]
pub struct Holder {
    pub supplier_id: Option<SupplierId>,
    pub member_id: Option<MemberId>,
    pub subscriber_id: Option<crate::domain::SubscriberId>,
}

/// Every token in force at `at` (not revoked, not expired).
pub fn in_force(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<Vec<Holder>> {
    tokens::table
        .filter(tokens::revoked_at.is_null())
        .filter(tokens::expires_at.gt(at))
        .select(Holder::as_select())
        .load(conn)
}

/// Ends every token in force; returns how many.
pub fn revoke_all(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(tokens::table.filter(tokens::revoked_at.is_null()))
        .set(tokens::revoked_at.eq(at))
        .execute(conn)
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
