//! The domain's error: what a use case, a read model, a job or the token check can
//! fail with, in the words of the registry rather than of HTTP. The HTTP layer maps
//! each onto a problem document (`http::problem`); a job logs it.

use serde::Serialize;
use utoipa::ToSchema;

/// One field that failed validation. `field` is a JSON path into the request
/// (`statements.transparency`, `evidence.0.url`) or a query parameter name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query (a filter, a cursor) that cannot be read.
    #[error("invalid query parameters")]
    InvalidQuery(Vec<FieldError>),
    /// Input that breaks the registry's rules, every field that does.
    #[error("the request failed validation")]
    Validation(Vec<FieldError>),
    /// Nobody the registry knows (a link or token that is unknown, used or expired).
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
    /// The record changed since the writer read it.
    #[error("the resource changed since you read it; read it again and retry with its new ETag")]
    PreconditionFailed,
    /// Too many of one thing in a while; retry in this many seconds.
    #[error("too many requests from this client; retry in {0} seconds")]
    TooManyRequests(u64),
    #[error("the database is not reachable right now; retry shortly")]
    Unavailable,
    /// The log does not agree with the last checkpoint the registry published, so no
    /// write is taken until the operator has looked (docs/audit-log.md).
    #[error("{0}")]
    LogRefused(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// `Result` with the domain error (a second parameter names another error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A validation error of one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as Db};
        match e {
            Db::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::info!(
                    detail = info.message(),
                    "unique violation answered as conflict"
                );
                Error::Conflict("a concurrent change conflicted with this one; retry".into())
            }
            Db::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Error::Conflict("a concurrent change conflicted with this one; retry".into())
            }
            Db::QueryBuilderError(e) if e.is::<crate::db::models::audit::Refused>() => {
                match *e
                    .downcast::<crate::db::models::audit::Refused>()
                    .expect("checked")
                {
                    crate::db::models::audit::Refused::Log(why) => Error::LogRefused(why),
                    crate::db::models::audit::Refused::TooLarge(len) => {
                        Error::LimitReached(format!(
                            "this change would make a public log entry of {len} bytes; an entry holds at most {} (shorten the statements)",
                            u16::MAX
                        ))
                    }
                }
            }
            other => Error::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %e, "no database connection");
        Error::Unavailable
    }
}

impl From<crate::db::Unavailable> for Error {
    fn from(e: crate::db::Unavailable) -> Self {
        use crate::db::Unavailable;
        match e {
            Unavailable::Pool(e) => e.into(),
            Unavailable::Closed => Error::Unavailable,
            Unavailable::Task(why) => {
                Error::Internal(anyhow::anyhow!("database work failed: {why}"))
            }
        }
    }
}
