//! Delivering webhooks. Each subscription has a position in the change feed; a round
//! claims the subscriptions with changes after theirs and, for each, sends those
//! changes one by one, in order, moving the position on after each 2xx (changes its
//! filters leave out are passed over). A failure stops that subscription until its
//! retry is due, waiting twice as long each time (with jitter); a subscription failing
//! for longer than the give-up time is disabled and its subscriber told. Subscriptions
//! are delivered concurrently and each on its own, so one slow endpoint delays only
//! itself; several instances share the work through the claims.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use futures_util::StreamExt;
use rand::Rng;

use super::transaction;
use crate::db::Database;
use crate::db::models::webhooks::{self, SubscriptionRow};
use crate::db::models::{audit, now};
use crate::error::{Error, Result};
use crate::views::changes::Change;
use crate::webhooks::filters::Filters;
use crate::webhooks::send::Sender;

/// Changes read at a time for one subscription.
const BATCH: i64 = 100;

/// Subscriptions claimed at a time by one instance.
const CLAIMED: i64 = 64;

/// Messages one claim delivers before it lets go and the subscription waits for its
/// next turn behind the others.
pub const TURN: usize = 50;

/// How the job retries and when it gives up.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The wait after the first failure; it doubles after each, up to an hour.
    pub first_retry: Duration,
    /// A subscription failing for this long is disabled.
    pub give_up_after: Duration,
    /// Subscriptions delivered at once by one instance.
    pub concurrency: usize,
    /// Delivery slots one subscriber may hold at once, across instances.
    pub share: usize,
    /// Days the delivery log keeps an attempt.
    pub log_days: u32,
    /// How long a claim holds if its instance dies; renewed after every delivery, so
    /// it must only be longer than one delivery's timeout.
    pub lease: Duration,
}

impl Policy {
    fn claim_until(&self, at: NaiveDateTime) -> NaiveDateTime {
        at + chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::minutes(2))
    }
}

impl Policy {
    fn retry_at(&self, attempts: i32, at: NaiveDateTime) -> NaiveDateTime {
        let wait = self
            .first_retry
            .saturating_mul(1 << attempts.saturating_sub(1).clamp(0, 16))
            .min(Duration::from_secs(3600));
        let jitter = rand::thread_rng().gen_range(0..=wait.as_millis() as u64 / 4);
        at + chrono::Duration::from_std(wait + Duration::from_millis(jitter))
            .unwrap_or(chrono::Duration::hours(1))
    }
}

/// What a round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub failed: usize,
    pub disabled: usize,
}

impl std::ops::AddAssign for Round {
    fn add_assign(&mut self, o: Round) {
        self.delivered += o.delivered;
        self.failed += o.failed;
        self.disabled += o.disabled;
    }
}

/// Claims up to `limit` subscriptions with changes due for `holder`.
async fn claim(
    db: &Database,
    policy: Policy,
    holder: &str,
    limit: i64,
) -> Result<Vec<SubscriptionRow>> {
    let h = holder.to_owned();
    transaction(db, move |conn| {
        let head = audit::head(conn)?.map_or(0, |(seq, _, _)| seq);
        let at = now();
        Ok(webhooks::claim_due(
            conn,
            &h,
            head,
            at,
            policy.claim_until(at),
            limit,
            policy.share,
        )?)
    })
    .await
}

/// Delivers one claimed subscription, then lets go of it.
async fn deliver(
    db: &Database,
    sender: &Sender,
    policy: Policy,
    holder: &str,
    sub: SubscriptionRow,
) -> Result<Round> {
    let id = sub.id;
    let result = subscription(db, sender, policy, holder, sub).await;
    let h = holder.to_owned();
    transaction(db, move |conn| {
        webhooks::trim(conn, id)?;
        Ok(webhooks::release(conn, &h, id)?)
    })
    .await?;
    result
}

