//! Background work, started in one place. Every job claims its work in the database,
//! so several instances never do the same job twice.

pub mod check_evidence;
pub mod deliver_webhooks;
pub mod lapse;
pub mod reminders;
pub mod send_mail;

use std::time::Duration;

use std::sync::Arc;

use crate::checker::Checker;
use crate::config::Config;
use crate::db::{Database, DbConn};
use crate::error::ApiResult;
use crate::mail::Mailer;
use crate::webhooks::send::Sender;

/// Starts the scheduled jobs of a serving instance: they are given the database, the
/// checker and their settings, never the service.
pub fn spawn(
    db: Arc<Database>,
    checker: Arc<Checker>,
    mailer: Arc<Mailer>,
    hooks: Arc<Sender>,
    config: &Config,
) {
    if let Some(every) = config.webhooks.interval {
        let db = db.clone();
        let policy = deliver_webhooks::Policy {
            first_retry: config.webhooks.retry,
            give_up_after: config.webhooks.give_up_after,
            concurrency: config.webhooks.concurrency,
            share: config.webhooks.share.min(config.webhooks.concurrency),
            lease: config.webhooks.lease,
            log_days: config.webhooks.log_days,
        };
        tokio::spawn(deliver_webhooks::run(db, hooks, policy, every));
    }
    tracing::info!(to = %mailer.describe(), "mail goes to");
    if let Some(every) = config.mail.interval {
        let db = db.clone();
        let retry = send_mail::Retry {
            first: config.mail.retry,
            attempts: config.mail.attempts,
        };
        tokio::spawn(async move {
            loop {
                match send_mail::run_once(&db, &mailer, retry).await {
                    Ok(r) if r != send_mail::Round::default() => {
                        tracing::info!(
                            sent = r.sent,
                            failed = r.failed,
                            given_up = r.given_up,
                            "mail round"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "mail round failed"),
                }
                tokio::time::sleep(every).await;
            }
        });
    }
    if let Some(every) = config.lapse_interval {
        let db = db.clone();
        let reaffirm_months = config.reaffirm_months;
        tokio::spawn(async move {
            loop {
                if let Err(e) = lapse::run_once(&db, reaffirm_months).await {
                    tracing::warn!(error = %e, "lapsing round failed");
                }
                tokio::time::sleep(every).await;
            }
        });
    }
    if let Some(every) = config.reminder_interval {
        let db = db.clone();
        tokio::spawn(async move {
            loop {
                match reminders::run_once(&db, crate::db::models::now()).await {
                    Ok(r) if r != reminders::Round::default() => tracing::info!(
                        reaffirm = r.reaffirm,
                        certifications = r.certifications,
                        tokens = r.tokens,
                        "reminders written"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "reminder round failed"),
                }
                tokio::time::sleep(every).await;
            }
        });
    }
    if let Some(interval) = config.checker.interval {
        tokio::spawn(async move {
            // Let the instance finish starting before the first round.
            let tick = interval.min(Duration::from_secs(60));
            tokio::time::sleep(tick.min(Duration::from_secs(5))).await;
            loop {
                let due_before = crate::db::models::now()
                    - chrono::Duration::from_std(interval).unwrap_or_default();
                match check_evidence::run(
                    &db,
                    &checker,
                    check_evidence::scope(None, due_before),
                    &|_| {},
                )
                .await
                {
                    Ok(s) if s.checked > 0 => {
                        tracing::info!(checked = s.checked, outcomes = ?s.outcomes, "evidence check round")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "evidence check round failed"),
                }
                tokio::time::sleep(tick).await;
            }
        });
    }
}

/// A job's database work, with its errors as the service reports them.
async fn run<T, F>(db: &Database, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
{
    db.run(f).await
}

/// Like [`run`], in one transaction.
async fn transaction<T, F>(db: &Database, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
{
    db.transaction(f).await
}
