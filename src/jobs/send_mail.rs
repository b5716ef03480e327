//! Sending the outbox. Each instance claims due messages for a while, sends them and
//! records each result; a message whose instance died is claimed again when its claim
//! runs out. A failed attempt is tried again later, waiting twice as long each time,
//! until the registry gives up and says so in the log and the metrics.

use std::time::Duration;

use chrono::NaiveDateTime;

use super::transaction;
use crate::db::Database;
use crate::db::models::{now, outbox};
use crate::error::Result;
use crate::mail::{Mailer, letters};

/// Messages claimed at a time.
const BATCH: i64 = 20;

/// How long a claim holds: longer than sending a batch takes.
const CLAIM: chrono::Duration = chrono::Duration::minutes(5);

/// Retry policy.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// The wait after the first failed attempt; it doubles after each.
    pub first: Duration,
    /// Attempts before giving up.
    pub attempts: u32,
}

impl Retry {
    /// When to try again after `attempts` failed attempts, or `None` to give up.
    pub fn next(&self, attempts: u32, at: NaiveDateTime) -> Option<NaiveDateTime> {
        if attempts >= self.attempts {
            return None;
        }
        let wait = self
            .first
            .saturating_mul(1 << attempts.saturating_sub(1).min(20));
        Some(at + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1)))
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub failed: usize,
    pub given_up: usize,
}

/// The mail job: sends what is due, retrying failures.
pub struct SendMail {
    pub db: std::sync::Arc<Database>,
    pub mailer: std::sync::Arc<Mailer>,
    pub retry: Retry,
}

impl super::Job for SendMail {
    const NAME: &'static str = "mail";

    async fn run_once(&self) -> Result<super::Report> {
        let r = run_once(&self.db, &self.mailer, self.retry).await?;
        Ok(super::Report::default()
            .count("sent", r.sent)
            .count("failed", r.failed)
            .count("given_up", r.given_up))
    }
}

/// Sends every message due now, batch by batch; returns what it did.
pub async fn run_once(db: &Database, mailer: &Mailer, retry: Retry) -> Result<Round> {
    let holder = format!("mail:{}", uuid::Uuid::new_v4());
    let mut round = Round::default();
    loop {
        let h = holder.clone();
        let batch = transaction(db, move |conn| {
            let at = now();
            Ok(outbox::claim(conn, &h, at, at + CLAIM, BATCH)?)
        })
        .await?;
        if batch.is_empty() {
            return Ok(round);
        }
        for mail in batch {
            let result = mailer.send(&mail).await;
            let id = mail.id;
            let attempts = u32::try_from(mail.attempts).unwrap_or(0) + 1;
            let forget = letters::holds_secret(&mail.kind);
            match result {
                Ok(()) => {
                    transaction(db, move |conn| Ok(outbox::sent(conn, id, now(), forget)?)).await?;
                    round.sent += 1;
                }
                Err(failure) => {
                    let at = now();
                    let again = (!failure.permanent)
                        .then(|| retry.next(attempts, at))
                        .flatten();
                    if again.is_none() {
                        round.given_up += 1;
                        tracing::error!(
                            id, kind = %mail.kind, attempts, error = %failure,
                            "mail given up"
                        );
                    } else {
                        round.failed += 1;
                        tracing::warn!(
                            id, kind = %mail.kind, attempts, error = %failure,
                            "mail not sent; trying again later"
                        );
                    }
                    let detail = failure.detail.clone();
                    transaction(db, move |conn| {
                        Ok(outbox::failed(conn, id, &detail, again, at)?)
                    })
                    .await?;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_and_then_it_gives_up() {
        let retry = Retry {
            first: Duration::from_secs(60),
            attempts: 4,
        };
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let waits: Vec<i64> = (1..=4)
            .map(|n| {
                retry
                    .next(n, at)
                    .map(|t| (t - at).num_seconds())
                    .unwrap_or(-1)
            })
            .collect();
        assert_eq!(waits, [60, 120, 240, -1]);
    }
}
