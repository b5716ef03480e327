use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Admin;
use crate::db::models::audit::{self, AuditFilter};
use crate::domain::Action;
use crate::domain::SupplierId;
use crate::http::extract::AnyOf;
use crate::http::extract::Query;
use crate::http::problem::{ApiResult, Problem};
use crate::routes::problems::AuthErrors;
use crate::state::State;
use crate::views::pagination::{self, Page};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only entries about this supplier.
    #[param(value_type = Option<String>, format = Uuid)]
    supplier_id: Option<SupplierId>,
    /// Only entries of this action (`supplier.verified`, `signature.suspended`, ...);
    /// repeat for any of several.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>, example = json!(["signature.suspended"]))]
    action: AnyOf<Action>,
    /// Only entries written at or after this time (RFC 3339).
    at_or_after: Option<DateTime<Utc>>,
    /// Only entries written before this time (RFC 3339).
    before: Option<DateTime<Utc>>,
    /// `oldest` first (the default, for reading the log through) or `newest` first (for
    /// looking at what just happened).
    #[param(value_type = Option<String>)]
    order: Option<Order>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

impl crate::http::extract::QueryParams for AuditParams {
    const REPEATABLE: &'static [&'static str] = &["action"];
}

/// The order of a page of the audit log.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    Oldest,
    Newest,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Sequence number: strictly increasing.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// `admin:<token id>` (`admin:command-line` from `token issue`), `supplier:<supplier
    /// id>` (with `:member:<member id>` for a member), `subscriber:<id>`, `public` or
    /// `system`.
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub supplier_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// What the change feed showed of it; absent for a private entry.
    pub public: Option<serde_json::Value>,
    pub prev_hash: Option<String>,
    /// The hash of the entry's canonical form, its `entry_hash` in the public log.
    pub hash: Option<String>,
    /// The entry's secret salt (64 hex digits; absent on entries written before
    /// salts). Keep it private: handing over an entry with its salt proves what it
    /// says to anyone holding its leaf (docs/audit-log.md, "Revealing an entry").
    pub salt: Option<String>,
}

/// The full audit log, oldest first or newest first, filtered by supplier, action and
/// time. The cursor follows the order asked for.
#[utoipa::path(operation_id = "listAuditEntries", tag = "admin", params(AuditParams), security(("bearer" = [])), responses(
    (status = 200, body = Page<AuditEntry>, description = "Audit entries, in the order asked for"),
    (status = 400, body = Problem, content_type = "application/problem+json", description = "A query parameter is invalid; `errors` names it"),
    AuthErrors,
))]
#[get("/admin/audit")]
pub async fn list(
    state: State,
    _admin: Admin,
    params: Query<AuditParams>,
) -> ApiResult<HttpResponse> {
    let p = params.0;
    let limit = pagination::limit(p.limit)?;
    let cursor =
        Some(pagination::decode_number(p.cursor.as_deref())?).filter(|_| p.cursor.is_some());
    let filter = AuditFilter {
        supplier_id: p.supplier_id,
        actions: p.action.0.iter().map(|a| a.as_str().to_owned()).collect(),
        at_or_after: p.at_or_after.map(|t| t.naive_utc()),
        before: p.before.map(|t| t.naive_utc()),
        newest_first: matches!(p.order, Some(Order::Newest)),
    };
    let body = state
        .db(move |conn| {
            let rows = audit::page(conn, cursor, limit + 1, &filter)?;
            Ok(Page::from_rows(
                rows,
                limit,
                |r| r.seq.to_string(),
                |r| AuditEntry {
                    seq: r.seq,
                    at: r.at.and_utc(),
                    actor: r.actor,
                    action: r.action,
                    entity_type: r.entity_type,
                    entity_id: r.entity_id,
                    supplier_id: r.supplier_id,
                    before: r.before_json.and_then(|j| serde_json::from_str(&j).ok()),
                    after: r.after_json.and_then(|j| serde_json::from_str(&j).ok()),
                    public: r.public_json.and_then(|j| serde_json::from_str(&j).ok()),
                    prev_hash: r.prev_hash,
                    hash: r.hash,
                    salt: r.salt,
                },
            ))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}
