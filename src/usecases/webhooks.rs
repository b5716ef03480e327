//! Webhook subscribers and their subscriptions.

use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{By, accounts, notify};
use crate::auth::tokens::{Grant, IssuedToken, Issuing};
use crate::db::DbConn;
use crate::db::models::audit;
use crate::db::models::now;
use crate::db::models::webhooks::{self, DeliveryRow, SubscriberRow, SubscriptionRow};
use crate::domain::Action;
use crate::domain::account::{LinkPurpose, member_email};
use crate::domain::{EventType, Status, SubscriberId, SubscriptionId, SupplierId, text};
use crate::error::{Error, Result};
use crate::mail::letters;
use crate::usecases::validator::{Validator, field};
use crate::views::changes::Change;
use crate::webhooks::Secret;
use crate::webhooks::filters::Filters;
use crate::webhooks::send::Sender;

/// Subscriptions one subscriber may hold.
pub const MAX_SUBSCRIPTIONS: usize = 20;

/// How long a rotated secret keeps signing beside its successor.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);

/// Changes one subscriber may make to its subscriptions in an hour: each is a
/// permanent entry in the log, so housekeeping cannot grow it without bound.
pub const WRITES_PER_HOUR: i64 = 60;

/// Redeliveries one subscriber may ask for in a minute, across its subscriptions.
pub const REDELIVERIES_PER_MINUTE: i64 = 10;

/// Records a subscriber's change, within [`WRITES_PER_HOUR`] (429 beyond it).
fn record(
    conn: &mut DbConn,
    by: &By,
    action: Action,
    entity: String,
    after: serde_json::Value,
    at: NaiveDateTime,
) -> Result<()> {
    if by.actor.starts_with("subscriber:") {
        let (n, oldest) =
            audit::written_by_since(conn, &by.actor, at - Duration::hours(1), WRITES_PER_HOUR)?;
        if n >= WRITES_PER_HOUR {
            let free_at = oldest.unwrap_or(at) + Duration::hours(1);
            return Err(Error::TooManyRequests(
                (free_at - at).num_seconds().clamp(1, 3600) as u64,
            ));
        }
    }
    super::record_unattached(conn, by, "webhook", action, entity, after, at)
}

/// The operator adds a subscriber (a procurement tool's account).
pub fn add_subscriber(
    conn: &mut DbConn,
    by: &By,
    name: &str,
    email: &str,
    at: NaiveDateTime,
) -> Result<SubscriberRow> {
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
        confirmed_at: None,
        disabled_at: None,
    };
    webhooks::insert_subscriber(conn, &row)?;
    record(
        conn,
        by,
        Action::WebhookSubscriberAdded,
        row.id.to_string(),
        json!({"name": row.name, "email": row.email}),
        at,
    )?;
    Ok(row)
}

/// The operator switches a subscriber off: its tokens end, its subscriptions stop
/// (deliveries with them), and it cannot sign up again with its address. 404 for an
/// unknown one, 409 for one off already.
pub fn disable_subscriber(
    conn: &mut DbConn,
    by: &By,
    id: SubscriberId,
    at: NaiveDateTime,
) -> Result<SubscriberRow> {
    let row = webhooks::subscriber(conn, id)?
        .ok_or_else(|| Error::NotFound(format!("no subscriber {id}")))?;
    if !webhooks::disable_subscriber(
        conn,
        id,
        "the registry's operator switched this subscriber off",
        at,
    )? {
        return Err(Error::Conflict(format!("subscriber {id} is off already")));
    }
    let ended = crate::db::models::tokens::revoke_subscriber(conn, id, at)?;
    record(
        conn,
        by,
        Action::WebhookSubscriberDisabled,
        id.to_string(),
        json!({"tokens_ended": ended}),
        at,
    )?;
    Ok(SubscriberRow {
        disabled_at: Some(at),
        ..row
    })
}

/// Issues a token for `subscriber`, lasting `days`, in the caller's transaction.
pub fn issue_token(
    conn: &mut DbConn,
    issuing: &Issuing,
    subscriber: SubscriberId,
    label: &str,
) -> Result<IssuedToken> {
    issuing
        .issue(
            conn,
            label,
            Grant::subscriber(subscriber, issuing.lifetime()),
        )
        .map_err(Error::Internal)
}

