//! The signing keys on the console: the key in use, the retired ones, and replacing
//! the key (asked first), routinely or after a compromise.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::queues::when;
use super::{ConfirmPage, Console, signed_in};
use crate::db::models::{now, signing_keys};
use crate::error::Error;
use crate::http::problem::{ApiError, ApiResult};
use crate::state::State;
use crate::web::form::{Posted, private, see_other};
use crate::web::render;

#[derive(Template)]
#[template(path = "operator/keys.html")]
struct KeysPage {
    here: &'static str,
    csrf: String,
    find: String,
    notice: Option<String>,
    error: Option<String>,
    current: String,
    since: String,
    /// (kid, from, retired, why).
    retired: Vec<(String, String, String, &'static str)>,
}

#[derive(Debug, serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// The signing keys on the console.
#[utoipa::path(operation_id = "getConsoleKeys", tag = "pages",
    params(("done" = Option<String>, Query, description = "`rotate` after a routine rotation, for the page to say so")),
    responses(
        (status = 200, description = "HTML: the key in use, the retired keys, and the form to replace the key", content_type = "text/html"),
        (status = 303, description = "Not signed in: to the console's sign-in page"),
    ))]
#[get("/operator/keys")]
pub async fn keys_page(
    req: HttpRequest,
    state: State,
    q: web::Query<Done>,
) -> ApiResult<HttpResponse> {
    let c = match signed_in(&req).await {
        Ok(c) => c,
        Err(to) => return Ok(to),
    };
    let current = state.keys.current().kid.clone();
    let kid = current.clone();
    let (since, retired) = state
        .db(move |conn| {
            let since = signing_keys::find(conn, &kid)?
                .map(|k| when(k.created_at))
                .unwrap_or_default();
            let retired = signing_keys::retired(conn)?
                .into_iter()
                .map(|k| {
                    (
                        k.kid,
                        when(k.created_at),
                        k.retired_at.map(when).unwrap_or_default(),
                        if k.compromised_at.is_some() {
                            "may have been known to someone else: what it signed is void"
                        } else {
                            "routine"
                        },
                    )
                })
                .collect::<Vec<_>>();
            Ok((since, retired))
        })
        .await?;
    let page = KeysPage {
        here: "keys",
        csrf: c.csrf(),
        find: String::new(),
        notice: (q.done == "rotate").then(|| {
            format!("Replaced: {current} signs now. Every instance sharing the key file moves to it within a minute.")
        }),
        error: None,
        current,
        since,
        retired,
    };
    Ok(private(StatusCode::OK, render(&page)?))
}

/// Replace the signing key (asked first): routine, or after a compromise (every token
/// ends, this session too).
#[utoipa::path(operation_id = "postConsoleKeyRotation", tag = "pages",
    responses(
        (status = 200, description = "HTML: the question, asked before it is done (send the form again with confirm=yes)", content_type = "text/html"),
        (status = 303, description = "Done: to the keys page (or, after a compromise, to sign in again); or not signed in"),
        (status = 403, description = "HTML: the form's token is not this session's, or it came from another site", content_type = "text/html"),
    ))]
#[post("/operator/keys/rotate")]
pub async fn rotate(req: HttpRequest, state: State, body: Posted) -> ApiResult<HttpResponse> {
    let form = body.0;
    let c = match Console::posting(&req, &state, &form).await {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let compromised = form.get("why") == "compromised";
    if form.get("confirm") != "yes" {
        return ConfirmPage {
            question: if compromised {
                "Replace the signing key because it may be known to someone else?".into()
            } else {
                "Replace the signing key?".into()
            },
            consequence: if compromised {
                "Every token ends now, yours included: you will sign in again. Each supplier and subscriber holding one is emailed how to get a new one. Attestations the old key signed stop verifying.".into()
            } else {
                "Tokens signed with the old key keep working until they expire, and what it signed still verifies. Every instance sharing the key file moves to the new key within a minute.".into()
            },
            action: "/operator/keys/rotate".into(),
            csrf: c.csrf(),
            carried: vec![("why".into(), if compromised { "compromised" } else { "routine" }.into())],
            back: "/operator/keys".into(),
        }
        .answer();
    }
    let by = c.by();
    let file = state.config.signing_key_file.clone();
    let done = state
        .database
        .run(move |conn| {
            crate::usecases::keys::rotate(conn, &file, &by, compromised, now())
                .map_err(Error::Internal)
        })
        .await
        .map_err(ApiError::Domain)?;
    // This instance moves at once; the others on their next look at the file.
    state
        .keys
        .reload()
        .map_err(|e| ApiError::Domain(Error::Internal(e)))?;
    tracing::info!(old = %done.old_kid, new = %done.new_kid, compromised, "signing key replaced from the console");
    Ok(see_other(if compromised {
        "/operator/sign-in"
    } else {
        "/operator/keys?done=rotate"
    }))
}
