//! Signing in to the console: a link sent by email to an operator's address, used
//! with a button (so a mail scanner following the link does not use it up).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::with_cookie;
use crate::db::models::now;
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::http::ratelimit::SignInQuota;
use crate::state::State;
use crate::usecases::accounts::{self, operators};
use crate::web::form::{Posted, private, see_other};
use crate::web::{render, too_many_requests_page};

pub enum Stage {
    Ask,
    Sent,
    Confirm,
    Refused,
}

#[derive(Template)]
#[template(path = "operator/sign_in.html")]
struct SignInPage {
    stage: Stage,
    email: String,
    error: Option<String>,
    token: String,
    minutes: i64,
}

impl SignInPage {
    fn new(stage: Stage) -> SignInPage {
        SignInPage {
            stage,
            email: String::new(),
            error: None,
            token: String::new(),
            minutes: accounts::LINK_MINUTES,
        }
    }
}

fn refused_link() -> ApiResult<HttpResponse> {
    Ok(private(
        StatusCode::UNAUTHORIZED,
        render(&SignInPage::new(Stage::Refused))?,
    ))
}

/// The console's sign-in page (the console itself, once signed in).
#[utoipa::path(operation_id = "getConsoleSignInPage", tag = "pages",
    responses(
        (status = 200, description = "HTML form asking for an operator's email address", content_type = "text/html"),
        (status = 303, description = "Signed in already: to the console"),
    ))]
#[get("/operator/sign-in")]
pub async fn sign_in_page(req: HttpRequest) -> ApiResult<HttpResponse> {
    if super::Console::of(&req).await.is_some() {
        return Ok(see_other("/operator"));
    }
    Ok(private(
        StatusCode::OK,
        render(&SignInPage::new(Stage::Ask))?,
    ))
}

/// Ask for a link to the console; the answer never says whether the address is an
/// operator's.
#[utoipa::path(operation_id = "postConsoleSignInPage", tag = "pages",
    responses(
        (status = 200, description = "HTML: check your email", content_type = "text/html"),
        (status = 403, description = "HTML: the form was posted from another site", content_type = "text/html"),
        (status = 422, description = "HTML: not an email address", content_type = "text/html"),
        (status = 429, description = "HTML: too many links asked for", content_type = "text/html"),
    ))]
#[post("/operator/sign-in")]
pub async fn ask(
    req: HttpRequest,
    state: State,
    quota: Result<SignInQuota, ApiError>,
    body: Posted,
) -> ApiResult<HttpResponse> {
    if let Some(refusal) = crate::web::origin::public_form_refusal(&req, &state, &quota) {
        return Ok(refusal);
    }
    let email = body.0.get("email");
    let e = email.clone();
    let result = state
        .tx(move |conn| operators::request_sign_in(conn, &e, now()))
        .await;
    let mut page = SignInPage::new(Stage::Sent);
    page.email = email.trim().chars().take(254).collect();
    match result {
        Ok(()) => Ok(private(StatusCode::OK, render(&page)?)),
        Err(ApiError::Domain(Error::Validation(errors))) => {
            page.stage = Stage::Ask;
            page.error = errors
                .first()
                .map(|e| format!("the email address {}", e.message));
            Ok(private(StatusCode::UNPROCESSABLE_ENTITY, render(&page)?))
        }
        Err(ApiError::Domain(Error::TooManyRequests(wait))) => Ok(too_many_requests_page(wait)),
        Err(e) => Err(e),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

/// Where a console link leads: a button that signs in.
#[utoipa::path(operation_id = "getConsoleSignInConfirmPage", tag = "pages",
    params(("token" = String, Query, description = "The secret of the sign-in link")),
    responses(
        (status = 200, description = "HTML page with a button that signs in", content_type = "text/html"),
        (status = 401, description = "HTML: the link is unknown, used or expired", content_type = "text/html"),
    ))]
#[get("/operator/sign-in/confirm")]
pub async fn confirm_page(state: State, q: web::Query<LinkQuery>) -> ApiResult<HttpResponse> {
    let token = q.into_inner().token;
    let t = token.clone();
    let works = state
        .db(move |conn| operators::link_works(conn, &t, now()))
        .await?;
    if !works {
        return refused_link();
    }
    let mut page = SignInPage::new(Stage::Confirm);
    page.token = token;
    Ok(private(StatusCode::OK, render(&page)?))
}

/// Use a console link: sets the console's session cookie. Refused when posted from
/// another site.
#[utoipa::path(operation_id = "postConsoleSignInConfirmPage", tag = "pages",
    responses(
        (status = 303, description = "Signed in: to the console"),
        (status = 401, description = "HTML: the link is unknown, used or expired", content_type = "text/html"),
        (status = 403, description = "HTML: the form was posted from another site", content_type = "text/html"),
    ))]
#[post("/operator/sign-in/confirm")]
pub async fn confirm(req: HttpRequest, state: State, body: Posted) -> ApiResult<HttpResponse> {
    if crate::web::origin::cross_site(&req, &state) {
        return Ok(crate::web::origin::refused());
    }
    let token = body.0.get("token");
    let s = state.clone();
    let result = state
        .tx(move |conn| {
            operators::confirm_sign_in(conn, &s.keys.current(), &s.config.public_url, &token, now())
        })
        .await;
    match result {
        Ok((op, session)) => {
            tracing::info!(operator_id = %op.id, "operator signed in on the console");
            with_cookie(see_other("/operator"), &state, &session.token)
        }
        Err(ApiError::Domain(Error::Unauthorized(_))) => refused_link(),
        Err(e) => Err(e),
    }
}
