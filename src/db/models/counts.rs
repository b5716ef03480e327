//! What `/metrics` reports from the database: the registry's size, and the backlogs an
//! on-call engineer alerts on (links waiting for a check, mail waiting, webhook
//! subscriptions behind the log, the log and its tree, the signing key's age). The same
//! on every instance.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    audit_log, evidence, outbox, signing_keys, suppliers, webhook_subscriptions,
};

#[derive(Debug, Default)]
pub struct RegistryCounts {
    pub suppliers_by_status: Vec<(String, i64)>,
    /// Live links only.
    pub evidence_by_health: Vec<(String, i64)>,
    /// Messages waiting to be sent, and messages the registry gave up on.
    pub mail: (i64, i64),
    /// When the oldest message still waiting was written.
    pub mail_oldest: Option<NaiveDateTime>,
    /// Concerns raised and not closed.
    pub concerns_open: i64,
    /// Live links due for a check (never checked, or last checked before the interval).
    pub checks_due: i64,
    /// The oldest last check of a live link (its creation, for one never checked).
    pub checks_oldest: Option<NaiveDateTime>,
    /// For each subscription state: how many, and the largest number of public log
    /// entries one is behind.
    pub webhooks: Vec<(&'static str, i64, i64)>,
    /// The log's newest entry: (seq, when).
    pub log_head: Option<(i64, NaiveDateTime)>,
    /// Leaves in the log's Merkle tree: the log's size once the tree has caught up.
    pub tree_size: u64,
    /// The size of the newest published checkpoint, and how many witnesses cosigned it.
    pub published: (u64, i64),
    /// When the signing key in use was made.
    pub key_created: Option<NaiveDateTime>,
}

/// Every count, with links due once last checked before `due_before`.
pub fn registry(conn: &mut DbConn, due_before: NaiveDateTime) -> QueryResult<RegistryCounts> {
    let live = evidence::retired_at.is_null();
    let checked_oldest: Option<NaiveDateTime> = evidence::table
        .filter(live)
        .select(min(evidence::checked_at))
        .first(conn)?;
    let never_checked_oldest: Option<NaiveDateTime> = evidence::table
        .filter(live)
        .filter(evidence::checked_at.is_null())
        .select(min(evidence::created_at))
        .first(conn)?;
    let head: Option<i64> = audit_log::table
        .filter(audit_log::public_json.is_not_null())
        .select(max(audit_log::seq))
        .first(conn)?;
    let newest: Option<(i64, NaiveDateTime)> = audit_log::table
        .order(audit_log::seq.desc())
        .select((audit_log::seq, audit_log::at))
        .first(conn)
        .optional()?;
    Ok(RegistryCounts {
        suppliers_by_status: suppliers::table
            .group_by(suppliers::status)
            .select((suppliers::status, count_star()))
            .load(conn)?,
        evidence_by_health: evidence::table
            .filter(live)
            .group_by(evidence::health)
            .select((evidence::health, count_star()))
            .load(conn)?,
        mail: super::outbox::backlog(conn)?,
        mail_oldest: outbox::table
            .filter(outbox::sent_at.is_null())
            .filter(outbox::failed_at.is_null())
            .select(min(outbox::created_at))
            .first(conn)?,
        concerns_open: super::concerns::open_count(conn)?,
        checks_due: evidence::table
            .filter(live)
            .filter(
                evidence::checked_at
                    .is_null()
                    .or(evidence::checked_at.lt(due_before)),
            )
            .count()
            .get_result(conn)?,
        checks_oldest: match (checked_oldest, never_checked_oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
        webhooks: webhooks(conn, head.unwrap_or(0))?,
        log_head: newest,
        tree_size: super::log_tree::size(conn)?,
        published: match super::checkpoints::newest(conn)? {
            None => (0, 0),
            Some(c) => (
                c.size as u64,
                super::checkpoints::cosignatures(conn, c.size as u64)?.len() as i64,
            ),
        },
        key_created: signing_keys::table
            .filter(signing_keys::retired_at.is_null())
            .select(max(signing_keys::created_at))
            .first(conn)?,
    })
}

/// A subscription's disabled, paused and failing times, and its position in the log.
type SubscriptionState = (
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    i64,
);

/// Subscriptions by state (`active`, `failing`, `paused`, `disabled`): how many, and
/// the most public entries one is behind the log's head `head`.
fn webhooks(conn: &mut DbConn, head: i64) -> QueryResult<Vec<(&'static str, i64, i64)>> {
    let rows: Vec<SubscriptionState> = webhook_subscriptions::table
        .select((
            webhook_subscriptions::disabled_at,
            webhook_subscriptions::paused_at,
            webhook_subscriptions::failing_since,
            webhook_subscriptions::position,
        ))
        .load(conn)?;
    let mut by_state: Vec<(&'static str, i64, i64)> = ["active", "failing", "paused", "disabled"]
        .into_iter()
        .map(|s| (s, 0, 0))
        .collect();
    for (disabled, paused, failing, position) in rows {
        let state = match (disabled, paused, failing) {
            (Some(_), _, _) => "disabled",
            (None, Some(_), _) => "paused",
            (None, None, Some(_)) => "failing",
            _ => "active",
        };
        if let Some(entry) = by_state.iter_mut().find(|(s, _, _)| *s == state) {
            entry.1 += 1;
            entry.2 = entry.2.max(head - position);
        }
    }
    Ok(by_state)
}
