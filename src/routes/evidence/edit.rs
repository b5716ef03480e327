use actix_web::{HttpResponse, patch, web};

use crate::domain::EvidenceId;
use crate::http::callers::SupplierWriter;
use crate::http::extract::Json;
use crate::http::problem::ApiResult;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;
use crate::usecases::evidence::{self, EvidenceChange, EvidencePatch};
use crate::views::supplier::EvidenceView;

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
    let change = EvidenceChange::parse(body.0)?;
    let by = caller.by();
    let view = state
        .tx(move |conn| evidence::edit(conn, &by, id, evidence_id, change))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
