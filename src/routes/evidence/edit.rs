use actix_web::{HttpResponse, patch, web};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::State;
use crate::auth::Caller;
use crate::changes;
use crate::db::models::supplier::get_or_404;
use crate::db::models::{audit, checks, evidence, now, supplier};
use crate::domain::evidence::{CertScheme, EvidenceHealth, EvidenceKind};
use crate::domain::validator::checked;
use crate::domain::{EvidenceId, Validator, WebUrl};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{Json, SupplierKey, nullable};
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::views::supplier::EvidenceView;

/// Fields to change; absent fields stay. Certification fields may be set to null.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidencePatch {
    /// A new URL resets the link's health to `pending`.
    url: Option<String>,
    title: Option<String>,
    kind: Option<EvidenceKind>,
    commitments: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<CertScheme>)]
    scheme: Option<Option<CertScheme>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    reference: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    expires_on: Option<Option<NaiveDate>>,
}

/// Edit an evidence link.
#[utoipa::path(operation_id = "updateEvidence", tag = "supplier self-service",
    params(
        ("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug"),
        ("evidence_id" = String, Path, format = Uuid, description = "Evidence id"),
    ),
    request_body = EvidencePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = EvidenceView, description = "The evidence link as it now stands"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    )
)]
#[patch("/suppliers/{id_or_slug}/evidence/{evidence_id}")]
pub async fn edit(
    state: State,
    caller: Caller,
    supplier: SupplierKey,
    path: web::Path<(String, EvidenceId)>,
    body: Json<EvidencePatch>,
) -> ApiResult<HttpResponse> {
    let (id, evidence_id) = (supplier.0, path.into_inner().1);
    caller.must_be(id)?;
    let p = body.0;
    let actor = caller.actor();
    let view = state
        .tx(move |conn| {
            let supplier_row = get_or_404(conn, id)?;
            let mut row = super::live_or_404(conn, &supplier_row, evidence_id)?;
            let codes_before = evidence::commitments_of(conn, std::slice::from_ref(&row.id))?
                .remove(&row.id)
                .unwrap_or_default();
            let before =
                EvidenceView::build(row.clone(), codes_before.clone(), Utc::now().date_naive())?;
            let mut v = Validator::default();
            let url = v.check_opt("url", p.url.as_deref().map(WebUrl::try_from));
            let title = v.check_opt("title", p.title.as_deref().map(super::title));
            let codes = match &p.commitments {
                None => Some(None),
                Some(raw) => {
                    let known = super::known_codes(conn, &supplier_row.id)?;
                    super::commitments(&mut v, raw, &known).map(Some)
                }
            };
            let reference = match &p.reference {
                Some(Some(r)) => v
                    .check("reference", super::reference(r))
                    .map(|r| Some(Some(r))),
                other => Some(other.clone()),
            };
            let kind = match p.kind {
                Some(k) => k,
                None => row
                    .kind
                    .parse()
                    .map_err(|e: String| ApiError::Internal(anyhow::anyhow!(e)))?,
            };
            let scheme = match p.scheme {
                Some(s) => s,
                None => row
                    .scheme
                    .as_deref()
                    .map(str::parse)
                    .transpose()
                    .map_err(|e: String| ApiError::Internal(anyhow::anyhow!(e)))?,
            };
            let merged_reference = match &reference {
                Some(Some(r)) => r.clone(),
                _ => row.reference.clone(),
            };
            let expires_on = p.expires_on.unwrap_or(row.expires_on);
            super::certification_fields(
                &mut v,
                kind,
                scheme,
                merged_reference.as_deref(),
                expires_on,
            );
            v.finish()?;
            let (url, title, codes, reference) = (
                checked(url)?,
                checked(title)?,
                checked(codes)?,
                checked(reference)?,
            );
            if p.kind.is_none()
                && url.is_none()
                && title.is_none()
                && codes.is_none()
                && reference.is_none()
                && p.scheme.is_none()
                && p.expires_on.is_none()
            {
                return Err(ApiError::field("body", "names no field to change"));
            }
            let at = now();
            if let Some(url) = url
                && url.as_str() != row.url
            {
                row.url = url.to_string();
                row.health = EvidenceHealth::Pending.as_str().to_owned();
                row.http_status = None;
                row.final_url = None;
                row.checked_at = None;
                row.last_ok_at = None;
                row.consecutive_failures = 0;
                // What was found at the old address says nothing of the new one.
                row.check_detail = None;
                checks::forget(conn, &row.id)?;
            }
            if let Some(t) = title {
                row.title = t;
            }
            row.kind = kind.as_str().to_owned();
            row.scheme = scheme.map(|s| s.as_str().to_owned());
            row.reference = merged_reference;
            row.expires_on = expires_on;
            row.updated_at = at;
            evidence::save(conn, &row)?;
            let codes = match codes {
                Some(c) => {
                    evidence::set_commitments(conn, &row.id, &c)?;
                    c
                }
                None => codes_before,
            };
            supplier::touch(conn, &supplier_row.id, Some(at))?;
            let view = EvidenceView::build(row, codes, Utc::now().date_naive())?;
            let json = |x: &EvidenceView| {
                serde_json::to_value(x).map_err(|e| ApiError::Internal(e.into()))
            };
            changes::record(
                conn,
                at,
                audit::Entry {
                    actor: &actor,
                    action: "evidence.updated",
                    entity_type: "evidence",
                    entity_id: view.id.clone(),
                    supplier_id: Some(supplier_row.id.clone()),
                    before: Some(json(&before)?),
                    after: Some(json(&view)?),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
