//! A round of evidence checks: claim due links in batches, check them concurrently,
//! and record each result as soon as it is known, so a crash loses nothing already
//! checked and leaves nothing claimed beyond its lease.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::NaiveDateTime;
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::changes;
use crate::checker::Observation;
use crate::checker::health::{self, Health};
use crate::db::models::checks::{self, CheckRow, Scope};
use crate::db::models::evidence::{self, EvidenceRow};
use crate::db::models::{audit, now, supplier};
use crate::domain::evidence::EvidenceHealth;
use crate::error::{ApiError, ApiResult};

/// Links claimed at a time, per link checked at once: small batches finish well
/// inside their lease, and leave the rest of the round to other instances.
const BATCH_PER_SLOT: i64 = 4;

/// What a round did.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct Summary {
    /// Links checked.
    pub checked: usize,
    /// How many checks found each outcome.
    pub outcomes: BTreeMap<String, usize>,
    /// Links whose public health changed.
    pub changed: usize,
    /// Certifications past their expiry date, whatever their link does.
    pub expired: usize,
}

/// The links of one supplier (or all), checked before `due_before` or never.
pub fn scope(supplier_id: Option<String>, due_before: NaiveDateTime) -> Scope {
    Scope {
        supplier_id,
        due_before: Some(due_before),
    }
}

/// Runs one round over `scope`; `progress` is told each time a link is done.
pub async fn run(
    state: &AppState,
    scope: Scope,
    progress: &(dyn Fn(usize) + Sync),
) -> ApiResult<Summary> {
    let claim = format!("{}:{}", instance_name(), uuid::Uuid::new_v4());
    let settings = state.checker.settings().clone();
    let lease = chrono::Duration::from_std(settings.lease).unwrap_or(chrono::Duration::minutes(10));
    let mut summary = Summary::default();
    loop {
        let (c, s) = (claim.clone(), scope.clone());
        let batch = BATCH_PER_SLOT * settings.concurrency as i64;
        let rows = state
            .tx(move |conn| Ok(checks::claim(conn, &c, now(), now() + lease, &s, batch)?))
            .await?;
        if rows.is_empty() {
            break;
        }
        let today = chrono::Utc::now().date_naive();
        let results: Vec<ApiResult<(Observation, bool, bool)>> = futures_util::stream::iter(rows)
            .map(|row| {
                let claim = claim.clone();
                async move {
                    let expired = row.expires_on.is_some_and(|d| d < today);
                    let started = Instant::now();
                    let obs = state.checker.check(&row.url).await.bounded();
                    let ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
                    let changed = record(state, row, claim, obs.clone(), ms).await?;
                    progress(1);
                    Ok((obs, changed, expired))
                }
            })
            .buffer_unordered(settings.concurrency)
            .collect()
            .await;
        for r in results {
            match r {
                Ok((obs, changed, expired)) => {
                    summary.checked += 1;
                    *summary
                        .outcomes
                        .entry(obs.outcome.as_str().to_owned())
                        .or_default() += 1;
                    summary.changed += usize::from(changed);
                    summary.expired += usize::from(expired);
                }
                Err(e) => {
                    let c = claim.clone();
                    let _ = state.tx(move |conn| Ok(checks::release(conn, &c)?)).await;
                    return Err(e);
                }
            }
        }
    }
    Ok(summary)
}

/// Writes one result, if the link is still ours and live; true when its public
/// health changed.
async fn record(
    state: &AppState,
    row: EvidenceRow,
    claim: String,
    obs: Observation,
    ms: i32,
) -> ApiResult<bool> {
    let threshold = state.checker.settings().failure_threshold;
    let keep = i64::from(state.checker.settings().history);
    state
        .tx(move |conn| {
            let Some(mut current) = evidence::get(conn, &row.supplier_id, &row.id)? else {
                return Ok(false);
            };
            if current.claimed_by.as_deref() != Some(claim.as_str()) {
                return Ok(false); // the lease ran out and another round took the link
            }
            current.claimed_by = None;
            current.claimed_until = None;
            if current.retired_at.is_some() || current.url != row.url {
                evidence::save(conn, &current)?; // retired or moved meanwhile: this result is moot
                return Ok(false);
            }
            let at = now();
            let before: EvidenceHealth = current
                .health
                .parse()
                .map_err(|e: String| ApiError::Internal(anyhow::anyhow!(e)))?;
            let prev = Health {
                status: before,
                consecutive_failures: current.consecutive_failures,
                last_ok_at: current.last_ok_at,
            };
            let next = health::apply(prev, &obs, threshold, at);
            current.health = next.status.as_str().to_owned();
            current.consecutive_failures = next.consecutive_failures;
            current.last_ok_at = next.last_ok_at;
            current.http_status = obs.http_status.map(i32::from);
            current.final_url = obs.final_url.clone();
            current.checked_at = Some(at);
            current.check_detail = Some(obs.detail.clone());
            evidence::save(conn, &current)?;
            checks::append(
                conn,
                &CheckRow {
                    id: 0,
                    evidence_id: current.id.clone(),
                    checked_at: at,
                    outcome: obs.outcome.as_str().to_owned(),
                    http_status: current.http_status,
                    final_url: obs.final_url.clone(),
                    detail: obs.detail.clone(),
                    duration_ms: ms,
                },
                keep,
            )?;
            let changed = next.status != before;
            supplier::touch(conn, &current.supplier_id, changed.then_some(at))?;
            if !changed {
                // The record shows the latest checks even when the health stays.
                crate::views::records::project(conn, &current.supplier_id, at)?;
            }
            if changed {
                changes::record(
                    conn,
                    at,
                    audit::Entry {
                        actor: "system",
                        action: "evidence.health_changed",
                        entity_type: "evidence",
                        entity_id: current.id.clone(),
                        supplier_id: Some(current.supplier_id.clone()),
                        before: Some(json!({ "health": before, "url": current.url })),
                        after: Some(json!({
                            "health": next.status,
                            "http_status": current.http_status,
                            "final_url": current.final_url,
                            "detail": obs.detail,
                            "consecutive_failures": next.consecutive_failures,
                        })),
                    },
                )?;
            }
            Ok(changed)
        })
        .await
}

fn instance_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    format!(
        "{}:{}",
        if host.is_empty() { "registry" } else { &host },
        std::process::id()
    )
}