/// A sign-up for webhooks, parsed: the tool's name and its address (lower-cased).
#[derive(Debug)]
pub struct SignUpAsk {
    name: String,
    email: String,
}

impl SignUpAsk {
    /// Parses both fields: the command, or a 422 naming each that is wrong.
    pub fn parse(name: &str, email: &str) -> Result<SignUpAsk> {
        let (name, email) = Validator::default().finish((
            field("name", text::bounded(name, 1, 200)),
            field("email", member_email(email)),
        ))?;
        Ok(SignUpAsk { name, email })
    }
}

/// Someone signs a procurement tool up for webhooks: a link that confirms the address
/// is sent to it, and nothing else happens until it is used. The answer is the same
/// whether or not the address has a subscriber account already; links sent to an
/// address are bounded as sign-in links are (the two count together).
pub fn request_sign_up(conn: &mut DbConn, ask: SignUpAsk, at: NaiveDateTime) -> Result<()> {
    let SignUpAsk { name, email } = ask;
    let Some(link) = accounts::asked_link(
        conn,
        &email,
        LinkPurpose::Subscriber,
        Some(name.clone()),
        at,
    )?
    else {
        return Ok(());
    };
    notify::address(
        conn,
        &email,
        &name,
        &letters::confirm_subscriber(&name, &link, accounts::LINK_MINUTES),
        &format!("subscriber:{}", accounts::link_key(&link)),
        at,
    )?;
    Ok(())
}

/// A confirmed sign-up: the subscriber, with a new token.
pub struct SignedUp {
    pub subscriber: SubscriberRow,
    /// False when the address had a subscriber account already (the oldest, if
    /// several), which the token is then for: the way back for a tool that lost its
    /// token.
    pub new: bool,
    pub token: IssuedToken,
}

/// Uses a sign-up link (once): creates the subscriber its address asked for, or
/// confirms the one the address has, and issues a token for it. 401 for a link that is
/// unknown, used, expired or not a sign-up link.
pub fn confirm_sign_up(
    conn: &mut DbConn,
    issuing: &Issuing,
    link_secret: &str,
    at: NaiveDateTime,
) -> Result<SignedUp> {
    let link = accounts::take_link(conn, link_secret, LinkPurpose::Subscriber, at)?
        .ok_or_else(|| {
            Error::Unauthorized(
                "this sign-up link is not valid: it may have been used already or have expired; sign up again for a new one".into(),
            )
        })?;
    let (subscriber, new) = match webhooks::subscriber_with_email(conn, &link.email)? {
        Some(existing) if existing.disabled_at.is_some() => {
            return Err(Error::Forbidden(
                "the registry's operator has switched this subscriber off; write to them to be switched back on".into(),
            ));
        }
        Some(existing) => (existing, false),
        None => {
            let row = SubscriberRow {
                id: SubscriberId::new(),
                name: link.subscriber_name.unwrap_or_else(|| link.email.clone()),
                email: link.email,
                added_by: "self".into(),
                created_at: at,
                confirmed_at: None,
                disabled_at: None,
            };
            webhooks::insert_subscriber(conn, &row)?;
            (row, true)
        }
    };
    webhooks::confirm_subscriber(conn, subscriber.id, at)?;
    let subscriber = SubscriberRow {
        confirmed_at: Some(at),
        ..subscriber
    };
    let by = By::subscriber(subscriber.id);
    let token = issue_token(
        conn,
        issuing,
        subscriber.id,
        "webhook subscriber, confirmed by email",
    )?;
    record(
        conn,
        &by,
        if new {
            Action::WebhookSubscriberSignedUp
        } else {
            Action::WebhookSubscriberConfirmed
        },
        subscriber.id.to_string(),
        json!({"name": subscriber.name, "email": subscriber.email, "token": token.jti}),
        at,
    )?;
    Ok(SignedUp {
        subscriber,
        new,
        token,
    })
}

