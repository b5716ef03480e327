//! What changed in an evidence document since the supplier signed: the word diff, for
//! care managers (or, where the operator keeps snapshot text private, for the
//! supplier's own members).

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use super::session::Session;
use super::{render, words};
use crate::db::models::evidence;
use crate::domain::EvidenceId;
use crate::error::Error;
use crate::http::problem::ApiResult;
use crate::state::State;
use crate::usecases::lookup::find_or_404;
use crate::views::snapshots::{ContentChangesView, SnapshotView};

#[derive(Template)]
#[template(path = "evidence_changes.html")]
struct ChangesPage {
    supplier: String,
    slug: String,
    title: String,
    url: String,
    standing: String,
    changed: bool,
    note: Option<String>,
    /// (op, words, whether a space sets it apart from the deletion before it) runs.
    diff: Option<Vec<(&'static str, String, bool)>>,
    /// "2 words added, 1 word removed".
    counts: String,
    why_no_text: &'static str,
    baseline: Option<String>,
    current: Option<String>,
}

fn described(s: &SnapshotView) -> String {
    format!(
        "{}, {} bytes, first seen {}; SHA-256 {}",
        s.content_type,
        s.size,
        words::date(s.first_seen_at),
        s.text_sha256.as_deref().unwrap_or(&s.body_sha256)
    )
}

/// What changed in an evidence document since the supplier signed, in plain English.
#[utoipa::path(operation_id = "evidenceChangesPage", tag = "pages",
    params(
        ("slug" = String, Path, description = "The supplier's slug"),
        ("evidence_id" = String, Path, format = Uuid, description = "Evidence id"),
    ),
    responses(
        (status = 200, description = "HTML page", content_type = "text/html"),
        (status = 404, description = "HTML page: no such supplier or link", content_type = "text/html"),
    )
)]
#[get("/suppliers/{slug}/evidence/{evidence_id}/changes")]
pub async fn changes_page(
    req: HttpRequest,
    state: State,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (slug, raw_id) = path.into_inner();
    let not_found = || {
        super::not_found_page(
            "There is no such evidence document on the register.".into(),
            String::new(),
        )
    };
    let Ok(id) = raw_id.parse::<EvidenceId>() else {
        return Ok(not_found());
    };
    let member_of = Session::of(&req).await.map(|s| s.supplier);
    let public = state.config.snapshots_public;
    let found = state
        .db(move |conn| {
            let Ok(supplier) = find_or_404(conn, &slug) else {
                return Ok(None);
            };
            let Some(link) =
                evidence::get(conn, supplier.id, id)?.filter(|l| l.retired_at.is_none())
            else {
                return Ok(None);
            };
            let shown = public || member_of == Some(supplier.id);
            let view = ContentChangesView::load(conn, &link, shown)?;
            Ok::<_, Error>(Some((supplier, view)))
        })
        .await?;
    let Some((supplier, view)) = found else {
        return Ok(not_found());
    };
    let (standing, changed) = words::content_sentence(&view.content)
        .unwrap_or_else(|| ("No copy of this document is kept yet".into(), false));
    let page = ChangesPage {
        supplier: supplier.name,
        slug: supplier.slug,
        title: view.title,
        url: view.url,
        standing,
        changed,
        note: view.content.note.clone(),
        diff: view.diff.map(|d| {
            let mut before = "equal";
            d.into_iter()
                .map(|p| {
                    let op = match p.op {
                        crate::snapshot::diff::Op::Equal => "equal",
                        crate::snapshot::diff::Op::Insert => "insert",
                        crate::snapshot::diff::Op::Delete => "delete",
                    };
                    // "never rarely", not "neverrarely", where a word was replaced.
                    let gap = op == "insert" && before == "delete";
                    before = op;
                    (op, p.text, gap)
                })
                .collect()
        }),
        counts: format!(
            "{}, {}",
            words::counted(view.inserted_words, "word added", "words added"),
            words::counted(view.deleted_words, "word removed", "words removed")
        ),
        why_no_text: if view.text_shown {
            "The registry keeps no text of this document to compare (a PDF is kept by its hash alone, and a supplier's share of storage can run out): the hashes below say whether it changed."
        } else {
            "This registry shows the words of evidence documents only to the supplier's own people; the hashes below say whether it changed."
        },
        baseline: view
            .content
            .baseline
            .as_ref()
            .map(|b| described(&b.snapshot)),
        current: view.content.current.as_ref().map(described),
    };
    let cache = if member_of.is_some() {
        "private, no-cache"
    } else {
        "public, no-cache"
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", cache))
        .insert_header(("Content-Security-Policy", super::PAGE_POLICY))
        .body(render(&page)?))
}