/// Delivers what is due now, every claimed subscription at once (up to the policy's
/// concurrency), and waits for all of them; returns what they did.
pub async fn run_once(db: &Database, sender: &Sender, policy: Policy) -> Result<Round> {
    let holder = format!("webhooks:{}", uuid::Uuid::new_v4());
    let claimed = claim(db, policy, &holder, CLAIMED).await?;
    let mut round = Round::default();
    let mut work = futures_util::stream::iter(claimed)
        .map(|sub| deliver(db, sender, policy, &holder, sub))
        .buffer_unordered(policy.concurrency.max(1));
    while let Some(result) = work.next().await {
        match result {
            Ok(r) => round += r,
            Err(e) => tracing::warn!(error = %e, "webhook delivery failed"),
        }
    }
    Ok(round)
}

/// The delivery job. Each round (every `REGISTRY_WEBHOOK_INTERVAL`) claims as many due
/// subscriptions as there are free places (the policy's concurrency) and delivers each
/// on its own task, which outlives the round: a subscription waiting on a slow endpoint
/// holds one place and nothing else, and the others, and subscriptions that become due
/// meanwhile, go on. A round reports what the deliveries finished since the last did.
pub struct DeliverWebhooks {
    db: Arc<Database>,
    sender: Arc<Sender>,
    policy: Policy,
    holder: Arc<str>,
    state: tokio::sync::Mutex<Dispatch>,
}

#[derive(Default)]
struct Dispatch {
    in_flight: tokio::task::JoinSet<Result<Round>>,
    pruned: Option<std::time::Instant>,
}

impl DeliverWebhooks {
    pub fn new(db: Arc<Database>, sender: Arc<Sender>, policy: Policy) -> DeliverWebhooks {
        DeliverWebhooks {
            db,
            sender,
            policy,
            holder: format!("webhooks:{}", uuid::Uuid::new_v4()).into(),
            state: Default::default(),
        }
    }
}

impl super::Job for DeliverWebhooks {
    const NAME: &'static str = "webhooks";

    async fn run_once(&self) -> Result<super::Report> {
        let mut state = self.state.lock().await;
        let mut done = Round::default();
        while let Some(finished) = state.in_flight.try_join_next() {
            match finished {
                Ok(Ok(r)) => done += r,
                Ok(Err(e)) => tracing::warn!(error = %e, "webhook delivery failed"),
                Err(e) => tracing::warn!(error = %e, "webhook delivery stopped"),
            }
        }
        if state
            .pruned
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(3600))
        {
            state.pruned = Some(std::time::Instant::now());
            match prune(&self.db, self.policy.log_days).await {
                Ok(n) if n > 0 => tracing::info!(attempts = n, "delivery log pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "delivery log not pruned"),
            }
        }
        let free = self
            .policy
            .concurrency
            .max(1)
            .saturating_sub(state.in_flight.len());
        if free > 0 {
            for sub in claim(&self.db, self.policy, &self.holder, free as i64).await? {
                let (db, sender, holder, policy) = (
                    self.db.clone(),
                    self.sender.clone(),
                    self.holder.clone(),
                    self.policy,
                );
                state
                    .in_flight
                    .spawn(async move { deliver(&db, &sender, policy, &holder, sub).await });
            }
        }
        Ok(super::Report::default()
            .count("delivered", done.delivered)
            .count("failed", done.failed)
            .count("disabled", done.disabled))
    }
}

/// Forgets delivery attempts older than `days` (on start, then hourly); returns how many.
pub async fn prune(db: &Database, days: u32) -> Result<usize> {
    let before = now() - chrono::Duration::days(days.into());
    transaction(db, move |conn| Ok(webhooks::prune(conn, before)?)).await
}

