//! The route pattern a request matched (`/api/v1/suppliers/{id_or_slug}`), for the
//! log, the metrics and the deprecation fields: worked out once per request and kept
//! with it. The route table's own answer walks every route's regular expression (an
//! eighth of a cached read's CPU), so the patterns the OpenAPI document lists are
//! matched first, segment by segment, as [`Templates`].

use std::rc::Rc;
use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest, web};

/// What a request that matched no route is counted and logged under.
pub const UNMATCHED: &str = "unmatched";

#[derive(Clone)]
struct Route(Rc<str>);

/// The pattern `req` matched, or [`UNMATCHED`].
pub fn pattern(req: &HttpRequest) -> Rc<str> {
    if let Some(Route(known)) = req.extensions().get::<Route>() {
        return known.clone();
    }
    let listed = req
        .app_data::<web::Data<Listed>>()
        .and_then(|t| t.0.best(req.path()));
    let found: Rc<str> = match listed {
        Some(i) => (*i).into(),
        None => req.match_pattern().as_deref().unwrap_or(UNMATCHED).into(),
    };
    req.extensions_mut().insert(Route(found.clone()));
    found
}

/// The service's route patterns, as the app data [`pattern`] reads.
pub struct Listed(pub &'static Templates);

/// Route patterns (`/badge/{slug}.svg`), matched against concrete paths.
#[derive(Debug, Default)]
pub struct Templates {
    items: Vec<Template>,
}

#[derive(Debug)]
struct Template {
    pattern: Arc<str>,
    segments: Vec<Segment>,
    /// Segments without a `{name}`.
    literal: usize,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    /// `{name}` with the text around it: any non-empty segment between them.
    Named {
        before: String,
        after: String,
    },
}

impl Segment {
    fn parse(text: &str) -> Segment {
        match (text.find('{'), text.rfind('}')) {
            (Some(start), Some(end)) if start < end => Segment::Named {
                before: text[..start].to_owned(),
                after: text[end + 1..].to_owned(),
            },
            _ => Segment::Literal(text.to_owned()),
        }
    }

    fn matches(&self, segment: &str) -> bool {
        match self {
            Segment::Literal(l) => l == segment,
            Segment::Named { before, after } => {
                segment.len() > before.len() + after.len()
                    && segment.starts_with(before.as_str())
                    && segment.ends_with(after.as_str())
            }
        }
    }
}

impl Templates {
    pub fn new(patterns: impl IntoIterator<Item = String>) -> Templates {
        Templates {
            items: patterns
                .into_iter()
                .map(|p| {
                    let segments: Vec<Segment> = p.split('/').map(Segment::parse).collect();
                    let literal = segments
                        .iter()
                        .filter(|s| matches!(s, Segment::Literal(_)))
                        .count();
                    Template {
                        pattern: p.into(),
                        segments,
                        literal,
                    }
                })
                .collect(),
        }
    }

    /// The positions of the patterns `path` matches: a `{name}` segment takes any
    /// non-empty segment, with the text around it (`{slug}.svg`) as it is.
    pub fn matching<'a>(&'a self, path: &'a str) -> impl Iterator<Item = usize> + 'a {
        let parts: Vec<&str> = path.split('/').collect();
        self.items
            .iter()
            .enumerate()
            .filter(move |(_, t)| {
                t.segments.len() == parts.len()
                    && t.segments.iter().zip(&parts).all(|(s, p)| s.matches(p))
            })
            .map(|(i, _)| i)
    }

    /// The most specific pattern `path` matches (the one with the most literal
    /// segments, as the route table registers literal routes before others).
    pub fn best(&self, path: &str) -> Option<Arc<str>> {
        self.matching(path)
            .max_by_key(|&i| (self.items[i].literal, std::cmp::Reverse(i)))
            .map(|i| self.items[i].pattern.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::Templates;

    #[test]
    fn the_most_literal_pattern_wins() {
        let t = Templates::new(
            [
                "/api/v1/suppliers/{id_or_slug}",
                "/api/v1/suppliers/{id}/evidence",
                "/api/v1/suppliers/export",
                "/badge/{slug}.svg",
                "/",
            ]
            .map(String::from),
        );
        let best = |p: &str| t.best(p).map(|b| b.to_string());
        assert_eq!(
            best("/api/v1/suppliers/acme-care").as_deref(),
            Some("/api/v1/suppliers/{id_or_slug}")
        );
        assert_eq!(
            best("/api/v1/suppliers/export").as_deref(),
            Some("/api/v1/suppliers/export")
        );
        assert_eq!(
            best("/api/v1/suppliers/x/evidence").as_deref(),
            Some("/api/v1/suppliers/{id}/evidence")
        );
        assert_eq!(
            best("/badge/acme.svg").as_deref(),
            Some("/badge/{slug}.svg")
        );
        assert_eq!(best("/badge/.svg"), None, "the name may not be empty");
        assert_eq!(best("/badge/acme.png"), None);
        assert_eq!(best("/api/v1/suppliers/"), None);
        assert_eq!(best("/").as_deref(), Some("/"));
    }
}
