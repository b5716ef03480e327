//! The API's answer to an error: `application/problem+json` (RFC 9457). [`ApiError`] is
//! what handlers and extractors return: every domain [`Error`] (what a use case, a
//! read or a job can fail with) maps onto it one for one, and the HTTP layer adds its
//! own (a malformed or oversized body, a method not allowed, ...).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;
pub use crate::error::FieldError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem document. `type` is stable and safe to branch on; `title` and `detail`
/// are for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:pledge-registry:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Field-level errors, present for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedBody(String),
    #[error("invalid query parameters")]
    InvalidQuery(Vec<FieldError>),
    #[error("the request failed validation")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A bound on what one supplier can make the registry carry.
    #[error("{0}")]
    LimitReached(String),
    #[error("{0} is not allowed here; see the Allow header")]
    MethodNotAllowed(String),
    #[error("the resource changed since you read it; read it again and retry with its new ETag")]
    PreconditionFailed,
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the request headers are larger than {0} bytes")]
    HeadersTooLarge(usize),
    #[error("too many requests from this client; retry in {0} seconds")]
    TooManyRequests(u64),
    #[error("the database is not reachable right now; retry shortly")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::MalformedBody(_) => ("malformed-body", "Malformed request body"),
            ApiError::InvalidQuery(_) => ("invalid-query", "Invalid query parameters"),
            ApiError::Validation(_) => ("validation", "Validation failed"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::Conflict(_) => ("conflict", "Conflict with the current state"),
            ApiError::LimitReached(_) => ("limit-reached", "A limit of the registry is reached"),
            ApiError::MethodNotAllowed(_) => ("method-not-allowed", "Method not allowed"),
            ApiError::PreconditionFailed => ("precondition-failed", "Precondition failed"),
            ApiError::PayloadTooLarge(_) => ("payload-too-large", "Request body too large"),
            ApiError::UnsupportedMediaType => ("unsupported-media-type", "Unsupported media type"),
            ApiError::HeadersTooLarge(_) => ("headers-too-large", "Request headers too large"),
            ApiError::TooManyRequests(_) => ("too-many-requests", "Too many requests"),
            ApiError::Unavailable => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let errors = match self {
            ApiError::InvalidQuery(e) | ApiError::Validation(e) => e.clone(),
            _ => Vec::new(),
        };
        let detail = match (self, errors.as_slice()) {
            (ApiError::Validation(_) | ApiError::InvalidQuery(_), [one]) => {
                format!("{}: {}", one.field, one.message)
            }
            (ApiError::Validation(_) | ApiError::InvalidQuery(_), many) => {
                let fields: Vec<&str> = many.iter().map(|e| e.field.as_str()).collect();
                format!("invalid fields: {}", fields.join(", "))
            }
            _ => self.to_string(),
        };
        Problem {
            kind: format!("urn:pledge-registry:problem:{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedBody(_) | ApiError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::LimitReached(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            ApiError::Unavailable => tracing::warn!("database unavailable"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if matches!(self, ApiError::Unauthorized(_)) {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let ApiError::TooManyRequests(secs) = self {
            res.insert_header((header::RETRY_AFTER, HeaderValue::from(*secs)));
        }
        res.json(self.problem())
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::InvalidQuery(f) => ApiError::InvalidQuery(f),
            Error::Validation(f) => ApiError::Validation(f),
            Error::Unauthorized(m) => ApiError::Unauthorized(m),
            Error::Forbidden(m) => ApiError::Forbidden(m),
            Error::NotFound(m) => ApiError::NotFound(m),
            Error::Conflict(m) => ApiError::Conflict(m),
            Error::LimitReached(m) => ApiError::LimitReached(m),
            Error::PreconditionFailed => ApiError::PreconditionFailed,
            Error::TooManyRequests(s) => ApiError::TooManyRequests(s),
            Error::Unavailable => ApiError::Unavailable,
            Error::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// An extractor that fails with a domain error answers as the API does.
impl From<Error> for actix_web::Error {
    fn from(e: Error) -> actix_web::Error {
        ApiError::from(e).into()
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        Error::from(e).into()
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Error::from(e).into()
    }
}

impl From<crate::db::Unavailable> for ApiError {
    fn from(e: crate::db::Unavailable) -> Self {
        Error::from(e).into()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
