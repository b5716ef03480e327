use std::sync::Arc;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::auth::MaybeCaller;
use crate::db::models::records;
use crate::error::Error;
use crate::http::extract::{NoParams, Query};
use crate::http::problem::{ApiResult, Problem};
use crate::http::respond::{Visibility, json_bytes, kept};
use crate::routes::problems::{NotFoundError, QueryErrors};
use crate::state::State;
use crate::usecases::lookup::find_or_404;
use crate::views::cache::{CacheKey, Held};
use crate::views::supplier::{SupplierView, etag};

/// One supplier, by id or slug, with its signature, statements, evidence and health.
/// No token is needed; with the supplier's own token or an admin token (sent as
/// `Authorization: Bearer`), contact details are included.
#[utoipa::path(operation_id = "getSupplier", tag = "suppliers",
    params(("id_or_slug" = String, Path, description = "The supplier's id (a UUID) or its slug")),
    responses(
    QueryErrors,
        (status = 200, body = SupplierView, description = "The supplier", headers(("ETag" = String, description = "Send as If-Match when updating"))),
        (status = 304, description = "Not modified: the If-None-Match ETag, or else the If-Modified-Since date, is still current"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "A token was sent and is not valid"),
        NotFoundError,
    )
)]
#[get("/suppliers/{id_or_slug}")]
pub async fn read(
    req: HttpRequest,
    state: State,
    caller: MaybeCaller,
    path: web::Path<String>,
    _query: Query<NoParams>,
) -> ApiResult<HttpResponse> {
    let key = path.into_inner();
    // Anyone without a token reads the stored record, kept in memory once read: served
    // as stored, with nothing parsed.
    let Some(caller) = caller.0 else {
        let held = public_record(&state, key).await?;
        return Ok(kept(&req, &held, "application/json", "public, no-cache"));
    };
    // With a token: the owner's and the operator's view, with contact details, is
    // assembled; anyone else's is the stored record.
    let (body, tag, modified, private) = state
        .db(move |conn| {
            let row = find_or_404(conn, &key)?;
            let private = caller.may_see_private(row.id);
            if !private {
                let stored = records::served(conn, &row.id.to_string())?
                    .ok_or_else(|| Error::NotFound(format!("there is no supplier {key:?}")))?;
                let modified = Some(stored.projected_at);
                return Ok((stored.record.into_bytes(), stored.etag, modified, false));
            }
            // Assembled now: no stored time says when it last changed, so no date.
            let revision = row.revision;
            let view = SupplierView::load(conn, row, true)?;
            let tag = etag(&view, revision, true);
            let body = serde_json::to_vec(&view).map_err(|e| Error::Internal(e.into()))?;
            Ok((body, tag, None, true))
        })
        .await?;
    let visibility = if private {
        Visibility::Private
    } else {
        Visibility::Public
    };
    Ok(json_bytes(
        &req,
        Bytes::from(body),
        tag,
        modified,
        visibility,
    ))
}

/// A supplier's public record as stored, from memory or else from the database (and
/// then kept).
async fn public_record(state: &State, key: String) -> ApiResult<Arc<Held>> {
    let cache_key = CacheKey::Record(key.to_ascii_lowercase());
    if let Some(held) = state.reads.get(&cache_key) {
        return Ok(held);
    }
    let ticket = state.reads.ticket();
    let stored = state
        .db_point_read(move |conn| {
            records::served(conn, &key)?
                .ok_or_else(|| Error::NotFound(format!("there is no supplier {key:?}")))
        })
        .await?;
    let held = Held::new(
        Some(stored.supplier_id),
        stored.etag,
        Some(stored.projected_at),
        stored.record.into_bytes(),
    );
    Ok(state.reads.put(ticket, cache_key, held))
}
