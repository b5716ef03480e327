//! Stopping reminders from the link in any reminder: a page with a button, and the
//! one-click form mail programs send by themselves (RFC 8058). A link stops the kind
//! of reminder it came in; the page also offers to stop them all. The account page
//! turns them on again.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use utoipa::IntoParams;

use super::form::Posted;
use super::{html, not_found_page, render};
use crate::db::models::{members, now};
use crate::domain::MemberId;
use crate::http::problem::ApiResult;
use crate::mail::letters::{REMINDERS, reminder_kinds};
use crate::state::State;

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct Page {
    email: String,
    /// What the link stops, in words (none: every reminder).
    what: Option<&'static str>,
    /// The link's kind, as its address names it.
    kind: String,
    key: String,
    member_id: String,
    done: bool,
    /// Every reminder was stopped.
    all: bool,
}

/// The query of a link to stop reminders.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Key {
    /// The secret of the member's link. A link without its key is an unknown link.
    #[serde(default)]
    key: String,
    /// The kind of reminder the link came in (such as `reaffirm_reminder`); a link
    /// without one stops every reminder.
    kind: Option<String>,
}

impl Key {
    /// What the link names: a kind of reminder, or none for all of them.
    fn what(&self) -> Option<(&'static str, &'static str)> {
        let kind = self.kind.as_deref()?;
        REMINDERS.iter().copied().find(|(k, _)| *k == kind)
    }
}

fn private(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    res
}

fn unknown() -> HttpResponse {
    private(not_found_page(
        "This link to stop reminders is not valid. Use the link in your most recent reminder."
            .into(),
        String::new(),
    ))
}

fn page(id: MemberId, q: &Key, email: String, done: bool, all: bool) -> ApiResult<HttpResponse> {
    let what = q.what();
    Ok(private(html(
        StatusCode::OK,
        render(&Page {
            email,
            what: what.map(|(_, words)| words),
            kind: what.map(|(k, _)| k.to_owned()).unwrap_or_default(),
            key: q.key.clone(),
            member_id: id.to_string(),
            done,
            all,
        })?,
    )))
}

/// The page that asks before stopping reminders (a visit changes nothing, so a mail
/// scanner following the link does no harm).
#[utoipa::path(operation_id = "getUnsubscribePage", tag = "pages",
    params(("member_id" = String, Path, format = Uuid, description = "Member id"), Key),
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
    let key = q.key.clone();
    let email = state
        .db(move |conn| Ok(members::unsubscribe_holder(conn, id, &key)?.map(|m| m.email)))
        .await?;
    match email {
        Some(email) => page(id, &q, email, false, false),
        None => Ok(unknown()),
    }
}

/// Stop reminders: the button on the page, or a mail program's one-click request. The
/// link's kind is stopped, or every reminder when the form says `scope=all` (or the
/// link names no kind).
#[utoipa::path(operation_id = "unsubscribe", tag = "pages",
    params(("member_id" = String, Path, format = Uuid, description = "Member id"), Key),
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
    body: Posted,
) -> ApiResult<HttpResponse> {
    let Ok(id) = path.parse::<MemberId>() else {
        return Ok(unknown());
    };
    let one = q
        .what()
        .filter(|_| body.field("scope") != "all")
        .map(|(k, _)| k);
    let key = q.key.clone();
    let email = state
        .tx(move |conn| {
            let Some(member) = members::unsubscribe_holder(conn, id, &key)? else {
                return Ok(None);
            };
            match one {
                Some(kind) => {
                    members::set_reminder(conn, id, kind, false, &reminder_kinds(), now())?
                }
                None => {
                    members::reminders_off(conn, id, &key, now())?;
                }
            }
            Ok(Some(member.email))
        })
        .await?;
    match email {
        Some(email) => {
            tracing::info!(member_id = %id, kind = one.unwrap_or("all"), "reminders stopped");
            page(id, &q, email, true, one.is_none())
        }
        None => Ok(unknown()),
    }
}
