//! Companies House checks: every supplier with a company number is asked about at most
//! daily, and soon after registering or changing its number (the round, and what an
//! answer changes, are `usecases::companies`).

use std::sync::Arc;

use super::{Job, Report};
use crate::companies_house::Client;
use crate::db::Database;
use crate::error::Result;
use crate::usecases::companies;

pub struct CheckCompanies {
    pub db: Arc<Database>,
    pub client: Arc<Client>,
    /// Where a raised flag is emailed (`REGISTRY_OPERATOR_EMAIL`).
    pub operator_email: Option<String>,
}

impl Job for CheckCompanies {
    const NAME: &'static str = "companies house";

    async fn run_once(&self) -> Result<Report> {
        let s = companies::round(&self.db, &self.client, self.operator_email.as_deref()).await?;
        Ok(Report::default()
            .count("asked", s.asked)
            .count("found", s.found)
            .count("not_found", s.not_found)
            .count("failed", s.failed)
            .count("flags_changed", s.flagged))
    }
}
