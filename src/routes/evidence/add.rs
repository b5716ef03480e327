use actix_web::{HttpResponse, post};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::State;
use crate::auth::Caller;
use crate::changes;
use crate::db::models::evidence::{self, EvidenceRow};
use crate::db::models::supplier::lock_or_404;
use crate::db::models::{audit, now, supplier};
use crate::domain::evidence::{CertScheme, EvidenceHealth, EvidenceKind};
use crate::domain::validator::checked;
use crate::domain::{EvidenceId, Validator, WebUrl};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::extract::Json;
use crate::http::extract::SupplierKey;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::views::supplier::EvidenceView;

/// An evidence link backing one or more commitments.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvidence {
    /// http or https, at most 2048 characters.
    url: String,
    title: String,
    kind: EvidenceKind,
    /// Codes of the commitments it supports.
    commitments: Vec<String>,
    /// Certifications only.
    scheme: Option<CertScheme>,
    /// Certifications only: the certificate number.
    reference: Option<String>,
    /// Certifications only.
    expires_on: Option<NaiveDate>,
}

/// Add an evidence link. Its health starts as `pending` until the checker visits it.
#[utoipa::path(operation_id = "addEvidence", tag = "supplier self-service",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    request_body = NewEvidence,
    security(("bearer" = [])),
    responses(
        (status = 201, body = EvidenceView, description = "The new evidence link; it is checked soon"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The supplier already has the most live evidence links allowed (type `limit-reached`)"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    )
)]
#[post("/suppliers/{id_or_slug}/evidence")]
pub async fn add(
    state: State,
    caller: Caller,
    path: SupplierKey,
    body: Json<NewEvidence>,
) -> ApiResult<HttpResponse> {
    let id = path.0;
    caller.must_be(id)?;
    let r = body.0;
    let actor = caller.actor();
    let view = state
        .tx(move |conn| {
            // Locked, so that two adds at once cannot both take the last place.
            let supplier_row = lock_or_404(conn, id)?;
            if evidence::count_live(conn, &supplier_row.id)? >= super::MAX_LIVE_EVIDENCE {
                return Err(ApiError::LimitReached(format!(
                    "a supplier may have at most {} live evidence links; retire one first",
                    super::MAX_LIVE_EVIDENCE
                )));
            }
            let known = super::known_codes(conn, &supplier_row.id)?;
            let mut v = Validator::default();
            let url = v.check("url", WebUrl::try_from(r.url.as_str()));
            let title = v.check("title", super::title(&r.title));
            let codes = super::commitments(&mut v, &r.commitments, &known);
            let reference = v.check_opt("reference", r.reference.as_deref().map(super::reference));
            super::certification_fields(
                &mut v,
                r.kind,
                r.scheme,
                r.reference.as_deref(),
                r.expires_on,
            );
            v.finish()?;
            let at = now();
            let row = EvidenceRow {
                id: EvidenceId::new().to_db(),
                supplier_id: supplier_row.id.clone(),
                url: checked(url)?.to_string(),
                title: checked(title)?,
                kind: r.kind.as_str().to_owned(),
                scheme: r.scheme.map(|s| s.as_str().to_owned()),
                reference: checked(reference)?,
                expires_on: r.expires_on,
                health: EvidenceHealth::Pending.as_str().to_owned(),
                http_status: None,
                final_url: None,
                checked_at: None,
                last_ok_at: None,
                consecutive_failures: 0,
                created_at: at,
                updated_at: at,
                retired_at: None,
                claimed_by: None,
                claimed_until: None,
                check_detail: None,
            };
            let codes = checked(codes)?;
            evidence::insert(conn, &row, &codes)?;
            supplier::touch(conn, &supplier_row.id, Some(at))?;
            let view = EvidenceView::build(row, codes, Utc::now().date_naive())?;
            changes::record(
                conn,
                at,
                audit::Entry {
                    actor: &actor,
                    action: "evidence.added",
                    entity_type: "evidence",
                    entity_id: view.id.clone(),
                    supplier_id: Some(supplier_row.id.clone()),
                    before: None,
                    after: Some(
                        serde_json::to_value(&view).map_err(|e| ApiError::Internal(e.into()))?,
                    ),
                },
            )?;
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}
