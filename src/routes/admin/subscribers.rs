use actix_web::{HttpResponse, post};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::Admin;
use crate::db::models::now;
use crate::http::extract::Json;
use crate::http::problem::ApiResult;
use crate::routes::problems::{AuthErrors, BodyErrors};
use crate::state::State;
use crate::usecases::webhooks;
use crate::views::accounts::SubscriberCreated;

/// A procurement tool to give a webhook account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscriber {
    /// Who it is, such as "Northshire County Council supplier assurance".
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// Where the registry writes when a subscription stops working.
    #[schema(max_length = 254)]
    email: String,
}

/// Add a webhook subscriber: a procurement tool's account, with a token that manages
/// its own subscriptions and nothing else.
#[utoipa::path(operation_id = "addSubscriber", tag = "admin", request_body = NewSubscriber, security(("bearer" = [])), responses(
    (status = 201, body = SubscriberCreated, description = "The subscriber and its token, shown only once"),
    AuthErrors,
    BodyErrors,
))]
#[post("/admin/subscribers")]
pub async fn add(state: State, admin: Admin, body: Json<NewSubscriber>) -> ApiResult<HttpResponse> {
    let r = body.0;
    let by = admin.0.by();
    let issuing = state.issuing();
    let created = state
        .tx(move |conn| {
            let row = webhooks::add_subscriber(conn, &by, &r.name, &r.email, now())?;
            let token = webhooks::issue_token(conn, &issuing, row.id, "webhook subscriber")?;
            Ok(SubscriberCreated::of(row, token))
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}
