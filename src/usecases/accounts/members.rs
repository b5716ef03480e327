//! A supplier's members: the first owner, invitations, leaving, roles, and the
//! operator's hand-over.

use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::links::*;
use super::*;
use crate::db::DbConn;
use crate::db::models::audit;
use crate::db::models::members::{self, MemberRow};
use crate::db::models::supplier::SupplierRow;
use crate::domain::Action;
use crate::domain::account::{LinkPurpose, MemberRole, member_email};
use crate::domain::{MemberId, SupplierId, text};
use crate::error::{Error, Result};
use crate::mail::letters;
use crate::usecases::validator::{Validator, field};
use crate::usecases::{By, notify};

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
pub fn first_owner(conn: &mut DbConn, supplier: &SupplierRow, at: NaiveDateTime) -> Result<()> {
    let email =
        member_email(&supplier.contact_email).map_err(|m| Error::field("contact_email", m))?;
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

/// An owner adds a person.
pub struct Invite {
    email: String,
    name: String,
    role: MemberRole,
}

/// A person to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub role: MemberRole,
}

impl Invite {
    /// Parses every field of `m`: the command (the address lower-cased), or a 422
    /// naming every field that is wrong.
    pub fn parse(m: NewMember) -> Result<Invite> {
        let (email, name) = Validator::default().finish((
            field("email", member_email(&m.email)),
            field("name", text::bounded(&m.name, 1, 200)),
        ))?;
        Ok(Invite {
            email,
            name,
            role: m.role,
        })
    }
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
) -> Result<MemberRow> {
    let supplier = &crate::usecases::lookup::get_or_404(conn, supplier)?;
    let inviter = match inviter {
        Some(m) => members::get(conn, supplier.id, m)?.map(|m| m.name),
        None => None,
    }
    .unwrap_or_else(|| supplier.name.clone());
    let Invite { email, name, role } = invite;
    lock_supplier(conn, supplier.id)?;
    if members::by_email(conn, supplier.id, &email)?.is_some() {
        return Err(Error::Conflict(format!(
            "{email} is already a member of {}, or invited",
            supplier.name
        )));
    }
    if members::of_supplier(conn, supplier.id)?.len() >= MAX_MEMBERS {
        return Err(Error::LimitReached(format!(
            "a supplier has at most {MAX_MEMBERS} members and invitations; remove one first"
        )));
    }
    let day = at - Duration::days(1);
    if audit::actions_about_since(conn, supplier.id, Action::MemberAdded, day)? >= INVITES_PER_DAY {
        return Err(Error::TooManyRequests(3600));
    }
    let member = new_member(supplier.id, email, name, role, &by.actor, at);
    members::insert(conn, &member)?;
    member_audit(conn, by, Action::MemberAdded, &member, None, at)?;
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

pub(super) fn member_audit(
    conn: &mut DbConn,
    by: &By,
    action: Action,
    member: &MemberRow,
    before: Option<serde_json::Value>,
    at: NaiveDateTime,
) -> Result<()> {
    audit::record(
        conn,
        at,
        audit::Entry::new(&by.actor, action, "member", member.id.to_string())
            .supplier(member.supplier_id)
            .before(before)
            .after(json!({"email": member.email, "name": member.name, "role": member.role})),
    )?;
    Ok(())
}

fn member_of(conn: &mut DbConn, supplier: SupplierId, id: MemberId) -> Result<MemberRow> {
    members::get(conn, supplier, id)?
        .ok_or_else(|| Error::NotFound(format!("no member {id} of this supplier")))
}

/// Holds the supplier's row until the transaction ends, so that two changes to its
/// members are decided one after the other (a row lock on PostgreSQL; SQLite's
/// writers already go one at a time).
pub(super) fn lock_supplier(conn: &mut DbConn, supplier: SupplierId) -> Result<()> {
    crate::db::models::supplier::lock(conn, supplier)?;
    Ok(())
}

/// Whether taking `member`'s ownership away would leave the supplier without an owner
/// who accepted; call it with the supplier locked.
fn last_owner(conn: &mut DbConn, member: &MemberRow) -> Result<bool> {
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
) -> Result<()> {
    lock_supplier(conn, supplier)?;
    let member = member_of(conn, supplier, id)?;
    if last_owner(conn, &member)? {
        return Err(Error::Conflict(
            "this is the supplier's only owner; make someone else an owner first".into(),
        ));
    }
    members::delete(conn, id)?;
    let ended = crate::db::models::tokens::revoke_member(conn, id, at)?;
    audit::record(
        conn,
        at,
        audit::Entry::new(&by.actor, Action::MemberRemoved, "member", id.to_string())
            .supplier(supplier)
            .before(json!({"email": member.email, "name": member.name, "role": member.role}))
            .after(json!({"sessions_ended": ended})),
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
) -> Result<MemberRow> {
    lock_supplier(conn, supplier)?;
    let mut member = member_of(conn, supplier, id)?;
    if member.role == role {
        return Ok(member);
    }
    if last_owner(conn, &member)? {
        return Err(Error::Conflict(
            "this is the supplier's only owner; make someone else an owner first".into(),
        ));
    }
    let before = json!({"role": member.role});
    members::set_role(conn, id, role)?;
    member.role = role;
    member_audit(
        conn,
        by,
        Action::MemberRoleChanged,
        &member,
        Some(before),
        at,
    )?;
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
) -> Result<MemberRow> {
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
        .map(|m| -> Result<String> {
            members::set_role(conn, m.id, MemberRole::Editor)?;
            Ok(m.email.clone())
        })
        .collect::<Result<_>>()?;
    audit::record(
        conn,
        at,
        audit::Entry::new(
            &by.actor,
            Action::SupplierOwnershipTransferred,
            "member",
            owner.id.to_string(),
        )
        .supplier(supplier.id)
        .before(json!({"owners": demoted}))
        .after(json!({"owner": owner.email})),
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
