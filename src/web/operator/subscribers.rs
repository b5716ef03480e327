//! Webhook subscribers on the console: every one, adding one (its token shown once),
//! and switching one off.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::queues::when;
use super::{ConfirmPage, Console, refusal, signed_in};
use crate::db::models::{now, webhooks as stored};
use crate::domain::SubscriberId;
use crate::http::problem::ApiResult;
use crate::state::State;
use crate::usecases::webhooks;
use crate::web::form::{Posted, private, see_other};
use crate::web::render;

pub struct Line {
    id: String,
    name: String,
    email: String,
    added: String,
    standing: String,
    on: bool,
}

#[derive(Template)]
#[template(path = "operator/subscribers.html")]
struct SubscribersPage {
    here: &'static str,
    csrf: String,
    find: String,
    notice: Option<String>,
    error: Option<String>,
    /// The subscriber just added and its token, shown once.
    created: Option<(String, String)>,
    subscribers: Vec<Line>,
}

async fn answer(
    state: &State,
    c: &Console,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    created: Option<(String, String)>,
) -> ApiResult<HttpResponse> {
    let subscribers = state
        .db(|conn| Ok(stored::subscribers(conn, 500)?))
        .await?
        .into_iter()
        .map(|s| Line {
            id: s.id.to_string(),
            standing: match (s.disabled_at, s.confirmed_at) {
                (Some(at), _) => format!("switched off {}", when(at)),
                (None, Some(_)) => "on, address confirmed".into(),
                (None, None) => "on, address not confirmed".into(),
            },
            on: s.disabled_at.is_none(),
            added: when(s.created_at),
            name: s.name,
            email: s.email,
        })
        .collect();
    let page = SubscribersPage {
        here: "subscribers",
        csrf: c.csrf(),
        find: String::new(),
        notice,
        error,
        created,
        subscribers,
    };
    Ok(private(status, render(&page)?))
}

#[derive(Debug, serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// Webhook subscribers on the console.
#[utoipa::path(operation_id = "getConsoleSubscribers", tag = "pages",
    params(("done" = Option<String>, Query, description = "`disable` after switching one off, for the page to say so")),
    responses(
        (status = 200, description = "HTML: every subscriber, and the form to add one", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the console's sign-in page"),
    ))]
#[get("/operator/subscribers")]
pub async fn subscribers_page(
    req: HttpRequest,
    state: State,
    q: web::Query<Done>,
) -> ApiResult<HttpResponse> {
    let c = match signed_in(&req).await {
        Ok(c) => c,
        Err(to) => return Ok(to),
    };
    let notice = (q.done == "disable")
        .then(|| "Switched off: its tokens ended and its subscriptions stopped.".to_owned());
    answer(&state, &c, StatusCode::OK, notice, None, None).await
}

/// Add a webhook subscriber: the page shows its token, once.
#[utoipa::path(operation_id = "postConsoleSubscriber", tag = "pages",
    responses(
        (status = 201, description = "HTML: added, with the subscriber's token shown once", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the console's sign-in page"),
        (status = 403, description = "HTML: the form's token is not this session's, or it came from another site", content_type = "text/html"),
        (status = 422, description = "HTML: the page, naming the field to mend", content_type = "text/html"),
    ))]
#[post("/operator/subscribers")]
pub async fn add(req: HttpRequest, state: State, body: Posted) -> ApiResult<HttpResponse> {
    let form = body.0;
    let c = match Console::posting(&req, &state, &form).await {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let (name, email) = (form.get("name"), form.get("email"));
    let by = c.by();
    let issuing = state.issuing();
    let result = state
        .tx(move |conn| {
            let row = webhooks::add_subscriber(conn, &by, &name, &email, now())?;
            let token = webhooks::issue_token(conn, &issuing, row.id, "webhook subscriber")?;
            Ok((row.name, token.token))
        })
        .await;
    match result {
        Ok(created) => answer(&state, &c, StatusCode::CREATED, None, None, Some(created)).await,
        Err(e) => {
            let (status, said) = refusal(e)?;
            answer(&state, &c, status, None, Some(said), None).await
        }
    }
}

/// Switch a subscriber off (asked first): its tokens end and its subscriptions stop.
#[utoipa::path(operation_id = "postConsoleSubscriberDisable", tag = "pages",
    params(("id" = String, Path, format = Uuid, description = "The subscriber's id")),
    responses(
        (status = 200, description = "HTML: the question, asked before it is done (send the form again with confirm=yes)", content_type = "text/html"),
        (status = 303, description = "Done: to the subscribers, saying so; or not signed in"),
        (status = 403, description = "HTML: the form's token is not this session's, or it came from another site", content_type = "text/html"),
        (status = 404, description = "HTML: the page: no such subscriber", content_type = "text/html"),
        (status = 409, description = "HTML: the page: switched off already", content_type = "text/html"),
    ))]
#[post("/operator/subscribers/{id}/disable")]
pub async fn disable(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
    body: Posted,
) -> ApiResult<HttpResponse> {
    let form = body.0;
    let c = match Console::posting(&req, &state, &form).await {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let Ok(id) = path.parse::<SubscriberId>() else {
        return answer(
            &state,
            &c,
            StatusCode::NOT_FOUND,
            None,
            Some("there is no such subscriber".into()),
            None,
        )
        .await;
    };
    if form.get("confirm") != "yes" {
        return ConfirmPage {
            question: "Switch this subscriber off?".into(),
            consequence: "Its tokens end now and every one of its subscriptions stops; it cannot sign up again with its address. Changes it misses are not sent later.".into(),
            action: format!("/operator/subscribers/{id}/disable"),
            csrf: c.csrf(),
            carried: Vec::new(),
            back: "/operator/subscribers".into(),
        }
        .answer();
    }
    let by = c.by();
    let result = state
        .tx(move |conn| webhooks::disable_subscriber(conn, &by, id, now()).map(|_| ()))
        .await;
    match result {
        Ok(()) => Ok(see_other("/operator/subscribers?done=disable")),
        Err(e) => {
            let (status, said) = refusal(e)?;
            answer(&state, &c, status, None, Some(said), None).await
        }
    }
}
