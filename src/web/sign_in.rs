//! Signing in on the pages: a link sent by email, confirmed with a button (so a mail
//! scanner following the link does not use it up), choosing among the person's
//! suppliers and invitations, or declining an invitation.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::form::{Posted, private, see_other};
use super::session::with_session_cookie;
use super::{render, too_many_requests_page};
use crate::db::models::members::MemberRow;
use crate::db::models::now;
use crate::domain::SupplierId;
use crate::domain::account::{MemberRole, page_after_sign_in};
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::http::ratelimit::SignInQuota;
use crate::state::State;
use crate::usecases::accounts;

pub enum SignInStage {
    Ask,
    Sent,
    Confirm,
    Declined,
    Refused,
}

/// A membership, or an invitation, a person may choose.
pub struct ChoiceLine {
    pub(super) supplier_id: SupplierId,
    pub(super) supplier: String,
    pub(super) role: MemberRole,
    pub(super) email: String,
    /// Not accepted yet.
    pub(super) invited: bool,
}

impl ChoiceLine {
    pub(super) fn of((m, supplier): (MemberRow, String)) -> ChoiceLine {
        ChoiceLine {
            supplier_id: m.supplier_id,
            supplier,
            role: m.role,
            invited: m.confirmed_at.is_none(),
            email: m.email,
        }
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    stage: SignInStage,
    email: String,
    error: Option<String>,
    token: String,
    minutes: i64,
    /// The invitation the link was sent for.
    invitation: Option<ChoiceLine>,
    /// Where else the link may sign in (when there is more than one choice).
    choices: Vec<ChoiceLine>,
    /// The page of the signed-in area to come back to, if any.
    next: String,
}

impl SignInPage {
    fn new(stage: SignInStage) -> Self {
        SignInPage {
            stage,
            email: String::new(),
            error: None,
            token: String::new(),
            minutes: accounts::LINK_MINUTES,
            invitation: None,
            choices: Vec::new(),
            next: String::new(),
        }
    }
}

/// The longest email address a page echoes back.
const LONGEST_EMAIL: usize = 254;

/// The sign-in page that leads back to `path` (a page of the signed-in area) once the
/// link is used: where a page sends a visitor who is not signed in.
pub fn back_to(path: &str) -> String {
    match page_after_sign_in(path) {
        Some(page) => format!("/sign-in?next={page}"),
        None => "/sign-in".into(),
    }
}

/// The page of the signed-in area a sign-in leads back to.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Next {
    #[serde(default)]
    next: String,
}

impl Next {
    fn page(&self) -> String {
        page_after_sign_in(&self.next).unwrap_or_default()
    }
}

/// The sign-in page.
#[utoipa::path(operation_id = "getSignInPage", tag = "pages",
    params(("next" = Option<String>, Query, description = "A page of the signed-in area (`/account/...`) the emailed link leads back to")),
    responses((status = 200, description = "HTML form asking for an email address", content_type = "text/html")))]
#[get("/sign-in")]
pub async fn sign_in_page(q: web::Query<Next>) -> ApiResult<HttpResponse> {
    let mut page = SignInPage::new(SignInStage::Ask);
    page.next = q.page();
    Ok(private(StatusCode::OK, render(&page)?))
}

/// Ask for a sign-in link from the page; the answer never says whether the address is
/// known.
#[utoipa::path(operation_id = "postSignInPage", tag = "pages",
    responses(
        (status = 200, description = "HTML: check your email", content_type = "text/html"),
        (status = 422, description = "HTML: not an email address", content_type = "text/html"),
        (status = 429, description = "HTML: too many links asked for", content_type = "text/html"),
    ))]
#[post("/sign-in")]
pub async fn sign_in_ask(
    state: State,
    quota: Result<SignInQuota, ApiError>,
    body: Posted,
) -> ApiResult<HttpResponse> {
    if let Err(ApiError::Domain(Error::TooManyRequests(wait))) = quota {
        return Ok(too_many_requests_page(wait));
    }
    let email = body.0.get("email");
    let next = body.0.get("next");
    let result = match accounts::SignInAsk::parse(&email).map(|ask| ask.then(&next)) {
        Ok(ask) => {
            state
                .tx(move |conn| accounts::request_sign_in(conn, ask, now()))
                .await
        }
        Err(e) => Err(e.into()),
    };
    let mut page = SignInPage::new(SignInStage::Sent);
    page.next = page_after_sign_in(&next).unwrap_or_default();
    // What was typed is said back, but never more of it than an address can be.
    page.email = email.trim().chars().take(LONGEST_EMAIL).collect();
    match result {
        Ok(()) => Ok(private(StatusCode::OK, render(&page)?)),
        Err(ApiError::Domain(Error::Validation(errors))) => {
            page.stage = SignInStage::Ask;
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
    pub token: String,
    #[serde(default)]
    pub next: String,
}

/// Where a sign-in link leads: a button, so that a mail scanner following the link
/// does not use it up. A link sent with an invitation offers to accept or decline it;
/// a link for an address with several suppliers (or invitations) offers each.
#[utoipa::path(operation_id = "getSignInConfirmPage", tag = "pages",
    params(
        ("token" = String, Query, description = "The secret of the sign-in link"),
        ("next" = Option<String>, Query, description = "A page of the signed-in area to go to once signed in"),
    ),
    responses(
        (status = 200, description = "HTML page with a button that signs in (one per supplier, or accept and decline for an invitation)", content_type = "text/html"),
        (status = 401, description = "HTML: the link is unknown, used or expired", content_type = "text/html"),
    ))]
