//! Error responses shared by many routes, for the OpenAPI document.

use utoipa::IntoResponses;

use crate::http::problem::Problem;

/// A route that needs a token.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum AuthErrors {
    /// No token, or a malformed, expired, wrongly signed or revoked one.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The token may not do this: another supplier's record, or an operator-only route.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
}

/// A route that takes a JSON body.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum BodyErrors {
    /// The body is not JSON.
    #[response(status = 400, content_type = "application/problem+json")]
    Malformed(Problem),
    /// The body is larger than the configured limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    NotJson(Problem),
    /// Fields failed validation; `errors` names each one.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// A route about one resource.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum NotFoundError {
    /// No such resource.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// A route that reads query parameters (or takes none, and refuses any sent).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum QueryErrors {
    /// A parameter is unknown, repeated or malformed; `errors` names it.
    #[response(status = 400, content_type = "application/problem+json")]
    InvalidQuery(Problem),
}

/// A subscriber's change to its subscriptions: each is a permanent log entry.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum SubscriberLimit {
    /// More than 60 changes to this subscriber's subscriptions in an hour;
    /// `Retry-After` says when to try again.
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(Problem),
}
