//! The readable text of a document, normalised so that only a change of wording
//! reads as a change.
//!
//! The normalisation (docs/evidence-snapshots.md says the same for readers):
//! 1. HTML becomes the text a reader sees, in document order (html2text on html5ever):
//!    markup, attributes (link targets too), comments, `<script>`, `<style>` and
//!    `<head>` are dropped.
//! 2. Every run of whitespace, Unicode's no-break space included, within a line becomes
//!    one space; lines are trimmed, and empty lines dropped.
//! 3. Two texts are the same when their words are: the comparison (and the text's
//!    hash) joins the lines with single spaces, so a reflowed paragraph is no change.
//!    Case, punctuation and digits are wording, and kept.

use html2text::render::TrivialDecorator;

/// The widest a line is laid out before it is wrapped: wide enough that no paragraph
/// of a real page wraps, so a changed word never moves the lines after it.
const WIDTH: usize = 100_000;

/// Markup nested deeper than this is not read: building its tree takes time that grows
/// with the square of the depth (a quarter of a megabyte of `<div>`s takes a core for
/// seconds), and no document people read comes near it.
pub const MAX_DEPTH: usize = 2_000;

/// The normalised text of an HTML document (any bytes: html5ever repairs what it is
/// given, and reads invalid UTF-8 as replacement characters); none when its markup is
/// nested deeper than [`MAX_DEPTH`].
pub fn of_html(body: &[u8]) -> Option<String> {
    if depth(body) > MAX_DEPTH {
        return None;
    }
    let rendered = html2text::config::with_decorator(TrivialDecorator::new())
        .raw_mode(true)
        .allow_width_overflow()
        .string_from_read(body, WIDTH)
        .unwrap_or_default();
    Some(normalise(&rendered))
}

/// Elements without an end tag.
const VOID: &[&[u8]] = &[
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta", b"param",
    b"source", b"track", b"wbr",
];

/// The deepest nesting of start tags, read roughly and quickly: start tags open,
/// end tags close, void and self-closed elements do neither, and comments, scripts and
/// styles are skipped. An end tag left out (`<p>` after `<p>`) only makes it deeper than
/// the parser would, so a document is never read deeper than it says.
fn depth(body: &[u8]) -> usize {
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    let skip_to = |from: usize, end: &[u8]| {
        body[from..]
            .windows(end.len())
            .position(|w| w.eq_ignore_ascii_case(end))
            .map_or(body.len(), |p| from + p + end.len())
    };
    while let Some(p) = body[i..].iter().position(|&b| b == b'<') {
        i += p + 1;
        match body.get(i) {
            Some(b'!') => i = skip_to(i, b"-->"),
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                let name_end = body[i..]
                    .iter()
                    .position(|b| !b.is_ascii_alphanumeric())
                    .map_or(body.len(), |e| i + e);
                let name = body[i..name_end].to_ascii_lowercase();
                let tag_end = body[i..]
                    .iter()
                    .position(|&b| b == b'>')
                    .map_or(body.len(), |e| i + e);
                let closed = tag_end > 0 && body.get(tag_end - 1) == Some(&b'/');
                if name == b"script" || name == b"style" {
                    i = skip_to(
                        tag_end.min(body.len()),
                        if name == b"script" {
                            b"</script"
                        } else {
                            b"</style"
                        },
                    );
                } else if !closed && !VOID.contains(&name.as_slice()) {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
            }
            _ => {}
        }
    }
    deepest
}

/// Step 2 of the normalisation, for text of any origin.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1 << 20));
    for line in text.lines() {
        let mut words = line.split(char::is_whitespace).filter(|w| !w.is_empty());
        let Some(first) = words.next() else { continue };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(first);
        for w in words {
            out.push(' ');
            out.push_str(w);
        }
    }
    out
}

/// Step 3: the words alone, as they are compared and hashed.
pub fn words(normalised: &str) -> String {
    normalised.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(body: &[u8]) -> String {
        of_html(body).expect("read")
    }

    #[test]
    fn scripts_styles_and_markup_are_not_text() {
        let a = html(
            b"<html><head><title>T</title><style>p{color:red}</style></head><body>\
              <script>var a = 1;</script><h1>AI policy</h1><p>We  never\n use <a href='/x'>care records</a>.</p>\
              <!-- a comment --></body></html>",
        );
        assert_eq!(words(&a), "AI policy We never use care records.");
        let b = html(
            b"<html><body><script src='/new.js'></script>\n\n  <h1 class='big'>AI&nbsp;policy</h1>\n<p>We never use\n\n<a href='/y'>care records</a>.</p></body></html>",
        );
        assert_eq!(words(&a), words(&b));
    }

    #[test]
    fn a_changed_word_is_a_change() {
        let a = html(b"<p>We never use care records to train models.</p>");
        let b = html(b"<p>We rarely use care records to train models.</p>");
        assert_ne!(words(&a), words(&b));
    }

    #[test]
    fn whitespace_of_every_kind_collapses() {
        assert_eq!(
            normalise("  one\u{a0}\u{2003}two \t three \n\n\n four  "),
            "one two three\nfour"
        );
    }

    #[test]
    fn hostile_markup_is_read_quickly_or_not_at_all() {
        let mut deep = "<div>".repeat(50_000);
        deep.push_str("deep words");
        assert_eq!(of_html(deep.as_bytes()), None, "not read: too deep");
        let mut fine = "<div>".repeat(200);
        fine.push_str("<p>one<p>two<br><img src=x><script>if (a<b) {}</script>three");
        assert_eq!(of_html(fine.as_bytes()).as_deref(), Some("one\ntwo\nthree"));
        let junk: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let _ = of_html(&junk);
    }
}
