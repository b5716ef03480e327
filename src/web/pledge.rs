//! The pledge itself: every version with its commitments, newest first, and what
//! changed from the version before. The new-version email links here.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get};
use askama::Template;

use super::{html, render};
use crate::http::problem::ApiResult;
use crate::state::State;
use crate::views::pledge::{CommitmentChange, PledgeVersion, all_versions, changes};

/// One version as the page shows it.
struct VersionBlock {
    version: PledgeVersion,
    published: String,
    /// The version before it, and what changed since (in words); none for the first.
    since: Option<(String, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "pledge.html")]
struct PledgePage {
    versions: Vec<VersionBlock>,
}

fn in_words(change: &CommitmentChange) -> String {
    match change {
        CommitmentChange::Added { title, .. } => format!("New commitment: {title}"),
        CommitmentChange::Removed { title, .. } => format!("Commitment removed: {title}"),
        CommitmentChange::Reworded { title, .. } => format!("Reworded: {title}"),
    }
}

/// The Tech Pledge: every version and its commitments, and what changed between them.
#[utoipa::path(operation_id = "getPledgePage", tag = "pages",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
#[get("/pledge")]
pub async fn pledge_page(state: State) -> ApiResult<HttpResponse> {
    let (versions, _) = state.db(all_versions).await?;
    // Newest first: the version before each is the next one in the list.
    let blocks = versions
        .iter()
        .enumerate()
        .map(|(i, v)| VersionBlock {
            version: v.clone(),
            published: v.published_on.format("%-d %B %Y").to_string(),
            since: versions.get(i + 1).map(|earlier| {
                let said = changes(&earlier.commitments, &v.commitments)
                    .iter()
                    .map(in_words)
                    .collect();
                (earlier.version.clone(), said)
            }),
        })
        .collect();
    let page = PledgePage { versions: blocks };
    Ok(html(StatusCode::OK, render(&page)?))
}
