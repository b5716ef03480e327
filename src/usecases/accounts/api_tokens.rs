//! Owners' API tokens: created (the secret shown once) and revoked.

use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::members::lock_supplier;
use super::*;
use crate::auth::Keys;
use crate::auth::tokens::{self, Grant, IssuedToken, Role};
use crate::db::DbConn;
use crate::db::models::audit;
use crate::domain::Action;
use crate::domain::account::{Scope, TokenKind};
use crate::domain::{SupplierId, text};
use crate::error::{Error, Result};
use crate::usecases::By;
use crate::usecases::validator::{Validator, field};

/// An API token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    /// What it is for, such as "CRM sync" (1 to 100 characters).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub scope: Scope,
    /// Days until it stops working, 1 to 730 (two years).
    #[schema(minimum = 1, maximum = 730)]
    pub expires_in_days: i64,
}

/// An owner's new API token, parsed.
#[derive(Debug)]
pub struct NewToken {
    name: String,
    scope: Scope,
    days: i64,
}

impl NewToken {
    /// Parses every field of `t`: the command, or a 422 naming every field that is
    /// wrong.
    pub fn parse(t: NewApiToken) -> Result<NewToken> {
        let (name, days) = Validator::default().finish((
            field("name", text::bounded(&t.name, 1, 100)),
            field(
                "expires_in_days",
                if (1..=LONGEST_TOKEN_DAYS).contains(&t.expires_in_days) {
                    Ok(t.expires_in_days)
                } else {
                    Err(format!(
                        "must be between 1 and {LONGEST_TOKEN_DAYS} (two years)"
                    ))
                },
            ),
        ))?;
        Ok(NewToken {
            name,
            scope: t.scope,
            days,
        })
    }
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
) -> Result<IssuedToken> {
    let NewToken { name, days, .. } = t;
    lock_supplier(conn, supplier)?;
    if crate::db::models::tokens::in_force_of(conn, supplier, at)? >= MAX_TOKENS {
        return Err(Error::LimitReached(format!(
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
            operator_id: None,
        },
    )
    .map_err(Error::Internal)?;
    audit::record(
        conn,
        at,
        audit::Entry::new(&by.actor, Action::TokenCreated, "token", issued.jti.clone())
            .supplier(supplier)
            .after(json!({"name": name, "scope": t.scope, "expires_at": issued.expires_at})),
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
) -> Result<()> {
    let record = tokens::find(conn, jti)?
        .filter(|r| r.supplier_id == Some(supplier))
        .ok_or_else(|| Error::NotFound(format!("no token {jti} of this supplier")))?;
    if record.revoked_at.is_some() {
        return Ok(());
    }
    tokens::revoke(conn, jti)?;
    crate::usecases::tokens::record_revoked(conn, by, jti, Some(supplier), at)
}
