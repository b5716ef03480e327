//! The operator's console (`/operator`): the people who run the registry sign in by
//! email and do on the pages what the admin API does, each action audited under their
//! own identity. Its session is its own cookie, kept to `/operator` and lasting eight
//! hours; every form carries the session's form token and is refused from another
//! site. No JavaScript: a step that cannot be undone asks first, on a page of its own.

pub mod concerns;
pub mod keys;
pub mod queues;
pub mod sign_in;
pub mod subscribers;
pub mod suppliers;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post};

use super::form::{Form, Posted, private, see_other};
use super::session::csrf_of;
use crate::auth::{self, Caller};
use crate::domain::OperatorId;
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::state::State;
use crate::usecases::accounts::operators::CONSOLE_SESSION;

const COOKIE: &str = "registry_operator";

/// An operator signed in on the console.
pub struct Console {
    pub caller: Caller,
    pub operator: OperatorId,
}

impl Console {
    /// The operator whose session the request's cookie holds, if it is one in force.
    pub async fn of(req: &HttpRequest) -> Option<Console> {
        let token = cookie(req)?;
        match auth::caller_of(req, &token).await.ok()? {
            caller @ Caller::Admin {
                operator: Some(id), ..
            } => Some(Console {
                caller,
                operator: id,
            }),
            _ => None,
        }
    }

    /// The session a console form is posted in, once it is known to come from the
    /// console itself; otherwise the answer to give.
    pub(in crate::web) async fn posting(
        req: &HttpRequest,
        state: &State,
        form: &Form,
    ) -> Result<Console, HttpResponse> {
        if super::origin::cross_site(req, state) {
            return Err(super::origin::refused());
        }
        let Some(c) = Console::of(req).await else {
            return Err(see_other("/operator/sign-in"));
        };
        if form.get("csrf") != c.csrf() {
            return Err(private(
                StatusCode::FORBIDDEN,
                "<!doctype html><html lang=\"en\"><title>Refused</title><p>This form has expired. <a href=\"/operator\">Go back to the console</a> and try again.</p></html>".into(),
            ));
        }
        Ok(c)
    }

    pub fn csrf(&self) -> String {
        csrf_of(self.caller.jti())
    }

    /// Who is writing, for a use case.
    pub fn by(&self) -> crate::usecases::By {
        self.caller.by()
    }
}

fn cookie(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// `res` with the console's cookie set to `value` (empty, with no age: removed).
fn with_cookie(mut res: HttpResponse, state: &State, value: &str) -> ApiResult<HttpResponse> {
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let max_age = if value.is_empty() {
        0
    } else {
        CONSOLE_SESSION.num_seconds()
    };
    let cookie = format!(
        "{COOKIE}={value}; Path=/operator; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    res.headers_mut().insert(
        header::SET_COOKIE,
        header::HeaderValue::from_str(&cookie)
            .map_err(|e| ApiError::Domain(Error::Internal(e.into())))?,
    );
    Ok(res)
}

/// A page of the console for `c`, or the way to sign in.
pub async fn signed_in(req: &HttpRequest) -> Result<Console, HttpResponse> {
    Console::of(req)
        .await
        .ok_or_else(|| see_other("/operator/sign-in"))
}

/// The page saying the console has no such `what` (a supplier, an action...).
pub(in crate::web) fn no_such(what: &str) -> HttpResponse {
    super::not_found_page(format!("There is no such {what}."), String::new())
}

/// What a refused action says on the page, and with what status; errors that are no
/// person's to mend go on as they are.
pub fn refusal(e: ApiError) -> ApiResult<(StatusCode, String)> {
    let status = actix_web::ResponseError::status_code(&e);
    let said = match e {
        ApiError::Domain(Error::Validation(errors)) => errors
            .into_iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        ApiError::Domain(Error::TooManyRequests(wait)) => {
            format!("this was done less than a minute ago; try again in {wait} seconds")
        }
        ApiError::Domain(
            Error::Conflict(m) | Error::NotFound(m) | Error::Forbidden(m) | Error::LimitReached(m),
        ) => m,
        other => return Err(other),
    };
    Ok((status, said))
}

/// Sign out of the console: the session ends on every instance.
#[utoipa::path(operation_id = "signOutOfConsole", tag = "pages",
    responses((status = 303, description = "Signed out (or no session to end): to the console's sign-in page, the cookie cleared")))]
#[post("/operator/sign-out")]
pub async fn sign_out(req: HttpRequest, state: State, body: Posted) -> ApiResult<HttpResponse> {
    if let Ok(c) = Console::posting(&req, &state, &body.0).await {
        let jti = c.caller.jti().to_owned();
        state
            .tx(move |conn| crate::usecases::accounts::sign_out(conn, &jti))
            .await?;
    }
    with_cookie(see_other("/operator/sign-in"), &state, "")
}

/// A step that cannot be undone, asked before it is done: the same form again, with
/// `confirm=yes`.
#[derive(askama::Template)]
#[template(path = "operator/confirm.html")]
pub struct ConfirmPage {
    pub question: String,
    pub consequence: String,
    pub action: String,
    pub csrf: String,
    /// The form's other fields, sent on.
    pub carried: Vec<(String, String)>,
    pub back: String,
}

impl ConfirmPage {
    pub fn answer(&self) -> ApiResult<HttpResponse> {
        Ok(private(StatusCode::OK, super::render(self)?))
    }
}
