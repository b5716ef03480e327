use actix_web::{HttpResponse, put};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Admin;
use crate::db::models::now;
use crate::http::extract::{Json, SupplierKey};
use crate::http::problem::ApiResult;
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError};
use crate::state::State;
use crate::usecases::accounts;
use crate::views::accounts::Member;

/// The person who is to own a supplier's record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOwner {
    #[schema(max_length = 254)]
    email: String,
    /// Their name, if they are not a member yet (1 to 200 characters).
    #[schema(min_length = 1, max_length = 200)]
    name: String,
}

/// Hand a supplier's record to a new owner, when its owner left or lost access to
/// their address. The person becomes its only owner (added if need be, and told by
/// email); other owners stay as editors. Recorded in the audit log.
#[utoipa::path(operation_id = "transferOwnership", tag = "admin", request_body = NewOwner,
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Member, description = "The new owner"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    )
)]
#[put("/admin/suppliers/{id_or_slug}/owner")]
pub async fn transfer(
    state: State,
    admin: Admin,
    supplier: SupplierKey,
    body: Json<NewOwner>,
) -> ApiResult<HttpResponse> {
    let id = supplier.0;
    let by = admin.0.by();
    let r = body.0;
    let owner = state
        .tx(move |conn| {
            let supplier = crate::usecases::lookup::get_or_404(conn, id)?;
            accounts::transfer(conn, &supplier, &by, &r.email, &r.name, now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Member::from(owner)))
}
