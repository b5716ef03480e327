use actix_web::{HttpResponse, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Admin;
use crate::db::models::now;
use crate::domain::SupplierId;
use crate::http::extract::JsonOrEmpty;
use crate::http::problem::ApiResult;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;
use crate::usecases::checks::{self as check_evidence, Summary};
use crate::usecases::lookup::get_or_404;

/// Which evidence to check now. Without a supplier, every live link is checked.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    #[schema(value_type = Option<String>, format = Uuid)]
    supplier_id: Option<SupplierId>,
}

/// A round over every link, started in the background.
#[derive(Debug, Serialize, ToSchema)]
pub struct Started {
    /// Always `started`; follow progress in `/metrics` and the audit log.
    pub status: &'static str,
}

/// Check evidence links now: one supplier's (answered when done, with counts per
/// outcome), or all of them (started in the background: 202). Links another
/// instance is checking at the moment are left to it.
#[utoipa::path(operation_id = "runEvidenceChecks", tag = "admin", request_body(content = Option<CheckRequest>), security(("bearer" = [])), responses(
    (status = 200, body = Summary, description = "One supplier's links, checked"),
    (status = 202, body = Started, description = "A round over every link has started"),
    AuthErrors,
    BodyErrors,
    NotFoundError,
))]
#[post("/admin/evidence/checks")]
pub async fn run(
    state: State,
    _admin: Admin,
    body: JsonOrEmpty<CheckRequest>,
) -> ApiResult<HttpResponse> {
    let started_at = now();
    match body.0.supplier_id {
        Some(id) => {
            let supplier = state.db(move |conn| get_or_404(conn, id)).await?;
            let scope = check_evidence::scope(
                Some(supplier.id),
                started_at + chrono::Duration::microseconds(1),
            );
            let summary =
                check_evidence::round(&state.database, &state.checker, scope, &|_| {}).await?;
            Ok(HttpResponse::Ok().json(summary))
        }
        None => {
            let state = state.clone();
            tokio::spawn(async move {
                let scope =
                    check_evidence::scope(None, started_at + chrono::Duration::microseconds(1));
                match check_evidence::round(&state.database, &state.checker, scope, &|_| {}).await {
                    Ok(s) => {
                        tracing::info!(checked = s.checked, outcomes = ?s.outcomes, "on-demand evidence check done")
                    }
                    Err(e) => tracing::warn!(error = %e, "on-demand evidence check failed"),
                }
            });
            Ok(HttpResponse::Accepted().json(Started { status: "started" }))
        }
    }
}
