use std::collections::BTreeMap;

use actix_web::{HttpResponse, post};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::callers::SupplierWriter;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::common::Written;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;
use crate::usecases::signature;
use crate::views::supplier::SupplierView;

/// Signing the current pledge version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    /// The person signing for the organisation.
    signatory_name: String,
    /// Their role, e.g. "Chief Executive".
    signatory_role: String,
    /// The version being signed; when given it must be the current one.
    pledge_version: Option<String>,
    /// A statement for every commitment of the current version, by commitment code
    /// (10 to 4000 characters each).
    statements: BTreeMap<String, String>,
}

/// Sign the current pledge version, with a statement for every commitment. A supplier
/// whose signature names an earlier version re-signs this way; that signature is
/// then superseded.
#[utoipa::path(operation_id = "signPledge", tag = "supplier self-service",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    request_body = SignRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = SupplierView, description = "The supplier as it now stands", headers(("ETag" = String, description = "The supplier's new ETag; send it as If-Match with the next profile update"))),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Already signed the current version, or suspended"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    )
)]
#[post("/suppliers/{id_or_slug}/signature")]
pub async fn sign(
    state: State,
    who: SupplierWriter,
    body: Json<SignRequest>,
) -> ApiResult<HttpResponse> {
    let (id, caller) = (who.id, who.caller);
    let r = body.0;
    let signing = signature::Signing {
        signatory_name: r.signatory_name,
        signatory_role: r.signatory_role,
        pledge_version: r.pledge_version,
        statements: r.statements,
    };
    let reaffirm_months = state.config.reaffirm_months;
    let by = caller.by();
    let written = state
        .tx(move |conn| {
            let row = signature::sign(conn, &by, id, signing, reaffirm_months)?;
            Written::load(conn, row, true)
        })
        .await?;
    Ok(written.answer(HttpResponse::Created()))
}
