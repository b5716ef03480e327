//! Tokens the operator issues and revokes, from the admin API or the command line:
//! the same rules and the same audit entry either way.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::By;
use crate::auth::Keys;
use crate::auth::tokens::{self, IssuedToken, Role};
use crate::db::DbConn;
use crate::db::models::{audit, supplier};
use crate::domain::Action;
use crate::domain::{SupplierId, text};
use crate::error::{Error, Result};
use crate::usecases::validator::{Validator, field};

/// A token the operator asks for, checked: a role an operator may issue, a supplier
/// exactly when the role needs one, a lifetime of 1 to 3650 days, a bounded label.
#[derive(Debug, Clone)]
pub struct OperatorGrant {
    role: Role,
    supplier_id: Option<SupplierId>,
    days: u32,
    label: Option<String>,
}

impl OperatorGrant {
    /// Collects every field that is wrong, named as the admin API names it.
    pub fn parse(
        role: Role,
        supplier_id: Option<SupplierId>,
        days: u32,
        label: Option<&str>,
    ) -> Result<OperatorGrant> {
        let (supplier_id, days, label) = Validator::default().finish((
            field(
                "supplier_id",
                match (role, supplier_id) {
                    (Role::Supplier, None) => Err("is required for a supplier token".to_owned()),
                    (Role::Admin, Some(_)) => Err("must be absent for an admin token".to_owned()),
                    (_, s) => Ok(s),
                },
            ),
            field(
                "ttl_days",
                if (1..=3650).contains(&days) {
                    Ok(days)
                } else {
                    Err("must be between 1 and 3650".to_owned())
                },
            ),
            field("label", label.map(|l| text::bounded(l, 1, 200)).transpose()),
        ))?;
        if role == Role::Subscriber {
            return Err(Error::field(
                "role",
                "a subscriber's token comes with the subscriber: POST /api/v1/admin/subscribers",
            ));
        }
        Ok(OperatorGrant {
            role,
            supplier_id,
            days,
            label,
        })
    }
}

/// Issues the token and records `token.issued`; 422 naming `supplier_id` for a
/// supplier that is not registered.
pub fn issue(
    conn: &mut DbConn,
    keys: &Keys,
    issuer: &str,
    by: &By,
    grant: OperatorGrant,
    at: NaiveDateTime,
) -> Result<IssuedToken> {
    if let Some(id) = grant.supplier_id
        && supplier::get(conn, id)?.is_none()
    {
        return Err(Error::field("supplier_id", "is not a registered supplier"));
    }
    let issued = tokens::issue(
        conn,
        keys,
        issuer,
        tokens::Grant {
            role: grant.role,
            supplier_id: grant.supplier_id,
            label: grant.label.as_deref(),
            ..tokens::Grant::operator(Duration::days(grant.days.into()))
        },
    )
    .map_err(Error::Internal)?;
    audit::record(
        conn,
        at,
        audit::Entry::new(&by.actor, Action::TokenIssued, "token", issued.jti.clone())
            .supplier(grant.supplier_id)
            .after(
                json!({"role": grant.role, "expires_at": issued.expires_at, "label": grant.label}),
            ),
    )?;
    Ok(issued)
}

/// Revokes a token by its id and records `token.revoked`; revoking one already
/// revoked changes nothing; 404 for an unknown one.
pub fn revoke(conn: &mut DbConn, by: &By, jti: &str, at: NaiveDateTime) -> Result<()> {
    match crate::db::models::tokens::revoke(conn, jti)? {
        None => Err(Error::NotFound(format!("there is no token {jti:?}"))),
        Some(false) => Ok(()),
        Some(true) => record_revoked(conn, by, jti, None, at),
    }
}

/// The audit entry of a token revoked (by the operator, or by its supplier's owner).
pub(super) fn record_revoked(
    conn: &mut DbConn,
    by: &By,
    jti: &str,
    supplier_id: Option<SupplierId>,
    at: NaiveDateTime,
) -> Result<()> {
    audit::record(
        conn,
        at,
        audit::Entry::new(&by.actor, Action::TokenRevoked, "token", jti.to_owned())
            .supplier(supplier_id),
    )?;
    Ok(())
}