#[get("/sign-in/confirm")]
pub async fn confirm_page(state: State, q: web::Query<LinkQuery>) -> ApiResult<HttpResponse> {
    let LinkQuery { token, next } = q.into_inner();
    let t = token.clone();
    let choices = state
        .db(move |conn| accounts::link_choices(conn, &t, now()))
        .await?;
    let Some(choices) = choices else {
        return Ok(private(
            StatusCode::UNAUTHORIZED,
            render(&SignInPage::new(SignInStage::Refused))?,
        ));
    };
    let mut page = SignInPage::new(SignInStage::Confirm);
    page.token = token;
    page.next = page_after_sign_in(&next).unwrap_or_default();
    page.invitation = choices.invitation.map(ChoiceLine::of);
    let others: Vec<ChoiceLine> = choices
        .accepted
        .into_iter()
        .chain(choices.pending)
        .map(ChoiceLine::of)
        .collect();
    if !choices.fixed && (others.len() > 1 || others.iter().any(|c| c.invited)) {
        page.choices = others;
    }
    Ok(private(StatusCode::OK, render(&page)?))
}

/// Use a sign-in link from the page: sets the session cookie. Refused when posted
/// from another site (so nobody can sign a visitor in to an account of theirs).
#[utoipa::path(operation_id = "postSignInConfirmPage", tag = "pages",
    responses(
        (status = 303, description = "Signed in: to the account page, or the page the link leads back to (or back to the link's page to choose a supplier)"),
        (status = 401, description = "HTML: the link is unknown, used or expired", content_type = "text/html"),
        (status = 403, description = "HTML: the form was posted from another site", content_type = "text/html"),
    ))]
#[post("/sign-in/confirm")]
pub async fn confirm(req: HttpRequest, state: State, body: Posted) -> ApiResult<HttpResponse> {
    if super::origin::cross_site(&req, &state) {
        return Ok(super::origin::refused());
    }
    let (token, named) = body.link();
    let next = page_after_sign_in(&body.0.get("next"));
    let choice = named.map_or(accounts::Choice::Only, accounts::Choice::Named);
    let state2 = state.clone();
    let t = token.clone();
    let result = state
        .tx(move |conn| {
            accounts::confirm_sign_in(
                conn,
                &state2.keys.current(),
                &state2.config.public_url,
                &t,
                choice,
                now(),
            )
        })
        .await;
    match result {
        Ok(session) => {
            tracing::info!(member_id = %session.member.id, "signed in on the pages");
            with_session_cookie(
                see_other(next.as_deref().unwrap_or("/account")),
                &state,
                &session.token.token,
                accounts::SESSION.num_seconds(),
            )
        }
        // Several suppliers to choose from: the link was not used; choose on its page.
        Err(ApiError::Domain(Error::Validation(_))) => Ok(see_other(&format!(
            "/sign-in/confirm?token={}{}",
            url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>(),
            next.map(|n| format!("&next={n}")).unwrap_or_default()
        ))),
        Err(ApiError::Domain(Error::Unauthorized(_))) => Ok(private(
            StatusCode::UNAUTHORIZED,
            render(&SignInPage::new(SignInStage::Refused))?,
        )),
        Err(e) => Err(e),
    }
}

/// Decline the invitation a link was sent with: the invitation goes, and the link
/// with it.
#[utoipa::path(operation_id = "postSignInDeclinePage", tag = "pages",
    responses(
        (status = 200, description = "HTML: declined", content_type = "text/html"),
        (status = 401, description = "HTML: the link is unknown, used or expired", content_type = "text/html"),
        (status = 403, description = "HTML: the form was posted from another site", content_type = "text/html"),
        (status = 404, description = "HTML: no invitation to decline", content_type = "text/html"),
    ))]
#[post("/sign-in/decline")]
pub async fn decline(req: HttpRequest, state: State, body: Posted) -> ApiResult<HttpResponse> {
    if super::origin::cross_site(&req, &state) {
        return Ok(super::origin::refused());
    }
    let (token, named) = body.link();
    let Some(supplier) = named else {
        return Ok(super::not_found_page(
            "There is no such invitation.".into(),
            String::new(),
        ));
    };
    let result = state
        .tx(move |conn| accounts::decline_with_link(conn, &token, supplier, now()))
        .await;
    match result {
        Ok(()) => Ok(private(
            StatusCode::OK,
            render(&SignInPage::new(SignInStage::Declined))?,
        )),
        Err(ApiError::Domain(Error::Unauthorized(_))) => Ok(private(
            StatusCode::UNAUTHORIZED,
            render(&SignInPage::new(SignInStage::Refused))?,
        )),
        Err(ApiError::Domain(Error::NotFound(_))) => Ok(super::not_found_page(
            "There is no such invitation: it may have been accepted, declined or withdrawn.".into(),
            String::new(),
        )),
        Err(e) => Err(e),
    }
}
