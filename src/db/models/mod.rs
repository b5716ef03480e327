//! Rows and queries, one file per table (or table family).

pub mod audit;
pub mod checks;
pub mod evidence;
pub mod history;
pub mod pledge;
pub mod records;
pub mod signature;
pub mod signing_keys;
pub mod supplier;

/// The current time as stored: UTC, whole microseconds (what both backends keep).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// When anything a public read shows last changed: the newest audit entry. Every write
/// makes one in its transaction, time-caused changes included (lapsing, and the expiry
/// job's `evidence.expired`), and stored records change only with writes, so this is an
/// upper bound for any one of them, and so a safe `Last-Modified`.
pub fn register_modified_at(
    conn: &mut crate::db::DbConn,
) -> diesel::QueryResult<Option<chrono::NaiveDateTime>> {
    Ok(audit::head(conn)?.map(|(_, _, at)| at))
}
