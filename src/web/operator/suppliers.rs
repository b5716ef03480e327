//! One supplier on the console: its private record, people, evidence with its checks,
//! concerns and history, and what the operator does to it (verify, suspend, reinstate,
//! hand over, check a link now); and finding a supplier by name, slug or number.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::queues::when;
use super::{Console, no_such, refusal, signed_in};
use crate::db::DbConn;
use crate::db::models::audit::{self, AuditFilter};
use crate::db::models::concerns::{self, Filter};
use crate::db::models::supplier::{self, ListFilter};
use crate::db::models::{members, now, operators};
use crate::domain::lifecycle::Transition;
use crate::domain::{EvidenceId, Status, SupplierId};
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::state::State;
use crate::usecases::validator::{Validator, field};
use crate::usecases::{accounts, checks, signature};
use crate::views::supplier::SupplierView;
use crate::web::form::{Posted, private, see_other};
use crate::web::{render, words};

#[derive(Template)]
#[template(path = "operator/supplier.html")]
struct SupplierPage {
    here: &'static str,
    csrf: String,
    find: String,
    notice: Option<String>,
    error: Option<String>,
    v: SupplierView,
    status_label: &'static str,
    companies_house: String,
    /// What Companies House said, and its flags in words.
    company: Option<(String, Vec<String>)>,
    registered: String,
    reaffirm_by: String,
    suspended: bool,
    suspendable: bool,
    /// (name, email, role, since or "invited").
    members: Vec<(String, String, String, String)>,
    /// (id, reference and about, raised, closed).
    concerns: Vec<(String, String, String, bool)>,
    /// (when, what, who).
    history: Vec<(String, String, String)>,
}

/// How the console names who did something: an operator by name, a member by name,
/// the registry's jobs, the command line.
fn who(
    actor: &str,
    operators: &HashMap<String, String>,
    people: &HashMap<String, String>,
) -> String {
    let parts: Vec<&str> = actor.split(':').collect();
    match parts.as_slice() {
        ["admin", "operator", id] => operators
            .get(*id)
            .map(|n| format!("{n} (operator)"))
            .unwrap_or_else(|| "an operator".into()),
        ["admin", "command-line"] => "the command line".into(),
        ["admin", ..] => "an operator's API token".into(),
        ["supplier", _, "member", id] => people
            .get(*id)
            .cloned()
            .unwrap_or_else(|| "a former member".into()),
        ["supplier", ..] => "the supplier's token".into(),
        ["system"] => "the registry".into(),
        _ => actor.to_owned(),
    }
}

fn load(conn: &mut DbConn, id: SupplierId) -> crate::error::Result<SupplierPage> {
    let row = crate::usecases::lookup::get_or_404(conn, id)?;
    let registered = when(row.created_at);
    let v = SupplierView::load(conn, row, true)?;
    let people = members::of_supplier(conn, id)?;
    let names: HashMap<String, String> = people
        .iter()
        .map(|m| (m.id.to_string(), m.name.clone()))
        .collect();
    let ops: HashMap<String, String> = operators::all(conn)?
        .into_iter()
        .map(|o| (o.id.to_string(), o.name))
        .collect();
    let history = audit::page(
        conn,
        None,
        100,
        &AuditFilter {
            supplier_id: Some(id),
            newest_first: true,
            ..AuditFilter::default()
        },
    )?
    .into_iter()
    .map(|e| {
        (
            when(e.at),
            e.action.replace(['.', '_'], " "),
            who(&e.actor, &ops, &names),
        )
    })
    .collect();
    let concerns = concerns::list(
        conn,
        &Filter {
            supplier: Some(id),
            ..Filter::default()
        },
        50,
    )?
    .into_iter()
    .map(|c| {
        (
            c.id.to_string(),
            format!(
                "{}: {}",
                crate::usecases::concerns::reference(c.id),
                c.about
            ),
            when(c.created_at),
            c.closed_at.is_some(),
        )
    })
    .collect();
    Ok(SupplierPage {
        here: "supplier",
        csrf: String::new(),
        find: String::new(),
        notice: None,
        error: None,
        status_label: words::status_label(v.status),
        companies_house: v
            .company_number
            .as_deref()
            .map(words::companies_house)
            .unwrap_or_default(),
        company: v.company_check.as_ref().map(words::company_words),
        registered,
        reaffirm_by: v
            .signature
            .as_ref()
            .map(|s| words::date(s.reaffirm_by))
            .unwrap_or_default(),
        suspended: v.status == Status::Suspended,
        suspendable: matches!(v.status, Status::Pending | Status::Active | Status::Lapsed),
        members: people
            .into_iter()
            .map(|m| {
                (
                    m.name,
                    m.email,
                    m.role.as_str().to_owned(),
                    m.confirmed_at.map(when).unwrap_or_else(|| "invited".into()),
                )
            })
            .collect(),
        concerns,
        history,
        v,
    })
}

