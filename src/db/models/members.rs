//! `members`: the people of a supplier, known by their email address.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::members;
use crate::db::schema::reminders_off;
use crate::domain::account::MemberRole;
use crate::domain::{MemberId, SupplierId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = members)]
pub struct MemberRow {
    pub id: MemberId,
    pub supplier_id: SupplierId,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
    pub added_by: String,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub reminders_off_at: Option<NaiveDateTime>,
    pub unsubscribe_key: String,
}

pub fn insert(conn: &mut DbConn, row: &MemberRow) -> QueryResult<()> {
    diesel::insert_into(members::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// A supplier's members, owners first, then by when they were added.
pub fn of_supplier(conn: &mut DbConn, supplier_id: SupplierId) -> QueryResult<Vec<MemberRow>> {
    let mut rows: Vec<MemberRow> = members::table
        .filter(members::supplier_id.eq(supplier_id))
        .order((members::created_at.asc(), members::id.asc()))
        .select(MemberRow::as_select())
        .load(conn)?;
    rows.sort_by_key(|m| m.role != MemberRole::Owner);
    Ok(rows)
}

/// Every membership of one address (an address may belong to several suppliers).
pub fn with_email(conn: &mut DbConn, email: &str) -> QueryResult<Vec<MemberRow>> {
    members::table
        .filter(members::email.eq(email))
        .order(members::created_at.asc())
        .select(MemberRow::as_select())
        .load(conn)
}

pub fn get(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    id: MemberId,
) -> QueryResult<Option<MemberRow>> {
    members::table
        .filter(members::supplier_id.eq(supplier_id))
        .find(id)
        .select(MemberRow::as_select())
        .first(conn)
        .optional()
}

pub fn by_email(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    email: &str,
) -> QueryResult<Option<MemberRow>> {
    members::table
        .filter(members::supplier_id.eq(supplier_id))
        .filter(members::email.eq(email))
        .select(MemberRow::as_select())
        .first(conn)
        .optional()
}

pub fn set_role(conn: &mut DbConn, id: MemberId, role: MemberRole) -> QueryResult<()> {
    diesel::update(members::table.find(id))
        .set(members::role.eq(role))
        .execute(conn)
        .map(|_| ())
}

pub fn delete(conn: &mut DbConn, id: MemberId) -> QueryResult<()> {
    diesel::delete(reminders_off::table.filter(reminders_off::member_id.eq(id.to_string())))
        .execute(conn)?;
    diesel::delete(members::table.find(id))
        .execute(conn)
        .map(|_| ())
}

/// Marks one membership accepted by its person (who proved they read the address).
pub fn accept(conn: &mut DbConn, id: MemberId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        members::table
            .find(id)
            .filter(members::confirmed_at.is_null()),
    )
    .set(members::confirmed_at.eq(at))
    .execute(conn)
    .map(|_| ())
}

/// A member, by id alone.
pub fn find(conn: &mut DbConn, id: MemberId) -> QueryResult<Option<MemberRow>> {
    members::table
        .find(id)
        .select(MemberRow::as_select())
        .first(conn)
        .optional()
}

/// The member whose unsubscribe link holds `key`.
pub fn unsubscribe_holder(
    conn: &mut DbConn,
    id: MemberId,
    key: &str,
) -> QueryResult<Option<MemberRow>> {
    members::table
        .find(id)
        .filter(members::unsubscribe_key.eq(key))
        .select(MemberRow::as_select())
        .first(conn)
        .optional()
}

/// Turns reminders off for the member whose unsubscribe link holds `key`; false when
/// no member has it. Turning them off again changes nothing.
pub fn reminders_off(
    conn: &mut DbConn,
    id: MemberId,
    key: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(member) = unsubscribe_holder(conn, id, key)? else {
        return Ok(false);
    };
    if member.reminders_off_at.is_none() {
        diesel::update(members::table.find(id))
            .set(members::reminders_off_at.eq(at))
            .execute(conn)?;
    }
    Ok(true)
}

/// The kinds of reminder a member stopped, one by one.
pub fn reminders_stopped(conn: &mut DbConn, id: MemberId) -> QueryResult<Vec<String>> {
    reminders_off::table
        .filter(reminders_off::member_id.eq(id.to_string()))
        .order(reminders_off::kind.asc())
        .select(reminders_off::kind)
        .load(conn)
}

/// Turns reminders of `kind` on or off for a member; "all off" follows: set when every
/// kind in `kinds` is off, cleared when one is on.
pub fn set_reminder(
    conn: &mut DbConn,
    id: MemberId,
    kind: &str,
    on: bool,
    kinds: &[&str],
    at: NaiveDateTime,
) -> QueryResult<()> {
    let key = id.to_string();
    diesel::delete(
        reminders_off::table
            .filter(reminders_off::member_id.eq(&key))
            .filter(reminders_off::kind.eq(kind)),
    )
    .execute(conn)?;
    if !on {
        diesel::insert_into(reminders_off::table)
            .values((
                reminders_off::member_id.eq(&key),
                reminders_off::kind.eq(kind),
                reminders_off::off_at.eq(at),
            ))
            .execute(conn)?;
    }
    let stopped = reminders_stopped(conn, id)?;
    let all_off = kinds.iter().all(|k| stopped.iter().any(|s| s == k));
    diesel::update(members::table.find(id))
        .set(members::reminders_off_at.eq(all_off.then_some(at)))
        .execute(conn)?;
    Ok(())
}

/// How many owners who accepted their membership a supplier has.
pub fn accepted_owners(conn: &mut DbConn, supplier_id: SupplierId) -> QueryResult<i64> {
    members::table
        .filter(members::supplier_id.eq(supplier_id))
        .filter(members::role.eq(MemberRole::Owner))
        .filter(members::confirmed_at.is_not_null())
        .count()
        .get_result(conn)
}
