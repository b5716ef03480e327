//! Webhook subscribers, their subscriptions (each with its position in the change
//! feed) and the log of delivery attempts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{subscribers, webhook_deliveries, webhook_subscriptions};
use crate::domain::{SubscriberId, SubscriptionId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = subscribers)]
pub struct SubscriberRow {
    pub id: SubscriberId,
    pub name: String,
    pub email: String,
    pub added_by: String,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    /// Switched off by the operator: its tokens ended, its subscriptions stopped.
    pub disabled_at: Option<NaiveDateTime>,
}

pub fn insert_subscriber(conn: &mut DbConn, row: &SubscriberRow) -> QueryResult<()> {
    diesel::insert_into(subscribers::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn subscriber(conn: &mut DbConn, id: SubscriberId) -> QueryResult<Option<SubscriberRow>> {
    subscribers::table
        .find(id)
        .select(SubscriberRow::as_select())
        .first(conn)
        .optional()
}

/// The oldest subscriber known by `email`.
pub fn subscriber_with_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<SubscriberRow>> {
    subscribers::table
        .filter(subscribers::email.eq(email))
        .order((subscribers::created_at.asc(), subscribers::id.asc()))
        .select(SubscriberRow::as_select())
        .first(conn)
        .optional()
}

/// Holds `id`'s row until the transaction ends, so that limits counted for one
/// subscriber are counted one writer at a time (a row lock on PostgreSQL; SQLite's
/// writers already go one at a time).
pub fn lock_subscriber(conn: &mut DbConn, id: SubscriberId) -> QueryResult<()> {
    diesel::update(subscribers::table.find(id))
        .set(subscribers::name.eq(subscribers::name))
        .execute(conn)
        .map(|_| ())
}

/// Records that a subscriber's address was confirmed at `at`.
pub fn confirm_subscriber(
    conn: &mut DbConn,
    id: SubscriberId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(subscribers::table.find(id))
        .set(subscribers::confirmed_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

/// Switches a subscriber off at `at`, and stops each of its subscriptions not stopped
/// already, saying `reason`; false when it was off already.
pub fn disable_subscriber(
    conn: &mut DbConn,
    id: SubscriberId,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        subscribers::table
            .find(id)
            .filter(subscribers::disabled_at.is_null()),
    )
    .set(subscribers::disabled_at.eq(at))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    diesel::update(
        webhook_subscriptions::table
            .filter(webhook_subscriptions::subscriber_id.eq(id))
            .filter(webhook_subscriptions::disabled_at.is_null()),
    )
    .set((
        webhook_subscriptions::disabled_at.eq(at),
        webhook_subscriptions::disabled_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(true)
}

/// Every subscriber, newest first.
pub fn subscribers(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<SubscriberRow>> {
    subscribers::table
        .order((subscribers::created_at.desc(), subscribers::id.asc()))
        .limit(limit)
        .select(SubscriberRow::as_select())
        .load(conn)
}

/// Subscriptions stopped by the registry (their endpoint failed too long) whose
/// subscriber is still on, oldest first: the operator's queue.
pub fn disabled(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<(SubscriptionRow, String)>> {
    webhook_subscriptions::table
        .inner_join(subscribers::table.on(subscribers::id.eq(webhook_subscriptions::subscriber_id)))
        .filter(webhook_subscriptions::disabled_at.is_not_null())
        .filter(subscribers::disabled_at.is_null())
        .order((
            webhook_subscriptions::disabled_at.asc(),
            webhook_subscriptions::id.asc(),
        ))
        .limit(limit)
        .select((SubscriptionRow::as_select(), subscribers::name))
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionRow {
    pub id: SubscriptionId,
    pub subscriber_id: SubscriberId,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until: Option<NaiveDateTime>,
    pub event_types: String,
    pub supplier_ids: String,
    pub statuses: String,
    pub created_at: NaiveDateTime,
    pub paused_at: Option<NaiveDateTime>,
    pub disabled_at: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub position: i64,
    pub attempts: i32,
    pub failing_since: Option<NaiveDateTime>,
    pub retry_at: Option<NaiveDateTime>,
    #[diesel(skip_insertion)]
    pub claimed_by: Option<String>,
    #[diesel(skip_insertion)]
    pub claimed_until: Option<NaiveDateTime>,
    #[diesel(skip_insertion)]
    pub turn_at: Option<NaiveDateTime>,
    /// A replay in progress: from this seq ...
    pub replay_from: Option<i64>,
    /// ... up to this one (the head when it was asked for).
    pub replay_until: Option<i64>,
}

impl SubscriptionRow {
    /// Ends the replay in progress once the position has passed the head it went to.
    pub fn settle_replay(&mut self) {
        if self
            .replay_until
            .is_some_and(|until| self.position >= until)
        {
            self.replay_from = None;
            self.replay_until = None;
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &SubscriptionRow) -> QueryResult<()> {
    diesel::insert_into(webhook_subscriptions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// A subscriber's subscriptions, oldest first.
pub fn of_subscriber(
    conn: &mut DbConn,
    subscriber: SubscriberId,
) -> QueryResult<Vec<SubscriptionRow>> {
    webhook_subscriptions::table
        .filter(webhook_subscriptions::subscriber_id.eq(subscriber))
        .order((
            webhook_subscriptions::created_at.asc(),
            webhook_subscriptions::id.asc(),
        ))
        .select(SubscriptionRow::as_select())
        .load(conn)
}

/// One of a subscriber's subscriptions.
pub fn get(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    id: SubscriptionId,
) -> QueryResult<Option<SubscriptionRow>> {
    webhook_subscriptions::table
        .filter(webhook_subscriptions::subscriber_id.eq(subscriber))
        .find(id)
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()
}

/// Saves what a subscriber changes: pause, resume, secrets, position.
pub fn save(conn: &mut DbConn, row: &SubscriptionRow) -> QueryResult<()> {
    diesel::update(webhook_subscriptions::table.find(row.id))
        .set((
            webhook_subscriptions::secret.eq(&row.secret),
            webhook_subscriptions::previous_secret.eq(&row.previous_secret),
            webhook_subscriptions::previous_until.eq(row.previous_until),
            webhook_subscriptions::paused_at.eq(row.paused_at),
            webhook_subscriptions::disabled_at.eq(row.disabled_at),
            webhook_subscriptions::disabled_reason.eq(&row.disabled_reason),
            webhook_subscriptions::position.eq(row.position),
            webhook_subscriptions::attempts.eq(row.attempts),
            webhook_subscriptions::failing_since.eq(row.failing_since),
            webhook_subscriptions::retry_at.eq(row.retry_at),
            webhook_subscriptions::replay_from.eq(row.replay_from),
            webhook_subscriptions::replay_until.eq(row.replay_until),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn delete(conn: &mut DbConn, id: SubscriptionId) -> QueryResult<()> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::subscription_id.eq(id)))
        .execute(conn)?;
    diesel::delete(webhook_subscriptions::table.find(id))
        .execute(conn)
        .map(|_| ())
}

/// Claims up to `limit` subscriptions with changes to deliver (their position before
/// `head`), active, due and not claimed by a live claim, for `holder` until `until`.
///
/// Fair between subscribers: the subscriptions that waited longest for a turn go
/// first, and no subscriber holds more than `share` live claims at once (counting
/// every instance's), however many subscriptions it has or however slow its
/// endpoints are.
#[allow(clippy::too_many_arguments)]
pub fn claim_due(
    conn: &mut DbConn,
    holder: &str,
    head: i64,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
    share: usize,
) -> QueryResult<Vec<SubscriptionRow>> {
    use std::collections::HashMap;
    use webhook_subscriptions::dsl as s;
    let free = s::claimed_until.is_null().or(s::claimed_until.lt(now));
    let held: Vec<SubscriberId> = s::webhook_subscriptions
        .filter(s::claimed_until.ge(now))
        .select(s::subscriber_id)
        .load(conn)?;
    let mut holding: HashMap<SubscriberId, usize> = HashMap::new();
    for subscriber in held {
        *holding.entry(subscriber).or_default() += 1;
    }
    type Candidate = (SubscriptionId, SubscriberId, Option<NaiveDateTime>, i64);
    let mut candidates: Vec<Candidate> = s::webhook_subscriptions
        .filter(s::position.lt(head))
        .filter(s::paused_at.is_null())
        .filter(s::disabled_at.is_null())
        .filter(s::retry_at.is_null().or(s::retry_at.le(now)))
        .filter(free)
        .select((s::id, s::subscriber_id, s::turn_at, s::position))
        .load(conn)?;
    // Never had a turn first, then the longest since its last.
    candidates.sort_by_key(|&(_, _, turn, position)| (turn.is_some(), turn, position));
    let mut due = Vec::new();
    for (id, subscriber, _, _) in candidates {
        if due.len() as i64 >= limit {
            break;
        }
        let n = holding.entry(subscriber).or_default();
        if *n < share.max(1) {
            *n += 1;
            due.push(id);
        }
    }
    if due.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(
        s::webhook_subscriptions
            .filter(s::id.eq_any(&due))
            .filter(s::claimed_until.is_null().or(s::claimed_until.lt(now))),
    )
    .set((
        s::claimed_by.eq(holder),
        s::claimed_until.eq(until),
        s::turn_at.eq(now),
    ))
    .execute(conn)?;
    s::webhook_subscriptions
        .filter(s::id.eq_any(&due))
        .filter(s::claimed_by.eq(holder))
        .select(SubscriptionRow::as_select())
        .load(conn)
}

/// Records where a claimed subscription got to, and holds it until `until`, if
/// `holder` still holds it (a subscriber's own change meanwhile, such as a replay,
/// wins); true when recorded.
pub fn progress(
    conn: &mut DbConn,
    holder: &str,
    row: &SubscriptionRow,
    expected: i64,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    use webhook_subscriptions::dsl as s;
    let n = diesel::update(
        s::webhook_subscriptions
            .find(row.id)
            .filter(s::claimed_by.eq(holder))
            .filter(s::position.eq(expected)),
    )
    .set((
        s::position.eq(row.position),
        s::attempts.eq(row.attempts),
        s::failing_since.eq(row.failing_since),
        s::retry_at.eq(row.retry_at),
        s::disabled_at.eq(row.disabled_at),
        s::disabled_reason.eq(&row.disabled_reason),
        s::replay_from.eq(row.replay_from),
        s::replay_until.eq(row.replay_until),
        s::claimed_until.eq(until),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Lets go of a claim.
pub fn release(conn: &mut DbConn, holder: &str, id: SubscriptionId) -> QueryResult<()> {
    use webhook_subscriptions::dsl as s;
    diesel::update(
        s::webhook_subscriptions
            .find(id)
            .filter(s::claimed_by.eq(holder)),
    )
    .set((
        s::claimed_by.eq(None::<String>),
        s::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub subscription_id: SubscriptionId,
    pub seq: i64,
    pub message_id: String,
    pub attempt: i32,
    pub at: NaiveDateTime,
    pub status: Option<i32>,
    pub latency_ms: i32,
    pub response: String,
    pub error: Option<String>,
    pub redelivery: bool,
}

/// Records an attempt.
pub fn log(conn: &mut DbConn, row: &DeliveryRow) -> QueryResult<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Keeps a subscription's delivery log to its newest [`KEPT`] attempts (after each
/// turn of deliveries, not each delivery).
pub fn trim(conn: &mut DbConn, id: SubscriptionId) -> QueryResult<()> {
    use webhook_deliveries::dsl as d;
    let oldest_kept: Option<i64> = d::webhook_deliveries
        .filter(d::subscription_id.eq(id))
        .order(d::id.desc())
        .offset(KEPT - 1)
        .select(d::id)
        .first(conn)
        .optional()?;
    if let Some(oldest) = oldest_kept {
        diesel::delete(
            d::webhook_deliveries
                .filter(d::subscription_id.eq(id))
                .filter(d::id.lt(oldest)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Records a redelivery before it is sent (with no answer yet), so that it counts
/// against the subscriber's limit at once; returns its id for [`finish`].
pub fn start(conn: &mut DbConn, row: &DeliveryRow) -> QueryResult<i64> {
    diesel::insert_into(webhook_deliveries::table)
        .values(row)
        .returning(webhook_deliveries::id)
        .get_result(conn)
}

/// Records how the attempt [`start`] recorded went.
pub fn finish(conn: &mut DbConn, id: i64, row: &DeliveryRow) -> QueryResult<()> {
    use webhook_deliveries::dsl as d;
    diesel::update(d::webhook_deliveries.find(id))
        .set((
            d::at.eq(row.at),
            d::status.eq(row.status),
            d::latency_ms.eq(row.latency_ms),
            d::response.eq(&row.response),
            d::error.eq(&row.error),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Attempts kept per subscription in the delivery log.
pub const KEPT: i64 = 1_000;

/// Forgets attempts older than `before`; returns how many.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    use webhook_deliveries::dsl as d;
    diesel::delete(d::webhook_deliveries.filter(d::at.lt(before))).execute(conn)
}

/// Redeliveries asked for by `subscriber`'s subscriptions since `since`.
pub fn redeliveries_since(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    use webhook_deliveries::dsl as d;
    let mine = webhook_subscriptions::table
        .filter(webhook_subscriptions::subscriber_id.eq(subscriber))
        .select(webhook_subscriptions::id);
    d::webhook_deliveries
        .filter(d::redelivery.eq(true))
        .filter(d::at.ge(since))
        .filter(d::subscription_id.eq_any(mine))
        .count()
        .get_result(conn)
}

/// A subscription's newest attempts, newest first.
pub fn deliveries(
    conn: &mut DbConn,
    id: SubscriptionId,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(id))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)
}
