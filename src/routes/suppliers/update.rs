use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, patch};

use crate::http::callers::SupplierWriterOrOperator;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::common::Written;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;
use crate::usecases::profile::{self, ProfileChange, ProfilePatch};
use crate::views::supplier::{SupplierView, revision_of};

/// Update a supplier's profile. Send the `ETag` of your last read as `If-Match` so that
/// a change made meanwhile is not overwritten (412 if it was).
#[utoipa::path(operation_id = "updateSupplier", tag = "supplier self-service",
    params(
        ("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug"),
        ("If-Match" = Option<String>, Header, description = "ETag from the last read"),
    ),
    request_body = ProfilePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = SupplierView, description = "The updated supplier, with contact details"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The company number belongs to a supplier the registry verified"),
        (status = 412, body = Problem, content_type = "application/problem+json", description = "Stale If-Match"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    )
)]
#[patch("/suppliers/{id_or_slug}")]
pub async fn update(
    req: HttpRequest,
    state: State,
    who: SupplierWriterOrOperator,
    body: Json<ProfilePatch>,
) -> ApiResult<HttpResponse> {
    let (id, caller) = (who.id, who.caller);
    let if_match = req
        .headers()
        .get(header::IF_MATCH)
        .map(|v| revision_of(v.to_str().unwrap_or("")));
    let change = ProfileChange::parse(body.0)?;
    let by = caller.by();
    let reaffirm_months = state.config.reaffirm_months;
    let written = state
        .tx(move |conn| {
            let row = profile::update(conn, &by, id, if_match, change, reaffirm_months)?;
            Written::load(conn, row, true)
        })
        .await?;
    Ok(written.answer(HttpResponse::Ok()))
}
