//! The console's first page: everything waiting for the operator, each queue oldest
//! (or most urgent) first.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get};
use askama::Template;
use chrono::NaiveDateTime;

use super::signed_in;
use crate::db::models::concerns::{self, Filter};
use crate::db::models::{checkpoints, now, operators, queues, webhooks};
use crate::http::problem::ApiResult;
use crate::state::State;
use crate::usecases::concerns::reference;
use crate::web::form::private;
use crate::web::{render, words};

/// A time as the console shows it: "2 December 2026 21:40 UTC".
pub fn when(t: NaiveDateTime) -> String {
    t.format("%-d %B %Y %H:%M UTC").to_string()
}

pub struct ToVerify {
    id: String,
    name: String,
    status: &'static str,
    status_label: &'static str,
    company: Option<(String, String)>,
    website: String,
    contact: String,
    registered: String,
}

pub struct ConcernLine {
    id: String,
    reference: String,
    about: String,
    raised: String,
    answerable: bool,
}

pub struct FailingLine {
    supplier_id: String,
    supplier: String,
    title: String,
    url: String,
    health: &'static str,
    health_words: &'static str,
    detail: String,
    last_ok: String,
}

#[derive(Template)]
#[template(path = "operator/queues.html")]
struct QueuesPage {
    here: &'static str,
    csrf: String,
    find: String,
    notice: Option<String>,
    error: Option<String>,
    operator: String,
    to_verify: Vec<ToVerify>,
    to_verify_count: i64,
    concerns: Vec<ConcernLine>,
    concerns_open: i64,
    failing: Vec<FailingLine>,
    failing_count: i64,
    /// (supplier id, name, lapses on).
    lapsing: Vec<(String, String, String)>,
    /// (subscriber, endpoint, stopped, why).
    stopped: Vec<(String, String, String, String)>,
    /// (to, subject, given up, last error).
    mail: Vec<(String, String, String, String)>,
    log: LogStanding,
}

/// The public log as the operator needs to see it.
#[derive(Default)]
pub struct LogStanding {
    /// Why this instance refuses writes, if it does.
    refused: Option<String>,
    /// The newest published checkpoint: its size and when.
    published: Option<(u64, String)>,
    /// Witnesses that cosigned it, of those configured.
    cosigned: Vec<String>,
    witnesses: usize,
}

/// What is waiting for the operator.
#[utoipa::path(operation_id = "getConsole", tag = "pages",
    responses(
        (status = 200, description = "HTML: registrations to verify, open concerns, failing links, pending signatures near their lapse, stopped webhooks, mail given up", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the console's sign-in page"),
    ))]
#[get("/operator")]
pub async fn queues_page(req: HttpRequest, state: State) -> ApiResult<HttpResponse> {
    let c = match signed_in(&req).await {
        Ok(c) => c,
        Err(to) => return Ok(to),
    };
    let operator = c.operator;
    let mut page = state
        .db(move |conn| {
            let at = now();
            let name = operators::get(conn, operator)?
                .map(|o| o.name)
                .unwrap_or_default();
            let (verify, to_verify_count) = queues::to_verify(conn)?;
            let (failing, failing_count) = queues::failing_links(conn)?;
            let open = concerns::list(
                conn,
                &Filter {
                    open_only: true,
                    ..Filter::default()
                },
                queues::SHOWN,
            )?;
            Ok(QueuesPage {
                here: "queues",
                csrf: String::new(),
                find: String::new(),
                notice: None,
                error: None,
                operator: name,
                to_verify: verify
                    .into_iter()
                    .map(|s| ToVerify {
                        id: s.id.to_string(),
                        status: s.status.as_str(),
                        status_label: words::status_label(s.status),
                        company: s.company_number.map(|n| {
                            let n = n.to_string();
                            let link = words::companies_house(&n);
                            (n, link)
                        }),
                        website: s.website.to_string(),
                        contact: format!("{} <{}>", s.contact_name, s.contact_email),
                        registered: when(s.created_at),
                        name: s.name,
                    })
                    .collect(),
                to_verify_count,
                concerns_open: concerns::open_count(conn)?,
                concerns: open
                    .into_iter()
                    .map(|r| ConcernLine {
                        id: r.id.to_string(),
                        reference: reference(r.id),
                        about: r.about,
                        raised: when(r.created_at),
                        answerable: r.email.is_some(),
                    })
                    .collect(),
                failing: failing
                    .into_iter()
                    .map(|(e, supplier)| FailingLine {
                        supplier_id: e.supplier_id.to_string(),
                        supplier,
                        title: e.title,
                        url: e.url.to_string(),
                        health: e.health.as_str(),
                        health_words: words::health_words(e.health),
                        detail: e.check_detail.unwrap_or_default(),
                        last_ok: e.last_ok_at.map(when).unwrap_or_else(|| "never".into()),
                    })
                    .collect(),
                failing_count,
                lapsing: queues::pending_near_lapse(conn, at + chrono::Duration::days(30))?
                    .into_iter()
                    .map(|(s, name)| (s.supplier_id.to_string(), name, when(s.reaffirm_by)))
                    .collect(),
                stopped: webhooks::disabled(conn, queues::SHOWN)?
                    .into_iter()
                    .map(|(w, name)| {
                        (
                            name,
                            w.url,
                            w.disabled_at.map(when).unwrap_or_default(),
                            w.disabled_reason.unwrap_or_default(),
                        )
                    })
                    .collect(),
                mail: queues::mail_given_up(conn)?
                    .into_iter()
                    .map(|m| {
                        (
                            m.recipient,
                            m.subject,
                            m.failed_at.map(when).unwrap_or_default(),
                            m.last_error.unwrap_or_default(),
                        )
                    })
                    .collect(),
                log: LogStanding {
                    published: checkpoints::newest(conn)?
                        .map(|c| (c.size as u64, when(c.published_at))),
                    cosigned: match checkpoints::newest(conn)? {
                        Some(c) => checkpoints::cosignatures(conn, c.size as u64)?
                            .into_iter()
                            .map(|(name, _)| name)
                            .collect(),
                        None => Vec::new(),
                    },
                    ..LogStanding::default()
                },
            })
        })
        .await?;
    page.log.refused = state.database.refusal().map(|why| why.to_string());
    page.log.witnesses = state.checkpoints.witnesses().len();
    page.csrf = c.csrf();
    Ok(private(StatusCode::OK, render(&page)?))
}
