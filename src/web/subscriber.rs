//! Where a webhook sign-up link leads: a button that confirms the address, then the
//! account's token, shown once.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::form::{Posted, private};
use super::render;
use super::sign_in::LinkQuery;
use crate::db::models::now;
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::state::State;
use crate::usecases::{accounts, webhooks};

pub enum Stage {
    Confirm,
    Done,
    Refused,
    Closed,
}

#[derive(Template)]
#[template(path = "webhook_confirm.html")]
struct Page {
    stage: Stage,
    link: String,
    minutes: i64,
    name: String,
    subscriber_id: String,
    token: String,
    expires: String,
    new: bool,
}

impl Page {
    fn new(stage: Stage) -> Self {
        Page {
            stage,
            link: String::new(),
            minutes: accounts::LINK_MINUTES,
            name: String::new(),
            subscriber_id: String::new(),
            token: String::new(),
            expires: String::new(),
            new: false,
        }
    }
}

/// The page a sign-up link leads to: a button, so that a mail scanner following the
/// link does not use it up.
#[utoipa::path(operation_id = "getWebhookConfirmPage", tag = "pages",
    params(("token" = String, Query, description = "The secret of the sign-up link")),
    responses((status = 200, description = "HTML page with a button that confirms the address", content_type = "text/html")))]
#[get("/webhooks/confirm")]
pub async fn ask(state: State, q: web::Query<LinkQuery>) -> ApiResult<HttpResponse> {
    if !state.config.webhooks.sign_up {
        return Ok(private(
            StatusCode::FORBIDDEN,
            render(&Page::new(Stage::Closed))?,
        ));
    }
    let mut page = Page::new(Stage::Confirm);
    page.link = q.into_inner().token;
    Ok(private(StatusCode::OK, render(&page)?))
}

/// Use a sign-up link from the page: shows the account's token, once.
#[utoipa::path(operation_id = "postWebhookConfirmPage", tag = "pages",
    responses(
        (status = 200, description = "HTML: the account and its token", content_type = "text/html"),
        (status = 401, description = "HTML: the link is unknown, used or expired", content_type = "text/html"),
        (status = 403, description = "HTML: this registry does not take sign-ups", content_type = "text/html"),
    ))]
#[post("/webhooks/confirm")]
pub async fn confirm(state: State, body: Posted) -> ApiResult<HttpResponse> {
    if !state.config.webhooks.sign_up {
        return Ok(private(
            StatusCode::FORBIDDEN,
            render(&Page::new(Stage::Closed))?,
        ));
    }
    let link = body.field("token");
    let issuing = state.issuing();
    let result = state
        .tx(move |conn| webhooks::confirm_sign_up(conn, &issuing, &link, now()))
        .await;
    match result {
        Ok(done) => {
            tracing::info!(subscriber_id = %done.subscriber.id, new = done.new, "webhook subscriber confirmed on the pages");
            let mut page = Page::new(Stage::Done);
            page.name = done.subscriber.name;
            page.subscriber_id = done.subscriber.id.to_string();
            page.token = done.token.token;
            page.expires = crate::mail::letters::day(done.token.expires_at.date_naive());
            page.new = done.new;
            Ok(private(StatusCode::OK, render(&page)?))
        }
        Err(ApiError::Domain(Error::Unauthorized(_))) => Ok(private(
            StatusCode::UNAUTHORIZED,
            render(&Page::new(Stage::Refused))?,
        )),
        Err(e) => Err(e),
    }
}
