//! One supplier's page, in plain English.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use super::refusals::not_found_page;
use super::{MAX_QUERY, render, words};
use crate::db::models::{history, pledge, records};
use crate::domain::Status;
use crate::error::Error;
use crate::http::problem::ApiResult;
use crate::http::respond::content_etag;
use crate::state::State;
use crate::views::cache::{CacheKey, Held};
use crate::views::history::public_actor;
use crate::views::supplier::{EvidenceSummary, SupplierView, utc};

/// Status changes the supplier page lists, newest last; the API pages through all.
const HISTORY_SHOWN: i64 = 100;

struct SupplierFacts {
    slug: String,
    name: String,
    website: String,
    company_number: Option<String>,
    companies_house: String,
    /// What Companies House said, and its flags in words; none when not checked.
    company: Option<(String, Vec<String>)>,
    description: String,
    products: String,
    identity_verified: bool,
    verified_on: Option<String>,
    updated_on: String,
    address: String,
    /// When this page was looked up, for the printout.
    looked_up: String,
    status: &'static str,
    status_label: &'static str,
    status_words: &'static str,
    status_reason: Option<String>,
    evidence_words: &'static str,
    evidence_failing: bool,
    /// "1 document changed since signed", when any did.
    documents_changed: Option<String>,
}

struct SignatureFacts {
    version: String,
    is_current: bool,
    signed_on: String,
    signatory: String,
    /// ("Must reaffirm by", date), or how it ended for a withdrawn or suspended one.
    reaffirm: (&'static str, String),
    /// For a signature not in force (suspended, withdrawn): the heading that sets its
    /// statements apart as what the supplier said before.
    said_before: Option<String>,
    statements: Vec<StatementFacts>,
}

struct StatementFacts {
    title: String,
    text: String,
    /// How many evidence links the supplier says support this commitment.
    backed: usize,
}

struct EvidenceFacts {
    id: String,
    /// Whether the document still reads as signed, and whether it changed.
    content: Option<(String, bool)>,
    url: String,
    title: String,
    kind: String,
    supports: String,
    health: &'static str,
    health_words: String,
    checked: String,
    certification: Option<String>,
    /// The scheme's own search for it: (address, words).
    lookup: Option<(String, &'static str)>,
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

/// One supplier, in plain English.
#[utoipa::path(operation_id = "getSupplierPage", tag = "pages",
    params(("slug" = String, Path, description = "Supplier slug (or id)")),
    responses(
        (status = 200, description = "HTML page", content_type = "text/html", headers(("ETag" = String, description = "Send as If-None-Match to be answered 304 while the page is unchanged"))),
        (status = 304, description = "Not modified: the If-None-Match ETag, or else the If-Modified-Since date, is still current"),
        (status = 404, description = "HTML page: no such supplier", content_type = "text/html"),
    )
)]
#[get("/suppliers/{slug}")]
pub async fn supplier_page(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = path.into_inner();
    // Kept in memory, as the record is, until a write changes the supplier.
    let cache_key = CacheKey::SupplierPage(key.to_ascii_lowercase());
    if let Some(held) = state.reads.get(&cache_key) {
        return Ok(super::kept_page(&req, &held));
    }
    let ticket = state.reads.ticket();
    let lookup = key.clone();
    let found = state
        .db(move |conn| {
            let Some(stored) = records::served(conn, &lookup)? else {
                return Ok(None);
            };
            let view: SupplierView =
                serde_json::from_str(&stored.record).map_err(|e| Error::Internal(e.into()))?;
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
            let events = history::latest(conn, stored.supplier_id, HISTORY_SHOWN + 1)?;
            Ok(Some((stored, view, current, titles, events)))
        })
        .await?;
    let Some((stored, view, current_version, titles, events)) = found else {
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
        reaffirm: match sig.status {
            Status::Withdrawn => ("Withdrawn on", words::date(sig.status_changed_at)),
            Status::Suspended => ("Suspended on", words::date(sig.status_changed_at)),
            Status::Lapsed => ("Was due to reaffirm by", words::date(sig.reaffirm_by)),
            _ => ("Must reaffirm by", words::date(sig.reaffirm_by)),
        },
        said_before: match sig.status {
            Status::Suspended => Some(format!("What {} said before it was suspended", view.name)),
            Status::Withdrawn => Some(format!("What {} said before it withdrew", view.name)),
            _ => None,
        },
        statements: sig
            .statements
            .iter()
            .map(|st| StatementFacts {
                title: title_of(&st.commitment),
                text: st.statement.clone(),
                backed: view
                    .evidence
                    .iter()
                    .filter(|e| e.commitments.contains(&st.commitment))
                    .count(),
            })
            .collect(),
    });
    let evidence = view
        .evidence
        .iter()
        .map(|e| (e, words::health_sentence(&e.health)))
        .map(|(e, (health_words, checked))| EvidenceFacts {
            id: e.id.clone(),
            content: words::content_sentence(&e.content),
            url: e.url.clone(),
            title: e.title.clone(),
            kind: words::kind_words(e.kind).to_owned(),
            supports: e
                .commitments
                .iter()
                .map(|c| title_of(c))
                .collect::<Vec<_>>()
                .join(", "),
            health: e.health.status.as_str(),
            health_words,
            checked,
            certification: match (e.scheme, &e.reference) {
                (None, None) => None,
                (scheme, reference) => Some(
                    [
                        scheme.map(|s| words::scheme_words(s).to_owned()),
                        reference.as_ref().map(|r| format!("reference {r}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", "),
                ),
            },
            lookup: e
                .scheme
                .and_then(|s| words::scheme_lookup(s, e.reference.as_deref())),
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
            evidence_words: words::evidence_words(view.evidence_summary),
            evidence_failing: view.evidence_summary == EvidenceSummary::SomeFailing,
            documents_changed: match view
                .evidence
                .iter()
                .filter(|e| e.content.since == Some(crate::views::snapshots::Since::Changed))
                .count()
            {
                0 => None,
                n => Some(words::counted(
                    n,
                    "document changed since signed",
                    "documents changed since signed",
                )),
            },
            companies_house: view
                .company_number
                .as_deref()
                .map(words::companies_house)
                .unwrap_or_default(),
            products: view.products.join(", "),
            verified_on: view
                .verified_at
                .filter(|_| view.identity_verified)
                .map(words::date),
            updated_on: words::date(view.updated_at),
            address: format!("{}/suppliers/{}", state.config.public_url, view.slug),
            looked_up: chrono::Utc::now()
                .format("%-d %B %Y at %H:%M UTC")
                .to_string(),
            slug: view.slug,
            name: view.name,
            website: view.website,
            company: view.company_check.as_ref().map(words::company_words),
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
    let body = render(&page)?.into_bytes();
    // No Last-Modified: the page shows more than the record (its history, the version
    // in force), so only its ETag says whether it changed.
    let held = Held::new(Some(stored.supplier_id), content_etag(&body), None, body);
    Ok(super::kept_page(
        &req,
        &state.reads.put(ticket, cache_key, held),
    ))
}
