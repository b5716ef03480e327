//! Signing in with a link sent by email: asking, the choices a link offers, using it
//! (accepting an invitation it names), switching, and declining an invitation.

use chrono::NaiveDateTime;
use serde_json::json;

use super::links::*;
use super::members::member_audit;
use super::*;
use crate::auth::Keys;
use crate::auth::tokens::{self, Grant, IssuedToken};
use crate::db::DbConn;
use crate::db::models::members::{self, MemberRow};
use crate::db::models::{audit, sign_in};
use crate::domain::Action;
use crate::domain::account::{LinkPurpose, TokenKind, member_email, page_after_sign_in};
use crate::domain::{MemberId, SupplierId};
use crate::error::{Error, Result};
use crate::mail::letters;
use crate::usecases::{By, notify};

/// An address a sign-in link is asked for, parsed (trimmed and lower-cased).
#[derive(Debug)]
pub struct SignInAsk {
    email: String,
    /// The page of the signed-in area the link leads back to.
    next: Option<String>,
}

impl SignInAsk {
    /// The address, or a 422 naming `email` when it is not one.
    pub fn parse(email: &str) -> Result<SignInAsk> {
        let email = member_email(email).map_err(|m| Error::field("email", m))?;
        Ok(SignInAsk { email, next: None })
    }

    /// The link, once used, leads to `page` (a page of the signed-in area; anything
    /// else is ignored and the link leads to the account page).
    pub fn then(mut self, page: &str) -> SignInAsk {
        self.next = page_after_sign_in(page);
        self
    }
}

/// Asks for a sign-in link. The answer is the same whether or not the address belongs
/// to anyone.
pub fn request_sign_in(conn: &mut DbConn, ask: SignInAsk, at: NaiveDateTime) -> Result<()> {
    let email = ask.email;
    let Some(link) = asked_link(conn, &email, LinkPurpose::SignIn, None, at)? else {
        return Ok(());
    };
    let memberships = members::with_email(conn, &email)?;
    if let Some(member) = memberships.first() {
        notify::address(
            conn,
            &email,
            &member.name,
            &letters::sign_in(&with_next(&link, ask.next.as_deref()), LINK_MINUTES),
            &format!("sign-in:{}", link_key(&link)),
            at,
        )?;
    }
    Ok(())
}

/// A link's path with the page it leads back to.
fn with_next(link: &str, next: Option<&str>) -> String {
    match next {
        // Only letters, digits, `/`, `-` and `_`: nothing to escape.
        Some(page) => format!("{link}&next={page}"),
        None => link.to_owned(),
    }
}

/// What a used sign-in link gives: a session for one membership.
pub struct Session {
    pub member: MemberRow,
    pub token: IssuedToken,
    /// Every supplier the address is a member of, or is invited to (not accepted
    /// yet), for choosing another.
    pub memberships: Vec<MemberRow>,
}

/// Which membership a sign-in is for.
#[derive(Debug, Clone, Copy)]
pub enum Choice {
    /// This supplier's: one the address accepted, or an invitation it accepts by
    /// naming it.
    Named(SupplierId),
    /// The only membership the address accepted; several are an error naming
    /// `supplier_id`, and so are invitations alone (they are accepted by naming).
    Only,
}

/// What a link can lead to, for the page that uses it: the memberships it may sign in
/// to and the invitations it may accept or decline. None for a link that is unknown,
/// used, expired or not a sign-in link.
pub struct LinkChoices {
    /// The link was sent for one membership (a registration's, an invitation's): it
    /// signs in there and nowhere else.
    pub fixed: bool,
    /// The invitation the link was sent with, not accepted yet (not a registration's
    /// own contact confirming their address).
    pub invitation: Option<(MemberRow, String)>,
    /// Memberships the address accepted, with their suppliers' names.
    pub accepted: Vec<(MemberRow, String)>,
    /// Invitations the address has not accepted, with their suppliers' names.
    pub pending: Vec<(MemberRow, String)>,
}

/// What the link with this secret offers, without using it.
pub fn link_choices(
    conn: &mut DbConn,
    link_secret: &str,
    at: NaiveDateTime,
) -> Result<Option<LinkChoices>> {
    let secret = link_secret.trim();
    if secret.is_empty() || secret.len() > 100 {
        return Ok(None);
    }
    let Some(link) = sign_in::peek(conn, &hash(secret))? else {
        return Ok(None);
    };
    if link.purpose != LinkPurpose::SignIn || link.used_at.is_some() || link.expires_at <= at {
        return Ok(None);
    }
    let mut choices = LinkChoices {
        fixed: link.member_id.is_some(),
        invitation: None,
        accepted: Vec::new(),
        pending: Vec::new(),
    };
    for m in members::with_email(conn, &link.email)? {
        let supplier = crate::db::models::supplier::get(conn, m.supplier_id)?;
        let registrant = supplier
            .as_ref()
            .is_some_and(|s| s.contact_email == m.email);
        let name = supplier.map(|s| s.name).unwrap_or_default();
        if Some(m.id) == link.member_id {
            if m.confirmed_at.is_none() && !registrant {
                choices.invitation = Some((m, name));
            }
        } else if m.confirmed_at.is_some() {
            choices.accepted.push((m, name));
        } else {
            choices.pending.push((m, name));
        }
    }
    Ok(Some(choices))
}

