//! Background work: one [`Job`] type per job, registered in [`spawn`], each run by
//! [`supervise`]. Every job claims its work in the database, so several instances
//! never do the same job twice.

pub mod check_companies;
pub mod check_evidence;
pub mod deliver_webhooks;
pub mod lapse;
pub mod publish_checkpoints;
pub mod reminders;
pub mod send_mail;

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use crate::checker::Checker;
use crate::config::Config;
use crate::db::{Database, DbConn};
use crate::error::Result;
use crate::mail::Mailer;
use crate::webhooks::send::Sender;

/// A background job: one round of work, which [`supervise`] runs again and again.
pub trait Job: Send + Sync + 'static {
    /// The job's name in the logs.
    const NAME: &'static str;

    /// Does what is due now; says what it did.
    fn run_once(&self) -> impl Future<Output = Result<Report>> + Send;
}

/// What one round of a job did: named counts, logged when any is not zero.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report(Vec<(Cow<'static, str>, usize)>);

impl Report {
    pub fn count(self, name: &'static str, n: usize) -> Report {
        self.count_owned(name, n)
    }

    pub fn count_owned(mut self, name: impl Into<Cow<'static, str>>, n: usize) -> Report {
        self.0.push((name.into(), n));
        self
    }

    /// Whether the round found nothing to do.
    pub fn is_quiet(&self) -> bool {
        self.0.iter().all(|(_, n)| *n == 0)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (name, n)) in self.0.iter().enumerate() {
            write!(f, "{}{name}={n}", if i > 0 { " " } else { "" })?;
        }
        Ok(())
    }
}

/// The wait after `failures` rounds failed in a row: the interval, doubled per
/// failure, at most 32 intervals and at most an hour (never less than the interval).
pub fn back_off(every: Duration, failures: u32) -> Duration {
    let grown = every.saturating_mul(1 << failures.min(5));
    grown.min(Duration::from_secs(3600)).max(every)
}

/// Runs `job` for as long as the instance serves: first after `first`, then every
/// `every`. A round that did something is logged with its report; a failed round is
/// logged and the next waits longer ([`back_off`]); a round that panics is logged as a
/// failure and the job goes on.
pub fn supervise<J: Job>(job: J, first: Duration, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::time::sleep(first).await;
        let mut failures = 0u32;
        loop {
            let round = std::panic::AssertUnwindSafe(job.run_once())
                .catch_unwind()
                .await;
            match round {
                Ok(Ok(report)) => {
                    failures = 0;
                    if !report.is_quiet() {
                        tracing::info!(job = J::NAME, %report, "job round");
                    }
                }
                Ok(Err(e)) => {
                    failures += 1;
                    tracing::warn!(job = J::NAME, error = %e, failures, "job round failed");
                }
                Err(_) => {
                    failures += 1;
                    tracing::error!(job = J::NAME, failures, "job round panicked");
                }
            }
            tokio::time::sleep(if failures == 0 {
                every
            } else {
                back_off(every, failures)
            })
            .await;
        }
    })
}

/// Registers the scheduled jobs of a serving instance: they are given the database,
/// the checker and their settings, never the service.
pub fn spawn(
    db: Arc<Database>,
    checker: Arc<Checker>,
    mailer: Arc<Mailer>,
    hooks: Arc<Sender>,
    publisher: Arc<crate::usecases::checkpoints::Publisher>,
    config: &Config,
) {
    supervise(
        publish_checkpoints::PublishCheckpoints {
            db: db.clone(),
            publisher,
        },
        Duration::ZERO,
        Duration::from_secs(5),
    );
    if let Some(every) = config.webhooks.interval {
        let policy = deliver_webhooks::Policy {
            first_retry: config.webhooks.retry,
            give_up_after: config.webhooks.give_up_after,
            concurrency: config.webhooks.concurrency,
            share: config.webhooks.share.min(config.webhooks.concurrency),
            lease: config.webhooks.lease,
            log_days: config.webhooks.log_days,
        };
        let job = deliver_webhooks::DeliverWebhooks::new(db.clone(), hooks, policy);
        supervise(job, Duration::ZERO, every);
    }
    tracing::info!(to = %mailer.describe(), "mail goes to");
    if let Some(every) = config.mail.interval {
        let retry = send_mail::Retry {
            first: config.mail.retry,
            attempts: config.mail.attempts,
        };
        let job = send_mail::SendMail {
            db: db.clone(),
            mailer,
            retry,
        };
        supervise(job, Duration::ZERO, every);
    }
    if let Some(every) = config.lapse_interval {
        let job = lapse::Lapse {
            db: db.clone(),
            reaffirm_months: config.reaffirm_months,
        };
        supervise(job, Duration::ZERO, every);
    }
    if let Some(every) = config.reminder_interval {
        supervise(
            reminders::Reminders { db: db.clone() },
            Duration::ZERO,
            every,
        );
    }
    match crate::companies_house::Client::new(&config.companies_house) {
        Ok(Some(client)) => {
            let job = check_companies::CheckCompanies {
                db: db.clone(),
                client: Arc::new(client),
                operator_email: config.operator_email.clone(),
            };
            supervise(job, Duration::from_secs(5), config.companies_house.interval);
        }
        Ok(None) => tracing::info!(
            "Companies House checks are off: REGISTRY_COMPANIES_HOUSE_KEY is not set"
        ),
        Err(e) => tracing::error!(error = %e, "Companies House checks are off"),
    }
    if let Some(interval) = config.checker.interval {
        // Rounds start often (each takes only links not checked for `interval`); the
        // first waits for the instance to finish starting.
        let tick = interval.min(Duration::from_secs(60));
        let job = check_evidence::CheckEvidence {
            db,
            checker,
            interval,
        };
        supervise(job, tick.min(Duration::from_secs(5)), tick);
    }
}

/// A job's database work, with its errors as the service reports them.
async fn run<T, F>(db: &Database, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T> + Send + 'static,
{
    db.run(f).await
}

/// Like [`run`], in one transaction.
async fn transaction<T, F>(db: &Database, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T> + Send + 'static,
{
    db.transaction(f).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_job_waits_longer_each_time_up_to_a_bound() {
        let every = Duration::from_secs(10);
        let waits: Vec<u64> = (0..8).map(|n| back_off(every, n).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 320, 320]);
        assert_eq!(
            back_off(Duration::from_secs(600), 4),
            Duration::from_secs(3600)
        );
        assert_eq!(
            back_off(Duration::from_secs(7200), 3),
            Duration::from_secs(7200)
        );
    }

    #[test]
    fn a_report_is_quiet_only_when_every_count_is_zero() {
        let quiet = Report::default().count("sent", 0).count("failed", 0);
        assert!(quiet.is_quiet());
        let busy = Report::default()
            .count("sent", 2)
            .count_owned("ok".to_owned(), 0);
        assert!(!busy.is_quiet());
        assert_eq!(busy.to_string(), "sent=2 ok=0");
    }
}
