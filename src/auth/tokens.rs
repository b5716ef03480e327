//! API tokens: EdDSA JWTs issued by the registry, recorded so they can be revoked.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::keys::Keys;
use crate::db::DbConn;
use crate::db::models::tokens as stored;
pub use crate::db::models::tokens::{Found, Record, find, find_with_key, revoke};
use crate::domain::account::{Scope, TokenKind};
use crate::domain::{MemberId, OperatorId, SubscriberId, SupplierId};
use crate::str_enum;

/// The audience of API tokens; other JWTs the registry signs carry another.
pub const API_AUDIENCE: &str = "pledge-registry:api";

str_enum!(
    /// What a token may do.
    Role {
        /// The registry operator.
        Admin => "admin",
        /// One supplier, for its own record.
        Supplier => "supplier",
        /// A webhook subscriber (a procurement tool), for its own subscriptions.
        Subscriber => "subscriber",
    }
);

/// The claims of an API token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_id: Option<SupplierId>,
    pub jti: String,
    pub iat: i64,
    /// Not before (Unix seconds); tokens issued before it was set carry none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub exp: i64,
}

/// A token just issued: shown once, never stored in clear.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    /// The bearer token. It is shown only this once.
    pub token: String,
    /// Token id, for revocation.
    pub jti: String,
    pub role: Role,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub supplier_id: Option<SupplierId>,
    pub expires_at: DateTime<Utc>,
}

/// What a token is to allow, and for how long.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    pub role: Role,
    pub supplier_id: Option<SupplierId>,
    pub scope: Scope,
    pub member_id: Option<MemberId>,
    pub kind: TokenKind,
    pub label: Option<&'a str>,
    pub ttl: Duration,
    pub subscriber_id: Option<SubscriberId>,
    /// The operator a console session is for.
    pub operator_id: Option<OperatorId>,
}

impl Grant<'_> {
    /// The operator's token.
    pub fn operator(ttl: Duration) -> Grant<'static> {
        Grant {
            role: Role::Admin,
            supplier_id: None,
            scope: Scope::Write,
            member_id: None,
            kind: TokenKind::Operator,
            label: None,
            ttl,
            subscriber_id: None,
            operator_id: None,
        }
    }

    /// An operator's session on the console, signed in by email.
    pub fn console(operator_id: OperatorId, ttl: Duration) -> Grant<'static> {
        Grant {
            kind: TokenKind::Session,
            label: Some("operator signed in by email"),
            operator_id: Some(operator_id),
            ..Grant::operator(ttl)
        }
    }

    /// A supplier's token that writes, of `kind`.
    pub fn supplier(supplier_id: SupplierId, kind: TokenKind, ttl: Duration) -> Grant<'static> {
        Grant {
            role: Role::Supplier,
            supplier_id: Some(supplier_id),
            scope: Scope::Write,
            member_id: None,
            kind,
            label: None,
            ttl,
            subscriber_id: None,
            operator_id: None,
        }
    }

    /// A webhook subscriber's token.
    pub fn subscriber(subscriber_id: SubscriberId, ttl: Duration) -> Grant<'static> {
        Grant {
            role: Role::Subscriber,
            subscriber_id: Some(subscriber_id),
            ..Grant::operator(ttl)
        }
    }
}

/// What tokens are issued with: the key that signs them now, the registry's address
/// as their issuer, and how many days they last.
#[derive(Clone)]
pub struct Issuing {
    pub keys: std::sync::Arc<Keys>,
    pub issuer: String,
    pub days: u32,
}

impl Issuing {
    /// How long a token lasts.
    pub fn lifetime(&self) -> Duration {
        Duration::days(self.days.into())
    }

    /// Issues and records `grant`, labelled `label`.
    pub fn issue(
        &self,
        conn: &mut DbConn,
        label: &str,
        grant: Grant<'_>,
    ) -> anyhow::Result<IssuedToken> {
        issue(
            conn,
            &self.keys,
            &self.issuer,
            Grant {
                label: Some(label),
                ..grant
            },
        )
    }
}

