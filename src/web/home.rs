//! The home page: the signatory list, with search and filters.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{MAX_QUERY, render, words};
use crate::db::models::{pledge, supplier};
use crate::domain::Status;
use crate::domain::evidence::EvidenceSummary;
use crate::error::Error;
use crate::http::problem::ApiResult;
use crate::http::respond::content_etag;
use crate::state::State;
use crate::views::cache::{CacheKey, Held};
use crate::views::pledge::PledgeVersion;
use crate::views::supplier::SupplierSummary;

const PAGE_SIZE: i64 = 25;

struct Row {
    slug: String,
    name: String,
    company_number: Option<String>,
    status: &'static str,
    status_label: &'static str,
    /// Some evidence failing: said beside the status.
    trouble: Option<&'static str>,
    /// Not (or no longer) verified by the registry.
    unchecked: bool,
    /// The version it signed, when that is an earlier one than the current version.
    earlier_version: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    pledge: Option<PledgeVersion>,
    q: String,
    status: String,
    commitment: String,
    evidence: String,
    unverified: bool,
    /// Registrations not yet checked that match when no signatory does.
    unchecked_matches: i64,
    /// On the default list: how many that signed are not in force, by status, each
    /// with the link to list them (status label, count, link).
    not_in_force: Vec<(&'static str, i64, String)>,
    /// The list's heading.
    heading: String,
    /// The same search with them shown.
    show_unchecked: Option<String>,
    statuses: Vec<(String, String)>,
    commitments: Vec<(String, String)>,
    evidence_choices: Vec<(String, String)>,
    notes: Vec<String>,
    suppliers: Vec<Row>,
    /// "Showing 26 to 50 of 143"
    total: i64,
    first_shown: i64,
    last_shown: i64,
    page: i64,
    pages: i64,
    previous_link: Option<String>,
    next_link: Option<String>,
    /// Only signatories the registry verified are listed.
    signatories_only: bool,
}

/// Query of the home page. Every field is free text: odd input is explained on the
/// page, never refused.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HomeParams {
    /// Name, product or company number.
    q: Option<String>,
    status: Option<String>,
    commitment: Option<String>,
    /// The evidence at a glance: `all_ok`, `some_failing`, `pending` or `none`.
    evidence: Option<String>,
    /// Also list registrations the registry has not verified (`1`).
    unverified: Option<String>,
    /// The page of results, from 1.
    page: Option<String>,
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The signatory list with search and filters.
#[utoipa::path(operation_id = "getHomePage", tag = "pages", params(HomeParams), responses(
    (status = 200, description = "HTML page", content_type = "text/html", headers(("ETag" = String, description = "Send as If-None-Match to be answered 304 while the page is unchanged"))),
    (status = 304, description = "Not modified: the If-None-Match ETag, or else the If-Modified-Since date, is still current"),
))]
#[get("/")]
pub async fn home(
    req: HttpRequest,
    state: State,
    params: web::Query<HomeParams>,
) -> ApiResult<HttpResponse> {
    // Kept in memory by its query string until a write changes any supplier.
    let key = CacheKey::HomePage(req.query_string().to_owned());
    if let Some(held) = state.reads.get(&key) {
        return Ok(super::kept_page(&req, &held));
    }
    let ticket = state.reads.ticket();
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
    let parsed_status = status.parse::<Status>().ok();
    if !status.is_empty() && parsed_status.is_none() {
        notes.push("That status is not one we know, so it was ignored.".into());
    }
    let evidence = p.evidence.unwrap_or_default();
    let evidence_ok = evidence.is_empty() || evidence.parse::<EvidenceSummary>().is_ok();
    if !evidence_ok {
        notes.push("That choice of evidence is not one we know, so it was ignored.".into());
    }
    let unverified = matches!(p.unverified.as_deref(), Some("1" | "on" | "true" | "yes"));
    // Asking for a status only registrations have shows them.
    let signatories_only =
        !unverified && !matches!(parsed_status, Some(Status::Pending | Status::Unsigned));
    let page = match p.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(n) => match n.parse::<i64>() {
            Ok(n) if n >= 1 => n,
            _ => {
                notes.push(
                    "That page number is not one we have, so the first page is shown.".into(),
                );
                1
            }
        },
    };
    let commitment = p.commitment.unwrap_or_default();
    // The default list is of signatures in force; the others are counted apart.
    let in_force_only = signatories_only && parsed_status.is_none();
    let (pledge, rows, known_codes, total, page, pages, unchecked_matches, others) = {
        let (q, evidence, commitment) = (q.clone(), evidence.clone(), commitment.clone());
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
                let mut filter = supplier::ListFilter {
                    q: (!q.is_empty()).then_some(q),
                    status: parsed_status
                        .map(|s| s.as_str().to_owned())
                        .into_iter()
                        .collect(),
                    evidence_summary: (evidence_ok && !evidence.is_empty())
                        .then_some(evidence)
                        .into_iter()
                        .collect(),
                    commitment: (commitment_ok && !commitment.is_empty())
                        .then_some(commitment)
                        .into_iter()
                        .collect(),
                    signatories_only,
                    limit: PAGE_SIZE,
                    ..Default::default()
                };
                let mut others = Vec::new();
                if in_force_only {
                    for s in [Status::Lapsed, Status::Suspended, Status::Withdrawn] {
                        let of = supplier::ListFilter {
                            status: vec![s.as_str().to_owned()],
                            ..filter.clone()
                        };
                        others.push((s, supplier::count_matching(conn, &of)?));
                    }
                    filter.status = vec![Status::Active.as_str().to_owned()];
                }
                let total = supplier::count_matching(conn, &filter)?;
                // No signatory matches: say whether a registration not yet checked does,
                // rather than "no suppliers" when there is one.
                let unchecked_matches = if total == 0 && signatories_only {
                    let wider = supplier::ListFilter {
                        signatories_only: false,
                        // The default list's "in force" is no filter the person chose.
                        status: if in_force_only {
                            Vec::new()
                        } else {
                            filter.status.clone()
                        },
                        ..filter.clone()
                    };
                    let checked = supplier::ListFilter {
                        signatories_only: true,
                        ..wider.clone()
                    };
                    supplier::count_matching(conn, &wider)?
                        - supplier::count_matching(conn, &checked)?
                } else {
                    0
                };
                let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
                let page = page.min(pages);
                filter.offset = (page - 1) * PAGE_SIZE;
                let rows = supplier::stored_page(conn, &filter, supplier::Stored::Summary)?
                    .into_iter()
                    .map(|(_, json)| serde_json::from_str::<SupplierSummary>(&json))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| Error::Internal(e.into()))?;
                Ok((
                    view,
                    rows,
                    codes,
                    total,
                    page,
                    pages,
                    unchecked_matches,
                    others,
                ))
            })
            .await?
    };
    if !commitment.is_empty() && !known_codes.iter().any(|(c, _)| *c == commitment) {
        notes.push("That commitment is not one we know, so it was ignored.".into());
    }
    let suppliers: Vec<Row> = rows
        .into_iter()
        .map(|s| Row {
            status: s.status.as_str(),
            status_label: words::status_label(s.status),
            trouble: (s.evidence_summary == EvidenceSummary::SomeFailing)
                .then(|| words::evidence_words(s.evidence_summary)),
            unchecked: !s.identity_verified,
            earlier_version: s
                .pledge_version
                .clone()
                .filter(|_| !s.signed_current_version),
            slug: s.slug,
            name: s.name,
            company_number: s.company_number,
        })
        .collect();
    let link = |to: i64| {
        format!(
            "/?q={}&status={}&commitment={}&evidence={}{}&page={to}#results",
            encode(&q),
            encode(&status),
            encode(&commitment),
            encode(&evidence),
            if unverified { "&unverified=1" } else { "" },
        )
    };
    let show_unchecked = (unchecked_matches > 0).then(|| {
        format!(
            "/?q={}&status={}&commitment={}&evidence={}&unverified=1#results",
            encode(&q),
            encode(&status),
            encode(&commitment),
            encode(&evidence),
        )
    });
    let first_shown = ((page - 1) * PAGE_SIZE + 1).min(total);
    let previous_link = (page > 1).then(|| link(page - 1));
    let next_link = (page < pages).then(|| link(page + 1));
    let not_in_force: Vec<(&'static str, i64, String)> = others
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| {
            (
                words::status_label(s),
                n,
                format!(
                    "/?q={}&status={}&commitment={}&evidence={}#results",
                    encode(&q),
                    s.as_str(),
                    encode(&commitment),
                    encode(&evidence),
                ),
            )
        })
        .collect();
    let page = Home {
        pledge,
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), words::status_label(*s).to_owned()))
            .collect(),
        evidence_choices: [
            EvidenceSummary::AllOk,
            EvidenceSummary::SomeFailing,
            EvidenceSummary::Pending,
            EvidenceSummary::None,
        ]
        .iter()
        .map(|e| (e.as_str().to_owned(), words::evidence_words(*e).to_owned()))
        .collect(),
        commitments: known_codes,
        q,
        status,
        commitment,
        evidence,
        unverified,
        notes,
        first_shown,
        last_shown: first_shown + suppliers.len() as i64 - 1,
        suppliers,
        total,
        previous_link,
        next_link,
        page,
        pages,
        signatories_only,
        unchecked_matches,
        show_unchecked,
        not_in_force,
        heading: match parsed_status {
            None if signatories_only => "Signatories".to_owned(),
            None => "Signatories and registrations not yet checked".to_owned(),
            Some(s) => format!("Suppliers: {}", words::status_label(s).to_lowercase()),
        },
    };
    let body = render(&page)?.into_bytes();
    let held = Held::new(None, content_etag(&body), None, body);
    Ok(super::kept_page(&req, &state.reads.put(ticket, key, held)))
}
