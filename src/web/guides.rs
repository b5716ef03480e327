//! The guides for integrators, served from the binary: the same Markdown files as in
//! `docs/`, rendered once per request into the site's layout. The OpenAPI document
//! links here, so every link it carries resolves on the service itself.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};

use crate::http::problem::ApiResult;

/// (address, title, Markdown source). The address is also the file name in `docs/`.
pub const GUIDES: &[(&str, &str, &str)] = &[
    ("api", "Using the API", include_str!("../../docs/api.md")),
    (
        "attestations",
        "Attestations",
        include_str!("../../docs/attestations.md"),
    ),
    (
        "audit-log",
        "The audit log",
        include_str!("../../docs/audit-log.md"),
    ),
];

#[derive(Template)]
#[template(path = "guide.html")]
struct GuidePage<'a> {
    title: &'a str,
    current: &'a str,
    guides: Vec<(&'a str, &'a str)>,
    body: String,
}

/// A guide, as HTML. Links between guides (`attestations.md`, `docs/audit-log.md`)
/// lead to their served addresses.
pub fn render(name: &str) -> Option<String> {
    let (name, title, source) = GUIDES.iter().find(|(n, _, _)| *n == name)?;
    let options = Options::ENABLE_TABLES | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut events: Vec<Event> = Parser::new_ext(source, options).collect();
    name_headings(&mut events);
    let events = events.into_iter().map(|event| match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: served_address(&dest_url).map_or(dest_url, CowStr::from),
            title,
            id,
        }),
        other => other,
    });
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, events);
    GuidePage {
        title,
        current: name,
        guides: GUIDES.iter().map(|(n, t, _)| (*n, *t)).collect(),
        body,
    }
    .render()
    .ok()
}

/// Gives every heading the id GitHub gives it (lower case, spaces to hyphens, other
/// punctuation dropped), so that links into a guide work here as in the repository.
fn name_headings(events: &mut [Event<'_>]) {
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { id: None, .. }) = &events[i] {
            let mut text = String::new();
            for e in &events[i + 1..] {
                match e {
                    Event::Text(t) | Event::Code(t) => text.push_str(t),
                    Event::End(pulldown_cmark::TagEnd::Heading(_)) => break,
                    _ => {}
                }
            }
            let slug: String = text
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect();
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(CowStr::from(slug));
            }
        }
        i += 1;
    }
}

/// Where a link to another guide's file is served, if it is one.
fn served_address(dest: &str) -> Option<String> {
    let (file, fragment) = dest.split_once('#').unwrap_or((dest, ""));
    let stem = file.trim_start_matches("docs/").strip_suffix(".md")?;
    GUIDES.iter().find(|(n, _, _)| *n == stem)?;
    let fragment = if fragment.is_empty() {
        String::new()
    } else {
        format!("#{fragment}")
    };
    Some(format!("/guides/{stem}{fragment}"))
}

/// A guide for integrators: using the API, verifying attestations, checking the log.
#[utoipa::path(tag = "pages", operation_id = "getGuide",
    params(("name" = String, Path, description = "The guide: `api`, `attestations` or `audit-log`", example = "attestations")),
    responses(
        (status = 200, description = "HTML page", content_type = "text/html"),
        (status = 404, description = "HTML page: no such guide", content_type = "text/html"),
    )
)]
#[get("/guides/{name}")]
pub async fn guide(name: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(match render(&name) {
        Some(body) => super::html(StatusCode::OK, body),
        None => super::not_found_page(
            format!(
                "There is no guide called “{name}”. The guides are: {}.",
                GUIDES
                    .iter()
                    .map(|(n, _, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            String::new(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_guide_renders_and_links_between_guides_resolve() {
        for (name, title, _) in GUIDES {
            let page = render(name).expect("renders");
            assert!(page.contains(title), "{name}");
            for href in page.split("href=\"").skip(1) {
                let href = &href[..href.find('"').unwrap_or(0)];
                assert!(!href.ends_with(".md"), "{name} links to the file {href}");
                if let Some(target) = href.strip_prefix("/guides/") {
                    let target = target.split('#').next().unwrap_or_default();
                    assert!(render(target).is_some(), "{name} links to {href}");
                }
            }
        }
        assert_eq!(
            served_address("attestations.md#checking").as_deref(),
            Some("/guides/attestations#checking")
        );
        assert_eq!(served_address("operator.md"), None);
        let api = render("api").unwrap();
        assert!(
            api.contains(r#"id="versioning-and-deprecation""#),
            "the deprecation link's target"
        );
        assert!(api.contains(r#"id="a-client-generated-from-the-document""#));
        assert!(render("operator").is_none());
    }

    /// The guide's example is the script CI runs against the service, word for word.
    #[test]
    fn the_guides_client_example_is_the_script_ci_runs() {
        let api_md = include_str!("../../docs/api.md");
        let script = include_str!("../../examples/procurement_client.py");
        assert!(
            api_md.contains(script),
            "docs/api.md must quote examples/procurement_client.py whole"
        );
        assert!(
            api_md.contains(
                crate::http::deprecation::GUIDE_SECTION.trim_start_matches("/guides/api")
            )
        );
    }
}
