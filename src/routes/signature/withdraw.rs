use actix_web::{HttpResponse, post};

use crate::domain::lifecycle::Transition;
use crate::http::callers::SupplierWriterOrOperator;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::common::{Reason, transition};
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::routes::signature::SupplierChanged;
use crate::state::State;

/// Withdraw the signature, with a reason. Final for that signature; the supplier may
/// sign again later. The operator may also withdraw a signature.
#[utoipa::path(operation_id = "withdrawSignature", tag = "supplier self-service",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    request_body = Reason,
    security(("bearer" = [])),
    responses(
        SupplierChanged,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "No signature in force"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    )
)]
#[post("/suppliers/{id_or_slug}/signature/withdraw")]
pub async fn withdraw(
    state: State,
    who: SupplierWriterOrOperator,
    body: Json<Reason>,
) -> ApiResult<HttpResponse> {
    let (id, caller) = (who.id, who.caller);
    let reason = body.0.parse()?;
    transition(state, caller, id, Transition::Withdraw, Some(reason)).await
}
