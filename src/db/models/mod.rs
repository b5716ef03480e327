//! Rows and queries, one file per table (or table family).

pub mod audit;
pub mod checkpoints;
pub mod checks;
pub mod companies;
pub mod concerns;
pub mod counts;
pub mod evidence;
pub mod history;
pub mod leases;
pub mod log_tree;
pub mod members;
pub mod operators;
pub mod outbox;
pub mod pledge;
pub mod queues;
pub mod records;
pub mod sign_in;
pub mod signature;
pub mod signing_keys;
pub mod snapshots;
pub mod supplier;
pub mod tokens;
pub mod webhooks;

/// The current time as stored: UTC, whole microseconds (what both backends keep).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}
