use actix_web::{HttpResponse, post};

use crate::http::callers::SupplierWriter;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;
use crate::usecases::evidence::{self, AddEvidence, NewEvidence};
use crate::views::supplier::EvidenceView;

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
    let new = AddEvidence::parse(body.0)?;
    let (id, by) = (who.id, who.caller.by());
    let view = state
        .tx(move |conn| evidence::add(conn, &by, id, new))
        .await?;
    Ok(HttpResponse::Created().json(view))
}
