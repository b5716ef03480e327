use actix_web::{HttpRequest, HttpResponse, get, web};

use super::view::SupplierView;
use super::{etag, find_or_404};
use crate::app::State;
use crate::auth::MaybeCaller;
use crate::error::{ApiResult, Problem};
use crate::routes::problems::NotFoundError;
use crate::routes::respond::{Visibility, json_cached};

/// One supplier, by id or slug, with its signature, statements, evidence and health.
/// With the supplier's own token or an admin token, contact details are included.
#[utoipa::path(tag = "suppliers",
    params(("id_or_slug" = String, Path, description = "Supplier UUID or slug")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = SupplierView, headers(("ETag" = String, description = "Send as If-Match when updating"))),
        (status = 304, description = "Not modified (If-None-Match)"),
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
) -> ApiResult<HttpResponse> {
    let key = path.into_inner();
    let (view, revision, private) = state
        .db(move |conn| {
            let row = find_or_404(conn, &key)?;
            let private = match (&caller.0, row.supplier_id()) {
                (Some(c), Ok(id)) => c.may_see_private(id),
                _ => false,
            };
            let revision = row.revision;
            Ok((SupplierView::load(conn, row, private)?, revision, private))
        })
        .await?;
    let visibility = if private {
        Visibility::Private
    } else {
        Visibility::Public
    };
    let tag = etag(&view, revision, private);
    json_cached(&req, &view, Some(tag), visibility)
}
