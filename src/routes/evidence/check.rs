use actix_web::{HttpResponse, post, web};

use crate::domain::EvidenceId;
use crate::http::callers::SupplierWriterOrOperator;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, NotFoundError};
use crate::state::State;
use crate::usecases::checks;
use crate::views::supplier::EvidenceView;

/// Check one evidence link now (a supplier who has just mended the page, or the
/// operator), and answer it as it now stands. Each link can be checked on request once
/// a minute after its last check of any kind.
#[utoipa::path(operation_id = "checkEvidenceNow", tag = "supplier self-service",
    params(
        ("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug"),
        ("evidence_id" = String, Path, format = Uuid, description = "Evidence id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = EvidenceView, description = "The link, just checked"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Another check of this link is running; look again in a minute"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "Checked less than a minute ago: see Retry-After",
            headers(("Retry-After" = u64, description = "Seconds until the link can be checked on request again"))),
        AuthErrors,
        NotFoundError,
    )
)]
#[post("/suppliers/{id_or_slug}/evidence/{evidence_id}/checks")]
pub async fn check(
    state: State,
    who: SupplierWriterOrOperator,
    path: web::Path<(String, EvidenceId)>,
) -> ApiResult<HttpResponse> {
    let evidence_id = path.into_inner().1;
    let view = checks::check_now(&state.database, &state.checker, who.id, evidence_id).await?;
    Ok(HttpResponse::Ok().json(view))
}