/// A subscription to create.
pub struct Subscribe {
    url: url::Url,
    filters: Filters,
    /// Deliver the changes after this `seq` (0: every change); none: from now on.
    since: Option<i64>,
}

/// A subscription to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// The endpoint: https, a public address.
    #[schema(max_length = 2048)]
    pub url: String,
    #[serde(default)]
    pub event_types: Vec<EventType>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub supplier_ids: Vec<SupplierId>,
    #[serde(default)]
    pub statuses: Vec<Status>,
    /// Deliver the changes after this `seq` too (0: all of them); absent: only changes
    /// from now on.
    #[schema(minimum = 0)]
    pub since: Option<i64>,
}

impl Subscribe {
    /// Parses every field of `new`, the endpoint by the rules `sender` delivers by: the
    /// command, or a 422 naming every field that is wrong.
    pub fn parse(new: NewSubscription, sender: &Sender) -> Result<Subscribe> {
        let url = field("url", sender.endpoint(&new.url));
        let since = field(
            "since",
            match new.since {
                Some(s) if s < 0 => Err("must be 0 or more".to_owned()),
                other => Ok(other),
            },
        );
        let (url, since) = Validator::default().finish((url, since))?;
        Ok(Subscribe {
            url,
            filters: Filters {
                event_types: new.event_types,
                supplier_ids: new.supplier_ids,
                statuses: new.statuses,
            },
            since,
        })
    }
}

fn subscription_of(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    id: SubscriptionId,
) -> Result<SubscriptionRow> {
    webhooks::get(conn, subscriber, id)?
        .ok_or_else(|| Error::NotFound(format!("no subscription {id} of yours")))
}

