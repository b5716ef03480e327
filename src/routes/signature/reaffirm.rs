use actix_web::{HttpResponse, post};

use crate::domain::lifecycle::Transition;
use crate::http::callers::SupplierWriter;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::common::transition;
use crate::routes::problems::{AuthErrors, NotFoundError};
use crate::routes::signature::SupplierChanged;
use crate::state::State;

/// Reaffirm the signature: its reaffirm-by date moves to a year (the configured
/// period) from now, and a lapsed signature becomes active again.
#[utoipa::path(operation_id = "reaffirmSignature", tag = "supplier self-service",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    security(("bearer" = [])),
    responses(
        SupplierChanged,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "No signature in force, or suspended"),
        AuthErrors,
        NotFoundError,
    )
)]
#[post("/suppliers/{id_or_slug}/signature/reaffirm")]
pub async fn reaffirm(state: State, who: SupplierWriter) -> ApiResult<HttpResponse> {
    let (id, caller) = (who.id, who.caller);
    transition(state, caller, id, Transition::Reaffirm, None).await
}
