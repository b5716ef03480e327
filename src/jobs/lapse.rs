//! Lapsing: signatures past their reaffirm-by date turn `lapsed`, with a reason in
//! their history, exactly once even with several instances.

use super::{run, transaction};
use crate::db::Database;
use crate::db::models::{leases, now, records, signature as signatures};
use crate::domain::SupplierId;
use crate::domain::lifecycle::{Actor, Transition};
use crate::error::{Error, Result};
use crate::usecases::{By, signature};

/// The job's name in `job_leases`.
const LAPSE: &str = "lapse";

/// The lapsing job.
pub struct Lapse {
    pub db: std::sync::Arc<Database>,
    pub reaffirm_months: u32,
}

impl super::Job for Lapse {
    const NAME: &'static str = "lapse";

    async fn run_once(&self) -> Result<super::Report> {
        let lapsed = run_once(&self.db, self.reaffirm_months).await?;
        Ok(super::Report::default().count("lapsed", lapsed))
    }
}

/// Records every certification expiry that has passed since its supplier's record was
/// last written (one transaction per supplier); returns how many links expired.
pub async fn note_expiries(db: &Database) -> Result<usize> {
    let today = chrono::Utc::now().date_naive();
    let due = run(db, move |conn| Ok(records::expired_by(conn, today)?)).await?;
    let mut expired = 0;
    for supplier in due {
        expired += transaction(db, move |conn| {
            crate::usecases::expiry::note(conn, supplier, today, now())
        })
        .await?;
    }
    Ok(expired)
}

/// Lapses every active signature past its date, and records the certification expiries
/// that have passed; returns how many signatures this call lapsed.
/// Another instance holding the job's lease makes this a no-op; and each lapse is one
/// lifecycle transition, which a concurrent change to the same supplier makes fail
/// rather than happen twice.
pub async fn run_once(db: &Database, reaffirm_months: u32) -> Result<usize> {
    let holder = format!("lapse:{}", uuid::Uuid::new_v4());
    let h = holder.clone();
    let held = transaction(db, move |conn| {
        Ok(leases::claim(
            conn,
            LAPSE,
            &h,
            now(),
            now() + chrono::Duration::minutes(5),
        )?)
    })
    .await?;
    if !held {
        return Ok(0);
    }
    // The lease is let go whatever the round came to, an error included.
    let round = lapse_and_expire(db, reaffirm_months).await;
    transaction(db, move |conn| Ok(leases::release(conn, LAPSE, &holder)?)).await?;
    let (lapsed, expired) = round?;
    if lapsed > 0 || expired > 0 {
        tracing::info!(lapsed, expired, "time-caused changes recorded");
    }
    Ok(lapsed)
}

/// One round of the job, under its lease: (signatures lapsed, links expired).
async fn lapse_and_expire(db: &Database, reaffirm_months: u32) -> Result<(usize, usize)> {
    let due = run(db, |conn| Ok(signatures::due_to_lapse(conn, now())?)).await?;
    let mut lapsed = 0;
    for supplier in due {
        let Ok(id) = supplier.parse::<SupplierId>() else {
            continue;
        };
        let result = transaction(db, move |conn| {
            let by = By {
                actor: "system".into(),
                who: Actor::System,
            };
            signature::apply(
                conn,
                id,
                signature::Request {
                    transition: Transition::Lapse,
                    reason: Some("not reaffirmed by its reaffirm-by date".into()),
                    by: &by,
                    reaffirm_months,
                },
            )
        })
        .await;
        match result {
            Ok(_) => lapsed += 1,
            Err(Error::Conflict(why)) => tracing::debug!(supplier_id = %id, why, "not lapsed"),
            Err(e) => tracing::warn!(supplier_id = %id, error = %e, "lapsing failed"),
        }
    }
    let expired = note_expiries(db).await?;
    Ok((lapsed, expired))
}
