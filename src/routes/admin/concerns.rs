use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Admin;
use crate::db::models::concerns::{self as stored, ConcernRow};
use crate::db::models::now;
use crate::domain::{ConcernId, SupplierId};
use crate::error::Error;
use crate::http::extract::{Json, Query};
use crate::http::problem::{ApiError, ApiResult, Problem};
use crate::routes::problems::{AuthErrors, BodyErrors, NotFoundError, QueryErrors};
use crate::state::State;
use crate::usecases::concerns;
use crate::views::supplier::utc;

/// A concern someone raised about a supplier.
#[derive(Debug, Serialize, ToSchema)]
pub struct Concern {
    #[schema(value_type = String, format = Uuid)]
    pub id: ConcernId,
    /// The supplier, when the concern was raised from its page.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub supplier_id: Option<SupplierId>,
    /// Who it is about.
    pub about: String,
    pub details: String,
    /// Where to answer, if the person gave an address.
    pub email: Option<String>,
    pub raised_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub outcome: Option<String>,
}

impl From<ConcernRow> for Concern {
    fn from(r: ConcernRow) -> Self {
        Concern {
            id: r.id,
            supplier_id: r.supplier_id,
            about: r.about,
            details: r.details,
            email: r.email,
            raised_at: utc(r.created_at),
            closed_at: r.closed_at.map(utc),
            closed_by: r.closed_by,
            outcome: r.outcome,
        }
    }
}

/// Concerns, newest first, a page at a time.
#[derive(Debug, Serialize, ToSchema)]
pub struct Concerns {
    pub items: Vec<Concern>,
    /// How many are open, in all.
    pub open: i64,
    /// The cursor of the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConcernParams {
    /// `open` (the default) or `all`.
    #[param(pattern = "^(open|all)$")]
    state: Option<String>,
    /// Only concerns about this supplier.
    #[param(value_type = Option<String>, format = Uuid)]
    supplier_id: Option<SupplierId>,
    /// `true`: only concerns raised from a supplier's page; `false`: only those about
    /// someone not on the registry (where unsolicited ones gather).
    named: Option<bool>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

impl crate::http::extract::QueryParams for ConcernParams {}

/// Concerns raised on the pages, newest first, a page at a time, by state, supplier
/// and whether they name a supplier on the registry.
#[utoipa::path(operation_id = "listConcerns", tag = "admin", params(ConcernParams), security(("bearer" = [])), responses(
    (status = 200, body = Concerns, description = "Concerns, newest first"),
    QueryErrors,
    AuthErrors,
))]
#[get("/admin/concerns")]
pub async fn list(
    state: State,
    _admin: Admin,
    params: Query<ConcernParams>,
) -> ApiResult<HttpResponse> {
    let open_only = match params.0.state.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(_) => {
            return Err(ApiError::Domain(Error::InvalidQuery(vec![
                crate::http::problem::FieldError::new("state", "must be open or all"),
            ])));
        }
    };
    let p = params.0;
    let limit = crate::views::pagination::limit(p.limit)?;
    let before = match p.cursor.as_deref() {
        None => None,
        Some(c) => {
            let key = crate::views::pagination::decode(c)?;
            let parsed = key.split_once('_').and_then(|(micros, id)| {
                Some((
                    chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc(),
                    id.parse::<ConcernId>().ok()?,
                ))
            });
            Some(parsed.ok_or_else(|| {
                ApiError::Domain(Error::InvalidQuery(vec![
                    crate::http::problem::FieldError::new(
                        "cursor",
                        "is not a cursor this list gave",
                    ),
                ]))
            })?)
        }
    };
    let filter = stored::Filter {
        open_only,
        supplier: p.supplier_id,
        named: p.named,
        before,
    };
    let listed = state
        .db(move |conn| {
            let mut rows = stored::list(conn, &filter, limit + 1)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let next_cursor = more.then(|| rows.last()).flatten().map(|r| {
                crate::views::pagination::encode(&format!(
                    "{}_{}",
                    r.created_at.and_utc().timestamp_micros(),
                    r.id
                ))
            });
            Ok(Concerns {
                items: rows.into_iter().map(Concern::from).collect(),
                open: stored::open_count(conn)?,
                next_cursor,
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(listed))
}

/// What the operator found.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseConcern {
    /// What was found and done, such as "Evidence link fixed by the supplier". It is
    /// emailed to the person who raised the concern, if they left an address.
    #[schema(min_length = 1, max_length = 2000)]
    outcome: String,
}

/// Close a concern with what was found. The person who raised it is told, with the
/// outcome, if they left an address.
#[utoipa::path(operation_id = "closeConcern", tag = "admin", request_body = CloseConcern, security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "Concern id")),
    responses(
        (status = 200, body = Concern, description = "The concern, closed"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Closed already"),
        AuthErrors,
        BodyErrors,
        NotFoundError,
    ))]
#[post("/admin/concerns/{id}/close")]
pub async fn close(
    state: State,
    admin: Admin,
    path: web::Path<String>,
    body: Json<CloseConcern>,
) -> ApiResult<HttpResponse> {
    let id: ConcernId = path
        .parse()
        .map_err(|_| ApiError::Domain(Error::NotFound(format!("no concern {}", path.as_str()))))?;
    let by = admin.0.by();
    let outcome = body.0.outcome;
    let closed = state
        .tx(move |conn| concerns::close(conn, &by, id, &outcome, now()))
        .await?;
    Ok(HttpResponse::Ok().json(Concern::from(closed)))
}
