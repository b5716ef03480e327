//! Signed attestations: a supplier's standing at a moment, as a compact JWT (EdDSA)
//! that anyone can verify offline with the keys at `/.well-known/jwks.json`.

use jsonwebtoken::{Algorithm, Header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Status;
use crate::domain::evidence::EvidenceSummary;
use crate::tlog::proofs::LogEntryProof;

/// The audience of attestations; API tokens carry another, so neither passes for the other.
pub const AUDIENCE: &str = "pledge-registry:attestation";

/// The log head at issue time: a later reader can check the log still leads there.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogPoint {
    pub seq: i64,
    pub hash: String,
}

/// The claims of an attestation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttestationClaims {
    /// The registry that issued it (its public URL).
    pub iss: String,
    /// The supplier's id.
    pub sub: String,
    /// Always `pledge-registry:attestation`.
    pub aud: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    pub jti: String,
    pub supplier_name: String,
    pub supplier_slug: String,
    pub company_number: Option<String>,
    pub status: Status,
    /// The pledge version its signature names, if it signed.
    pub pledge_version: Option<String>,
    /// Whether that is the current version.
    pub signed_current_version: bool,
    pub identity_verified: bool,
    pub evidence_health: EvidenceSummary,
    pub log_head: LogPoint,
    /// The log entry these claims are read from (the newest public entry about the
    /// supplier), proven in a signed checkpoint: check it offline with
    /// `pledge-registry verify attestation`. Null only for a supplier whose last change
    /// predates the public log.
    pub log: Option<LogEntryProof>,
}

/// Signs the claims with the registry's key, naming the key in `kid`.
pub fn sign(
    key: &jsonwebtoken::EncodingKey,
    kid: &str,
    claims: &AttestationClaims,
) -> anyhow::Result<String> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    header.typ = Some("JWT".into());
    Ok(jsonwebtoken::encode(&header, claims, key)?)
}

/// Verifies an attestation against a JWK set (as served at `/.well-known/jwks.json`):
/// the key its `kid` names, EdDSA only, the attestation audience, not expired.
pub fn verify(token: &str, jwks: &jsonwebtoken::jwk::JwkSet) -> anyhow::Result<AttestationClaims> {
    let header = jsonwebtoken::decode_header(token)?;
    let kid = header
        .kid
        .ok_or_else(|| anyhow::anyhow!("the attestation names no key"))?;
    let jwk = jwks
        .find(&kid)
        .ok_or_else(|| anyhow::anyhow!("key {kid} is not published"))?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk)?;
    let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iat", "sub", "aud", "iss"]);
    Ok(jsonwebtoken::decode::<AttestationClaims>(token, &key, &validation)?.claims)
}
