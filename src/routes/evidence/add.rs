use actix_web::{HttpResponse, post};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::evidence::{CertScheme, EvidenceKind};
use crate::http::callers::SupplierWriter;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;
use crate::usecases::evidence;
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
    who: SupplierWriter,
    body: Json<NewEvidence>,
) -> ApiResult<HttpResponse> {
    let (id, caller) = (who.id, who.caller);
    let r = body.0;
    let new = evidence::NewEvidence {
        url: r.url,
        title: r.title,
        kind: r.kind,
        commitments: r.commitments,
        scheme: r.scheme,
        reference: r.reference,
        expires_on: r.expires_on,
    };
    let by = caller.by();
    let view = state
        .tx(move |conn| evidence::add(conn, &by, id, new))
        .await?;
    Ok(HttpResponse::Created().json(view))
}
