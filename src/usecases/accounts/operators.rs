//! The people who run the registry: added and removed on the command line, signed in
//! to the console with a link sent by email, as suppliers' members are, for a shorter
//! session. The audit log names an operator by id (`admin:operator:<id>`), never by
//! address.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::links::*;
use crate::auth::Keys;
use crate::auth::tokens::{self, Grant, IssuedToken};
use crate::db::DbConn;
use crate::db::models::operators::{self, OperatorRow};
use crate::db::models::{audit, tokens as stored_tokens};
use crate::domain::account::{LinkPurpose, member_email};
use crate::domain::{Action, OperatorId, text};
use crate::error::{Error, Result};
use crate::mail::letters;
use crate::usecases::validator::{Validator, field};
use crate::usecases::{By, notify};

/// How long an operator's console session lasts.
pub const CONSOLE_SESSION: Duration = Duration::hours(8);

/// How the audit log names an operator.
pub fn actor(id: OperatorId) -> String {
    format!("admin:operator:{id}")
}

fn record(
    conn: &mut DbConn,
    by: &str,
    action: Action,
    id: OperatorId,
    at: NaiveDateTime,
) -> Result<()> {
    audit::record(
        conn,
        at,
        audit::Entry::new(by, action, "operator", id.to_string()).after(json!({})),
    )?;
    Ok(())
}

/// What adding an operator did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    New,
    /// A removed operator taken back on.
    Restored,
    /// Already an operator: nothing changed.
    Already,
}

/// Adds the person with `email` as an operator (or takes a removed one back on).
pub fn add(
    conn: &mut DbConn,
    by: &str,
    email: &str,
    name: &str,
    at: NaiveDateTime,
) -> Result<(OperatorRow, Added)> {
    let (email, name) = Validator::default().finish((
        field("email", member_email(email)),
        field(
            "name",
            text::bounded(if name.trim().is_empty() { email } else { name }, 1, 200),
        ),
    ))?;
    match operators::with_email(conn, &email)? {
        Some(row) if row.removed_at.is_none() => Ok((row, Added::Already)),
        Some(row) => {
            operators::set_removed(conn, row.id, None, &name)?;
            record(conn, by, Action::OperatorAdded, row.id, at)?;
            Ok((
                OperatorRow {
                    removed_at: None,
                    name,
                    ..row
                },
                Added::Restored,
            ))
        }
        None => {
            let row = OperatorRow {
                id: OperatorId::new(),
                email,
                name,
                added_at: at,
                removed_at: None,
            };
            operators::insert(conn, &row)?;
            record(conn, by, Action::OperatorAdded, row.id, at)?;
            Ok((row, Added::New))
        }
    }
}

/// Removes the operator with `email`: their sessions end at once. 404 when the
/// address is no operator's.
pub fn remove(
    conn: &mut DbConn,
    by: &str,
    email: &str,
    at: NaiveDateTime,
) -> Result<(OperatorRow, usize)> {
    let email = member_email(email).map_err(|m| Error::field("email", m))?;
    let row = operators::with_email(conn, &email)?
        .filter(|r| r.removed_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("{email} is not an operator")))?;
    operators::set_removed(conn, row.id, Some(at), &row.name)?;
    let ended = stored_tokens::revoke_operator(conn, row.id, at)?;
    record(conn, by, Action::OperatorRemoved, row.id, at)?;
    Ok((row, ended))
}

/// Asks for a link to the console. The answer is the same whether or not the address
/// is an operator's; only an operator's is sent one.
pub fn request_sign_in(conn: &mut DbConn, email: &str, at: NaiveDateTime) -> Result<()> {
    let email = member_email(email).map_err(|m| Error::field("email", m))?;
    let Some(link) = asked_link(conn, &email, LinkPurpose::Operator, None, at)? else {
        return Ok(());
    };
    if let Some(op) = operators::with_email(conn, &email)?.filter(|r| r.removed_at.is_none()) {
        notify::address(
            conn,
            &email,
            &op.name,
            &letters::operator_sign_in(&link, super::LINK_MINUTES),
            &format!("operator-sign-in:{}", link_key(&link)),
            at,
        )?;
    }
    Ok(())
}

/// Whether `secret` is a console link that still works (for the page with its button).
pub fn link_works(conn: &mut DbConn, secret: &str, at: NaiveDateTime) -> Result<bool> {
    let secret = secret.trim();
    if secret.is_empty() || secret.len() > 100 {
        return Ok(false);
    }
    Ok(
        crate::db::models::sign_in::peek(conn, &hash(secret))?.is_some_and(|l| {
            l.purpose == LinkPurpose::Operator && l.used_at.is_none() && l.expires_at > at
        }),
    )
}

/// Uses a console link (once): a session of [`CONSOLE_SESSION`] for its operator. 401
/// for a link that is unknown, used, expired, or whose operator was removed since.
pub fn confirm_sign_in(
    conn: &mut DbConn,
    keys: &Keys,
    issuer: &str,
    secret: &str,
    at: NaiveDateTime,
) -> Result<(OperatorRow, IssuedToken)> {
    let refused = || {
        Error::Unauthorized(
            "this sign-in link is not valid: it may have been used already or have expired; ask for a new one".into(),
        )
    };
    let link = take_link(conn, secret, LinkPurpose::Operator, at)?.ok_or_else(refused)?;
    let op = operators::with_email(conn, &link.email)?
        .filter(|r| r.removed_at.is_none())
        .ok_or_else(refused)?;
    let token = tokens::issue(conn, keys, issuer, Grant::console(op.id, CONSOLE_SESSION))
        .map_err(Error::Internal)?;
    record(conn, &actor(op.id), Action::OperatorSignedIn, op.id, at)?;
    Ok((op, token))
}

/// Who is writing, for an operator signed in on the console.
pub fn by(id: OperatorId) -> By {
    By {
        actor: actor(id),
        who: crate::domain::lifecycle::Actor::Operator,
    }
}
