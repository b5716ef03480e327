//! What several routes share: the reason a status change gives, the answer after a
//! write to a supplier, and the one body of every lifecycle transition's handler.

use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::DbConn;
use crate::db::models::supplier::SupplierRow;
use crate::domain::SupplierId;
use crate::domain::lifecycle::Transition;
use crate::domain::text;
use crate::http::problem::ApiResult;
use crate::state::State;
use crate::usecases::signature;
use crate::usecases::validator::{Validator, field};
use crate::views::supplier::{SupplierView, etag};

/// A reason, shown in the supplier's public history.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why (1 to 1000 characters); public.
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

impl Reason {
    /// The trimmed reason, or a 422 naming `reason`.
    pub fn parse(&self) -> crate::error::Result<String> {
        Validator::default().finish(field("reason", text::bounded(&self.reason, 1, 1000)))
    }
}

/// Runs a lifecycle transition for `caller` and answers the supplier as it now stands.
pub async fn transition(
    state: State,
    caller: Caller,
    supplier: SupplierId,
    transition: Transition,
    reason: Option<String>,
) -> ApiResult<HttpResponse> {
    let reaffirm_months = state.config.reaffirm_months;
    let private = caller.may_see_private(supplier);
    let by = caller.by();
    let written = state
        .tx(move |conn| {
            let row = signature::apply(
                conn,
                supplier,
                signature::Request {
                    transition,
                    reason,
                    by: &by,
                    reaffirm_months,
                },
            )?;
            Written::load(conn, row, private)
        })
        .await?;
    Ok(written.answer(HttpResponse::Ok()))
}

/// A supplier as a write left it, read in the write's transaction.
pub struct Written {
    view: SupplierView,
    revision: i64,
    private: bool,
}

impl Written {
    pub fn load(
        conn: &mut DbConn,
        row: SupplierRow,
        private: bool,
    ) -> crate::error::Result<Written> {
        let revision = row.revision;
        Ok(Written {
            view: SupplierView::load(conn, row, private)?,
            revision,
            private,
        })
    }

    pub fn slug(&self) -> &str {
        &self.view.slug
    }

    /// The answer, with the supplier's new ETag (to send as `If-Match` next).
    pub fn answer(self, res: HttpResponseBuilder) -> HttpResponse {
        self.answer_with(res, |view| view)
    }

    /// The answer, the supplier inside what `wrap` makes of it.
    pub fn answer_with<T: Serialize>(
        self,
        mut res: HttpResponseBuilder,
        wrap: impl FnOnce(SupplierView) -> T,
    ) -> HttpResponse {
        let tag = etag(&self.view, self.revision, self.private);
        res.insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::ETAG, tag))
            .json(wrap(self.view))
    }
}
