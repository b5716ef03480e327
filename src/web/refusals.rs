//! The pages that say no: not found, and too many requests.

use actix_web::HttpResponse;
use actix_web::http::header;
use askama::Template;

use super::html;

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFound {
    message: String,
    search: String,
}

#[derive(Template)]
#[template(path = "too_many.html")]
struct TooMany {
    wait: String,
}

/// An HTML 429 for a person's browser, with `Retry-After`.
pub fn too_many_requests_page(wait_secs: u64) -> HttpResponse {
    let wait = match wait_secs {
        0..=1 => "a second".to_owned(),
        2..=90 => format!("{wait_secs} seconds"),
        _ => format!("{} minutes", wait_secs.div_ceil(60)),
    };
    let body = TooMany { wait }
        .render()
        .unwrap_or_else(|_| "Too many requests".into());
    let mut res = html(actix_web::http::StatusCode::TOO_MANY_REQUESTS, body);
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(wait_secs));
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// An HTML 404 that helps people find what they looked for.
pub fn not_found_page(message: String, search: String) -> HttpResponse {
    let body = NotFound { message, search }
        .render()
        .unwrap_or_else(|_| "Not found".into());
    html(actix_web::http::StatusCode::NOT_FOUND, body)
}
