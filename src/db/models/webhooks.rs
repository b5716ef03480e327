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
pub fn claim_due(
    conn: &mut DbConn,
    holder: &str,
    head: i64,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<SubscriptionRow>> {
    use webhook_subscriptions::dsl as s;
    let free = s::claimed_until.is_null().or(s::claimed_until.lt(now));
    let due: Vec<SubscriptionId> = s::webhook_subscriptions
        .filter(s::position.lt(head))
        .filter(s::paused_at.is_null())
        .filter(s::disabled_at.is_null())
        .filter(s::retry_at.is_null().or(s::retry_at.le(now)))
        .filter(free)
        .order(s::position.asc())
        .limit(limit)
        .select(s::id)
        .load(conn)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(
        s::webhook_subscriptions
            .filter(s::id.eq_any(&due))
            .filter(s::claimed_until.is_null().or(s::claimed_until.lt(now))),
    )
    .set((s::claimed_by.eq(holder), s::claimed_until.eq(until)))
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

pub fn log(conn: &mut DbConn, row: &DeliveryRow) -> QueryResult<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
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
