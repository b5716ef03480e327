//! The scheduled evidence check: a round over every link not checked for an interval
//! (the round itself, and what a result changes, are `usecases::checks`).

use std::time::Duration;

use super::{Job, Report};
use crate::checker::Checker;
use crate::db::Database;
use crate::error::Result;
use crate::usecases::checks;

pub struct CheckEvidence {
    pub db: std::sync::Arc<Database>,
    pub checker: std::sync::Arc<Checker>,
    /// How long a link's last check stays good.
    pub interval: Duration,
}

impl Job for CheckEvidence {
    const NAME: &'static str = "evidence check";

    async fn run_once(&self) -> Result<Report> {
        let due_before = crate::db::models::now()
            - chrono::Duration::from_std(self.interval).unwrap_or_default();
        let s = checks::round(
            &self.db,
            &self.checker,
            checks::scope(None, due_before),
            &|_| {},
        )
        .await?;
        let mut report = Report::default().count("checked", s.checked);
        for (outcome, n) in s.outcomes {
            report = report.count_owned(outcome, n);
        }
        Ok(report.count("changed", s.changed))
    }
}
