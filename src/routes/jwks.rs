//! `GET /.well-known/jwks.json`: the public keys that verify attestations.

use actix_web::{HttpRequest, HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::{now, signing_keys};
use crate::http::problem::ApiResult;
use crate::http::respond::{Visibility, json_cached};
use crate::state::State;

/// One Ed25519 public key (RFC 8037).
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwk {
    /// Always `OKP`.
    pub kty: &'static str,
    /// Always `Ed25519`.
    pub crv: &'static str,
    /// The public key, base64url.
    pub x: String,
    pub kid: String,
    /// Always `EdDSA`.
    pub alg: &'static str,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub key_use: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// The keys in use, and retired keys until everything they signed has expired.
#[utoipa::path(operation_id = "getSigningKeys", tag = "log", responses(
    (status = 200, body = Jwks, description = "The keys, as a JSON Web Key Set (RFC 7517)"),
    (status = 304, description = "Not modified (If-None-Match)"),
))]
#[get("/.well-known/jwks.json")]
pub async fn jwks(req: HttpRequest, state: State) -> ApiResult<HttpResponse> {
    let ttl = chrono::Duration::from_std(state.config.attestation_ttl)
        .unwrap_or(chrono::Duration::days(30));
    let rows = state
        .db(move |conn| Ok(signing_keys::published(conn, now() - ttl)?))
        .await?;
    let keys = rows
        .into_iter()
        .map(|k| Jwk {
            kty: "OKP",
            crv: "Ed25519",
            x: k.public_x,
            kid: k.kid,
            alg: "EdDSA",
            key_use: "sig",
        })
        .collect();
    json_cached(&req, &Jwks { keys }, None, None, Visibility::Public)
}
