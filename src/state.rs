//! What every handler can reach: the database, the configuration, the signing keys,
//! the checker, the request limits and counters, and the records kept in memory.

use std::sync::Arc;

use actix_web::web;

use crate::auth::KeyRing;
use crate::checker::Checker;
use crate::config::Config;
use crate::db::{Database, DbConn};
use crate::http::problem::ApiResult;

pub struct AppState {
    pub database: Arc<Database>,
    pub config: Config,
    /// The signing key in use, re-read when it is rotated.
    pub keys: Arc<KeyRing>,
    /// The evidence checker, shared by the schedule and on-demand checks.
    pub checker: Arc<Checker>,
    /// Sends the outbox's mail.
    pub mailer: Arc<crate::mail::Mailer>,
    /// Sends webhook messages.
    pub webhooks: Arc<crate::webhooks::send::Sender>,
    /// Per-client request limits.
    pub rate_limits: Arc<crate::http::ratelimit::RateLimits>,
    /// Request counters for `/metrics`.
    pub metrics: Arc<crate::http::metrics::Metrics>,
    /// Finished public reads, kept until a write changes them.
    pub reads: Arc<crate::views::cache::ReadCache>,
    /// Signs, guards and has witnessed the log's checkpoints.
    pub checkpoints: Arc<crate::usecases::checkpoints::Publisher>,
}

pub type State = web::Data<AppState>;

impl AppState {
    /// What tokens are issued with now.
    pub fn issuing(&self) -> crate::auth::tokens::Issuing {
        crate::auth::tokens::Issuing {
            keys: self.keys.current(),
            issuer: self.config.public_url.clone(),
            days: self.config.token_days,
        }
    }
}

impl AppState {
    /// The newest checkpoint, published first if the log grew (see
    /// [`crate::usecases::checkpoints::Publisher::publish`]).
    pub async fn checkpoint(&self) -> ApiResult<crate::usecases::checkpoints::Published> {
        Ok(self.checkpoints.publish(&self.database).await?)
    }
}

/// A handler's database work: the domain's errors, answered as the API answers them.
impl AppState {
    /// [`Database::run`].
    pub async fn db<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> crate::error::Result<T> + Send + 'static,
    {
        Ok(self.database.run(f).await?)
    }

    /// [`Database::transaction`].
    pub async fn tx<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> crate::error::Result<T> + Send + 'static,
    {
        Ok(self.database.transaction(f).await?)
    }

    /// [`Database::point_read`].
    pub async fn db_point_read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> crate::error::Result<T> + Send + 'static,
    {
        Ok(self.database.point_read(f).await?)
    }
}
