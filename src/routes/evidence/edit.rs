use actix_web::{HttpResponse, patch, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::EvidenceId;
use crate::domain::evidence::{CertScheme, EvidenceKind};
use crate::http::callers::SupplierWriter;
use crate::http::extract::{Json, nullable};
use crate::http::problem::ApiResult;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;
use crate::usecases::evidence;
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
    who: SupplierWriter,
    path: web::Path<(String, EvidenceId)>,
    body: Json<EvidencePatch>,
) -> ApiResult<HttpResponse> {
    let (id, evidence_id, caller) = (who.id, path.into_inner().1, who.caller);
    let p = body.0;
    let change = evidence::EvidenceChange {
        url: p.url,
        title: p.title,
        kind: p.kind,
        commitments: p.commitments,
        scheme: p.scheme,
        reference: p.reference,
        expires_on: p.expires_on,
    };
    let by = caller.by();
    let view = state
        .tx(move |conn| evidence::edit(conn, &by, id, evidence_id, change))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
