//! The home page: the signatory list, with search and filters.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{MAX_QUERY, html, render, words};
use crate::db::models::{pledge, supplier};
use crate::domain::Status;
use crate::domain::evidence::EvidenceHealth;
use crate::error::{ApiError, ApiResult};
use crate::state::State;
use crate::views::pagination;
use crate::views::pledge::PledgeVersion;
use crate::views::supplier::SupplierSummary;

const PAGE_SIZE: i64 = 25;

struct Row {
    slug: String,
    name: String,
    company_number: Option<String>,
    status: &'static str,
    status_label: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    pledge: Option<PledgeVersion>,
    q: String,
    status: String,
    commitment: String,
    evidence_health: String,
    statuses: Vec<(String, String)>,
    commitments: Vec<(String, String)>,
    healths: Vec<(String, String)>,
    notes: Vec<String>,
    suppliers: Vec<Row>,
    next_link: Option<String>,
}

/// Query of the home page. Every field is free text: odd input is explained on the
/// page, never refused.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HomeParams {
    q: Option<String>,
    status: Option<String>,
    commitment: Option<String>,
    evidence_health: Option<String>,
    cursor: Option<String>,
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The signatory list with search and filters.
#[utoipa::path(operation_id = "getHomePage", tag = "pages", params(HomeParams), responses((status = 200, description = "HTML page", content_type = "text/html")))]
#[get("/")]
pub async fn home(state: State, params: web::Query<HomeParams>) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut notes = Vec::new();
    let mut q: String =
        p.q.unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .trim()
            .to_owned();
    if q.chars().count() > MAX_QUERY {
        q = q.chars().take(MAX_QUERY).collect();
        notes.push(format!(
            "Your search was long, so only its first {MAX_QUERY} characters were used."
        ));
    }
    let status = p.status.unwrap_or_default();
    let status_ok = status.is_empty() || status.parse::<Status>().is_ok();
    if !status_ok {
        notes.push("That status is not one we know, so it was ignored.".into());
    }
    let health = p.evidence_health.unwrap_or_default();
    let health_ok = health.is_empty() || health.parse::<EvidenceHealth>().is_ok();
    if !health_ok {
        notes.push("That evidence health is not one we know, so it was ignored.".into());
    }
    let after_slug = p.cursor.as_deref().and_then(|c| pagination::decode(c).ok());
    let commitment = p.commitment.unwrap_or_default();
    let (pledge, rows, known_codes) = {
        let (q, status, health, commitment) = (
            q.clone(),
            status.clone(),
            health.clone(),
            commitment.clone(),
        );
        state
            .db(move |conn| {
                let current = pledge::current(conn)?;
                let (view, codes) = match current {
                    Some(v) => {
                        let items = pledge::commitments_of(conn, &v.version)?;
                        let codes: Vec<(String, String)> = items
                            .iter()
                            .map(|c| (c.code.clone(), c.title.clone()))
                            .collect();
                        (Some(PledgeVersion::from_rows(v, items, true)), codes)
                    }
                    None => (None, Vec::new()),
                };
                let commitment_ok =
                    commitment.is_empty() || codes.iter().any(|(c, _)| *c == commitment);
                let filter = supplier::ListFilter {
                    q: (!q.is_empty()).then_some(q),
                    status: (status_ok && !status.is_empty())
                        .then_some(status)
                        .into_iter()
                        .collect(),
                    evidence_health: (health_ok && !health.is_empty())
                        .then_some(health)
                        .into_iter()
                        .collect(),
                    commitment: (commitment_ok && !commitment.is_empty())
                        .then_some(commitment)
                        .into_iter()
                        .collect(),
                    after_slug,
                    limit: PAGE_SIZE + 1,
                    ..Default::default()
                };
                let rows = supplier::stored_page(conn, &filter, supplier::Stored::Summary)?
                    .into_iter()
                    .map(|(_, json)| serde_json::from_str::<SupplierSummary>(&json))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| ApiError::Internal(e.into()))?;
                Ok((view, rows, codes))
            })
            .await?
    };
    if !commitment.is_empty() && !known_codes.iter().any(|(c, _)| *c == commitment) {
        notes.push("That commitment is not one we know, so it was ignored.".into());
    }
    let more = rows.len() as i64 > PAGE_SIZE;
    let suppliers: Vec<Row> = rows
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|s| Row {
            status: s.status.as_str(),
            status_label: words::status_label(s.status),
            slug: s.slug,
            name: s.name,
            company_number: s.company_number,
        })
        .collect();
    let next_link = (more && !suppliers.is_empty()).then(|| {
        let last = suppliers
            .last()
            .map(|s| s.slug.as_str())
            .unwrap_or_default();
        format!(
            "/?q={}&status={}&commitment={}&evidence_health={}&cursor={}#results",
            encode(&q),
            encode(&status),
            encode(&commitment),
            encode(&health),
            pagination::encode(last)
        )
    });
    let page = Home {
        pledge,
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), words::status_label(*s).to_owned()))
            .collect(),
        healths: EvidenceHealth::ALL
            .iter()
            .map(|h| (h.as_str().to_owned(), words::health_words(*h).to_owned()))
            .collect(),
        commitments: known_codes,
        q,
        status,
        commitment,
        evidence_health: health,
        notes,
        suppliers,
        next_link,
    };
    Ok(html(actix_web::http::StatusCode::OK, render(&page)?))
}
