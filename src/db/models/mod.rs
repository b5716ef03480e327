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

/// When anything a public read shows last changed: the newest audit entry (every
/// write makes one, in its transaction) or the latest certification expiry already
/// passed (expiry is worked out at read time, so it writes nothing), whichever is later.
/// An upper bound for any one record, and so a safe `Last-Modified`.
pub fn register_modified_at(
    conn: &mut crate::db::DbConn,
    today: chrono::NaiveDate,
) -> diesel::QueryResult<Option<chrono::NaiveDateTime>> {
    let logged = audit::head(conn)?.map(|(_, _, at)| at);
    let expired = evidence::last_expiry_passed(conn, today)?
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0));
    Ok(logged.max(expired))
}
