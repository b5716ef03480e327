//! Accounts: a supplier's members, signing in by email, and owners' API tokens.
//!
//! People sign in with a one-time link sent to their address: a random secret, of
//! which only a hash is stored, that works once within [`LINK_MINUTES`]. Asking for a
//! link answers the same whether the address is known or not; every request is
//! recorded alike, so the per-address rule treats unknown addresses the same.
//!
//! Nobody can lock a person out by asking for links in their name: an address is never
//! refused. Past [`LINKS_PER_HOUR`] in an hour, a request while a link is still
//! waiting in the inbox sends nothing more (that link works); once none is waiting, a
//! new one is sent. The flood itself is the per-client limit's to stop.

use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{By, notify};
use crate::auth::Keys;
use crate::auth::tokens::{self, Grant, IssuedToken, Role};
use crate::db::DbConn;
use crate::db::models::members::{self, MemberRow};
use crate::db::models::supplier::SupplierRow;
use crate::db::models::{audit, sign_in};
use crate::domain::account::{LinkPurpose, MemberRole, Scope, TokenKind, member_email};
use crate::domain::{MemberId, SupplierId, text};
use crate::error::{ApiError, ApiResult};
use crate::mail::letters;
use crate::usecases::validator::{Validator, field};

/// How long a sign-in link works.
pub const LINK_MINUTES: i64 = 20;

/// Links sent to one address in an hour before further requests wait for the ones
/// outstanding to be used or to expire.
pub const LINKS_PER_HOUR: i64 = 3;

/// How long a session (the token signing in gives) lasts.
pub const SESSION: Duration = Duration::hours(12);

/// The longest an owner's API token may last.
pub const LONGEST_TOKEN_DAYS: i64 = 730;

/// How long an invitation's link works.
pub const INVITATION_DAYS: i64 = 7;

/// People one supplier may invite in a day: each invitation is a mail to an address
/// nobody has confirmed.
pub const INVITES_PER_DAY: i64 = 20;

/// Members (and invitations waiting) one supplier may have.
pub const MAX_MEMBERS: usize = 100;

/// API tokens in force (not revoked, not expired) one supplier may hold.
pub const MAX_TOKENS: i64 = 50;

/// A new random secret, and the hash that is stored of it.
fn secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&secret);
    (secret, hash)
}

fn hash(secret: &str) -> String {
    text::hex(&Sha256::digest(secret.as_bytes()))
}

/// What a new link is for, beyond its purpose.
#[derive(Default)]
struct LinkFor {
    /// Someone asked for it (counted against the address's links).
    asked: bool,
    subscriber_name: Option<String>,
    /// The membership it accepts.
    member: Option<MemberId>,
    /// How long it works, if not [`LINK_MINUTES`].
    lasts: Option<Duration>,
}

/// Records a one-time link for `email` and returns the path that uses it.
fn new_link(
    conn: &mut DbConn,
    email: &str,
    purpose: LinkPurpose,
    link: LinkFor,
    at: NaiveDateTime,
) -> ApiResult<String> {
    let (secret, secret_hash) = secret();
    sign_in::insert(
        conn,
        &sign_in::LinkRow {
            secret_hash,
            email: email.to_owned(),
            created_at: at,
            expires_at: at + link.lasts.unwrap_or(Duration::minutes(LINK_MINUTES)),
            used_at: None,
            asked: link.asked,
            purpose,
            subscriber_name: link.subscriber_name,
            member_id: link.member,
        },
    )?;
    let page = match purpose {
        LinkPurpose::SignIn => "/sign-in/confirm",
        LinkPurpose::Subscriber => "/webhooks/confirm",
    };
    Ok(format!("{page}?token={secret}"))
}

/// A link someone asked for by giving `email` (a valid, lower-cased address); the
/// path that uses it, or none when nothing is to be sent: links to the address (for
/// any purpose) were asked for [`LINKS_PER_HOUR`] times in the last hour and one for
/// `purpose` is still outstanding. Never refused: asking in someone's name cannot
/// lock them out.
pub(super) fn asked_link(
    conn: &mut DbConn,
    email: &str,
    purpose: LinkPurpose,
    subscriber_name: Option<String>,
    at: NaiveDateTime,
) -> ApiResult<Option<String>> {
    if sign_in::asked_since(conn, email, at - Duration::hours(1))? >= LINKS_PER_HOUR
        && sign_in::outstanding(conn, email, purpose, at)?
    {
        return Ok(None);
    }
    sign_in::prune(conn, at - Duration::days(1))?;
    let link = LinkFor {
        asked: true,
        subscriber_name,
        ..LinkFor::default()
    };
    new_link(conn, email, purpose, link, at).map(Some)
}

