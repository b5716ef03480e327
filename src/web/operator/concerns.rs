//! A concern on the console: what the person wrote, the replies sent, and replying
//! (emailed) or closing it with what was found.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::queues::when;
use super::{Console, no_such, refusal, signed_in};
use crate::db::DbConn;
use crate::db::models::{concerns as stored, now, operators};
use crate::domain::{ConcernId, SupplierId};
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::state::State;
use crate::usecases::concerns;
use crate::web::form::{Posted, private, see_other};
use crate::web::render;

#[derive(Template)]
#[template(path = "operator/concern.html")]
struct ConcernPage {
    here: &'static str,
    csrf: String,
    find: String,
    notice: Option<String>,
    error: Option<String>,
    id: String,
    reference: String,
    about: String,
    supplier_id: Option<SupplierId>,
    details: String,
    email: Option<String>,
    raised: String,
    closed: Option<String>,
    outcome: Option<String>,
    /// (when, by, what).
    replies: Vec<(String, String, String)>,
}

fn load(conn: &mut DbConn, id: ConcernId) -> crate::error::Result<ConcernPage> {
    let c = stored::get(conn, id)?.ok_or_else(|| Error::NotFound(format!("no concern {id}")))?;
    let ops: HashMap<String, String> = operators::all(conn)?
        .into_iter()
        .map(|o| (crate::usecases::accounts::operators::actor(o.id), o.name))
        .collect();
    let replies = stored::replies(conn, id)?
        .into_iter()
        .map(|r| {
            let by = ops
                .get(&r.written_by)
                .cloned()
                .unwrap_or_else(|| "an operator".into());
            (when(r.created_at), by, r.body)
        })
        .collect();
    Ok(ConcernPage {
        here: "concern",
        csrf: String::new(),
        find: String::new(),
        notice: None,
        error: None,
        id: c.id.to_string(),
        reference: concerns::reference(c.id),
        about: c.about,
        supplier_id: c.supplier_id,
        details: c.details,
        email: c.email,
        raised: when(c.created_at),
        closed: c.closed_at.map(when),
        outcome: c.outcome,
        replies,
    })
}

async fn answer(
    state: &State,
    c: &Console,
    id: ConcernId,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> ApiResult<HttpResponse> {
    let mut page = match state.db(move |conn| load(conn, id)).await {
        Err(ApiError::Domain(Error::NotFound(_))) => return Ok(no_such("concern")),
        other => other?,
    };
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

/// A concern on the console.
#[utoipa::path(operation_id = "getConsoleConcern", tag = "pages",
    params(
        ("id" = String, Path, format = Uuid, description = "Concern id"),
        ("done" = Option<String>, Query, description = "The action just done (reply or close), for the page to say so"),
    ),
    responses(
        (status = 200, description = "HTML: the concern, the replies sent, and the forms to reply and to close it", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the console's sign-in page"),
        (status = 404, description = "No such concern", content_type = "text/html"),
    ))]
#[get("/operator/concerns/{id}")]
pub async fn concern_page(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
    q: web::Query<Done>,
) -> ApiResult<HttpResponse> {
    let c = match signed_in(&req).await {
        Ok(c) => c,
        Err(to) => return Ok(to),
    };
    let Ok(id) = path.parse::<ConcernId>() else {
        return Ok(no_such("concern"));
    };
    let notice = match q.done.as_str() {
        "reply" => Some("Your reply has been emailed. The concern stays open.".to_owned()),
        "close" => Some(
            "Closed. If they left an address, what you found has been emailed to them.".to_owned(),
        ),
        _ => None,
    };
    answer(&state, &c, id, StatusCode::OK, notice, None).await
}

/// Reply to a concern (emailed) or close it.
#[utoipa::path(operation_id = "postConsoleConcernAction", tag = "pages",
    params(
        ("id" = String, Path, format = Uuid, description = "Concern id"),
        ("action" = String, Path, description = "reply (with reply) or close (with outcome)"),
    ),
    responses(
        (status = 303, description = "Done: back to the concern, saying so; or not signed in"),
        (status = 403, description = "HTML: the form's token is not this session's, or it came from another site", content_type = "text/html"),
        (status = 404, description = "HTML: no such concern or action", content_type = "text/html"),
        (status = 409, description = "HTML: the concern, saying why it cannot be done (closed already, no address)", content_type = "text/html"),
        (status = 422, description = "HTML: the concern, naming the field to mend", content_type = "text/html"),
    ))]
#[post("/operator/concerns/{id}/{action}")]
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
    let Ok(id) = id.parse::<ConcernId>() else {
        return Ok(no_such("concern"));
    };
    let by = c.by();
    let result = match action.as_str() {
        "reply" => {
            let text = form.get("reply");
            state
                .tx(move |conn| concerns::reply(conn, &by, id, &text, now()).map(|_| ()))
                .await
        }
        "close" => {
            let outcome = form.get("outcome");
            state
                .tx(move |conn| concerns::close(conn, &by, id, &outcome, now()).map(|_| ()))
                .await
        }
        _ => return Ok(no_such("action")),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/operator/concerns/{id}?done={action}"))),
        Err(e) => {
            let (status, said) = refusal(e)?;
            answer(&state, &c, id, status, None, Some(said)).await
        }
    }
}
