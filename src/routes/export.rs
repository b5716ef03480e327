//! `GET /api/v1/export`: every supplier, streamed.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::models::audit;
use crate::http::extract::Query;
use crate::http::problem::{ApiError, ApiResult, Problem};
use crate::routes::suppliers::filters::with_supplier_filters;
use crate::state::State;
use crate::views::export::{self as bulk, Format, Plan};

crate::str_enum!(
    /// The export's format.
    FormatParam {
        /// Newline-delimited JSON: one supplier record per line, as the API reads it.
        Ndjson => "ndjson",
        /// CSV: a header row, then one row per supplier.
        Csv => "csv",
    }
);

with_supplier_filters! {
    #[derive(Debug, Deserialize, IntoParams)]
    #[serde(deny_unknown_fields)]
    #[into_params(parameter_in = Query)]
    pub struct ExportParams {
        /// `ndjson` (default) or `csv`; overrides `Accept`.
        #[param(inline)]
        format: Option<FormatParam>,
    }
}

impl crate::http::extract::QueryParams for ExportParams {
    const REPEATABLE: &'static [&'static str] = crate::routes::suppliers::filters::REPEATABLE;
}

/// The format asked for: the `format` parameter, else `Accept`, else NDJSON.
fn format_of(req: &HttpRequest, asked: Option<FormatParam>) -> Format {
    match asked {
        Some(FormatParam::Ndjson) => return Format::Ndjson,
        Some(FormatParam::Csv) => return Format::Csv,
        None => {}
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("text/csv") {
        Format::Csv
    } else {
        Format::Ndjson
    }
}

/// Every supplier passing the list's filters (none: every supplier) with its signature,
/// statements and evidence: one JSON object per line (NDJSON, the default) or one CSV
/// row per supplier (`format=csv` or `Accept: text/csv`; cells that a spreadsheet would
/// run as formulas are prefixed with `'`). Streamed in slug order, in constant memory.
///
/// `Changes-Since` names the change feed's position when the export began: every change
/// up to it is in the export. A mirror loads the export, then follows
/// `/api/v1/changes?since=<Changes-Since>`: no change is missed, and one that the export
/// already shows is shown again with the same or a later state, so applying the feed
/// in order ends at the registry's state.
#[utoipa::path(operation_id = "exportSuppliers", tag = "suppliers", params(ExportParams), responses(
    (status = 200, description = "NDJSON (one SupplierView per line), or CSV (a header row, then one row per supplier)", headers(
        ("Changes-Since" = i64, description = "The change feed's `seq` when the export began: follow `/api/v1/changes?since=` it"),
    ), content(
        (String = "application/x-ndjson"),
        (String = "text/csv"),
    )),
    (status = 400, body = Problem, content_type = "application/problem+json", description = "A query parameter is invalid; `errors` names it"),
))]
#[get("/export")]
pub async fn export(
    req: HttpRequest,
    state: State,
    params: Query<ExportParams>,
) -> ApiResult<HttpResponse> {
    let mut params = params.0;
    let format = format_of(&req, params.format);
    let filter = params.take_filter()?;
    let (plan, since) = state
        .db(move |conn| {
            // Read before the first page: everything up to it is in what follows.
            let since = audit::head(conn)?.map_or(0, |(seq, _, _)| seq);
            Ok((Plan::new(conn, format)?, since))
        })
        .await?;
    let head = plan.head()?;
    // Each step reads one page and encodes it; the stream ends after the last page.
    let pages = futures_util::stream::unfold(
        Some((state, plan, filter, None::<String>)),
        |step| async move {
            let (state, plan, filter, after) = step?;
            let page_plan = plan.clone();
            let page_filter = filter.clone();
            let result = state
                .db(move |conn| {
                    let (views, next) = bulk::page(conn, &page_filter, after)?;
                    Ok((page_plan.encode(&views)?, next))
                })
                .await;
            match result {
                Ok((bytes, next)) => {
                    let following = next.map(|n| (state, plan, filter, Some(n)));
                    Some((Ok::<_, ApiError>(web::Bytes::from(bytes)), following))
                }
                Err(e) => {
                    tracing::error!(error = %e, "export stopped");
                    Some((Err(e), None))
                }
            }
        },
    );
    let body = futures_util::stream::once(async move { Ok::<_, ApiError>(web::Bytes::from(head)) });
    let extension = if format == Format::Csv {
        "csv"
    } else {
        "ndjson"
    };
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"tech-pledge-suppliers.{extension}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((bulk::CHANGES_SINCE, since))
        .streaming(futures_util::StreamExt::chain(body, pages)))
}
