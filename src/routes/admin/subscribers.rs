use actix_web::{HttpResponse, post};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Admin;
use crate::auth::tokens::{self, Grant, IssuedToken};
use crate::db::models::now;
use crate::domain::SubscriberId;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::Json;
use crate::routes::problems::{AuthErrors, BodyErrors};
use crate::state::State;
use crate::usecases::webhooks;

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

/// A subscriber, with its token (shown only here).
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriberCreated {
    #[schema(value_type = String, format = Uuid)]
    pub id: SubscriberId,
    pub name: String,
    pub email: String,
    pub created_at: DateTime<Utc>,
    /// The subscriber's token, for `/api/v1/webhooks/...`; shown only once.
    pub token: IssuedToken,
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
    let state2 = state.clone();
    let created = state
        .tx(move |conn| {
            let at = now();
            let row = webhooks::add_subscriber(conn, &by, &r.name, &r.email, at)?;
            let token = tokens::issue(
                conn,
                &state2.keys,
                &state2.config.public_url,
                Grant {
                    label: Some("webhook subscriber"),
                    ..Grant::subscriber(row.id, Duration::days(state2.config.token_days.into()))
                },
            )
            .map_err(ApiError::Internal)?;
            Ok(SubscriberCreated {
                id: row.id,
                name: row.name,
                email: row.email,
                created_at: row.created_at.and_utc(),
                token,
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}
