//! Background work, started in one place. Every job claims its work in the database,
//! so several instances never do the same job twice.

pub mod check_evidence;
pub mod lapse;

use std::time::Duration;

use actix_web::web;

use crate::app::AppState;

/// Starts the scheduled jobs of a serving instance.
pub fn spawn(state: web::Data<AppState>) {
    if let Some(every) = state.config.lapse_interval {
        let state = state.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = lapse::run_once(&state).await {
                    tracing::warn!(error = %e, "lapsing round failed");
                }
                tokio::time::sleep(every).await;
            }
        });
    }
    if let Some(interval) = state.config.checker.interval {
        tokio::spawn(async move {
            // Let the instance finish starting before the first round.
            let tick = interval.min(Duration::from_secs(60));
            tokio::time::sleep(tick.min(Duration::from_secs(5))).await;
            loop {
                let due_before = crate::db::models::now()
                    - chrono::Duration::from_std(interval).unwrap_or_default();
                match check_evidence::run(&state, check_evidence::scope(None, due_before), &|_| {})
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
