//! The embeddable SVG badge, "Tech Pledge | <status>", and its route.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::db::models::supplier;
use crate::domain::Status;
use crate::http::problem::ApiResult;
use crate::state::State;

/// Background of the status half; white text on each meets WCAG AA, and the halves
/// differ in lightness so the badge also reads in greyscale.
fn colour(s: Status) -> &'static str {
    match s {
        Status::Active => "#00703c",
        Status::Pending => "#7a4a00",
        Status::Suspended => "#a7001d",
        Status::Lapsed | Status::Unsigned => "#505a5f",
        Status::Withdrawn => "#383f43",
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Rough width of text in 11px sans-serif.
fn text_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if c.is_uppercase() {
                8
            } else if c == ' ' {
                3
            } else {
                6
            }
        })
        .sum::<usize>()
        + 12
}

/// The badge for `name` in status `status`, linking to `href`; `earlier` is the
/// version it signed when that is no longer the current one.
pub fn svg(name: &str, status: Status, earlier: Option<&str>, href: &str) -> String {
    let left = "Tech Pledge";
    let label = super::words::status_label(status).to_lowercase();
    let right = match earlier {
        Some(v) => format!("{label}, earlier version {v}"),
        None => label,
    };
    let (lw, rw) = (text_width(left), text_width(&right));
    let width = lw + rw;
    let title = escape(&format!("{name}: Tech Pledge {right}"));
    let href = escape(href);
    let right = escape(&right);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}" height="20" role="img" aria-label="{title}">
<title>{title}</title>
<a href="{href}" xlink:href="{href}" target="_top">
<rect width="{lw}" height="20" fill="#0b0c0c"/>
<rect x="{lw}" width="{rw}" height="20" fill="{fill}"/>
<g fill="#ffffff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">
<text x="{lx}" y="14">{left}</text>
<text x="{rx}" y="14">{right}</text>
</g>
</a>
</svg>
"##,
        fill = colour(status),
        lx = lw / 2,
        rx = lw + rw / 2,
    )
}

/// A small SVG badge with the supplier's current status, for its website.
#[utoipa::path(operation_id = "getSupplierBadge", tag = "pages",
    params(("slug" = String, Path, description = "Supplier slug")),
    responses(
        (status = 200, description = "SVG image", content_type = "image/svg+xml"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such supplier", content_type = "image/svg+xml"),
    )
)]
#[get("/badge/{slug}.svg")]
pub async fn badge_svg(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = path.into_inner();
    let (row, current) = state
        .db(move |conn| {
            let current = crate::db::models::pledge::current(conn)?.map(|v| v.version);
            Ok((supplier::find(conn, &key)?, current))
        })
        .await?;
    let base = state.config.public_url.clone();
    let (body, etag, status) = match row {
        Some(r) => {
            let status = r.status;
            let earlier = r
                .signed_version
                .as_deref()
                .filter(|v| current.as_deref().is_some_and(|c| c != *v))
                .filter(|_| !matches!(status, Status::Withdrawn | Status::Unsigned));
            let svg = svg(
                &r.name,
                status,
                earlier,
                &format!("{base}/suppliers/{}", r.slug),
            );
            (
                svg,
                format!(
                    "\"b{}-{}-{}\"",
                    r.revision,
                    status.as_str(),
                    earlier.unwrap_or("current")
                ),
                actix_web::http::StatusCode::OK,
            )
        }
        None => (
            svg(
                "Unknown supplier",
                Status::Unsigned,
                None,
                &format!("{base}/"),
            ),
            "\"b-unknown\"".to_owned(),
            actix_web::http::StatusCode::NOT_FOUND,
        ),
    };
    let fresh = crate::http::respond::if_none_match(&req, &etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::build(status)
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    if fresh {
        return Ok(res.finish());
    }
    Ok(res.content_type("image/svg+xml").body(body))
}
