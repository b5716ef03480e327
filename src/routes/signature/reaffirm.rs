use actix_web::{HttpResponse, post, web};

use crate::app::State;
use crate::auth::Caller;
use crate::domain::SupplierId;
use crate::domain::lifecycle::Transition;
use crate::error::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, NotFoundError};
use crate::routes::suppliers::view::SupplierView;

/// Reaffirm the signature: its reaffirm-by date moves to a year (the configured
/// period) from now, and a lapsed signature becomes active again.
#[utoipa::path(tag = "supplier self-service",
    params(("id" = String, Path, format = Uuid, description = "Supplier id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SupplierView, headers(("ETag" = String, description = "The supplier's new ETag; send it as If-Match with the next profile update"))),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "No signature in force, or suspended"),
        AuthErrors,
        NotFoundError,
    )
)]
#[post("/suppliers/{id}/signature/reaffirm")]
pub async fn reaffirm(
    state: State,
    caller: Caller,
    path: web::Path<SupplierId>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    caller.must_be(id)?;
    super::transition(state, caller, id, Transition::Reaffirm, None).await
}