/// Creates a subscription; its secret is in the answer.
pub fn subscribe(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    by: &By,
    new: Subscribe,
    at: NaiveDateTime,
) -> Result<(SubscriptionRow, Secret)> {
    let url = new.url.clone();
    webhooks::lock_subscriber(conn, subscriber)?;
    if webhooks::of_subscriber(conn, subscriber)?.len() >= MAX_SUBSCRIPTIONS {
        return Err(Error::LimitReached(format!(
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
        turn_at: None,
        replay_from: None,
        replay_until: None,
    };
    webhooks::insert(conn, &row)?;
    record(
        conn,
        by,
        Action::WebhookSubscribed,
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
) -> Result<SubscriptionRow> {
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
            Action::WebhookPaused
        } else {
            Action::WebhookResumed
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
) -> Result<()> {
    subscription_of(conn, subscriber, id)?;
    webhooks::delete(conn, id)?;
    record(
        conn,
        by,
        Action::WebhookDeleted,
        id.to_string(),
        json!({}),
        at,
    )
}

/// A new secret; the old one keeps signing beside it for [`ROTATION_OVERLAP`].
pub fn rotate(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    by: &By,
    id: SubscriptionId,
    at: NaiveDateTime,
) -> Result<(SubscriptionRow, Secret)> {
    let mut row = subscription_of(conn, subscriber, id)?;
    let secret = Secret::generate();
    row.previous_secret = Some(std::mem::replace(&mut row.secret, secret.expose()));
    row.previous_until = Some(at + ROTATION_OVERLAP);
    webhooks::save(conn, &row)?;
    record(
        conn,
        by,
        Action::WebhookSecretRotated,
        id.to_string(),
        json!({"previous_until": row.previous_until}),
        at,
    )?;
    Ok((row, secret))
}

/// A position in the change feed to replay from, parsed: 0 or more.
#[derive(Debug, Clone, Copy)]
pub struct ReplayFrom(i64);

impl ReplayFrom {
    /// The position, or a 422 naming `since`.
    pub fn parse(since: i64) -> Result<ReplayFrom> {
        if since < 0 {
            return Err(Error::field("since", "must be 0 or more"));
        }
        Ok(ReplayFrom(since))
    }
}

/// Delivers again every change after `since` (in order, from the next round). A
/// replay that one in progress already covers (it started at or before `since`) is
/// folded into it: the answer is the subscription as it is, and nothing is sent twice.
pub fn replay(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    by: &By,
    id: SubscriptionId,
    since: ReplayFrom,
    at: NaiveDateTime,
) -> Result<SubscriptionRow> {
    let ReplayFrom(since) = since;
    webhooks::lock_subscriber(conn, subscriber)?;
    let mut row = subscription_of(conn, subscriber, id)?;
    let covered = match row.replay_from {
        Some(from) => since >= from,
        None => since >= row.position,
    };
    if covered {
        return Ok(row);
    }
    let head = audit::head(conn)?.map_or(0, |(seq, _, _)| seq);
    row.replay_from = Some(since);
    row.replay_until = Some(head.max(row.replay_until.unwrap_or(0)).max(row.position));
    row.position = since;
    row.attempts = 0;
    row.failing_since = None;
    row.retry_at = None;
    record(
        conn,
        by,
        Action::WebhookReplayed,
        id.to_string(),
        json!({"since": since}),
        at,
    )?;
    webhooks::save(conn, &row)?;
    Ok(row)
}

/// A redelivery the subscriber may have: the change and the subscription, with the
/// attempt recorded (unanswered) so that it counts at once; 429 past
/// [`REDELIVERIES_PER_MINUTE`], 404 for a subscription or change that is not there.
pub fn start_redelivery(
    conn: &mut DbConn,
    subscriber: SubscriberId,
    id: SubscriptionId,
    seq: i64,
    at: NaiveDateTime,
) -> Result<(SubscriptionRow, Change, i64)> {
    webhooks::lock_subscriber(conn, subscriber)?;
    let sub = subscription_of(conn, subscriber, id)?;
    let entry = audit::public_entry(conn, seq)?
        .ok_or_else(|| Error::NotFound(format!("no public change {seq}")))?;
    let change = Change::of(entry)?;
    let asked = webhooks::redeliveries_since(conn, subscriber, at - Duration::minutes(1))?;
    if asked >= REDELIVERIES_PER_MINUTE {
        return Err(Error::TooManyRequests(60));
    }
    let pending = DeliveryRow {
        id: 0,
        subscription_id: sub.id,
        seq,
        message_id: format!("msg_{seq}"),
        attempt: 1,
        at,
        status: None,
        latency_ms: 0,
        response: String::new(),
        error: Some("sending".into()),
        redelivery: true,
    };
    let attempt = webhooks::start(conn, &pending)?;
    Ok((sub, change, attempt))
}

/// Sends one change to a subscription's endpoint, signed with every secret in force;
/// returns the attempt as the delivery log records it (the caller records it). The
/// delivery job and a subscriber's redelivery both send through here.
pub async fn send(
    sender: &Sender,
    sub: &SubscriptionRow,
    change: &Change,
    redelivery: bool,
) -> Result<DeliveryRow> {
    let internal = |e: String| Error::Internal(anyhow::anyhow!("subscription {}: {e}", sub.id));
    let url = url::Url::parse(&sub.url).map_err(|e| internal(e.to_string()))?;
    let secret = Secret::parse(&sub.secret).map_err(internal)?;
    let previous = match (&sub.previous_secret, sub.previous_until) {
        (Some(s), Some(until)) if until > now() => Secret::parse(s).ok(),
        _ => None,
    };
    let secrets: Vec<&Secret> = std::iter::once(&secret).chain(previous.as_ref()).collect();
    let body = serde_json::to_vec(change).map_err(|e| Error::Internal(e.into()))?;
    let message_id = format!("msg_{}", change.seq);
    let at = now();
    let attempt = sender
        .deliver(&url, &message_id, at.and_utc().timestamp(), &body, &secrets)
        .await;
    Ok(DeliveryRow {
        id: 0,
        subscription_id: sub.id,
        seq: change.seq,
        message_id,
        attempt: if redelivery { 1 } else { sub.attempts + 1 },
        at,
        status: attempt.status.map(i32::from),
        latency_ms: attempt.latency_ms.clamp(0, i32::MAX as i64) as i32,
        response: attempt.response,
        error: attempt.error,
        redelivery,
    })
}

/// Tells a subscriber its subscription was disabled.
pub fn tell_disabled(conn: &mut DbConn, sub: &SubscriptionRow, at: NaiveDateTime) -> Result<()> {
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
