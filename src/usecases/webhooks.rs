//! Webhook subscribers and their subscriptions.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::{By, notify};
use crate::db::DbConn;
use crate::db::models::audit;
use crate::db::models::webhooks::{self, SubscriberRow, SubscriptionRow};
use crate::domain::account::member_email;
use crate::domain::{SubscriberId, SubscriptionId, text};
use crate::error::{ApiError, ApiResult};
use crate::mail::letters;
use crate::usecases::validator::{Validator, field};
use crate::webhooks::Secret;
use crate::webhooks::filters::Filters;
use crate::webhooks::send::Sender;

/// Subscriptions one subscriber may hold.
pub const MAX_SUBSCRIPTIONS: usize = 20;

/// How long a rotated secret keeps signing beside its successor.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);

fn record(
    conn: &mut DbConn,
    by: &By,
    action: &str,
    entity: String,
    after: serde_json::Value,
    at: NaiveDateTime,
) -> ApiResult<()> {
    audit::record(
        conn,
        at,
        audit::Entry {
            actor: &by.actor,
            action,
            entity_type: "webhook",
            entity_id: entity,
            supplier_id: None,
            before: None,
            after: Some(after),
        },
    )?;
    Ok(())
}

/// The operator adds a subscriber (a procurement tool's account).
pub fn add_subscriber(
    conn: &mut DbConn,
    by: &By,
    name: &str,
    email: &str,
    at: NaiveDateTime,
) -> ApiResult<SubscriberRow> {
    let (name, email) = Validator::default().finish((
        field("name", text::bounded(name, 1, 200)),
        field("email", member_email(email)),
    ))?;
    let row = SubscriberRow {
        id: SubscriberId::new(),
        name,
        email,
        added_by: by.actor.clone(),
        created_at: at,
    };
    webhooks::insert_subscriber(conn, &row)?;
    record(
        conn,
        by,
        "webhook.subscriber_added",
        row.id.to_string(),
        json!({"name": row.name, "email": row.email}),
        at,
    )?;
    Ok(row)
}

/// A subscription to create.
pub struct NewSubscription {
    pub url: String,
    pub filters: Filters,
    /// Deliver the changes after this `seq` (0: every change); none: from now on.
    pub since: Option<i64>,
}

fn subscription_of(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    id: SubscriptionId,
) -> ApiResult<SubscriptionRow> {
    webhooks::get(conn, subscriber, id)?
        .ok_or_else(|| ApiError::NotFound(format!("no subscription {id} of yours")))
}

/// Creates a subscription; its secret is in the answer.
pub fn subscribe(
    conn: &mut DbConn,
    sender: &Sender,
    subscriber: SubscriberId,
    by: &By,
    new: NewSubscription,
    at: NaiveDateTime,
) -> ApiResult<(SubscriptionRow, Secret)> {
    let url = sender
        .endpoint(&new.url)
        .map_err(|m| ApiError::field("url", m))?;
    if new.since.is_some_and(|s| s < 0) {
        return Err(ApiError::field("since", "must be 0 or more"));
    }
    if webhooks::of_subscriber(conn, subscriber)?.len() >= MAX_SUBSCRIPTIONS {
        return Err(ApiError::LimitReached(format!(
            "a subscriber holds at most {MAX_SUBSCRIPTIONS} subscriptions; delete one first"
        )));
    }
    let head = audit::head(conn)?.map_or(0, |(seq, _, _)| seq);
    let secret = Secret::generate();
    let row = SubscriptionRow {
        id: SubscriptionId::new(),
        subscriber_id: subscriber,
        url: url.to_string(),
        secret: secret.expose(),
        previous_secret: None,
        previous_until: None,
        event_types: json!(new.filters.event_types).to_string(),
        supplier_ids: json!(new.filters.supplier_ids).to_string(),
        statuses: json!(new.filters.statuses).to_string(),
        created_at: at,
        paused_at: None,
        disabled_at: None,
        disabled_reason: None,
        position: new.since.unwrap_or(head).min(head),
        attempts: 0,
        failing_since: None,
        retry_at: None,
        claimed_by: None,
        claimed_until: None,
    };
    webhooks::insert(conn, &row)?;
    record(
        conn,
        by,
        "webhook.subscribed",
        row.id.to_string(),
        json!({"url": row.url, "position": row.position}),
        at,
    )?;
    Ok((row, secret))
}

