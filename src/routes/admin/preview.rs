use actix_web::{HttpResponse, post};

use crate::auth::Admin;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, BodyErrors};
use crate::state::State;
use crate::usecases::publish as usecase;

/// What publishing this pledge version would do, without doing it: the version, what
/// changes from the current one, how many signers' records change and how many emails
/// go out, with one of them. Refused exactly as publishing would be. Look before
/// `publishPledgeVersion`: publishing takes effect at once and emails every signer.
#[utoipa::path(operation_id = "previewPledgeVersion", tag = "admin", request_body = usecase::NewPledgeVersion, security(("bearer" = [])), responses(
    (status = 200, body = usecase::PublishPreview, description = "What publishing would do; nothing is kept"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "The version label exists"),
    AuthErrors,
    BodyErrors,
))]
#[post("/admin/pledge/versions/preview")]
pub async fn preview(
    state: State,
    admin: Admin,
    body: Json<usecase::NewPledgeVersion>,
) -> ApiResult<HttpResponse> {
    let new = usecase::Publish::parse(body.0)?;
    let by = admin.0.by();
    let preview = state
        .tx(move |conn| usecase::preview(conn, &by, new))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(preview))
}
