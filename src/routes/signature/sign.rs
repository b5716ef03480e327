use std::collections::BTreeMap;

use actix_web::{HttpResponse, post};
use serde::Deserialize;
use utoipa::ToSchema;

use super::supplier_response;
use crate::app::State;
use crate::auth::Caller;
use crate::db::models::pledge;
use crate::db::models::supplier::lock_or_404;
use crate::domain::validator::checked;
use crate::domain::{Validator, text};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::extract::Json;
use crate::http::extract::SupplierKey;
use crate::lifecycle;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::views::supplier::SupplierView;

pub const MIN_STATEMENT: usize = 10;
pub const MAX_STATEMENT: usize = 4000;

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
    caller: Caller,
    path: SupplierKey,
    body: Json<SignRequest>,
) -> ApiResult<HttpResponse> {
    let id = path.0;
    caller.must_be(id)?;
    let r = body.0;
    let months = state.config.reaffirm_months;
    let actor = caller.actor();
    let who = caller.lifecycle_actor();
    let (view, revision) = state
        .tx(move |conn| {
            let mut row = lock_or_404(conn, id)?;
            let current = pledge::current(conn)?
                .ok_or_else(|| ApiError::Conflict("no pledge version is published yet".into()))?;
            let commitments = pledge::commitments_of(conn, &current.version)?;
            let mut v = Validator::default();
            let name = v.check("signatory_name", text::bounded(&r.signatory_name, 1, 200));
            let role = v.check("signatory_role", text::bounded(&r.signatory_role, 1, 200));
            if let Some(version) = &r.pledge_version
                && *version != current.version
            {
                v.error(
                    "pledge_version",
                    format!(
                        "is not the current version; the current version is {}",
                        current.version
                    ),
                );
            }
            let mut statements = Vec::with_capacity(commitments.len());
            for c in &commitments {
                let field = format!("statements.{}", c.code);
                match r.statements.get(&c.code) {
                    None => v.error(field, "is required: every commitment needs a statement"),
                    Some(body) => {
                        if let Some(body) =
                            v.check(&field, text::bounded(body, MIN_STATEMENT, MAX_STATEMENT))
                        {
                            statements.push((c.code.clone(), c.position, body));
                        }
                    }
                }
            }
            for code in r
                .statements
                .keys()
                .filter(|k| !commitments.iter().any(|c| &c.code == *k))
            {
                v.error(
                    format!("statements.{code}"),
                    format!("is not a commitment of version {}", current.version),
                );
            }
            v.finish()?;
            lifecycle::sign(
                conn,
                &mut row,
                lifecycle::NewSignature {
                    pledge_version: current.version.clone(),
                    signatory_name: checked(name)?,
                    signatory_role: checked(role)?,
                    statements,
                },
                &actor,
                who,
                months,
            )?;
            let revision = row.revision;
            Ok((SupplierView::load(conn, row, true)?, revision))
        })
        .await?;
    Ok(supplier_response(
        HttpResponse::Created(),
        view,
        revision,
        true,
    ))
}
