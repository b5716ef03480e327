use actix_web::http::header;
use actix_web::{HttpResponse, post};

use crate::auth::Admin;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, BodyErrors};
use crate::state::State;
use crate::usecases::publish as usecase;
use crate::views::pledge::PledgeVersion;

/// Publish a new pledge version; it becomes current. Existing signatures keep naming
/// the version they signed.
#[utoipa::path(operation_id = "publishPledgeVersion", tag = "admin", request_body = usecase::NewPledgeVersion, security(("bearer" = [])), responses(
    (status = 201, body = PledgeVersion, description = "Published; it is now the current version", headers(("Location" = String, description = "The new version's address"))),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "The version label exists"),
    AuthErrors,
    BodyErrors,
))]
#[post("/admin/pledge/versions")]
pub async fn publish(
    state: State,
    admin: Admin,
    body: Json<usecase::NewPledgeVersion>,
) -> ApiResult<HttpResponse> {
    let new = usecase::Publish::parse(body.0)?;
    let by = admin.0.by();
    let published = state
        .tx(move |conn| usecase::publish(conn, &by, new))
        .await?;
    tracing::info!(version = %published.version, "pledge version published");
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/pledge/versions/{}", published.version),
        ))
        .json(published))
}
