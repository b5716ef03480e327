//! Pages for people: the signatory list with search, one supplier, and the badge.
//! Server-rendered from templates compiled into the binary; no JavaScript.

pub mod badge;
pub mod guides;
pub mod words;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::models::{history, pledge, records, supplier};
use crate::domain::Status;
use crate::domain::evidence::EvidenceHealth;
use crate::error::{ApiError, ApiResult};
use crate::state::State;
use crate::views::history::public_actor;
use crate::views::page;
use crate::views::pledge::PledgeVersion;
use crate::views::supplier::{EvidenceSummary, SupplierSummary, SupplierView, utc};

const PAGE_SIZE: i64 = 25;
const MAX_QUERY: usize = 200;
/// Status changes the supplier page lists, newest last; the API pages through all.
const HISTORY_SHOWN: i64 = 100;

fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    html_bytes(status, body.into())
}

fn html_bytes(status: actix_web::http::StatusCode, body: actix_web::web::Bytes) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'"))
        .body(body)
}

fn render(t: &impl Template) -> ApiResult<String> {
    t.render()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("template: {e}")))
}

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
    let after_slug = p.cursor.as_deref().and_then(|c| page::decode(c).ok());
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
            page::encode(last)
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

struct SupplierFacts {
    slug: String,
    name: String,
    website: String,
    company_number: Option<String>,
    description: String,
    identity_verified: bool,
    status: &'static str,
    status_label: &'static str,
    status_words: &'static str,
    status_reason: Option<String>,
    evidence_words: &'static str,
}

struct SignatureFacts {
    version: String,
    is_current: bool,
    signed_on: String,
    signatory: String,
    reaffirm_by: String,
    statements: Vec<StatementFacts>,
}

struct StatementFacts {
    title: String,
    text: String,
}

struct EvidenceFacts {
    url: String,
    title: String,
    kind: String,
    supports: String,
    health: &'static str,
    health_words: String,
    checked: String,
    expiry: Option<String>,
    expired: bool,
}

struct HistoryFacts {
    when: String,
    what: String,
    reason: Option<String>,
}

