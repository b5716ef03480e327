//! A supplier's signature: sign the current version, reaffirm, withdraw.

pub mod reaffirm;
pub mod sign;
pub mod withdraw;

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::app::State;
use crate::auth::Caller;
use crate::domain::SupplierId;
use crate::domain::lifecycle::Transition;
use crate::error::ApiResult;
use crate::lifecycle;
use crate::views::supplier::SupplierView;
use crate::views::supplier::etag;

/// Runs a lifecycle transition for `caller` and answers the supplier as it now stands.
pub async fn transition(
    state: State,
    caller: Caller,
    supplier: SupplierId,
    transition: Transition,
    reason: Option<String>,
) -> ApiResult<HttpResponse> {
    let months = state.config.reaffirm_months;
    let private = caller.may_see_private(supplier);
    let actor = caller.actor();
    let who = caller.lifecycle_actor();
    let (view, revision) = state
        .tx(move |conn| {
            let row = lifecycle::apply(
                conn,
                lifecycle::Request {
                    supplier,
                    transition,
                    reason,
                    actor: &actor,
                    who,
                    reaffirm_months: months,
                },
            )?;
            let revision = row.revision;
            Ok((SupplierView::load(conn, row, private)?, revision))
        })
        .await?;
    Ok(supplier_response(
        HttpResponse::Ok(),
        view,
        revision,
        private,
    ))
}

/// A supplier after a write, with its new ETag (to send as `If-Match` next).
pub fn supplier_response(
    mut res: actix_web::HttpResponseBuilder,
    view: SupplierView,
    revision: i64,
    private: bool,
) -> HttpResponse {
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::ETAG, etag(&view, revision, private)))
        .json(view)
}