/// The page, as the operator `c` sees it, with what the last action said.
async fn answer(
    state: &State,
    c: &Console,
    id: SupplierId,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> ApiResult<HttpResponse> {
    let mut page = state.db(move |conn| load(conn, id)).await?;
    page.csrf = c.csrf();
    page.notice = notice;
    page.error = error;
    Ok(private(status, render(&page)?))
}

#[derive(Debug, serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// What a finished action says, by its word in the address it led to.
fn done_words(done: &str) -> Option<String> {
    Some(
        match done {
            "verify" => "Verified: its identity is recorded as checked, and its record says so.",
            "suspend" => "Suspended: its page says so, with the reason you gave.",
            "reinstate" => "Reinstated.",
            "owner" => "Handed over: the new owner has been emailed.",
            "check" => "Checked just now: the link's latest check is below.",
            _ => return None,
        }
        .to_owned(),
    )
}

/// A supplier's private record on the console.
#[utoipa::path(operation_id = "getConsoleSupplier", tag = "pages",
    params(
        ("id" = String, Path, format = Uuid, description = "The supplier's id"),
        ("done" = Option<String>, Query, description = "The action just done, for the page to say so"),
    ),
    responses(
        (status = 200, description = "HTML: the private record, people, evidence and checks, concerns, history, and the operator's actions", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the console's sign-in page"),
        (status = 404, description = "No such supplier", content_type = "text/html"),
    ))]
#[get("/operator/suppliers/{id}")]
pub async fn supplier_page(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
    q: web::Query<Done>,
) -> ApiResult<HttpResponse> {
    let c = match signed_in(&req).await {
        Ok(c) => c,
        Err(to) => return Ok(to),
    };
    let Ok(id) = path.parse::<SupplierId>() else {
        return Ok(no_such("supplier"));
    };
    match answer(&state, &c, id, StatusCode::OK, done_words(&q.done), None).await {
        Err(ApiError::Domain(Error::NotFound(_))) => Ok(no_such("supplier")),
        other => other,
    }
}

/// What the operator does to a supplier, from its page.
#[utoipa::path(operation_id = "postConsoleSupplierAction", tag = "pages",
    params(
        ("id" = String, Path, format = Uuid, description = "The supplier's id"),
        ("action" = String, Path, description = "verify, suspend (with reason), reinstate (with reason), owner (email and name) or check (evidence_id)"),
    ),
    responses(
        (status = 303, description = "Done: back to the supplier's page, saying so; or not signed in"),
        (status = 403, description = "HTML: the form's token is not this session's, or it came from another site", content_type = "text/html"),
        (status = 404, description = "HTML: no such supplier or action", content_type = "text/html"),
        (status = 409, description = "HTML: the page, saying why it cannot be done now", content_type = "text/html"),
        (status = 422, description = "HTML: the page, naming the field to mend", content_type = "text/html"),
        (status = 429, description = "HTML: the page: the link was checked less than a minute ago", content_type = "text/html"),
    ))]