/// Uses the link for `purpose` with this secret, once; none when it is unknown, used,
/// expired or for something else.
pub(super) fn take_link(
    conn: &mut DbConn,
    link_secret: &str,
    purpose: LinkPurpose,
    at: NaiveDateTime,
) -> ApiResult<Option<sign_in::LinkRow>> {
    let secret = link_secret.trim();
    if secret.is_empty() || secret.len() > 100 {
        return Ok(None);
    }
    Ok(sign_in::take(conn, &hash(secret), purpose, at)?)
}

/// A stable key for the message that carries the link at `path`, without its secret.
pub(super) fn link_key(path: &str) -> String {
    hash(path)
}

/// A new member, not yet confirmed, with reminders on.
pub fn new_member(
    supplier: SupplierId,
    email: String,
    name: String,
    role: MemberRole,
    added_by: &str,
    at: NaiveDateTime,
) -> MemberRow {
    MemberRow {
        id: MemberId::new(),
        supplier_id: supplier,
        email,
        name,
        role,
        added_by: added_by.to_owned(),
        created_at: at,
        confirmed_at: None,
        reminders_off_at: None,
        unsubscribe_key: secret().1,
    }
}

/// The first owner of a supplier just registered: its contact, asked to confirm the
/// address by signing in.
pub fn first_owner(conn: &mut DbConn, supplier: &SupplierRow, at: NaiveDateTime) -> ApiResult<()> {
    let email =
        member_email(&supplier.contact_email).map_err(|m| ApiError::field("contact_email", m))?;
    let owner = new_member(
        supplier.id,
        email.clone(),
        supplier.contact_name.clone(),
        MemberRole::Owner,
        &format!("supplier:{}", supplier.id),
        at,
    );
    members::insert(conn, &owner)?;
    let link = LinkFor {
        member: Some(owner.id),
        ..LinkFor::default()
    };
    let link = new_link(conn, &email, LinkPurpose::SignIn, link, at)?;
    notify::member_letter(
        conn,
        supplier,
        &owner,
        &letters::confirm_address(&supplier.name, &link, LINK_MINUTES),
        &format!("registered:{}", supplier.id),
        at,
    )?;
    Ok(())
}

