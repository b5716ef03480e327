use actix_web::{HttpResponse, post};

use crate::http::callers::SupplierWriter;
use crate::http::extract::JsonOrEmpty;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::common::Written;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::routes::signature::SupplierChanged;
use crate::state::State;
use crate::usecases::signature::{self, Reaffirmation};

/// Reaffirm the signature: its reaffirm-by date moves to a year (the configured
/// period) from now, and a lapsed signature becomes active again. The body is optional:
/// `statements` corrects the statements it names, each correction recorded in the
/// public history with the text it replaced. Reaffirming again on the same day without
/// a correction changes nothing and answers the record as it stands.
#[utoipa::path(operation_id = "reaffirmSignature", tag = "supplier self-service",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    request_body(content = Option<Reaffirmation>, description = "Optional: statements to correct", content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        SupplierChanged,
        (status = 409, body = Problem, content_type = "application/problem+json", description = "No signature in force, or suspended"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "More than 20 statement corrections in a day; see Retry-After"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    )
)]
#[post("/suppliers/{id_or_slug}/signature/reaffirm")]
pub async fn reaffirm(
    state: State,
    who: SupplierWriter,
    body: JsonOrEmpty<Reaffirmation>,
) -> ApiResult<HttpResponse> {
    let (id, caller) = (who.id, who.caller);
    let reaffirm_months = state.config.reaffirm_months;
    let private = caller.may_see_private(id);
    let by = caller.by();
    let written = state
        .tx(move |conn| {
            let row = signature::reaffirm(conn, &by, id, body.0, reaffirm_months)?;
            Written::load(conn, row, private)
        })
        .await?;
    Ok(written.answer(HttpResponse::Ok()))
}
