//! What the registry is, what "verified" means, and raising a concern about a
//! supplier (no account needed; limited per client).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use utoipa::IntoParams;

use super::form::{Posted, private};
use super::{html, render};
use crate::db::models::{now, pledge, supplier};
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::http::ratelimit::ConcernQuota;
use crate::state::State;
use crate::usecases::concerns;

#[derive(Template)]
#[template(path = "about.html")]
struct About {
    version: Option<String>,
    source_url: Option<String>,
    failure_threshold: u32,
    operator_email: Option<String>,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct Privacy {
    operator_email: Option<String>,
}

#[derive(Template)]
#[template(path = "accessibility.html")]
struct Accessibility {
    operator_email: Option<String>,
}

/// What the registry keeps about people, why, for how long, and their rights.
#[utoipa::path(operation_id = "getPrivacyPage", tag = "pages",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
#[get("/privacy")]
pub async fn privacy(state: State) -> ApiResult<HttpResponse> {
    let page = Privacy {
        operator_email: state.config.operator_email.clone(),
    };
    Ok(html(StatusCode::OK, render(&page)?))
}

/// How accessible the pages are, what is known not to be, and how to report a problem.
#[utoipa::path(operation_id = "getAccessibilityPage", tag = "pages",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
#[get("/accessibility")]
pub async fn accessibility(state: State) -> ApiResult<HttpResponse> {
    let page = Accessibility {
        operator_email: state.config.operator_email.clone(),
    };
    Ok(html(StatusCode::OK, render(&page)?))
}

/// What the registry is and is not, what "verified" means, and how to raise a concern.
#[utoipa::path(operation_id = "getAboutPage", tag = "pages",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
#[get("/about")]
pub async fn about(state: State) -> ApiResult<HttpResponse> {
    let current = state.db(|conn| Ok(pledge::current(conn)?)).await?;
    let page = About {
        version: current.as_ref().map(|v| v.version.clone()),
        source_url: current.map(|v| v.source_url.to_string()),
        failure_threshold: state.config.checker.failure_threshold,
        operator_email: state.config.operator_email.clone(),
    };
    Ok(html(StatusCode::OK, render(&page)?))
}

#[derive(Template)]
#[template(path = "concern.html")]
struct ConcernPage {
    /// The supplier's slug and name, when raised from its page.
    supplier: Option<(String, String)>,
    about: String,
    details: String,
    email: String,
    errors: Vec<(String, String)>,
    done: bool,
    /// The concern's reference, once it is recorded.
    reference: String,
    /// An address was left for an answer.
    answer: bool,
    max: usize,
}

impl ConcernPage {
    fn new(supplier: Option<(String, String)>) -> Self {
        ConcernPage {
            supplier,
            about: String::new(),
            details: String::new(),
            email: String::new(),
            errors: Vec::new(),
            done: false,
            reference: String::new(),
            answer: false,
            max: concerns::MAX_DETAILS,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConcernParams {
    /// The slug of the supplier the concern is about.
    supplier: Option<String>,
}

async fn named(state: &State, slug: Option<String>) -> ApiResult<Option<(String, String)>> {
    let Some(slug) = slug.filter(|s| !s.trim().is_empty() && !s.contains('\0')) else {
        return Ok(None);
    };
    state
        .db(move |conn| Ok(supplier::find(conn, slug.trim())?.map(|s| (s.slug, s.name))))
        .await
}

/// Where the form leads once a concern is recorded (so that reloading the page does
/// not send it again).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Received {
    /// The concern's reference, such as `C-5F8B5BBF`.
    reference: Option<String>,
    /// The slug of the supplier it is about.
    supplier: Option<String>,
    /// `yes` when an address was left for an answer.
    answer: Option<String>,
}

/// What happens next, after a concern is recorded.
#[utoipa::path(operation_id = "getConcernReceivedPage", tag = "pages", params(Received),
    responses((status = 200, description = "HTML: the concern's reference and what happens next", content_type = "text/html")))]
#[get("/concerns/received")]
pub async fn concern_received(state: State, q: web::Query<Received>) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let mut page = ConcernPage::new(named(&state, q.supplier).await?);
    page.done = true;
    // Said back only in the form a reference takes.
    page.reference = q
        .reference
        .filter(|r| {
            r.len() == 10 && r.starts_with("C-") && r[2..].chars().all(|c| c.is_ascii_hexdigit())
        })
        .unwrap_or_default();
    page.answer = q.answer.as_deref() == Some("yes");
    Ok(private(StatusCode::OK, render(&page)?))
}

/// The form to raise a concern about a supplier.
#[utoipa::path(operation_id = "getConcernPage", tag = "pages", params(ConcernParams),
    responses((status = 200, description = "HTML form", content_type = "text/html")))]
#[get("/concerns")]
pub async fn concern_form(state: State, q: web::Query<ConcernParams>) -> ApiResult<HttpResponse> {
    let supplier = named(&state, q.into_inner().supplier).await?;
    Ok(private(
        StatusCode::OK,
        render(&ConcernPage::new(supplier))?,
    ))
}

/// Raise a concern: recorded for the operator, who reads every one.
#[utoipa::path(operation_id = "postConcernPage", tag = "pages",
    responses(
        (status = 303, description = "Recorded: to the page with its reference and what happens next"),
        (status = 403, description = "HTML: the form was posted from another site", content_type = "text/html"),
        (status = 413, description = "HTML: the form is longer than the registry takes", content_type = "text/html"),
        (status = 422, description = "HTML: the form again, naming what to fix", content_type = "text/html"),
        (status = 429, description = "HTML: too many concerns from this client", content_type = "text/html"),
    ))]
#[post("/concerns")]
pub async fn raise_concern(
    req: actix_web::HttpRequest,
    state: State,
    quota: Result<ConcernQuota, ApiError>,
    body: Posted,
) -> ApiResult<HttpResponse> {
    if let Some(refusal) = super::origin::public_form_refusal(&req, &state, &quota) {
        return Ok(refusal);
    }
    let supplier = named(&state, Some(body.field("supplier"))).await?;
    let slug = supplier.as_ref().map(|(slug, _)| slug.clone());
    let mut page = ConcernPage::new(supplier.clone());
    // What was typed is kept for the form, but never more than each field takes.
    let clip = |s: String, n: usize| s.chars().take(n).collect::<String>();
    page.about = clip(body.field("about"), 200);
    page.details = clip(body.field("details"), concerns::MAX_DETAILS + 1);
    page.email = clip(body.field("email"), 254);
    let raise = concerns::Raise {
        supplier: supplier.map(|(slug, _)| slug),
        about: page.about.clone(),
        details: page.details.clone(),
        email: page.email.clone(),
    };
    let operator = state.config.operator_email.clone();
    let result = state
        .tx(move |conn| concerns::raise(conn, raise, operator.as_deref(), now()))
        .await;
    match result {
        Ok(row) => {
            tracing::info!(concern_id = %row.id, "concern raised");
            let to = format!(
                "/concerns/received?reference={}&answer={}{}",
                concerns::reference(row.id),
                if row.email.is_some() { "yes" } else { "no" },
                slug.map(|s| format!("&supplier={s}")).unwrap_or_default(),
            );
            Ok(super::form::see_other(&to))
        }
        Err(ApiError::Domain(Error::Validation(errors))) => {
            page.errors = errors
                .into_iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect();
            Ok(private(StatusCode::UNPROCESSABLE_ENTITY, render(&page)?))
        }
        Err(e) => Err(e),
    }
}
