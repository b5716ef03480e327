//! The append-only audit log: who changed what, when, before and after.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::db::DbConn;
use crate::db::schema::audit_log;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub supplier_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// One change, as handed to [`record`].
#[derive(Debug)]
pub struct Entry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub supplier_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Appends an entry; call it inside the transaction that makes the change.
pub fn record(conn: &mut DbConn, at: NaiveDateTime, e: Entry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(at),
            audit_log::actor.eq(e.actor),
            audit_log::action.eq(e.action),
            audit_log::entity_type.eq(e.entity_type),
            audit_log::entity_id.eq(e.entity_id),
            audit_log::supplier_id.eq(e.supplier_id),
            audit_log::before_json.eq(e.before.map(|v| v.to_string())),
            audit_log::after_json.eq(e.after.map(|v| v.to_string())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Entries after `after_seq`, oldest first.
pub fn page(
    conn: &mut DbConn,
    after_seq: i64,
    limit: i64,
    supplier_id: Option<&str>,
) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_log::table
        .filter(audit_log::seq.gt(after_seq))
        .order(audit_log::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .into_boxed();
    if let Some(s) = supplier_id {
        q = q.filter(audit_log::supplier_id.eq(s));
    }
    q.load(conn)
}
