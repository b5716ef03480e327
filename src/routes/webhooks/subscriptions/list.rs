use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use super::*;
use crate::auth::Subscriber;
use crate::db::models::webhooks::{self as stored};
use crate::http::problem::ApiResult;
use crate::routes::problems::AuthErrors;
use crate::state::State;

/// A subscriber's subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Subscriptions {
    pub items: Vec<Subscription>,
}

/// List your subscriptions.
#[utoipa::path(operation_id = "listSubscriptions", tag = "webhooks", security(("bearer" = [])), responses(
    (status = 200, body = Subscriptions, description = "Your subscriptions, oldest first"),
    AuthErrors,
))]
#[get("/webhooks/subscriptions")]
pub async fn list(state: State, who: Subscriber) -> ApiResult<HttpResponse> {
    let rows = state
        .db(move |conn| Ok(stored::of_subscriber(conn, who.id)?))
        .await?;
    let items = rows
        .into_iter()
        .map(Subscription::of)
        .collect::<ApiResult<_>>()?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(Subscriptions { items }))
}