/// Delivers one claimed subscription's changes until it is up to date, fails, or has
/// had its turn of [`TURN`] messages.
async fn subscription(
    db: &Database,
    sender: &Sender,
    policy: Policy,
    holder: &str,
    mut sub: SubscriptionRow,
) -> Result<Round> {
    let mut round = Round::default();
    let filters = Filters::read(&sub).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let mut stored = sub.position;
    let mut sent = 0;
    loop {
        if sent >= TURN {
            // Its turn is over: the claim goes, and others go first.
            save(db, policy, holder, &sub, stored).await?;
            return Ok(round);
        }
        let after = sub.position;
        let batch = transaction(db, move |conn| {
            let head = audit::head(conn)?.map_or(0, |(seq, _, _)| seq);
            let rows = audit::public_page(conn, after, BATCH)?;
            Ok((head, rows))
        })
        .await?;
        let (head, rows) = batch;
        if rows.is_empty() {
            // Only private entries follow: nothing to deliver up to the head.
            sub.position = sub.position.max(head);
            save(db, policy, holder, &sub, stored).await?;
            return Ok(round);
        }
        for row in rows {
            let change = Change::of(row)?;
            if !filters.admit(&change) {
                sub.position = change.seq;
                continue;
            }
            if sent >= TURN {
                break;
            }
            sent += 1;
            let log = crate::usecases::webhooks::send(sender, &sub, &change, false).await?;
            let at = log.at;
            let error = log.error.clone();
            let delivered = log.status.is_some_and(|s| (200..300).contains(&s));
            let mut disabled = false;
            if delivered {
                sub.position = change.seq;
                sub.attempts = 0;
                sub.failing_since = None;
                sub.retry_at = None;
                round.delivered += 1;
            } else {
                sub.attempts += 1;
                let since = *sub.failing_since.get_or_insert(at);
                let failing_for = (at - since).to_std().unwrap_or_default();
                if failing_for >= policy.give_up_after {
                    sub.disabled_at = Some(at);
                    sub.disabled_reason = Some(format!(
                        "the endpoint has not taken a message since {} (last: {})",
                        since
                            .and_utc()
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        error.as_deref().unwrap_or("no answer")
                    ));
                    disabled = true;
                    round.disabled += 1;
                    tracing::warn!(subscription = %sub.id, "webhook subscription disabled");
                } else {
                    sub.retry_at = Some(policy.retry_at(sub.attempts, at));
                    round.failed += 1;
                }
            }
            // The attempt's log entry, the subscription's progress (and, when it is
            // disabled, the letter saying so) in one transaction.
            sub.settle_replay();
            let (h, row) = (holder.to_owned(), sub.clone());
            let kept = transaction(db, move |conn| {
                webhooks::log(conn, &log)?;
                if disabled {
                    crate::usecases::webhooks::tell_disabled(conn, &row, at)?;
                }
                let until = policy.claim_until(now());
                Ok(webhooks::progress(conn, &h, &row, stored, until)?)
            })
            .await?;
            if !kept || !delivered {
                // The subscriber moved it meanwhile (a replay), or it waits to retry.
                return Ok(round);
            }
            stored = sub.position;
        }
        if !save(db, policy, holder, &sub, stored).await? {
            return Ok(round);
        }
        stored = sub.position;
    }
}

/// Records a claimed subscription's progress; false when the subscriber changed it
/// meanwhile (its change stands).
async fn save(
    db: &Database,
    policy: Policy,
    holder: &str,
    sub: &SubscriptionRow,
    stored: i64,
) -> Result<bool> {
    let (h, mut row) = (holder.to_owned(), sub.clone());
    row.settle_replay();
    transaction(db, move |conn| {
        let until = policy.claim_until(now());
        Ok(webhooks::progress(conn, &h, &row, stored, until)?)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_with_some_jitter_and_stop_growing_at_an_hour() {
        let policy = Policy {
            first_retry: Duration::from_secs(10),
            give_up_after: Duration::from_secs(3 * 86400),
            concurrency: 4,
            share: 2,
            log_days: 30,
            lease: Duration::from_secs(120),
        };
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        for (attempts, base) in [(1, 10), (2, 20), (3, 40), (12, 3600), (30, 3600)] {
            let wait = (policy.retry_at(attempts, at) - at).num_milliseconds();
            assert!(
                (base * 1000..=base * 1250).contains(&wait),
                "{attempts}: {wait} ms"
            );
        }
    }
}