/// Asks for a sign-in link for `email`. The answer is the same whether or not the
/// address belongs to anyone: 422 only when it is not an address.
pub fn request_sign_in(conn: &mut DbConn, email: &str, at: NaiveDateTime) -> ApiResult<()> {
    let email = member_email(email).map_err(|m| ApiError::field("email", m))?;
    let Some(link) = asked_link(conn, &email, LinkPurpose::SignIn, None, at)? else {
        return Ok(());
    };
    let memberships = members::with_email(conn, &email)?;
    if let Some(member) = memberships.first() {
        notify::address(
            conn,
            &email,
            &member.name,
            &letters::sign_in(&link, LINK_MINUTES),
            &format!("sign-in:{}", link_key(&link)),
            at,
        )?;
    }
    Ok(())
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
) -> ApiResult<Option<LinkChoices>> {
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
) -> ApiResult<Session> {
    let refused = || {
        ApiError::Unauthorized(
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
                    return Err(ApiError::field(
                        "supplier_id",
                        format!(
                            "this address is invited to {} supplier(s) and has accepted none; name the one to accept",
                            memberships.len()
                        ),
                    ));
                }
                [] => None,
                several => {
                    return Err(ApiError::field(
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
fn accept(conn: &mut DbConn, mut member: MemberRow, at: NaiveDateTime) -> ApiResult<MemberRow> {
    if member.confirmed_at.is_none() {
        members::accept(conn, member.id, at)?;
        member.confirmed_at = Some(at);
        let by = By::member(member.supplier_id, member.id);
        member_audit(conn, &by, "member.accepted", &member, None, at)?;
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
) -> ApiResult<Session> {
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
    .map_err(ApiError::Internal)?;
    audit::record(
        conn,
        at,
        audit::Entry {
            actor: &format!("supplier:{}:member:{}", member.supplier_id, member.id),
            action: "member.signed_in",
            entity_type: "member",
            entity_id: member.id.to_string(),
            supplier_id: Some(member.supplier_id),
            before: None,
            after: Some(json!({"session": token.jti})),
        },
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
) -> ApiResult<Session> {
    let me = members::find(conn, from)?
        .ok_or_else(|| ApiError::Unauthorized("you are no longer a member".into()))?;
    let target = members::by_email(conn, to, &me.email)?.ok_or_else(|| {
        ApiError::NotFound(format!("{} is not a member of that supplier", me.email))
    })?;
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
) -> ApiResult<()> {
    let member = members::by_email(conn, supplier, email)?
        .filter(|m| m.confirmed_at.is_none())
        .ok_or_else(|| ApiError::NotFound("no invitation to decline".into()))?;
    members::delete(conn, member.id)?;
    let by = By::member(member.supplier_id, member.id);
    member_audit(conn, &by, "member.declined", &member, None, at)
}

/// Declines the invitation a link was sent for, using the link.
pub fn decline_with_link(
    conn: &mut DbConn,
    link_secret: &str,
    supplier: SupplierId,
    at: NaiveDateTime,
) -> ApiResult<()> {
    let link = take_link(conn, link_secret, LinkPurpose::SignIn, at)?.ok_or_else(|| {
        ApiError::Unauthorized(
            "this link is not valid: it may have been used already or have expired".into(),
        )
    })?;
    decline(conn, &link.email, supplier, at)
}

/// An owner adds a person.
pub struct Invite {
    pub email: String,
    pub name: String,
    pub role: MemberRole,
}

/// Invites a person: a membership waiting for them to accept, and a letter with a link
/// that accepts it (or declines it) within [`INVITATION_DAYS`]. Until they accept,
/// signing in never lands them in it. 404 for an unknown supplier, 409 when the
/// address is a member or invited already or the supplier has [`MAX_MEMBERS`], 429
/// past [`INVITES_PER_DAY`].
pub fn invite(
    conn: &mut DbConn,
    supplier: SupplierId,
    by: &By,
    inviter: Option<MemberId>,
    invite: Invite,
    at: NaiveDateTime,
) -> ApiResult<MemberRow> {
    let supplier = &crate::usecases::lookup::get_or_404(conn, supplier)?;
    let inviter = match inviter {
        Some(m) => members::get(conn, supplier.id, m)?.map(|m| m.name),
        None => None,
    }
    .unwrap_or_else(|| supplier.name.clone());
    let (email, name) = Validator::default().finish((
        field("email", member_email(&invite.email)),
        field("name", text::bounded(&invite.name, 1, 200)),
    ))?;
    lock_supplier(conn, supplier.id)?;
    if members::by_email(conn, supplier.id, &email)?.is_some() {
        return Err(ApiError::Conflict(format!(
            "{email} is already a member of {}, or invited",
            supplier.name
        )));
    }
    if members::of_supplier(conn, supplier.id)?.len() >= MAX_MEMBERS {
        return Err(ApiError::LimitReached(format!(
            "a supplier has at most {MAX_MEMBERS} members and invitations; remove one first"
        )));
    }
    let day = at - Duration::days(1);
    if audit::actions_about_since(conn, supplier.id, "member.added", day)? >= INVITES_PER_DAY {
        return Err(ApiError::TooManyRequests(3600));
    }
    let member = new_member(supplier.id, email, name, invite.role, &by.actor, at);
    members::insert(conn, &member)?;
    member_audit(conn, by, "member.added", &member, None, at)?;
    let link = LinkFor {
        member: Some(member.id),
        lasts: Some(Duration::days(INVITATION_DAYS)),
        ..LinkFor::default()
    };
    let link = new_link(conn, &member.email, LinkPurpose::SignIn, link, at)?;
    let letter = letters::invited(
        &supplier.name,
        member.role.as_str(),
        &inviter,
        &link,
        INVITATION_DAYS,
    );
    notify::member_letter(
        conn,
        supplier,
        &member,
        &letter,
        &format!("added:{}", member.id),
        at,
    )?;
    Ok(member)
}

fn member_audit(
    conn: &mut DbConn,
    by: &By,
    action: &str,
    member: &MemberRow,
    before: Option<serde_json::Value>,
    at: NaiveDateTime,
) -> ApiResult<()> {
    audit::record(
        conn,
        at,
        audit::Entry {
            actor: &by.actor,
            action,
            entity_type: "member",
            entity_id: member.id.to_string(),
            supplier_id: Some(member.supplier_id),
            before,
            after: Some(json!({"email": member.email, "name": member.name, "role": member.role})),
        },
    )?;
    Ok(())
}

fn member_of(conn: &mut DbConn, supplier: SupplierId, id: MemberId) -> ApiResult<MemberRow> {
    members::get(conn, supplier, id)?
        .ok_or_else(|| ApiError::NotFound(format!("no member {id} of this supplier")))
}

/// Holds the supplier's row until the transaction ends, so that two changes to its
/// members are decided one after the other (a row lock on PostgreSQL; SQLite's
/// writers already go one at a time).
fn lock_supplier(conn: &mut DbConn, supplier: SupplierId) -> ApiResult<()> {
    crate::db::models::supplier::lock(conn, supplier)?;
    Ok(())
}

/// Whether taking `member`'s ownership away would leave the supplier without an owner
/// who accepted; call it with the supplier locked.
fn last_owner(conn: &mut DbConn, member: &MemberRow) -> ApiResult<bool> {
    Ok(member.role == MemberRole::Owner
        && member.confirmed_at.is_some()
        && members::accepted_owners(conn, member.supplier_id)? <= 1)
}

/// Removes a member (or withdraws an invitation) and ends their sessions; a member may
/// remove themself (leave). The last owner cannot be removed.
pub fn remove(
    conn: &mut DbConn,
    supplier: SupplierId,
    by: &By,
    id: MemberId,
    at: NaiveDateTime,
) -> ApiResult<()> {
    lock_supplier(conn, supplier)?;
    let member = member_of(conn, supplier, id)?;
    if last_owner(conn, &member)? {
        return Err(ApiError::Conflict(
            "this is the supplier's only owner; make someone else an owner first".into(),
        ));
    }
    members::delete(conn, id)?;
    let ended = crate::db::models::tokens::revoke_member(conn, id, at)?;
    audit::record(
        conn,
        at,
        audit::Entry {
            actor: &by.actor,
            action: "member.removed",
            entity_type: "member",
            entity_id: id.to_string(),
            supplier_id: Some(supplier),
            before: Some(json!({"email": member.email, "name": member.name, "role": member.role})),
            after: Some(json!({"sessions_ended": ended})),
        },
    )?;
    Ok(())
}

/// Changes a member's role; the last owner stays one.
pub fn change_role(
    conn: &mut DbConn,
    supplier: SupplierId,
    by: &By,
    id: MemberId,
    role: MemberRole,
    at: NaiveDateTime,
) -> ApiResult<MemberRow> {
    lock_supplier(conn, supplier)?;
    let mut member = member_of(conn, supplier, id)?;
    if member.role == role {
        return Ok(member);
    }
    if last_owner(conn, &member)? {
        return Err(ApiError::Conflict(
            "this is the supplier's only owner; make someone else an owner first".into(),
        ));
    }
    let before = json!({"role": member.role});
    members::set_role(conn, id, role)?;
    member.role = role;
    member_audit(conn, by, "member.role_changed", &member, Some(before), at)?;
    Ok(member)
}

/// The operator hands a supplier to a new owner (the old one left, or lost access):
/// the person becomes its only owner, any other owner stays as an editor.
pub fn transfer(
    conn: &mut DbConn,
    supplier: &SupplierRow,
    by: &By,
    email: &str,
    name: &str,
    at: NaiveDateTime,
) -> ApiResult<MemberRow> {
    let (email, name) = Validator::default().finish((
        field("email", member_email(email)),
        field("name", text::bounded(name, 1, 200)),
    ))?;
    lock_supplier(conn, supplier.id)?;
    let others = members::of_supplier(conn, supplier.id)?;
    let mut owner = match others.iter().find(|m| m.email == email) {
        Some(m) => m.clone(),
        None => {
            // The operator hands the record over at the person's request: the
            // membership needs no acceptance of theirs.
            let m = MemberRow {
                confirmed_at: Some(at),
                ..new_member(
                    supplier.id,
                    email.clone(),
                    name,
                    MemberRole::Owner,
                    &by.actor,
                    at,
                )
            };
            members::insert(conn, &m)?;
            m
        }
    };
    members::set_role(conn, owner.id, MemberRole::Owner)?;
    owner.role = MemberRole::Owner;
    let demoted: Vec<String> = others
        .iter()
        .filter(|m| m.id != owner.id && m.role == MemberRole::Owner)
        .map(|m| -> ApiResult<String> {
            members::set_role(conn, m.id, MemberRole::Editor)?;
            Ok(m.email.clone())
        })
        .collect::<ApiResult<_>>()?;
    audit::record(
        conn,
        at,
        audit::Entry {
            actor: &by.actor,
            action: "supplier.ownership_transferred",
            entity_type: "member",
            entity_id: owner.id.to_string(),
            supplier_id: Some(supplier.id),
            before: Some(json!({"owners": demoted})),
            after: Some(json!({"owner": owner.email})),
        },
    )?;
    notify::member_letter(
        conn,
        supplier,
        &owner,
        &letters::made_owner(&supplier.name),
        &format!("owner:{}", at.and_utc().timestamp_micros()),
        at,
    )?;
    Ok(owner)
}

/// An owner's new API token.
pub struct NewToken {
    pub name: String,
    pub scope: Scope,
    pub days: i64,
}

/// Creates a named API token for the supplier; its secret is in the answer only.
pub fn create_token(
    conn: &mut DbConn,
    keys: &Keys,
    issuer: &str,
    supplier: SupplierId,
    by: &By,
    t: NewToken,
    at: NaiveDateTime,
) -> ApiResult<IssuedToken> {
    let (name, days) = Validator::default().finish((
        field("name", text::bounded(&t.name, 1, 100)),
        field(
            "expires_in_days",
            if (1..=LONGEST_TOKEN_DAYS).contains(&t.days) {
                Ok(t.days)
            } else {
                Err(format!(
                    "must be between 1 and {LONGEST_TOKEN_DAYS} (two years)"
                ))
            },
        ),
    ))?;
    lock_supplier(conn, supplier)?;
    if crate::db::models::tokens::in_force_of(conn, supplier, at)? >= MAX_TOKENS {
        return Err(ApiError::LimitReached(format!(
            "a supplier holds at most {MAX_TOKENS} API tokens in force; revoke one first"
        )));
    }
    let issued = tokens::issue(
        conn,
        keys,
        issuer,
        Grant {
            role: Role::Supplier,
            supplier_id: Some(supplier),
            scope: t.scope,
            member_id: None,
            kind: TokenKind::Api,
            label: Some(&name),
            ttl: Duration::days(days),
            subscriber_id: None,
        },
    )
    .map_err(ApiError::Internal)?;
    audit::record(
        conn,
        at,
        audit::Entry {
            actor: &by.actor,
            action: "token.created",
            entity_type: "token",
            entity_id: issued.jti.clone(),
            supplier_id: Some(supplier),
            before: None,
            after: Some(json!({"name": name, "scope": t.scope, "expires_at": issued.expires_at})),
        },
    )?;
    Ok(issued)
}

/// Revokes one of the supplier's tokens; 404 for a token of anyone else.
pub fn revoke_token(
    conn: &mut DbConn,
    supplier: SupplierId,
    by: &By,
    jti: &str,
    at: NaiveDateTime,
) -> ApiResult<()> {
    let record = tokens::find(conn, jti)?
        .filter(|r| r.supplier_id == Some(supplier))
        .ok_or_else(|| ApiError::NotFound(format!("no token {jti} of this supplier")))?;
    if record.revoked_at.is_some() {
        return Ok(());
    }
    tokens::revoke(conn, jti)?;
    super::tokens::record_revoked(conn, by, jti, Some(supplier), at)
}
