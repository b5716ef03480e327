//! The pages' session: the same token the API gives on signing in, held in an
//! HttpOnly, SameSite=Strict cookie; every form carries a token derived from the
//! session that a page of another site cannot know. Signing out ends it everywhere.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post};
use sha2::{Digest, Sha256};

use actix_web::http::StatusCode;

use super::form::{Form, Posted, private, see_other};
use crate::auth::{self, Caller};
use crate::domain::account::{MemberRole, TokenKind};
use crate::domain::{MemberId, SupplierId};
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::state::State;

pub(super) const COOKIE: &str = "registry_session";

pub(super) fn cookie(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// `res` with the session cookie set to `value` for `max_age` seconds (0: removed).
pub(super) fn with_session_cookie(
    mut res: HttpResponse,
    state: &State,
    value: &str,
    max_age: i64,
) -> ApiResult<HttpResponse> {
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    res.headers_mut().insert(
        header::SET_COOKIE,
        header::HeaderValue::from_str(&cookie)
            .map_err(|e| ApiError::Domain(Error::Internal(e.into())))?,
    );
    Ok(res)
}

/// The form token of a session: derived from its id, which only the session's
/// holder (through the HttpOnly cookie) and the registry know.
pub(super) fn csrf_of(jti: &str) -> String {
    crate::domain::text::hex(&Sha256::digest(format!("form:{jti}").as_bytes())[..16])
}

/// A member signed in on the pages.
pub(super) struct Session {
    pub(super) caller: Caller,
    pub(super) supplier: SupplierId,
    pub(super) member: MemberId,
    pub(super) role: MemberRole,
}

/// The session a form of the signed-in area is posted in, once its form token is
/// checked; otherwise the answer to give (to sign in, or the form has expired).
pub(super) async fn form_session(req: &HttpRequest, form: &Form) -> Result<Session, HttpResponse> {
    let Some(s) = Session::of(req).await else {
        return Err(see_other("/sign-in"));
    };
    if form.get("csrf") != s.csrf() {
        return Err(expired_form());
    }
    Ok(s)
}

/// A form whose token is not the session's (an old tab, or another site's post).
fn expired_form() -> HttpResponse {
    private(
        StatusCode::FORBIDDEN,
        "<!doctype html><title>Refused</title><p>This form has expired. <a href=\"/account\">Go back to your record</a> and try again.</p>".into(),
    )
}

impl Session {
    pub(super) async fn of(req: &HttpRequest) -> Option<Session> {
        let token = cookie(req)?;
        match auth::caller_of(req, &token).await.ok()? {
            caller @ Caller::Supplier {
                id,
                kind: TokenKind::Session,
                member: Some((member, role)),
                ..
            } => Some(Session {
                caller,
                supplier: id,
                member,
                role,
            }),
            _ => None,
        }
    }

    pub(super) fn csrf(&self) -> String {
        csrf_of(self.caller.jti())
    }
}

/// Sign out: the session ends on every instance, and the cookie goes.
#[utoipa::path(operation_id = "signOut", tag = "pages",
    responses(
        (status = 303, description = "Signed out (or no session to end): to the home page, the cookie cleared"),
        (status = 413, description = "HTML: the form is larger than `REGISTRY_MAX_BODY_BYTES`", content_type = "text/html"),
    ))]
#[post("/sign-out")]
pub async fn sign_out(req: HttpRequest, state: State, body: Posted) -> ApiResult<HttpResponse> {
    let form = body.0;
    if let Some(s) = Session::of(&req).await
        && form.get("csrf") == s.csrf()
    {
        let jti = s.caller.jti().to_owned();
        state
            .tx(move |conn| crate::usecases::accounts::sign_out(conn, &jti))
            .await?;
    }
    with_session_cookie(see_other("/"), &state, "", 0)
}
