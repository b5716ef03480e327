//! Verifies a Tech Pledge registry attestation offline, as a procurement tool would:
//! with the registry's published keys saved earlier, and no call to the registry.
//!
//!     curl -s $R/api/v1/suppliers/example-care-tech-ltd/attestation > attestation.jwt
//!     curl -s $R/.well-known/jwks.json > jwks.json
//!     cargo run --example verify_attestation -- attestation.jwt jwks.json
//!
//! It needs only the `jsonwebtoken` and `serde_json` crates.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

/// Checks the signature with the key the attestation names, EdDSA only, the audience
/// and the expiry; returns the claims.
pub fn verify(token: &str, jwks_json: &str) -> Result<serde_json::Value, String> {
    let jwks: JwkSet =
        serde_json::from_str(jwks_json).map_err(|e| format!("not a JWK set: {e}"))?;
    let header = jsonwebtoken::decode_header(token).map_err(|e| format!("not a JWT: {e}"))?;
    if header.alg != Algorithm::EdDSA {
        return Err(format!("unexpected algorithm {:?}", header.alg));
    }
    let kid = header.kid.ok_or("the attestation names no key")?;
    let jwk = jwks
        .find(&kid)
        .ok_or(format!("key {kid} is not in the JWK set"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable key: {e}"))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["pledge-registry:attestation"]);
    validation.set_required_spec_claims(&["exp", "iat", "sub", "aud", "iss"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .map_err(|e| format!("invalid: {e}"))?;
    Ok(data.claims)
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: verify_attestation ATTESTATION.jwt JWKS.json");
        std::process::exit(2);
    }
    let read =
        |p: &str| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {p}: {e}"));
    match verify(read(&args[1]).trim(), &read(&args[2])) {
        Ok(claims) => {
            println!("valid attestation");
            println!(
                "{}",
                serde_json::to_string_pretty(&claims).unwrap_or_default()
            );
        }
        Err(why) => {
            println!("NOT valid: {why}");
            std::process::exit(1);
        }
    }
}
