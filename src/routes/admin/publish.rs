use actix_web::http::header;
use actix_web::{HttpResponse, post};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::State;
use crate::auth::Admin;
use crate::changes;
use crate::db::models::pledge::{self, CommitmentRow, PledgeVersionRow};
use crate::db::models::{audit, now, signature, supplier};
use crate::domain::validator::checked;
use crate::domain::{Validator, WebUrl, text};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::extract::Json;
use crate::routes::problems::{AuthErrors, BodyErrors};
use crate::views::pledge::PledgeVersion;

pub const MAX_COMMITMENTS: usize = 20;

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

fn version_label(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(s.to_owned())
    } else {
        Err("must be 1 to 32 letters, digits, dots or dashes, e.g. 2026-09".into())
    }
}

fn commitment_code(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let ok = (2..=40).contains(&s.len())
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(
            "must be 2 to 40 lower-case letters, digits or underscores, starting with a letter"
                .into(),
        )
    }
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
    let mut v = Validator::default();
    let version = v.check("version", version_label(&r.version));
    let title = v.check("title", text::bounded(&r.title, 1, 300));
    let summary = v.check("summary", text::bounded(&r.summary, 1, 4000));
    let source_url = v.check("source_url", WebUrl::try_from(r.source_url.as_str()));
    if r.commitments.is_empty() || r.commitments.len() > MAX_COMMITMENTS {
        v.error(
            "commitments",
            format!("must list 1 to {MAX_COMMITMENTS} commitments"),
        );
    }
    let mut items = Vec::new();
    for (i, c) in r.commitments.iter().enumerate() {
        let code = v.check(&format!("commitments[{i}].code"), commitment_code(&c.code));
        let title = v.check(
            &format!("commitments[{i}].title"),
            text::bounded(&c.title, 1, 300),
        );
        let description = v.check(
            &format!("commitments[{i}].description"),
            text::bounded(&c.description, 1, 4000),
        );
        if let Some(code) = &code
            && items.iter().any(|(c, _, _): &(String, _, _)| c == code)
        {
            v.error(format!("commitments[{i}].code"), "appears twice");
        }
        if let (Some(code), Some(title), Some(description)) = (code, title, description) {
            items.push((code, title, description));
        }
    }
    v.finish()?;
    let version = checked(version)?;
    let row = PledgeVersionRow {
        version: version.clone(),
        position: 0,
        title: checked(title)?,
        summary: checked(summary)?,
        source_url: checked(source_url)?.to_string(),
        published_on: r.published_on,
        created_at: now(),
    };
    let commitments: Vec<CommitmentRow> = items
        .into_iter()
        .enumerate()
        .map(|(i, (code, title, description))| CommitmentRow {
            version: version.clone(),
            code,
            position: i as i32 + 1,
            title,
            description,
        })
        .collect();
    let actor = admin.0.actor();
    let published = state
        .tx(move |conn| {
            if pledge::find(conn, &row.version)?.is_some() {
                return Err(ApiError::Conflict(format!(
                    "pledge version {} already exists; versions are immutable",
                    row.version
                )));
            }
            let at = row.created_at;
            let stored = pledge::insert(conn, row, &commitments)?;
            let view = PledgeVersion::from_rows(stored, commitments, true);
            audit::record(
                conn,
                at,
                audit::Entry {
                    actor: &actor,
                    action: "pledge.published",
                    entity_type: "pledge_version",
                    entity_id: view.version.clone(),
                    supplier_id: None,
                    before: None,
                    after: Some(
                        serde_json::to_value(&view).map_err(|e| ApiError::Internal(e.into()))?,
                    ),
                },
            )?;
            // Every signature now names an earlier version: each signer's record changes,
            // and the feed says so, one change per signer.
            for supplier_id in signature::signers(conn)? {
                supplier::touch(conn, &supplier_id, Some(at))?;
                changes::record(
                    conn,
                    at,
                    audit::Entry {
                        actor: &actor,
                        action: "pledge.published",
                        entity_type: "pledge_version",
                        entity_id: view.version.clone(),
                        supplier_id: Some(supplier_id),
                        before: None,
                        after: None,
                    },
                )?;
            }
            Ok(view)
        })
        .await?;
    tracing::info!(version = %published.version, "pledge version published");
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/pledge/versions/{}", published.version),
        ))
        .json(published))
}
