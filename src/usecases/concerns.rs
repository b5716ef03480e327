//! Concerns about suppliers: anyone may raise one from the pages, without an account;
//! the operator reads them and closes each with what they found. What a person wrote
//! and their address stay out of the audit log, which records only that a concern
//! was raised or closed.

use chrono::NaiveDateTime;
use serde_json::json;

use super::{By, notify};
use crate::db::DbConn;
use crate::db::models::concerns::{self, ConcernRow};
use crate::db::models::supplier;
use crate::domain::Action;
use crate::domain::account::member_email;
use crate::domain::{ConcernId, text};
use crate::error::{Error, Result};
use crate::mail::letters;
use crate::usecases::validator::{Validator, field};

/// The longest concern taken.
pub const MAX_DETAILS: usize = 4000;

/// The reference a person is given for their concern: short enough to read out, and
/// enough of its id for the operator to find it.
pub fn reference(id: ConcernId) -> String {
    let hex: String = id
        .to_string()
        .chars()
        .filter(|c| *c != '-')
        .take(8)
        .collect();
    format!("C-{}", hex.to_ascii_uppercase())
}

/// A concern as a person wrote it.
pub struct Raise {
    /// The slug of the supplier whose page it was raised from, if any.
    pub supplier: Option<String>,
    /// Who it is about, in the person's words (when no supplier is named).
    pub about: String,
    pub details: String,
    /// Where to answer; empty for none.
    pub email: String,
}

fn record(
    conn: &mut DbConn,
    by: &By,
    action: Action,
    id: ConcernId,
    after: serde_json::Value,
    at: NaiveDateTime,
) -> Result<()> {
    super::record_unattached(conn, by, "concern", action, id.to_string(), after, at)
}

/// Records a concern, and emails it to the operator's address if there is one.
pub fn raise(
    conn: &mut DbConn,
    raise: Raise,
    operator_email: Option<&str>,
    at: NaiveDateTime,
) -> Result<ConcernRow> {
    let named = match raise.supplier.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(slug) => Some(
            supplier::find(conn, slug)?
                .ok_or_else(|| Error::field("supplier", "is not a supplier on the registry"))?,
        ),
    };
    let (about, details, email) = Validator::default().finish((
        field(
            "about",
            match &named {
                Some(s) => Ok(s.name.clone()),
                None => text::bounded(&raise.about, 1, 200),
            },
        ),
        field("details", text::bounded(&raise.details, 10, MAX_DETAILS)),
        field(
            "email",
            match raise.email.trim() {
                "" => Ok(None),
                e => member_email(e).map(Some),
            },
        ),
    ))?;
    let row = ConcernRow {
        id: ConcernId::new(),
        supplier_id: named.as_ref().map(|s| s.id),
        about,
        details,
        email,
        created_at: at,
        closed_at: None,
        closed_by: None,
        outcome: None,
    };
    concerns::insert(conn, &row)?;
    record(
        conn,
        &By {
            actor: "public".into(),
            who: crate::domain::lifecycle::Actor::System,
        },
        Action::ConcernRaised,
        row.id,
        json!({"supplier_id": row.supplier_id}),
        at,
    )?;
    let event = format!("concern:{}", row.id);
    if let Some(to) = operator_email {
        notify::address(
            conn,
            to,
            "registry operator",
            &letters::concern_raised(
                &reference(row.id),
                &row.id.to_string(),
                &row.about,
                named.as_ref().map(|s| s.slug.as_str()),
                &row.details,
                row.email.as_deref(),
            ),
            &event,
            at,
        )?;
    }
    // The person who left an address hears that it arrived, and its reference.
    if let Some(raiser) = &row.email {
        let letter = letters::concern_received(&reference(row.id), &row.about);
        notify::address(conn, raiser, "", &letter, &event, at)?;
    }
    Ok(row)
}

/// The longest reply taken.
pub const MAX_REPLY: usize = 4000;

/// The operator writes back to the person who raised a concern (who left an
/// address), without closing it: emailed to them, kept with the concern. 404 for an
/// unknown concern, 409 for a closed one or one without an address.
pub fn reply(
    conn: &mut DbConn,
    by: &By,
    id: ConcernId,
    body: &str,
    at: NaiveDateTime,
) -> Result<concerns::ReplyRow> {
    let body = Validator::default().finish(field("reply", text::bounded(body, 1, MAX_REPLY)))?;
    let concern =
        concerns::get(conn, id)?.ok_or_else(|| Error::NotFound(format!("no concern {id}")))?;
    if concern.closed_at.is_some() {
        return Err(Error::Conflict(format!("concern {id} is closed")));
    }
    let Some(raiser) = &concern.email else {
        return Err(Error::Conflict(
            "the person who raised this concern left no address to write to".into(),
        ));
    };
    let row = concerns::ReplyRow {
        id: crate::domain::ReplyId::new(),
        concern_id: id,
        body,
        written_by: by.actor.clone(),
        created_at: at,
    };
    concerns::insert_reply(conn, &row)?;
    record(
        conn,
        by,
        Action::ConcernAnswered,
        id,
        json!({"reply": row.id}),
        at,
    )?;
    let letter = letters::concern_reply(&reference(id), &concern.about, &row.body);
    notify::address(
        conn,
        raiser,
        "",
        &letter,
        &format!("concern-reply:{}", row.id),
        at,
    )?;
    Ok(row)
}

/// The operator closes a concern with what they found; 404 for an unknown one, 409
/// for one closed already.
pub fn close(
    conn: &mut DbConn,
    by: &By,
    id: ConcernId,
    outcome: &str,
    at: NaiveDateTime,
) -> Result<ConcernRow> {
    let outcome = Validator::default().finish(field("outcome", text::bounded(outcome, 1, 2000)))?;
    concerns::get(conn, id)?.ok_or_else(|| Error::NotFound(format!("no concern {id}")))?;
    if !concerns::close(conn, id, &by.actor, &outcome, at)? {
        return Err(Error::Conflict(format!("concern {id} is closed already")));
    }
    record(conn, by, Action::ConcernClosed, id, json!({}), at)?;
    let closed =
        concerns::get(conn, id)?.ok_or_else(|| Error::NotFound(format!("no concern {id}")))?;
    // The person who raised it, if they left an address, hears what was found.
    if let Some(raiser) = &closed.email {
        let letter = letters::concern_closed(&reference(id), &closed.about, &outcome);
        notify::address(
            conn,
            raiser,
            "",
            &letter,
            &format!("concern-closed:{id}"),
            at,
        )?;
    }
    Ok(closed)
}
