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

/// Records a one-time link for `email` and returns the path that uses it.
fn new_link(
    conn: &mut DbConn,
    email: &str,
    purpose: LinkPurpose,
    subscriber_name: Option<String>,
    asked: bool,
    at: NaiveDateTime,
) -> ApiResult<String> {
    let (secret, secret_hash) = secret();
    sign_in::insert(
        conn,
        &sign_in::LinkRow {
            secret_hash,
            email: email.to_owned(),
            created_at: at,
            expires_at: at + Duration::minutes(LINK_MINUTES),
            used_at: None,
            asked,
            purpose,
            subscriber_name,
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
    new_link(conn, email, purpose, subscriber_name, true, at).map(Some)
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
    let link = new_link(conn, &email, LinkPurpose::SignIn, None, false, at)?;
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
    /// Every supplier the address is a member of, for choosing another.
    pub memberships: Vec<MemberRow>,
}

/// Which membership a sign-in is for.
#[derive(Debug, Clone, Copy)]
pub enum Choice {
    /// This supplier's.
    Named(SupplierId),
    /// The only one; several are an error naming `supplier_id`.
    Only,
    /// The oldest (the pages, which offer the others once signed in).
    First,
}

/// Uses a sign-in link (once): confirms the address and gives a session token for the
/// membership chosen. 401 for a link that is unknown, used or expired; 422 when the
/// address is a member of several suppliers and none is named.
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
    let email = take_link(conn, link_secret, LinkPurpose::SignIn, at)?
        .ok_or_else(refused)?
        .email;
    let memberships = members::with_email(conn, &email)?;
    let member = match choice {
        Choice::Named(id) => memberships.iter().find(|m| m.supplier_id == id),
        Choice::First => memberships.first(),
        Choice::Only if memberships.len() <= 1 => memberships.first(),
        Choice::Only => {
            return Err(ApiError::field(
                "supplier_id",
                format!(
                    "this address belongs to {} suppliers; name the one to sign in to",
                    memberships.len()
                ),
            ));
        }
    }
    .cloned()
    .ok_or_else(refused)?;
    members::confirm(conn, &email, at)?;
    let mut member = member;
    member.confirmed_at = member.confirmed_at.or(Some(at));
    let memberships = members::with_email(conn, &email)?;
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

/// An owner adds a person.
pub struct Invite {
    pub email: String,
    pub name: String,
    pub role: MemberRole,
}

/// Adds a member and tells them who added them (the member `inviter`, or else the
/// supplier); 404 for an unknown supplier, 409 when the address is a member already.
pub fn invite(
    conn: &mut DbConn,
    supplier: SupplierId,
    by: &By,
    inviter: Option<MemberId>,
    invite: Invite,
    at: NaiveDateTime,
) -> ApiResult<MemberRow> {
    let supplier = &crate::lookup::get_or_404(conn, supplier)?;
    let inviter = match inviter {
        Some(m) => members::get(conn, supplier.id, m)?.map(|m| m.name),
        None => None,
    }
    .unwrap_or_else(|| supplier.name.clone());
    let (email, name) = Validator::default().finish((
        field("email", member_email(&invite.email)),
        field("name", text::bounded(&invite.name, 1, 200)),
    ))?;
    if members::by_email(conn, supplier.id, &email)?.is_some() {
        return Err(ApiError::Conflict(format!(
            "{email} is already a member of {}",
            supplier.name
        )));
    }
    let member = new_member(supplier.id, email, name, invite.role, &by.actor, at);
    members::insert(conn, &member)?;
    member_audit(conn, by, "member.added", &member, None, at)?;
    let letter = letters::invited(&supplier.name, member.role.as_str(), &inviter);
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

/// Whether taking `member`'s ownership away would leave the supplier without an owner.
fn last_owner(conn: &mut DbConn, member: &MemberRow) -> ApiResult<bool> {
    Ok(member.role == MemberRole::Owner && members::owners(conn, member.supplier_id)? <= 1)
}

/// Removes a member and ends their sessions; the last owner cannot be removed.
pub fn remove(
    conn: &mut DbConn,
    supplier: SupplierId,
    by: &By,
    id: MemberId,
    at: NaiveDateTime,
) -> ApiResult<()> {
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
    let others = members::of_supplier(conn, supplier.id)?;
    let mut owner = match others.iter().find(|m| m.email == email) {
        Some(m) => m.clone(),
        None => {
            let m = new_member(
                supplier.id,
                email.clone(),
                name,
                MemberRole::Owner,
                &by.actor,
                at,
            );
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
    audit::record(
        conn,
        at,
        audit::Entry {
            actor: &by.actor,
            action: "token.revoked",
            entity_type: "token",
            entity_id: jti.to_owned(),
            supplier_id: Some(supplier),
            before: None,
            after: None,
        },
    )?;
    Ok(())
}
