use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use crate::attestation::{self as signed, AttestationClaims, LogPoint};
use crate::db::models::{audit, records};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{NoParams, Query};
use crate::lookup::find_or_404;
use crate::routes::problems::{NotFoundError, QueryErrors};
use crate::state::State;
use crate::views::supplier::SupplierSummary;

/// A signed statement of the supplier's status, pledge version and evidence health
/// now, with the audit log head: a compact JWT (EdDSA) that verifies offline with the
/// keys at `/.well-known/jwks.json` (see the attestations guide, `/guides/attestations`).
#[utoipa::path(operation_id = "getSupplierAttestation", tag = "suppliers",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    responses(
    QueryErrors,
        (status = 200, description = "The attestation: a compact JWT", content_type = "application/jwt", body = String),
        NotFoundError,
    )
)]
#[get("/suppliers/{id_or_slug}/attestation")]
pub async fn attestation(
    state: State,
    path: web::Path<String>,
    _query: Query<NoParams>,
) -> ApiResult<HttpResponse> {
    let key = path.into_inner();
    let issuer = state.config.public_url.clone();
    let ttl = chrono::Duration::from_std(state.config.attestation_ttl)
        .unwrap_or(chrono::Duration::days(30));
    let claims = state
        .db(move |conn| {
            let row = find_or_404(conn, &key)?;
            // What it attests is the stored list item, as the list and the feed show it.
            let (seq, hash, _) =
                audit::head(conn)?.unwrap_or((0, audit::GENESIS.to_owned(), Default::default()));
            let stored = records::get(conn, row.id)?
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no stored record")))?;
            let summary: SupplierSummary =
                serde_json::from_str(&stored.summary).map_err(|e| ApiError::Internal(e.into()))?;
            let now = chrono::Utc::now();
            Ok(AttestationClaims {
                iss: issuer,
                sub: summary.id.clone(),
                aud: signed::AUDIENCE.to_owned(),
                iat: now.timestamp(),
                exp: (now + ttl).timestamp(),
                jti: Uuid::new_v4().to_string(),
                supplier_name: summary.name,
                supplier_slug: summary.slug,
                company_number: summary.company_number,
                status: summary.status,
                pledge_version: summary.pledge_version,
                signed_current_version: summary.signed_current_version,
                identity_verified: summary.identity_verified,
                evidence_health: summary.evidence_summary,
                log_head: LogPoint { seq, hash },
            })
        })
        .await?;
    let token = signed::sign(&state.keys, &claims).map_err(ApiError::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/jwt")
        .insert_header(("Cache-Control", "no-store"))
        .body(token))
}
