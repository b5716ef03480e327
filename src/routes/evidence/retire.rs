use actix_web::{HttpResponse, delete, web};

use crate::domain::EvidenceId;
use crate::http::callers::SupplierWriter;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::AuthErrors;
use crate::state::State;
use crate::usecases::evidence;

/// Retire an evidence link. It leaves the public view but stays in the audit history.
#[utoipa::path(operation_id = "retireEvidence", tag = "supplier self-service",
    params(
        ("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug"),
        ("evidence_id" = String, Path, format = Uuid, description = "Evidence id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Retired"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such evidence, or already retired"),
        AuthErrors,
    )
)]
#[delete("/suppliers/{id_or_slug}/evidence/{evidence_id}")]
pub async fn retire(
    state: State,
    who: SupplierWriter,
    path: web::Path<(String, EvidenceId)>,
) -> ApiResult<HttpResponse> {
    let (id, evidence_id, caller) = (who.id, path.into_inner().1, who.caller);
    let by = caller.by();
    state
        .tx(move |conn| evidence::retire(conn, &by, id, evidence_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
