//! The write side: one function per use case. Each runs inside the caller's
//! transaction, takes who is acting and a command whose fields are already parsed,
//! checks what needs the database, applies the lifecycle table to every change of
//! status, and writes the rows, the public history and the public change (which
//! appends the audit entry and rewrites the supplier's stored record) together.
//!
//! Handlers parse, authorise, call one of these, and answer; jobs call them too.

pub mod accounts;
pub mod changes;
pub mod checkpoints;
pub mod checks;
pub mod companies;
pub mod concerns;
pub mod evidence;
pub mod expiry;
pub mod keys;
pub mod lookup;
pub mod notify;
pub mod profile;
pub mod projection;
pub mod publish;
pub mod register;
pub mod signature;
pub mod snapshots;
pub mod tokens;
pub mod validator;
pub mod webhooks;

use crate::domain::Action;
pub use crate::domain::lifecycle::By;
use crate::error::{Error, Result};

/// Records an audit entry about something that is no supplier's (a webhook, a
/// concern): kept out of every supplier's history and the public feed.
fn record_unattached(
    conn: &mut crate::db::DbConn,
    by: &By,
    entity_type: &str,
    action: Action,
    entity_id: String,
    after: serde_json::Value,
    at: chrono::NaiveDateTime,
) -> Result<()> {
    crate::db::models::audit::record(
        conn,
        at,
        crate::db::models::audit::Entry::new(&by.actor, action, entity_type, entity_id)
            .after(after),
    )?;
    Ok(())
}

/// A value as the audit log stores it.
fn audited<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Error::Internal(e.into()))
}
