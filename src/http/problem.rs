//! The API's answer to an error: `application/problem+json` (RFC 9457). [`ApiError`] is
//! what handlers and extractors return: it carries every domain [`Error`] (what a use
//! case, a read or a job can fail with), and adds the HTTP layer's own (a malformed or oversized body, a method not allowed, ...).

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
    /// What a use case, a read or a job failed with.
    #[error(transparent)]
    Domain(#[from] Error),
    #[error("the request body is not valid JSON: {0}")]
    MalformedBody(String),
    #[error("{0} is not allowed here; see the Allow header")]
    MethodNotAllowed(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the request headers are larger than {0} bytes")]
    HeadersTooLarge(usize),
}

impl ApiError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::field(field, message).into()
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Domain(e) => match e {
                Error::InvalidQuery(_) => ("invalid-query", "Invalid query parameters"),
                Error::Validation(_) => ("validation", "Validation failed"),
                Error::Unauthorized(_) => ("unauthorized", "Authentication required"),
                Error::Forbidden(_) => ("forbidden", "Not allowed"),
                Error::NotFound(_) => ("not-found", "Not found"),
                Error::Conflict(_) => ("conflict", "Conflict with the current state"),
                Error::LimitReached(_) => ("limit-reached", "A limit of the registry is reached"),
                Error::PreconditionFailed => ("precondition-failed", "Precondition failed"),
                Error::TooManyRequests(_) => ("too-many-requests", "Too many requests"),
                Error::Unavailable => ("unavailable", "Service unavailable"),
                Error::LogRefused(_) => (
                    "log-refused",
                    "Writes are refused: the log does not agree with its last published checkpoint",
                ),
                Error::Internal(_) => ("internal", "Internal server error"),
            },
            ApiError::MalformedBody(_) => ("malformed-body", "Malformed request body"),
            ApiError::MethodNotAllowed(_) => ("method-not-allowed", "Method not allowed"),
            ApiError::PayloadTooLarge(_) => ("payload-too-large", "Request body too large"),
            ApiError::UnsupportedMediaType => ("unsupported-media-type", "Unsupported media type"),
            ApiError::HeadersTooLarge(_) => ("headers-too-large", "Request headers too large"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let errors = match self {
            ApiError::Domain(Error::InvalidQuery(e) | Error::Validation(e)) => e.clone(),
            _ => Vec::new(),
        };
        let detail = match (self, errors.as_slice()) {
            (ApiError::Domain(Error::Validation(_) | Error::InvalidQuery(_)), [one]) => {
                format!("{}: {}", one.field, one.message)
            }
            (ApiError::Domain(Error::Validation(_) | Error::InvalidQuery(_)), many) => {
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
            ApiError::Domain(e) => match e {
                Error::InvalidQuery(_) => StatusCode::BAD_REQUEST,
                Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
                Error::Forbidden(_) => StatusCode::FORBIDDEN,
                Error::NotFound(_) => StatusCode::NOT_FOUND,
                Error::Conflict(_) | Error::LimitReached(_) => StatusCode::CONFLICT,
                Error::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
                Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
                Error::Unavailable | Error::LogRefused(_) => StatusCode::SERVICE_UNAVAILABLE,
                Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::MalformedBody(_) => StatusCode::BAD_REQUEST,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Domain(Error::Internal(cause)) => {
                tracing::error!(error = ?cause, "request failed")
            }
            ApiError::Domain(Error::Unavailable) => tracing::warn!("database unavailable"),
            ApiError::Domain(Error::LogRefused(why)) => tracing::error!(why, "write refused"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if matches!(self, ApiError::Domain(Error::Unauthorized(_))) {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let ApiError::Domain(Error::TooManyRequests(secs)) = self {
            res.insert_header((header::RETRY_AFTER, HeaderValue::from(*secs)));
        }
        res.json(self.problem())
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
        Error::Internal(anyhow::anyhow!("blocking task failed: {e}")).into()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