/// Uses a sign-in link (once) and gives a session token for the membership chosen. A
/// link sent to accept one membership (a registration's, an invitation's) accepts
/// that one; any other link signs in to memberships the address accepted, or accepts
/// the invitation it names. Signing in never accepts an invitation the person did not
/// choose. 401 for a link that is unknown, used or expired; 422 naming `supplier_id`
/// when the choice is not clear.
pub fn confirm_sign_in(
    conn: &mut DbConn,
    keys: &Keys,
    issuer: &str,
    link_secret: &str,
    choice: Choice,
    at: NaiveDateTime,
) -> Result<Session> {
    let refused = || {
        Error::Unauthorized(
            "this sign-in link is not valid: it may have been used already or have expired; ask for a new one".into(),
        )
    };
    let link = take_link(conn, link_secret, LinkPurpose::SignIn, at)?.ok_or_else(refused)?;
    let memberships = members::with_email(conn, &link.email)?;
    let member = match (link.member_id, choice) {
        (Some(id), _) => memberships.iter().find(|m| m.id == id),
        (None, Choice::Named(id)) => memberships.iter().find(|m| m.supplier_id == id),
        (None, Choice::Only) => {
            let accepted: Vec<&MemberRow> = memberships
                .iter()
                .filter(|m| m.confirmed_at.is_some())
                .collect();
            match accepted.as_slice() {
                [one] => Some(*one),
                [] if !memberships.is_empty() => {
                    return Err(Error::field(
                        "supplier_id",
                        format!(
                            "this address is invited to {} supplier(s) and has accepted none; name the one to accept",
                            memberships.len()
                        ),
                    ));
                }
                [] => None,
                several => {
                    return Err(Error::field(
                        "supplier_id",
                        format!(
                            "this address belongs to {} suppliers; name the one to sign in to",
                            several.len()
                        ),
                    ));
                }
            }
        }
    }
    .cloned()
    .ok_or_else(refused)?;
    let member = accept(conn, member, at)?;
    session_for(conn, keys, issuer, member, at)
}

/// Marks a membership accepted by its person (idempotent), with an audit entry the
/// first time.
fn accept(conn: &mut DbConn, mut member: MemberRow, at: NaiveDateTime) -> Result<MemberRow> {
    if member.confirmed_at.is_none() {
        members::accept(conn, member.id, at)?;
        member.confirmed_at = Some(at);
        let by = By::member(member.supplier_id, member.id);
        member_audit(conn, &by, Action::MemberAccepted, &member, None, at)?;
    }
    Ok(member)
}

/// A new session for an accepted membership.
fn session_for(
    conn: &mut DbConn,
    keys: &Keys,
    issuer: &str,
    member: MemberRow,
    at: NaiveDateTime,
) -> Result<Session> {
    let memberships = members::with_email(conn, &member.email)?;
    let token = tokens::issue(
        conn,
        keys,
        issuer,
        Grant {
            member_id: Some(member.id),
            label: Some("signed in by email"),
            ..Grant::supplier(member.supplier_id, TokenKind::Session, SESSION)
        },
    )
    .map_err(Error::Internal)?;
    audit::record(
        conn,
        at,
        audit::Entry::new(
            &format!("supplier:{}:member:{}", member.supplier_id, member.id),
            Action::MemberSignedIn,
            "member",
            member.id.to_string(),
        )
        .supplier(member.supplier_id)
        .after(json!({"session": token.jti})),
    )?;
    Ok(Session {
        member,
        token,
        memberships,
    })
}

/// A signed-in person moves to another of their memberships (accepting it, when it is
/// an invitation): a new session there, and the one they had ends.
pub fn switch(
    conn: &mut DbConn,
    keys: &Keys,
    issuer: &str,
    from: MemberId,
    from_session: &str,
    to: SupplierId,
    at: NaiveDateTime,
) -> Result<Session> {
    let me = members::find(conn, from)?
        .ok_or_else(|| Error::Unauthorized("you are no longer a member".into()))?;
    let target = members::by_email(conn, to, &me.email)?
        .ok_or_else(|| Error::NotFound(format!("{} is not a member of that supplier", me.email)))?;
    let target = accept(conn, target, at)?;
    let session = session_for(conn, keys, issuer, target, at)?;
    crate::db::models::tokens::revoke(conn, from_session)?;
    Ok(session)
}

/// A person declines an invitation sent to `email` (with its link, or signed in with
/// the same address): it goes, and nothing of it stays but the audit entry. 404 for
/// one that is not that address's, or was accepted.
pub fn decline(
    conn: &mut DbConn,
    email: &str,
    supplier: SupplierId,
    at: NaiveDateTime,
) -> Result<()> {
    let member = members::by_email(conn, supplier, email)?
        .filter(|m| m.confirmed_at.is_none())
        .ok_or_else(|| Error::NotFound("no invitation to decline".into()))?;
    members::delete(conn, member.id)?;
    let by = By::member(member.supplier_id, member.id);
    member_audit(conn, &by, Action::MemberDeclined, &member, None, at)
}

/// Declines the invitation a link was sent for, using the link.
pub fn decline_with_link(
    conn: &mut DbConn,
    link_secret: &str,
    supplier: SupplierId,
    at: NaiveDateTime,
) -> Result<()> {
    let link = take_link(conn, link_secret, LinkPurpose::SignIn, at)?.ok_or_else(|| {
        Error::Unauthorized(
            "this link is not valid: it may have been used already or have expired".into(),
        )
    })?;
    decline(conn, &link.email, supplier, at)
}

/// Signing out: the session ends on every instance (its token is revoked).
pub fn sign_out(conn: &mut DbConn, jti: &str) -> Result<()> {
    crate::db::models::tokens::revoke(conn, jti)?;
    Ok(())
}
