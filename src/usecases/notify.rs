//! Telling people: a letter written to the outbox in the transaction of the change it
//! reports, so that it is sent if and only if the change is kept. Each message has a
//! key naming the event and its recipient; writing the same event again adds nothing.

use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::db::models::members::{self, MemberRow};
use crate::db::models::outbox::{self, NewMail};
use crate::db::models::supplier::SupplierRow;
use crate::error::Result;
use crate::mail::letters::{Letter, SITE};

/// Who of a supplier's people a letter is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To {
    /// Every member (reminders only to those who still want them).
    Members,
    /// The owners only (what only an owner can act on).
    Owners,
}

/// Writes `letter` to the people of `supplier` that `to` names; `event` names what
/// it reports, once per supplier. Returns how many messages were added.
pub fn write(
    conn: &mut DbConn,
    to: To,
    supplier: &SupplierRow,
    letter: &Letter,
    event: &str,
    at: NaiveDateTime,
) -> Result<usize> {
    let mut added = 0;
    for member in members::of_supplier(conn, supplier.id)? {
        // An invitation nobody accepted yet hears nothing of the supplier (the contact
        // who registered it does, before they first sign in).
        let invited = member.confirmed_at.is_none() && member.email != supplier.contact_email;
        if invited || (to == To::Owners && member.role != crate::domain::account::MemberRole::Owner)
        {
            continue;
        }
        // A reminder goes only to who still wants that kind.
        if letter.reminder
            && (member.reminders_off_at.is_some()
                || members::reminders_stopped(conn, member.id)?
                    .iter()
                    .any(|k| k == letter.kind))
        {
            continue;
        }
        if member_letter(conn, supplier, &member, letter, event, at)? {
            added += 1;
        }
    }
    Ok(added)
}

/// Writes `letter` to one member of `supplier`.
pub fn member_letter(
    conn: &mut DbConn,
    supplier: &SupplierRow,
    member: &MemberRow,
    letter: &Letter,
    event: &str,
    at: NaiveDateTime,
) -> Result<bool> {
    // Until the person accepts, the address is nobody's confirmed one: names others
    // wrote reach it only when short and plain.
    let supplier_name = if member.confirmed_at.is_some() {
        supplier.name.as_str()
    } else {
        crate::mail::letters::plain_name(&supplier.name).unwrap_or("a supplier")
    };
    let why = format!(
        "You get this email because you are {} of {} on the Tech Pledge registry{}.",
        match member.role {
            crate::domain::account::MemberRole::Owner => "an owner",
            crate::domain::account::MemberRole::Editor => "an editor",
        },
        supplier_name,
        if member.confirmed_at.is_some() {
            ""
        } else {
            ", or invited to be"
        },
    );
    let unsubscribe = letter.reminder.then(|| {
        format!(
            "{SITE}/unsubscribe/{}?key={}&kind={}",
            member.id, member.unsubscribe_key, letter.kind
        )
    });
    let mail = NewMail {
        message_key: format!("{event}:{}:{}", letter.kind, member.id),
        kind: letter.kind.to_owned(),
        recipient: member.email.clone(),
        subject: letter.subject.clone(),
        body_text: letter.text(&member.name, &why, unsubscribe.as_deref()),
        body_html: letter.html(&member.name, &why, unsubscribe.as_deref()),
        unsubscribe,
        supplier_id: Some(supplier.id),
        created_at: at,
        next_attempt_at: crate::db::models::now().min(at),
        reply_to: letter.reply_to.clone(),
    };
    Ok(outbox::enqueue(conn, &mail)?)
}

/// Writes `letter` to one address that may belong to nobody yet (a sign-in link);
/// `event` names it once.
pub fn address(
    conn: &mut DbConn,
    email: &str,
    name: &str,
    letter: &Letter,
    event: &str,
    at: NaiveDateTime,
) -> Result<bool> {
    let why = "You get this email because someone gave this address to the Tech Pledge registry.";
    let mail = NewMail {
        message_key: format!("{event}:{}:{email}", letter.kind),
        kind: letter.kind.to_owned(),
        recipient: email.to_owned(),
        subject: letter.subject.clone(),
        body_text: letter.text(name, why, None),
        body_html: letter.html(name, why, None),
        unsubscribe: None,
        supplier_id: None,
        created_at: at,
        next_attempt_at: crate::db::models::now().min(at),
        reply_to: letter.reply_to.clone(),
    };
    Ok(outbox::enqueue(conn, &mail)?)
}
