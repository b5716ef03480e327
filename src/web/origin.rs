//! Telling a form the registry's own page posted from one another site made a
//! visitor's browser post: login CSRF and forged concerns are refused.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::form::private;
use crate::state::State;

/// Whether a form was posted from another site. Browsers say so in `Sec-Fetch-Site`
/// (anything but `same-origin`, or `none` for what the person typed, is another
/// site's); a browser that does not send it is judged by its `Origin` (or, without
/// one, its `Referer`), which must name this request's host or the registry's public
/// one. The pages that hold a secret send no referrer, so browsers send such forms
/// with `Origin: null`, which only a browser that also sent `Sec-Fetch-Site` gets past.
/// A request with none of them (a script of the person's own) is not a cross-site one.
pub(super) fn cross_site(req: &HttpRequest, state: &State) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let host_of = |u: &url::Url| {
        u.host_str().map(|h| match u.port() {
            Some(p) => format!("{h}:{p}"),
            None => h.to_owned(),
        })
    };
    let host = req.connection_info().host().to_owned();
    let public = url::Url::parse(&state.config.public_url)
        .ok()
        .and_then(|u| host_of(&u));
    let from = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(from) = from else {
        return false;
    };
    match url::Url::parse(from).ok().and_then(|u| host_of(&u)) {
        Some(origin) => origin != host && Some(&origin) != public.as_ref(),
        None => true,
    }
}

/// What refuses a public form (no session) before it is read: another site's post, or
/// a client past its limit for the form.
pub(super) fn public_form_refusal<Q>(
    req: &HttpRequest,
    state: &State,
    quota: &Result<Q, crate::http::problem::ApiError>,
) -> Option<HttpResponse> {
    use crate::error::Error;
    use crate::http::problem::ApiError;
    if cross_site(req, state) {
        return Some(refused());
    }
    match quota {
        Err(ApiError::Domain(Error::TooManyRequests(wait))) => {
            Some(super::too_many_requests_page(*wait))
        }
        _ => None,
    }
}

/// The page that refuses a form posted from another site.
pub(super) fn refused() -> HttpResponse {
    private(
        StatusCode::FORBIDDEN,
        "<!doctype html><title>Refused</title><p>This form was sent from another site, so it was not used. Open the registry's own page and try again.</p>".into(),
    )
}
