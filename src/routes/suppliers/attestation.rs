use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use crate::db::models::{audit, log_tree, records};
use crate::error::Error;
use crate::http::extract::{NoParams, Query};
use crate::http::problem::ApiResult;
use crate::routes::problems::{NotFoundError, QueryErrors};
use crate::state::State;
use crate::tlog::attestation::{self as signed, AttestationClaims, LogPoint};
use crate::tlog::merkle;
use crate::tlog::proofs::{LogEntryProof, b64};
use crate::usecases::checkpoints::Published;
use crate::usecases::lookup::find_or_404;
use crate::views::supplier::SupplierSummary;

/// A signed statement of the supplier's status, pledge version and evidence health
/// now, with the audit log head and the log entry it is read from, proven in a signed
/// checkpoint: a compact JWT (EdDSA) that verifies offline with the keys at
/// `/.well-known/jwks.json` (see the attestations guide, `/guides/attestations`).
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
    let (mut claims, cited) = state
        .db(move |conn| {
            let row = find_or_404(conn, &key)?;
            let (seq, hash, _) =
                audit::head(conn)?.unwrap_or((0, audit::GENESIS.to_owned(), Default::default()));
            // What it attests is the list item as the newest public entry about the
            // supplier recorded it (the list serves the same), cited with its proof.
            let (summary, log) = match audit::latest_public_about(conn, &row.id.to_string())? {
                Some(entry) => {
                    let summary = serde_json::from_str(entry.public_json.as_deref().unwrap_or(""))
                        .map_err(|e| Error::Internal(e.into()))?;
                    (summary, Some(entry))
                }
                None => {
                    let stored = records::get(conn, row.id)?
                        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no stored record")))?;
                    let summary: SupplierSummary = serde_json::from_str(&stored.summary)
                        .map_err(|e| Error::Internal(e.into()))?;
                    (summary, None)
                }
            };
            let now = chrono::Utc::now();
            Ok((
                AttestationClaims {
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
                    log: None,
                },
                log,
            ))
        })
        .await?;
    // Published after the entry was read, so the checkpoint holds it.
    if let Some(entry) = cited {
        let published = state.checkpoint().await?;
        claims.log = Some(state.db(move |conn| cite(conn, &entry, &published)).await?);
    }
    let keys = state.keys.current();
    let token = signed::sign(&keys.encoding, &keys.kid, &claims).map_err(Error::Internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/jwt")
        .insert_header(("Cache-Control", "no-store"))
        .body(token))
}

/// The proof that `entry` is in the log: its leaf, and its inclusion in the published
/// checkpoint, as served (cosignatures and all).
fn cite(
    conn: &mut crate::db::DbConn,
    entry: &audit::AuditRow,
    published: &Published,
) -> crate::error::Result<LogEntryProof> {
    let size = published.checkpoint.size;
    let index = entry.seq as u64 - 1;
    let (stored, path, root) = log_tree::inclusion_answer(conn, index, size)?;
    let leaf = merkle::leaf_hash(audit::public_form(entry).as_bytes());
    if stored != leaf || root != published.checkpoint.root {
        return Err(Error::Internal(anyhow::anyhow!(
            "entry {} is not proven in the published checkpoint of {size}: run verify-log",
            entry.seq
        )));
    }
    Ok(LogEntryProof {
        checkpoint: published.note.clone(),
        seq: entry.seq as u64,
        leaf_hash: b64(&leaf),
        inclusion: path.iter().map(b64).collect(),
    })
}