#[post("/operator/suppliers/{id}/{action}")]
pub async fn act(
    req: HttpRequest,
    state: State,
    path: web::Path<(String, String)>,
    body: Posted,
) -> ApiResult<HttpResponse> {
    let form = body.0;
    let c = match Console::posting(&req, &state, &form).await {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let (id, action) = path.into_inner();
    let Ok(id) = id.parse::<SupplierId>() else {
        return Ok(no_such("supplier"));
    };
    let by = c.by();
    let months = state.config.reaffirm_months;
    let result: ApiResult<()> = match action.as_str() {
        "verify" | "suspend" | "reinstate" => {
            let (transition, reason) = match action.as_str() {
                "verify" => (Transition::Verify, Ok(None)),
                "suspend" => (Transition::Suspend, reason(&form.get("reason"))),
                _ => (Transition::Reinstate, reason(&form.get("reason"))),
            };
            match reason {
                Err(e) => Err(e.into()),
                Ok(reason) => {
                    state
                        .tx(move |conn| {
                            signature::apply(
                                conn,
                                id,
                                signature::Request {
                                    transition,
                                    reason,
                                    by: &by,
                                    reaffirm_months: months,
                                },
                            )
                            .map(|_| ())
                        })
                        .await
                }
            }
        }
        "owner" => {
            let (email, name) = (form.get("email"), form.get("name"));
            state
                .tx(move |conn| {
                    let supplier = crate::usecases::lookup::get_or_404(conn, id)?;
                    accounts::transfer(conn, &supplier, &by, &email, &name, now()).map(|_| ())
                })
                .await
        }
        "check" => match form.get("evidence_id").parse::<EvidenceId>() {
            Ok(evidence) => checks::check_now(&state.database, &state.checker, id, evidence)
                .await
                .map(|_| ())
                .map_err(ApiError::from),
            Err(_) => {
                Err(Error::field("evidence_id", "is not one of this supplier's links").into())
            }
        },
        _ => return Ok(no_such("action")),
    };
    match result {
        Ok(()) => {
            let anchor = if action == "check" { "#evidence" } else { "" };
            Ok(see_other(&format!(
                "/operator/suppliers/{id}?done={action}{anchor}"
            )))
        }
        Err(e) => {
            let (status, said) = refusal(e)?;
            answer(&state, &c, id, status, None, Some(said)).await
        }
    }
}

/// A reason typed on the page: 1 to 1000 characters, or a 422 naming `reason`.
fn reason(raw: &str) -> crate::error::Result<Option<String>> {
    Validator::default()
        .finish(field("reason", crate::domain::text::bounded(raw, 1, 1000)))
        .map(Some)
}

#[derive(Template)]
#[template(path = "operator/suppliers.html")]
struct FindPage {
    here: &'static str,
    csrf: String,
    find: String,
    notice: Option<String>,
    error: Option<String>,
    /// (id, name, status word, status label).
    found: Vec<(String, String, &'static str, &'static str)>,
}

#[derive(Debug, serde::Deserialize)]
pub struct Find {
    #[serde(default)]
    q: String,
}

/// Find any supplier, whatever its status, by name, slug or company number.
#[utoipa::path(operation_id = "findConsoleSupplier", tag = "pages",
    params(("q" = Option<String>, Query, description = "A name (or part of one), a slug or a company number")),
    responses(
        (status = 200, description = "HTML: the suppliers found (the first 50, by name)", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the console's sign-in page"),
    ))]
#[get("/operator/suppliers")]
pub async fn find(req: HttpRequest, state: State, q: web::Query<Find>) -> ApiResult<HttpResponse> {
    let c = match signed_in(&req).await {
        Ok(c) => c,
        Err(to) => return Ok(to),
    };
    let text: String = q.q.trim().chars().take(crate::web::MAX_QUERY).collect();
    let t = text.clone();
    let found = if text.is_empty() {
        Vec::new()
    } else {
        state
            .db(move |conn| {
                let filter = ListFilter {
                    q: Some(t),
                    ..ListFilter::default()
                };
                Ok(supplier::matching(conn, &filter, 50)?)
            })
            .await?
    };
    let page = FindPage {
        here: "find",
        csrf: c.csrf(),
        find: text,
        notice: None,
        error: None,
        found: found
            .into_iter()
            .map(|s| {
                (
                    s.id.to_string(),
                    s.name,
                    s.status.as_str(),
                    words::status_label(s.status),
                )
            })
            .collect(),
    };
    Ok(private(StatusCode::OK, render(&page)?))
}
