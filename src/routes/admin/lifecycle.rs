use actix_web::{HttpResponse, post};

use crate::auth::Admin;
use crate::domain::lifecycle::Transition;
use crate::http::extract::Json;
use crate::http::extract::SupplierKey;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::common::{Reason, transition};
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::routes::signature::SupplierChanged;
use crate::state::State;

/// Record that the operator verified the supplier's identity; a pending signature
/// becomes active.
#[utoipa::path(operation_id = "verifySupplier", tag = "admin",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    security(("bearer" = [])),
    responses(
        SupplierChanged,
                    (status = 409, body = Problem, content_type = "application/problem+json", description = "Already verified"),
        AuthErrors,
        NotFoundError,
    )
)]
#[post("/admin/suppliers/{id_or_slug}/verify")]
pub async fn verify(state: State, admin: Admin, path: SupplierKey) -> ApiResult<HttpResponse> {
    transition(state, admin.0, path.0, Transition::Verify, None).await
}

/// Suspend a supplier, with a public reason.
#[utoipa::path(operation_id = "suspendSupplier", tag = "admin",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    request_body = Reason,
    security(("bearer" = [])),
    responses(
        SupplierChanged,
                        (status = 409, body = Problem, content_type = "application/problem+json", description = "Not signed, withdrawn or already suspended"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
            )
)]
#[post("/admin/suppliers/{id_or_slug}/suspend")]
pub async fn suspend(
    state: State,
    admin: Admin,
    path: SupplierKey,
    body: Json<Reason>,
) -> ApiResult<HttpResponse> {
    let reason = body.0.parse()?;
    transition(state, admin.0, path.0, Transition::Suspend, Some(reason)).await
}

/// Reinstate a suspended supplier to the state it had before, with a public reason.
#[utoipa::path(operation_id = "reinstateSupplier", tag = "admin",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    request_body = Reason,
    security(("bearer" = [])),
    responses(
        SupplierChanged,
                        (status = 409, body = Problem, content_type = "application/problem+json", description = "Not suspended"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
            )
)]
#[post("/admin/suppliers/{id_or_slug}/reinstate")]
pub async fn reinstate(
    state: State,
    admin: Admin,
    path: SupplierKey,
    body: Json<Reason>,
) -> ApiResult<HttpResponse> {
    let reason = body.0.parse()?;
    transition(state, admin.0, path.0, Transition::Reinstate, Some(reason)).await
}
