use actix_web::{HttpResponse, get, web};

use crate::auth::MaybeCaller;
use crate::db::models::evidence;
use crate::domain::EvidenceId;
use crate::error::Error;
use crate::http::extract::{NoParams, Query};
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::{NotFoundError, QueryErrors};
use crate::state::State;
use crate::usecases::lookup::find_or_404;
use crate::views::snapshots::ContentChangesView;

/// Whether the document behind an evidence link still reads as it did when the
/// supplier signed (or last reaffirmed), and the words that changed. Hashes and dates
/// are public; the text and the diff are public unless the operator keeps them to the
/// supplier's members and the operator (`REGISTRY_SNAPSHOTS_PUBLIC=off`).
#[utoipa::path(operation_id = "getEvidenceChanges", tag = "suppliers",
    params(
        ("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug"),
        ("evidence_id" = String, Path, format = Uuid, description = "Evidence id"),
    ),
    responses(
        QueryErrors,
        (status = 200, body = ContentChangesView, description = "The document's standing, with the word diff when its text is shown"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "A token was sent and is not valid"),
        NotFoundError,
    )
)]
#[get("/suppliers/{id_or_slug}/evidence/{evidence_id}/changes")]
pub async fn changes(
    state: State,
    caller: MaybeCaller,
    path: web::Path<(String, EvidenceId)>,
    _query: Query<NoParams>,
) -> ApiResult<HttpResponse> {
    let (key, id) = path.into_inner();
    let public = state.config.snapshots_public;
    // A reader with a token may be shown what others are not.
    let cache = if caller.0.is_some() {
        "private, no-cache"
    } else {
        "public, no-cache"
    };
    let view = state
        .db(move |conn| {
            let supplier = find_or_404(conn, &key)?;
            let link = evidence::get(conn, supplier.id, id)?
                .filter(|l| l.retired_at.is_none())
                .ok_or_else(|| Error::NotFound("no such evidence link".into()))?;
            let shown = public
                || caller
                    .0
                    .as_ref()
                    .is_some_and(|c| c.may_see_private(supplier.id));
            ContentChangesView::load(conn, &link, shown)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", cache))
        .json(view))
}