#[derive(Template)]
#[template(path = "supplier.html")]
struct SupplierPage {
    s: SupplierFacts,
    signature: Option<SignatureFacts>,
    current_version: String,
    evidence: Vec<EvidenceFacts>,
    history: Vec<HistoryFacts>,
    /// Older changes exist than the page shows.
    history_cut: bool,
    badge_snippet: String,
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFound {
    message: String,
    search: String,
}

#[derive(Template)]
#[template(path = "too_many.html")]
struct TooMany {
    wait: String,
}

/// An HTML 429 for a person's browser, with `Retry-After`.
pub fn too_many_requests_page(wait_secs: u64) -> HttpResponse {
    let wait = match wait_secs {
        0..=1 => "a second".to_owned(),
        2..=90 => format!("{wait_secs} seconds"),
        _ => format!("{} minutes", wait_secs.div_ceil(60)),
    };
    let body = TooMany { wait }
        .render()
        .unwrap_or_else(|_| "Too many requests".into());
    let mut res = html(actix_web::http::StatusCode::TOO_MANY_REQUESTS, body);
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(wait_secs));
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// An HTML 404 that helps people find what they looked for.
pub fn not_found_page(message: String, search: String) -> HttpResponse {
    let body = NotFound { message, search }
        .render()
        .unwrap_or_else(|_| "Not found".into());
    html(actix_web::http::StatusCode::NOT_FOUND, body)
}

/// One supplier, in plain English.
#[utoipa::path(operation_id = "getSupplierPage", tag = "pages",
    params(("slug" = String, Path, description = "Supplier slug (or id)")),
    responses(
        (status = 200, description = "HTML page", content_type = "text/html"),
        (status = 404, description = "HTML page: no such supplier", content_type = "text/html"),
    )
)]
#[get("/suppliers/{slug}")]
pub async fn supplier_page(state: State, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let key = path.into_inner();
    let lookup = key.clone();
    let cache = state.clone();
    let found = state
        .db(move |conn| {
            let Some(stored) = records::served(conn, &lookup)? else {
                return Ok(None);
            };
            // The page shows the stored public record and nothing else that changes: it
            // is cached under the record's ETag, as the JSON is.
            let tag = stored.etag;
            let view: SupplierView =
                serde_json::from_str(&stored.record).map_err(|e| ApiError::Internal(e.into()))?;
            let cache_key = format!("page:{}", view.id);
            if let Some(body) = cache.records.get(&cache_key, &tag) {
                return Ok(Some(Err(body)));
            }
            let id = view.id.clone();
            let current = pledge::current(conn)?
                .map(|v| v.version)
                .unwrap_or_default();
            let titles: Vec<(String, String)> = match &view.signature {
                Some(sig) => pledge::commitments_of(conn, &sig.pledge_version)?
                    .into_iter()
                    .map(|c| (c.code, c.title))
                    .collect(),
                None => Vec::new(),
            };
            let events = history::latest(conn, &id, HISTORY_SHOWN + 1)?;
            Ok(Some(Ok((view, current, titles, events, cache_key, tag))))
        })
        .await?;
    let found = match found {
        Some(Err(cached)) => {
            return Ok(html_bytes(actix_web::http::StatusCode::OK, cached));
        }
        Some(Ok(built)) => Some(built),
        None => None,
    };
    let Some((view, current_version, titles, events, cache_key, tag)) = found else {
        let words = key.replace(['-', '_'], " ");
        let search: String = words
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_QUERY)
            .collect();
        return Ok(not_found_page(
            format!("There is no supplier at “{}” in the registry.", search),
            search,
        ));
    };
    let title_of = |code: &str| {
        titles
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| code.replace('_', " "))
    };
    let reason = view
        .signature
        .as_ref()
        .filter(|s| matches!(s.status, Status::Suspended | Status::Withdrawn))
        .and_then(|s| s.status_reason.clone());
    let signature = view.signature.as_ref().map(|sig| SignatureFacts {
        version: sig.pledge_version.clone(),
        is_current: sig.is_current_version,
        signed_on: words::date(sig.signed_at),
        signatory: format!("{}, {}", sig.signatory_name, sig.signatory_role),
        reaffirm_by: words::date(sig.reaffirm_by),
        statements: sig
            .statements
            .iter()
            .map(|st| StatementFacts {
                title: title_of(&st.commitment),
                text: st.statement.clone(),
            })
            .collect(),
    });
    let evidence = view
        .evidence
        .iter()
        .map(|e| EvidenceFacts {
            url: e.url.clone(),
            title: e.title.clone(),
            kind: e.kind.as_str().replace('_', " "),
            supports: e
                .commitments
                .iter()
                .map(|c| title_of(c))
                .collect::<Vec<_>>()
                .join(", "),
            health: e.health.status.as_str(),
            health_words: match (&e.health.final_url, e.health.status) {
                (Some(to), EvidenceHealth::Redirected) => {
                    format!("Link works (it now leads to {to})")
                }
                _ => words::health_words(e.health.status).to_owned(),
            },
            checked: e
                .health
                .checked_at
                .map(|t| format!("Last checked {}", words::date(t)))
                .unwrap_or_else(|| "Never checked".into()),
            expiry: e.expires_on.map(|d| {
                let when = words::date(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
                if e.expired {
                    format!("Expired on {when}")
                } else {
                    format!("Valid until {when}")
                }
            }),
            expired: e.expired,
        })
        .collect();
    let history_cut = events.len() as i64 > HISTORY_SHOWN;
    let history = events
        .into_iter()
        .skip(usize::from(history_cut))
        .map(|h| {
            let actor = public_actor(&h.actor);
            HistoryFacts {
                when: words::date(utc(h.at)),
                what: words::event_words(&h.event, actor, h.pledge_version.as_deref()),
                reason: h.reason,
            }
        })
        .collect();
    let base = state.config.public_url.clone();
    let badge_snippet = format!(
        "<a href=\"{base}/suppliers/{slug}\"><img src=\"{base}/badge/{slug}.svg\" alt=\"Tech Pledge status of {name}\"></a>",
        slug = view.slug,
        name = view.name.replace('"', "&quot;"),
    );
    let page = SupplierPage {
        s: SupplierFacts {
            status: view.status.as_str(),
            status_label: words::status_label(view.status),
            status_words: words::status_words(view.status),
            status_reason: reason,
            evidence_words: match view.evidence_summary {
                EvidenceSummary::None => "No evidence links yet",
                EvidenceSummary::Pending => "Some links not checked yet; none failing",
                EvidenceSummary::AllOk => "Every link works, or could not be checked automatically",
                EvidenceSummary::SomeFailing => {
                    "Some links are broken or unreachable, or a certification has expired"
                }
            },
            slug: view.slug,
            name: view.name,
            website: view.website,
            company_number: view.company_number,
            description: view.description,
            identity_verified: view.identity_verified,
        },
        signature,
        current_version,
        evidence,
        history,
        history_cut,
        badge_snippet,
    };
    let body = actix_web::web::Bytes::from(render(&page)?);
    state.records.put(&cache_key, &tag, body.clone());
    Ok(html_bytes(actix_web::http::StatusCode::OK, body))
}

/// A small SVG badge with the supplier's current status, for its website.
#[utoipa::path(operation_id = "getSupplierBadge", tag = "pages",
    params(("slug" = String, Path, description = "Supplier slug")),
    responses(
        (status = 200, description = "SVG image", content_type = "image/svg+xml"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such supplier", content_type = "image/svg+xml"),
    )
)]
#[get("/badge/{slug}.svg")]
pub async fn badge_svg(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = path.into_inner();
    let row = state
        .db(move |conn| Ok(supplier::find(conn, &key)?))
        .await?;
    let base = state.config.public_url.clone();
    let (body, etag, status) = match row {
        Some(r) => {
            let status: Status = r
                .status
                .parse()
                .map_err(|e: String| ApiError::Internal(anyhow::anyhow!(e)))?;
            let svg = badge::svg(&r.name, status, &format!("{base}/suppliers/{}", r.slug));
            (
                svg,
                format!("\"b{}-{}\"", r.revision, status.as_str()),
                actix_web::http::StatusCode::OK,
            )
        }
        None => (
            badge::svg("Unknown supplier", Status::Unsigned, &format!("{base}/")),
            "\"b-unknown\"".to_owned(),
            actix_web::http::StatusCode::NOT_FOUND,
        ),
    };
    let fresh = crate::http::respond::if_none_match(&req, &etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::build(status)
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    if fresh {
        return Ok(res.finish());
    }
    Ok(res.content_type("image/svg+xml").body(body))
}
