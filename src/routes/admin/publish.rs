use actix_web::http::header;
use actix_web::{HttpResponse, post};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Admin;
use crate::http::extract::Json;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{AuthErrors, BodyErrors};
use crate::state::State;
use crate::usecases::publish as usecase;
use crate::views::pledge::PledgeVersion;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommitment {
    /// Stable code: lower-case letters, digits and underscores, starting with a letter.
    #[schema(example = "transparency")]
    code: String,
    title: String,
    description: String,
}

/// A pledge version to publish. It becomes the current version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPledgeVersion {
    /// Label: letters, digits, dots and dashes, e.g. `2026-09`.
    #[schema(example = "2026-09")]
    version: String,
    title: String,
    summary: String,
    source_url: String,
    published_on: NaiveDate,
    /// In order; 1 to 20, codes unique.
    commitments: Vec<NewCommitment>,
}

/// Publish a new pledge version; it becomes current. Existing signatures keep naming
/// the version they signed.
#[utoipa::path(operation_id = "publishPledgeVersion", tag = "admin", request_body = NewPledgeVersion, security(("bearer" = [])), responses(
    (status = 201, body = PledgeVersion, description = "Published; it is now the current version", headers(("Location" = String, description = "The new version's address"))),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "The version label exists"),
    AuthErrors,
    BodyErrors,
))]
#[post("/admin/pledge/versions")]
pub async fn publish(
    state: State,
    admin: Admin,
    body: Json<NewPledgeVersion>,
) -> ApiResult<HttpResponse> {
    let r = body.0;
    let new = usecase::NewVersion {
        version: r.version,
        title: r.title,
        summary: r.summary,
        source_url: r.source_url,
        published_on: r.published_on,
        commitments: r
            .commitments
            .into_iter()
            .map(|c| usecase::NewCommitment {
                code: c.code,
                title: c.title,
                description: c.description,
            })
            .collect(),
    };
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
