//! Stopping reminders from the link in any reminder: a page with a button, and the
//! one-click form mail programs send by themselves (RFC 8058).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::{html, not_found_page, render};
use crate::db::models::{members, now};
use crate::domain::MemberId;
use crate::http::problem::ApiResult;
use crate::state::State;

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct Page {
    email: String,
    done: bool,
}

#[derive(Debug, Deserialize)]
pub struct Key {
    /// A link without its key is an unknown link.
    #[serde(default)]
    key: String,
}

fn private(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    res
}

async fn member_email(state: &State, id: MemberId, key: String) -> ApiResult<Option<String>> {
    state
        .db(move |conn| Ok(members::unsubscribe_holder(conn, id, &key)?.map(|m| m.email)))
        .await
}

fn unknown() -> HttpResponse {
    private(not_found_page(
        "This link to stop reminders is not valid. Use the link in your most recent reminder."
            .into(),
        String::new(),
    ))
}

/// The page that asks before stopping reminders (a visit changes nothing, so a mail
/// scanner following the link does no harm).
#[utoipa::path(operation_id = "getUnsubscribePage", tag = "pages",
    params(
        ("member_id" = String, Path, format = Uuid, description = "Member id"),
        ("key" = String, Query, description = "The secret of the member's link"),
    ),
    responses(
        (status = 200, description = "HTML page with a button", content_type = "text/html"),
        (status = 404, description = "No such link", content_type = "text/html"),
    )
)]
#[get("/unsubscribe/{member_id}")]
pub async fn ask(
    state: State,
    path: web::Path<String>,
    q: web::Query<Key>,
) -> ApiResult<HttpResponse> {
    let Ok(id) = path.parse::<MemberId>() else {
        return Ok(unknown());
    };
    Ok(match member_email(&state, id, q.into_inner().key).await? {
        Some(email) => private(html(StatusCode::OK, render(&Page { email, done: false })?)),
        None => unknown(),
    })
}

/// Stop reminders: the button on the page, or a mail program's one-click request.
#[utoipa::path(operation_id = "unsubscribe", tag = "pages",
    params(
        ("member_id" = String, Path, format = Uuid, description = "Member id"),
        ("key" = String, Query, description = "The secret of the member's link"),
    ),
    responses(
        (status = 200, description = "Reminders stopped (HTML)", content_type = "text/html"),
        (status = 404, description = "No such link", content_type = "text/html"),
    )
)]
#[post("/unsubscribe/{member_id}")]
pub async fn stop(
    state: State,
    path: web::Path<String>,
    q: web::Query<Key>,
) -> ApiResult<HttpResponse> {
    let Ok(id) = path.parse::<MemberId>() else {
        return Ok(unknown());
    };
    let key = q.into_inner().key;
    let email = state
        .tx(move |conn| {
            if !members::reminders_off(conn, id, &key, now())? {
                return Ok(None);
            }
            Ok(members::unsubscribe_holder(conn, id, &key)?.map(|m| m.email))
        })
        .await?;
    Ok(match email {
        Some(email) => {
            tracing::info!(member_id = %id, "reminders stopped");
            private(html(StatusCode::OK, render(&Page { email, done: true })?))
        }
        None => unknown(),
    })
}