/// Pauses or resumes; resuming a disabled subscription starts it again where it
/// stopped, at once.
pub fn set_paused(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    by: &By,
    id: SubscriptionId,
    paused: bool,
    at: NaiveDateTime,
) -> ApiResult<SubscriptionRow> {
    let mut row = subscription_of(conn, subscriber, id)?;
    if paused {
        row.paused_at = row.paused_at.or(Some(at));
    } else {
        row.paused_at = None;
        row.disabled_at = None;
        row.disabled_reason = None;
        row.failing_since = None;
        row.attempts = 0;
        row.retry_at = None;
    }
    webhooks::save(conn, &row)?;
    record(
        conn,
        by,
        if paused {
            "webhook.paused"
        } else {
            "webhook.resumed"
        },
        id.to_string(),
        json!({}),
        at,
    )?;
    Ok(row)
}

/// Deletes a subscription and its delivery log.
pub fn unsubscribe(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    by: &By,
    id: SubscriptionId,
    at: NaiveDateTime,
) -> ApiResult<()> {
    subscription_of(conn, subscriber, id)?;
    webhooks::delete(conn, id)?;
    record(conn, by, "webhook.deleted", id.to_string(), json!({}), at)
}

/// A new secret; the old one keeps signing beside it for [`ROTATION_OVERLAP`].
pub fn rotate(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    by: &By,
    id: SubscriptionId,
    at: NaiveDateTime,
) -> ApiResult<(SubscriptionRow, Secret)> {
    let mut row = subscription_of(conn, subscriber, id)?;
    let secret = Secret::generate();
    row.previous_secret = Some(std::mem::replace(&mut row.secret, secret.expose()));
    row.previous_until = Some(at + ROTATION_OVERLAP);
    webhooks::save(conn, &row)?;
    record(
        conn,
        by,
        "webhook.secret_rotated",
        id.to_string(),
        json!({"previous_until": row.previous_until}),
        at,
    )?;
    Ok((row, secret))
}

/// Delivers again every change after `since` (in order, from the next round).
pub fn replay(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    by: &By,
    id: SubscriptionId,
    since: i64,
    at: NaiveDateTime,
) -> ApiResult<SubscriptionRow> {
    if since < 0 {
        return Err(ApiError::field("since", "must be 0 or more"));
    }
    let mut row = subscription_of(conn, subscriber, id)?;
    row.position = since;
    row.attempts = 0;
    row.failing_since = None;
    row.retry_at = None;
    webhooks::save(conn, &row)?;
    record(
        conn,
        by,
        "webhook.replayed",
        id.to_string(),
        json!({"since": since}),
        at,
    )?;
    Ok(row)
}

/// Tells a subscriber its subscription was disabled.
pub fn tell_disabled(conn: &mut DbConn, sub: &SubscriptionRow, at: NaiveDateTime) -> ApiResult<()> {
    let Some(subscriber) = webhooks::subscriber(conn, sub.subscriber_id)? else {
        return Ok(());
    };
    let letter = letters::webhook_disabled(&sub.url, sub.disabled_reason.as_deref().unwrap_or(""));
    notify::address(
        conn,
        &subscriber.email,
        &subscriber.name,
        &letter,
        &format!(
            "webhook-disabled:{}:{}",
            sub.id,
            at.and_utc().timestamp_micros()
        ),
        at,
    )?;
    Ok(())
}
