use actix_web::http::header;
use actix_web::{HttpResponse, post};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::tokens::IssuedToken;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::http::ratelimit::RegistrationQuota;
use crate::routes::common::Written;
use crate::routes::problems::BodyErrors;
use crate::state::State;
use crate::usecases::register::{self, Register, Registration};
use crate::views::supplier::SupplierView;

#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    pub supplier: SupplierView,
    /// The supplier's token. It is shown only this once: keep it safe.
    pub token: IssuedToken,
}

/// Register a supplier. Answers its record and a supplier token, shown only once.
#[utoipa::path(operation_id = "registerSupplier", tag = "supplier self-service", request_body = Registration, responses(
    (status = 201, body = Registered, description = "Registered: the new supplier and its first token", headers(("Location" = String, description = "The supplier's address"))),
    (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many registrations from this client; see Retry-After"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "The company number belongs to a supplier the registry verified"),
    BodyErrors,
))]
#[post("/registrations")]
pub async fn create(
    state: State,
    _quota: RegistrationQuota,
    body: Json<Registration>,
) -> ApiResult<HttpResponse> {
    let registration = Register::parse(body.0)?;
    let issuing = state.issuing();
    let (written, token, id) = state
        .tx(move |conn| {
            let row = register::register(conn, registration)?;
            let id = row.id;
            let token = register::registration_token(conn, &issuing, id)?;
            Ok((Written::load(conn, row, true)?, token, id))
        })
        .await?;
    tracing::info!(supplier_id = %id, slug = %written.slug(), "supplier registered");
    Ok(written.answer_with(
        HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/suppliers/{id}")))
            .take(),
        |supplier| Registered { supplier, token },
    ))
}
