//! API tokens: EdDSA JWTs issued by the registry, recorded so they can be revoked.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::keys::Keys;
use crate::db::DbConn;
use crate::db::schema::tokens;
use crate::domain::SupplierId;
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

/// Signs a token and records its id, in the caller's transaction.
pub fn issue(
    conn: &mut DbConn,
    keys: &Keys,
    issuer: &str,
    role: Role,
    supplier_id: Option<SupplierId>,
    ttl: Duration,
    label: Option<&str>,
) -> anyhow::Result<IssuedToken> {
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
        exp: expires_at.timestamp(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(keys.kid.clone());
    let token = jsonwebtoken::encode(&header, &claims, &keys.encoding)?;
    diesel::insert_into(tokens::table)
        .values((
            tokens::jti.eq(&jti),
            tokens::role.eq(role.as_str()),
            tokens::supplier_id.eq(supplier_id.map(|s| s.to_db())),
            tokens::label.eq(label),
            tokens::issued_at.eq(now.naive_utc()),
            tokens::expires_at.eq(expires_at.naive_utc()),
        ))
        .execute(conn)?;
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
/// names), audience and expiry. Revocation is checked separately.
pub fn decode(key: &jsonwebtoken::DecodingKey, token: &str) -> Result<Claims, String> {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[API_AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    validation.validate_exp = true;
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
            _ => "the token is malformed".to_owned(),
        }
    })?;
    let claims = data.claims;
    if (claims.role == Role::Supplier) != claims.supplier_id.is_some() {
        return Err("the token's role and supplier do not match".into());
    }
    Ok(claims)
}

/// Whether the token id was issued here and has not been revoked.
pub fn is_live(conn: &mut DbConn, jti: &str) -> QueryResult<bool> {
    let revoked: Option<Option<chrono::NaiveDateTime>> = tokens::table
        .find(jti)
        .select(tokens::revoked_at)
        .first(conn)
        .optional()?;
    Ok(matches!(revoked, Some(None)))
}

/// Marks a token revoked; false when there is no such token.
pub fn revoke(conn: &mut DbConn, jti: &str) -> QueryResult<Option<bool>> {
    if jti.contains('\0') {
        return Ok(None);
    }
    let row: Option<Option<chrono::NaiveDateTime>> = tokens::table
        .find(jti)
        .select(tokens::revoked_at)
        .first(conn)
        .optional()?;
    match row {
        None => Ok(None),
        Some(Some(_)) => Ok(Some(false)),
        Some(None) => {
            diesel::update(tokens::table.find(jti))
                .set(tokens::revoked_at.eq(Utc::now().naive_utc()))
                .execute(conn)?;
            Ok(Some(true))
        }
    }
}
