//! One of the supplier's evidence links, on a page of its own: what its last check
//! found, its form, and checking it again now. The broken-link email leads here.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::form::{Form, private, see_other};
use super::render;
use super::session::{Session, form_session};
use super::words;
use crate::auth::Need;
use crate::db::models::pledge;
use crate::domain::evidence::EvidenceHealth;
use crate::domain::evidence::{CertScheme, EvidenceKind};
use crate::domain::{EvidenceId, SupplierId};
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::state::State;
use crate::usecases::checks;
use crate::views::supplier::SupplierView;

/// The signed-in member's record, private fields and all, and the commitments of the
/// current version.
pub(super) fn own_record(
    conn: &mut crate::db::DbConn,
    supplier: SupplierId,
) -> crate::error::Result<(SupplierView, Vec<pledge::CommitmentRow>)> {
    let row = crate::usecases::lookup::get_or_404(conn, supplier)?;
    let view = SupplierView::load(conn, row, true)?;
    let current = match pledge::current(conn)? {
        Some(v) => pledge::commitments_of(conn, &v.version)?,
        None => Vec::new(),
    };
    Ok((view, current))
}

/// The kinds of evidence, as (wire word, words) for a form's choices.
pub(super) fn kind_choices() -> Vec<(&'static str, &'static str)> {
    EvidenceKind::ALL
        .iter()
        .map(|k| (k.as_str(), super::words::kind_words(*k)))
        .collect()
}

/// The certification schemes, as (wire word, words) for a form's choices.
pub(super) fn scheme_choices() -> Vec<(&'static str, &'static str)> {
    CertScheme::ALL
        .iter()
        .map(|s| (s.as_str(), super::words::scheme_words(*s)))
        .collect()
}

/// The page to change one evidence link.
#[derive(Template)]
#[template(path = "account_evidence.html")]
struct EvidencePage {
    name: String,
    csrf: String,
    id: String,
    url: String,
    title: String,
    kind: &'static str,
    scheme: &'static str,
    reference: String,
    expires_on: String,
    kinds: Vec<(&'static str, &'static str)>,
    schemes: Vec<(&'static str, &'static str)>,
    /// (code, title, whether the link supports it).
    commitments: Vec<(String, String, bool)>,
    /// What the last check found, and when.
    health: (String, String),
    failing: bool,
    /// "Checked just now", or why it could not be checked now.
    notice: Option<String>,
    refusal: Option<String>,
}

/// The page's notice.
#[derive(Debug, Deserialize)]
pub struct Notice {
    done: Option<String>,
}

/// Change one of the supplier's evidence links, or check it again now.
#[utoipa::path(operation_id = "getAccountEvidencePage", tag = "pages",
    params(
        ("evidence_id" = String, Path, format = Uuid, description = "The link's id"),
        ("done" = Option<String>, Query, description = "What was just done: `checked`"),
    ),
    responses(
        (status = 200, description = "HTML: the link's last check and its form, filled in", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the sign-in page, which comes back here"),
        (status = 404, description = "No such link of this supplier", content_type = "text/html"),
    ))]
#[get("/account/evidence/{evidence_id}")]
pub async fn evidence_page(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
    q: web::Query<Notice>,
) -> ApiResult<HttpResponse> {
    let Some(s) = Session::of(&req).await else {
        return Ok(see_other(&super::sign_in::back_to(req.path())));
    };
    let notice = (q.done.as_deref() == Some("checked")).then(|| "Checked just now.".to_owned());
    page(&state, &s, &path, notice, None, StatusCode::OK).await
}

async fn page(
    state: &State,
    s: &Session,
    id: &str,
    notice: Option<String>,
    refusal: Option<String>,
    status: StatusCode,
) -> ApiResult<HttpResponse> {
    let supplier = s.supplier;
    let (view, current) = state.db(move |conn| own_record(conn, supplier)).await?;
    let Some(e) = view.evidence.iter().find(|e| e.id == id) else {
        return Ok(super::not_found_page(
            "There is no such link on your record.".into(),
            String::new(),
        ));
    };
    let page = EvidencePage {
        name: view.name.clone(),
        csrf: s.csrf(),
        id: e.id.clone(),
        url: e.url.clone(),
        title: e.title.clone(),
        kind: e.kind.as_str(),
        scheme: e.scheme.map_or("", |s| s.as_str()),
        reference: e.reference.clone().unwrap_or_default(),
        expires_on: e.expires_on.map(|d| d.to_string()).unwrap_or_default(),
        kinds: kind_choices(),
        schemes: scheme_choices(),
        commitments: current
            .iter()
            .map(|c| {
                (
                    c.code.clone(),
                    c.title.clone(),
                    e.commitments.contains(&c.code),
                )
            })
            .collect(),
        health: words::health_sentence(&e.health),
        failing: matches!(
            e.health.status,
            EvidenceHealth::Broken | EvidenceHealth::Unreachable | EvidenceHealth::Blocked
        ),
        notice,
        refusal,
    };
    Ok(private(status, render(&page)?))
}

/// Checks the link now for a member who may change the record: back to its page with
/// what the check found, or the page saying why it was not checked (checked less than a
/// minute ago, or being checked).
pub(super) async fn check(
    req: &HttpRequest,
    state: &State,
    form: &Form,
    item: &str,
) -> ApiResult<HttpResponse> {
    let s = match form_session(req, form).await {
        Ok(s) => s,
        Err(page) => return Ok(page),
    };
    let asked = s
        .caller
        .may(Need::Write, s.supplier)
        .map_err(ApiError::from)
        .and_then(|()| {
            item.parse::<EvidenceId>()
                .map_err(|_| Error::NotFound("no such link".into()).into())
        });
    let result = match asked {
        Ok(id) => checks::check_now(&state.database, &state.checker, s.supplier, id)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let (status, refusal) = match result {
        Ok(_) => return Ok(see_other(&format!("/account/evidence/{item}?done=checked"))),
        Err(ApiError::Domain(Error::TooManyRequests(secs))) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "This link was checked less than a minute ago. You can check it again in {secs} second{}.",
                if secs == 1 { "" } else { "s" }
            ),
        ),
        Err(ApiError::Domain(Error::Conflict(_))) => (
            StatusCode::CONFLICT,
            "This link is being checked at the moment. Look again in a minute.".to_owned(),
        ),
        Err(e @ ApiError::Domain(Error::Forbidden(_))) => (StatusCode::FORBIDDEN, e.to_string()),
        Err(e) => return Err(e),
    };
    page(state, &s, item, None, Some(refusal), status).await
}
