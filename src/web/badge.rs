//! The embeddable SVG badge: "Tech Pledge | <status>".

use crate::domain::Status;

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

/// The badge for `name` in status `status`, linking to `href`.
pub fn svg(name: &str, status: Status, href: &str) -> String {
    let left = "Tech Pledge";
    let right = super::words::status_label(status).to_lowercase();
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
