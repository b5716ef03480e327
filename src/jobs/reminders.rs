//! Reminders: what people must act on before a date. Reaffirming 60, 30 and 7 days
//! before the signature's date (the lapse itself is told when it happens), a
//! certification 30 days before it expires, a token 14 days before it stops working.
//!
//! A round may run at any time and any number of times: each reminder has a key naming
//! its subject, its date and its step, so it is written once. A round that comes late
//! (the registry was down) sends the step now due, not the ones it missed.

use chrono::{Duration, NaiveDateTime};

use super::transaction;
use crate::db::Database;
use crate::db::models::signature;
use crate::db::models::{evidence, leases, supplier, tokens};
use crate::error::Result;
use crate::mail::letters;
use crate::usecases::notify;
use crate::views::supplier::utc;

/// The job's name in `job_leases`.
const REMINDERS: &str = "reminders";

/// Days before the reaffirm-by date that a reminder goes out.
pub const REAFFIRM_STEPS: [i64; 3] = [60, 30, 7];

/// Days before a certification expires that its reminder goes out.
pub const CERTIFICATION_DAYS: i64 = 30;

/// Days before a token expires that its owners are told.
pub const TOKEN_DAYS: i64 = 14;

/// The step due for a date `left` away: the nearest step not yet passed.
fn step(left: Duration) -> Option<i64> {
    REAFFIRM_STEPS
        .iter()
        .rev()
        .find(|days| left <= Duration::days(**days))
        .copied()
}

/// What one round wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub reaffirm: usize,
    pub certifications: usize,
    pub tokens: usize,
}

/// The reminders job.
pub struct Reminders {
    pub db: std::sync::Arc<Database>,
}

impl super::Job for Reminders {
    const NAME: &'static str = "reminders";

    async fn run_once(&self) -> Result<super::Report> {
        let r = run_once(&self.db, crate::db::models::now()).await?;
        Ok(super::Report::default()
            .count("reaffirm", r.reaffirm)
            .count("certifications", r.certifications)
            .count("tokens", r.tokens))
    }
}

/// Writes every reminder due at `now` (the current time, or a time tests move); a
/// no-op while another instance holds the job.
pub async fn run_once(db: &Database, now: NaiveDateTime) -> Result<Round> {
    let holder = format!("reminders:{}", uuid::Uuid::new_v4());
    transaction(db, move |conn| {
        let at = crate::db::models::now();
        if !leases::claim(conn, REMINDERS, &holder, at, at + Duration::minutes(5))? {
            return Ok(Round::default());
        }
        let round = remind(conn, now);
        leases::release(conn, REMINDERS, &holder)?;
        round
    })
    .await
}

fn remind(conn: &mut crate::db::DbConn, now: NaiveDateTime) -> Result<Round> {
    let mut round = Round::default();
    let longest = Duration::days(REAFFIRM_STEPS[0]);
    for sig in signature::reaffirm_due_between(conn, now, now + longest)? {
        let Some(days) = step(sig.reaffirm_by - now) else {
            continue;
        };
        let Some(row) = supplier::get(conn, sig.supplier_id)? else {
            continue;
        };
        let left = (sig.reaffirm_by - now).num_days().max(1);
        let letter = letters::reaffirm_due(&row.name, utc(sig.reaffirm_by), left);
        let event = format!("reaffirm:{}:{}:{days}", sig.id, sig.reaffirm_by.date());
        round.reaffirm += notify::write(conn, notify::To::Members, &row, &letter, &event, now)?;
    }
    let today = now.date();
    let until = today + Duration::days(CERTIFICATION_DAYS + 1);
    for cert in evidence::certifications_expiring(conn, today, until)? {
        let (Some(on), Some(row)) = (cert.expires_on, supplier::get(conn, cert.supplier_id)?)
        else {
            continue;
        };
        let letter = letters::certification_expiring(&row.name, &row.slug, &cert.title, on);
        let event = format!("certification:{}:{on}", cert.id);
        round.certifications +=
            notify::write(conn, notify::To::Members, &row, &letter, &event, now)?;
    }
    for token in tokens::expiring_between(conn, now, now + Duration::days(TOKEN_DAYS))? {
        let Some(supplier_id) = token.supplier_id else {
            continue;
        };
        let Some(row) = supplier::get(conn, supplier_id)? else {
            continue;
        };
        let label = token.label.as_deref().unwrap_or("unnamed");
        let letter = letters::token_expiring(&row.name, label, utc(token.expires_at));
        let event = format!("token:{}", token.jti);
        round.tokens += notify::write(conn, notify::To::Owners, &row, &letter, &event, now)?;
    }
    Ok(round)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_step_not_yet_passed_is_due() {
        let d = Duration::days;
        assert_eq!(step(d(61)), None);
        assert_eq!(step(d(60)), Some(60));
        assert_eq!(step(d(31)), Some(60));
        assert_eq!(step(d(30)), Some(30));
        assert_eq!(step(d(8)), Some(30));
        assert_eq!(step(d(7)), Some(7));
        assert_eq!(step(Duration::hours(1)), Some(7));
    }
}