/// Signs a token and records its id, in the caller's transaction.
pub fn issue(
    conn: &mut DbConn,
    keys: &Keys,
    issuer: &str,
    grant: Grant<'_>,
) -> anyhow::Result<IssuedToken> {
    let Grant {
        role,
        supplier_id,
        scope,
        member_id,
        kind,
        label,
        ttl,
        subscriber_id,
        operator_id,
    } = grant;
    let now = Utc::now();
    let expires_at = now + ttl;
    let jti = Uuid::new_v4().to_string();
    let claims = Claims {
        iss: issuer.to_owned(),
        aud: API_AUDIENCE.to_owned(),
        sub: supplier_id
            .map(|s| s.to_string())
            .unwrap_or_else(|| role.as_str().to_owned()),
        role,
        supplier_id,
        jti: jti.clone(),
        iat: now.timestamp(),
        nbf: Some(now.timestamp()),
        exp: expires_at.timestamp(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(keys.kid.clone());
    let token = jsonwebtoken::encode(&header, &claims, &keys.encoding)?;
    stored::insert(
        conn,
        &stored::NewToken {
            jti: &jti,
            role: role.as_str(),
            supplier_id,
            label,
            issued_at: now.naive_utc(),
            expires_at: expires_at.naive_utc(),
            kid: &keys.kid,
            issuer,
            scope,
            member_id,
            kind,
            subscriber_id,
            operator_id,
        },
    )?;
    Ok(IssuedToken {
        token,
        jti,
        role,
        supplier_id,
        expires_at,
    })
}

/// The key id a token names in its header, if it parses at all.
pub fn kid_of(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).ok()?.kid
}

/// Checks signature (EdDSA only, with `key`: the registry's key that the token's `kid`
/// names), audience, expiry and not-before. That the claims are the ones issued is
/// checked against the token's record by [`Record::admits`].
pub fn decode(key: &jsonwebtoken::DecodingKey, token: &str) -> Result<Claims, String> {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[API_AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "aud", "sub", "iss"]);
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.leeway = 5;
    let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        match e.kind() {
            ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
            ErrorKind::InvalidSignature => "the token's signature is not the registry's".to_owned(),
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                "the token must be signed with EdDSA".to_owned()
            }
            ErrorKind::InvalidAudience => "the token is not an API token".to_owned(),
            ErrorKind::ImmatureSignature => "the token is not valid yet".to_owned(),
            _ => "the token is malformed".to_owned(),
        }
    })?;
    let claims = data.claims;
    if (claims.role == Role::Supplier) != claims.supplier_id.is_some() {
        return Err("the token's role and supplier do not match".into());
    }
    Ok(claims)
}

impl Record {
    /// Whether a token whose signature checked out with key `kid` is this record's
    /// token, unrevoked, with every claim as issued. `issuer` stands in for records
    /// from before the issuer was recorded.
    pub fn admits(
        &self,
        claims: &Claims,
        kid: &str,
        key_compromised: bool,
        issuer: &str,
    ) -> Result<(), String> {
        if self.revoked_at.is_some() {
            return Err("the token has been revoked".into());
        }
        if self.kid.as_deref() != Some(kid) {
            return Err("the token is not signed with the key it was issued with".into());
        }
        if key_compromised {
            return Err(
                "the key that signed the token was replaced after a compromise; sign in again by email for a new token".into(),
            );
        }
        let same = self.role == claims.role.as_str()
            && self.supplier_id == claims.supplier_id
            && self.expires_at.and_utc().timestamp() == claims.exp
            && self.issuer.as_deref().unwrap_or(issuer) == claims.iss
            && claims.aud == API_AUDIENCE;
        if !same {
            return Err("the token's claims are not the ones it was issued with".into());
        }
        if self.expires_at <= Utc::now().naive_utc() {
            return Err("the token has expired".into());
        }
        Ok(())
    }
}
