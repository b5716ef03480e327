use actix_web::{HttpResponse, post, web};

use crate::app::State;
use crate::auth::Admin;
use crate::domain::SupplierId;
use crate::domain::lifecycle::Transition;
use crate::error::{ApiResult, Problem};
use crate::extract::Json;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::routes::signature::transition;
use crate::routes::signature::withdraw::Reason;
use crate::routes::suppliers::view::SupplierView;

/// Record that the operator verified the supplier's identity; a pending signature
/// becomes active.
#[utoipa::path(tag = "admin",
    params(("id" = String, Path, format = Uuid, description = "Supplier id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SupplierView, headers(("ETag" = String, description = "The supplier's new ETag; send it as If-Match with the next profile update"))),
                    (status = 409, body = Problem, content_type = "application/problem+json", description = "Already verified"),
        AuthErrors,
        NotFoundError,
    )
)]
#[post("/admin/suppliers/{id}/verify")]
pub async fn verify(
    state: State,
    admin: Admin,
    path: web::Path<SupplierId>,
) -> ApiResult<HttpResponse> {
    transition(state, admin.0, path.into_inner(), Transition::Verify, None).await
}

/// Suspend a supplier, with a public reason.
#[utoipa::path(tag = "admin",
    params(("id" = String, Path, format = Uuid, description = "Supplier id")),
    request_body = Reason,
    security(("bearer" = [])),
    responses(
        (status = 200, body = SupplierView, headers(("ETag" = String, description = "The supplier's new ETag; send it as If-Match with the next profile update"))),
                        (status = 409, body = Problem, content_type = "application/problem+json", description = "Not signed, withdrawn or already suspended"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
            )
)]
#[post("/admin/suppliers/{id}/suspend")]
pub async fn suspend(
    state: State,
    admin: Admin,
    path: web::Path<SupplierId>,
    body: Json<Reason>,
) -> ApiResult<HttpResponse> {
    let reason = body.0.parse()?;
    transition(
        state,
        admin.0,
        path.into_inner(),
        Transition::Suspend,
        Some(reason),
    )
    .await
}

/// Reinstate a suspended supplier to the state it had before, with a public reason.
#[utoipa::path(tag = "admin",
    params(("id" = String, Path, format = Uuid, description = "Supplier id")),
    request_body = Reason,
    security(("bearer" = [])),
    responses(
        (status = 200, body = SupplierView, headers(("ETag" = String, description = "The supplier's new ETag; send it as If-Match with the next profile update"))),
                        (status = 409, body = Problem, content_type = "application/problem+json", description = "Not suspended"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
            )
)]
#[post("/admin/suppliers/{id}/reinstate")]
pub async fn reinstate(
    state: State,
    admin: Admin,
    path: web::Path<SupplierId>,
    body: Json<Reason>,
) -> ApiResult<HttpResponse> {
    let reason = body.0.parse()?;
    transition(
        state,
        admin.0,
        path.into_inner(),
        Transition::Reinstate,
        Some(reason),
    )
    .await
}
