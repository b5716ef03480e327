//! What members and owners see of a supplier's people and tokens.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::supplier::utc;
use crate::auth::tokens::IssuedToken;
use crate::db::models::members::MemberRow;
use crate::db::models::tokens::Listed;
use crate::db::models::webhooks::SubscriberRow;
use crate::domain::account::{MemberRole, Scope, TokenKind};
use crate::domain::{MemberId, SubscriberId, SupplierId};

/// A person of a supplier.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    #[schema(value_type = String, format = Uuid)]
    pub id: MemberId,
    #[schema(value_type = String, format = Uuid)]
    pub supplier_id: SupplierId,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
    /// Whether the person has signed in, proving the address is theirs.
    pub confirmed: bool,
    /// Whether the person gets reminders (they can stop them from any reminder).
    pub reminders: bool,
    pub added_at: DateTime<Utc>,
}

impl From<MemberRow> for Member {
    fn from(m: MemberRow) -> Self {
        Member {
            id: m.id,
            supplier_id: m.supplier_id,
            email: m.email,
            name: m.name,
            role: m.role,
            confirmed: m.confirmed_at.is_some(),
            reminders: m.reminders_off_at.is_none(),
            added_at: utc(m.created_at),
        }
    }
}

/// A supplier's members.
#[derive(Debug, Serialize, ToSchema)]
pub struct Members {
    pub items: Vec<Member>,
}

/// A token as its supplier's owners see it: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    /// Token id, for revoking it.
    pub jti: String,
    /// The name it was given.
    pub name: Option<String>,
    pub scope: Scope,
    pub kind: TokenKind,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<Listed> for Token {
    fn from(t: Listed) -> Self {
        Token {
            jti: t.jti,
            name: t.label,
            scope: t.scope.unwrap_or(Scope::Write),
            kind: t.kind.unwrap_or(TokenKind::Operator),
            issued_at: utc(t.issued_at),
            expires_at: utc(t.expires_at),
            revoked_at: t.revoked_at.map(utc),
        }
    }
}

/// A supplier's tokens, other than members' sign-in sessions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tokens {
    pub items: Vec<Token>,
}

/// A webhook subscriber, with a token (shown only here).
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriberCreated {
    #[schema(value_type = String, format = Uuid)]
    pub id: SubscriberId,
    pub name: String,
    pub email: String,
    /// Whether the address was confirmed by a link sent to it (subscribers the operator
    /// adds are not, until they sign up with the same address).
    pub confirmed: bool,
    pub created_at: DateTime<Utc>,
    /// The subscriber's token, for `/api/v1/webhooks/...`; shown only once.
    pub token: IssuedToken,
}

impl SubscriberCreated {
    pub fn of(row: SubscriberRow, token: IssuedToken) -> Self {
        SubscriberCreated {
            id: row.id,
            name: row.name,
            email: row.email,
            confirmed: row.confirmed_at.is_some(),
            created_at: utc(row.created_at),
            token,
        }
    }
}
