//! Pages for people, one file each: the signatory list with search (`home`), one
//! supplier (`supplier`), the badge, the guides, and the pages that say no.
//! Server-rendered from templates compiled into the binary; no JavaScript.

pub mod about;
pub mod account;
pub mod account_evidence;
pub mod badge;
pub mod evidence_changes;
pub mod form;
pub mod guides;
pub mod home;
pub mod operator;
pub mod origin;
pub mod pledge;
pub mod refusals;
pub mod register;
pub mod session;
pub mod sign_in;
pub mod subscriber;
pub mod supplier;
pub mod unsubscribe;
pub mod words;

pub use refusals::{not_found_page, too_many_requests_page};

use actix_web::HttpResponse;
use actix_web::http::header;
use askama::Template;

use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};

/// The longest search the pages take; longer ones are cut, and say so.
pub(crate) const MAX_QUERY: usize = 200;

/// What every page forbids: scripts, frames, forms to other sites.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A page kept in memory (see [`crate::views::cache`]): 304 to a browser that has it,
/// gzip to one that takes it. Browsers ask again each time (`no-cache`), so a change
/// shows at once; the answer to a page unchanged is a few headers.
fn kept_page(req: &actix_web::HttpRequest, held: &crate::views::cache::Held) -> HttpResponse {
    let mut res =
        crate::http::respond::kept(req, held, "text/html; charset=utf-8", "public, no-cache");
    res.headers_mut().insert(
        header::HeaderName::from_static("content-security-policy"),
        header::HeaderValue::from_static(PAGE_POLICY),
    );
    res
}

fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header(("Content-Security-Policy", PAGE_POLICY))
        .body(body)
}

fn render(t: &impl Template) -> ApiResult<String> {
    t.render()
        .map_err(|e| ApiError::Domain(Error::Internal(anyhow::anyhow!("template: {e}"))))
}
