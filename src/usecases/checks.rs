//! Checking evidence: a round of checks, as a pipeline: links are claimed as others finish, never
//! in batches that wait for their slowest link, and each result is recorded as soon as
//! it is known, so a crash loses nothing already checked. The round's claims are
//! renewed while it runs, and let go when it stops early (the service stopping, or an
//! error), so no link it will not finish stays claimed until its lease runs out.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::NaiveDateTime;
use futures_util::StreamExt;
use futures_util::future::{BoxFuture, FutureExt};
use futures_util::stream::FuturesUnordered;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::checker::Checker;
use crate::checker::Observation;
use crate::checker::health::{self, Health};
use crate::db::DbPool;
use crate::db::models::checks::{self, CheckRow, Scope};
use crate::db::models::evidence::{self, EvidenceRow};
use crate::db::models::{audit, now, supplier};
use crate::db::{Database, DbConn};
use crate::domain::Action;
use crate::domain::evidence::EvidenceHealth;
use crate::domain::{EvidenceId, SupplierId};
use crate::error::{Error, Result};
use crate::mail::letters;
use crate::snapshot::Found;
use crate::usecases::{changes, snapshots};
use crate::views::supplier::EvidenceView;

/// Links held at a time, per request the checker makes at once: enough that links
/// waiting for a busy host's slot leave work for every other host, few enough to
/// finish well inside their lease and leave the rest of the round to other instances.
const HELD_PER_SLOT: usize = 4;

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
pub fn scope(supplier_id: Option<SupplierId>, due_before: NaiveDateTime) -> Scope {
    Scope {
        supplier_id,
        evidence_id: None,
        due_before: Some(due_before),
    }
}

/// A round's claim on links. Dropped before the round has finished (the task was
/// stopped, or an error ended it), it lets go of every link it still holds: those not
/// yet checked, and those whose check was cut short, whose result will never come.
struct Claim {
    id: String,
    pool: DbPool,
    finished: bool,
}

impl Drop for Claim {
    /// Lets go on the blocking pool, never on the async worker that dropped the round
    /// (waiting for a connection there would stall every task it runs).
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let (pool, id) = (self.pool.clone(), std::mem::take(&mut self.id));
        let release = move || match pool.get() {
            Ok(mut conn) => match checks::release(&mut conn, &id) {
                Ok(n) if n > 0 => tracing::info!(links = n, "round stopped; its claims released"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not release a stopped round's claims"),
            },
            Err(e) => tracing::warn!(error = %e, "could not release a stopped round's claims"),
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(release)),
            Err(_) => release(),
        }
    }
}

/// Runs one round over `scope`; `progress` is told each time a link is done.
pub async fn round(
    db: &Database,
    checker: &Checker,
    scope: Scope,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Summary> {
    let mut claim = Claim {
        id: format!("{}:{}", instance_name(), uuid::Uuid::new_v4()),
        pool: db.pool().clone(),
        finished: false,
    };
    let settings = checker.settings().clone();
    let lease = chrono::Duration::from_std(settings.lease).unwrap_or(chrono::Duration::minutes(10));
    let held = HELD_PER_SLOT * settings.concurrency.max(1);
    let mut renew =
        tokio::time::interval((settings.lease / 3).max(std::time::Duration::from_secs(1)));
    renew.tick().await;
    let mut inflight = FuturesUnordered::new();
    // Claiming and renewing wait for database slots like the checks' own writes, so
    // they are polled beside the checks, never awaited while the checks stand still
    // holding slots.
    let mut claiming: Option<BoxFuture<'_, Result<Vec<EvidenceRow>>>> = None;
    let mut renewing: Option<BoxFuture<'_, Result<usize>>> = None;
    let mut exhausted = false;
    let mut summary = Summary::default();
    loop {
        // Refill once half the links held are done: each finished link frees room at
        // once, and claiming in halves keeps the claims to a few per round trip.
        if claiming.is_none() && !exhausted && inflight.len() <= held / 2 {
            let (c, s, want) = (
                claim.id.clone(),
                scope.clone(),
                (held - inflight.len()) as i64,
            );
            claiming = Some(
                db.transaction(move |conn| {
                    Ok(checks::claim(conn, &c, now(), now() + lease, &s, want)?)
                })
                .boxed(),
            );
        }
        if inflight.is_empty() && claiming.is_none() {
            break;
        }
        tokio::select! {
            Some(done) = inflight.next(), if !inflight.is_empty() => {
                let (obs, changed, expired): (Observation, bool, bool) = done?;
                summary.checked += 1;
                *summary.outcomes.entry(obs.outcome.as_str().to_owned()).or_default() += 1;
                summary.changed += usize::from(changed);
                summary.expired += usize::from(expired);
                progress(1);
            }
            rows = async { claiming.as_mut().expect("claiming").await }, if claiming.is_some() => {
                claiming = None;
                let rows = rows?;
                exhausted = rows.is_empty();
                for row in rows {
                    inflight.push(check_one(db, checker, row, claim.id.clone()));
                }
            }
            _ = renew.tick(), if renewing.is_none() => {
                // Long checks (slow hosts, Retry-After) keep their links.
                let c = claim.id.clone();
                renewing = Some(
                    db.transaction(move |conn| Ok(checks::extend(conn, &c, now() + lease)?))
                        .boxed(),
                );
            }
            renewed = async { renewing.as_mut().expect("renewing").await }, if renewing.is_some() => {
                renewing = None;
                renewed?;
            }
        }
    }
    claim.finished = true;
    Ok(summary)
}

/// How soon a link can be checked again on request, after any check of it: a
/// supplier who has just mended a page sees it at once, and nobody can use the registry
/// to call another site more than once a minute for each of their links.
pub const ON_REQUEST_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// Checks one live link of `supplier` now, on its members' or the operator's request,
/// and answers it as it now stands. Refused with the seconds to wait when the link was
/// checked in the last [`ON_REQUEST_EVERY`], and as a conflict while another round
/// holds it.
pub async fn check_now(
    db: &Database,
    checker: &Checker,
    supplier: SupplierId,
    id: EvidenceId,
) -> Result<EvidenceView> {
    let started = now();
    let row = db
        .run(move |conn| Ok::<_, Error>(evidence::get(conn, supplier, id)?))
        .await?
        .filter(|r| r.retired_at.is_none())
        .ok_or_else(|| Error::NotFound("no such evidence link".into()))?;
    if let Some(wait) = wait_before_asking(row.checked_at, started) {
        return Err(Error::TooManyRequests(wait));
    }
    let scope = Scope {
        supplier_id: Some(supplier),
        evidence_id: Some(id),
        // Claimed only if no check of it (scheduled or asked for) came in between.
        due_before: Some(started - ON_REQUEST_EVERY + chrono::Duration::microseconds(1)),
    };
    let summary = round(db, checker, scope, &|_| {}).await?;
    db.run(move |conn| {
        if summary.checked == 0 {
            let row = evidence::get(conn, supplier, id)?;
            return Err(match row {
                Some(r) if r.claimed_by.is_some() => Error::Conflict(
                    "this link is being checked at the moment; look again in a minute".into(),
                ),
                r => Error::TooManyRequests(
                    wait_before_asking(r.and_then(|r| r.checked_at), now()).unwrap_or(1),
                ),
            });
        }
        EvidenceView::all_of(conn, supplier)?
            .into_iter()
            .find(|e| e.id == id.to_string())
            .ok_or_else(|| Error::NotFound("no such evidence link".into()))
    })
    .await
}

/// Seconds until a link last checked at `checked_at` may be checked on request again.
fn wait_before_asking(checked_at: Option<NaiveDateTime>, at: NaiveDateTime) -> Option<u64> {
    let next = checked_at? + ON_REQUEST_EVERY;
    (next > at).then(|| {
        ((next - at).num_milliseconds() as u64)
            .div_ceil(1000)
            .max(1)
    })
}

/// Checks one link and records the result: (what it found, whether its public health
/// changed, whether it is a certification past its expiry date).
async fn check_one(
    db: &Database,
    checker: &Checker,
    row: EvidenceRow,
    claim: String,
) -> Result<(Observation, bool, bool)> {
    let expired = row
        .expires_on
        .is_some_and(|d| d < chrono::Utc::now().date_naive());
    let started = Instant::now();
    let mut obs = checker.check(row.url.as_str()).await.bounded();
    let ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    let finding = match obs.found.take() {
        None => None,
        Some(Found::NotKept(why)) => Some(Err(why)),
        Some(Found::Document(fetched)) => Some(Ok(checker.read(fetched).await)),
    };
    let changed = record(db, checker, row, claim, obs.clone(), finding, ms).await?;
    Ok((obs, changed, expired))
}

/// Writes one result, if the link is still ours and live; true when its public
/// health changed.
async fn record(
    db: &Database,
    checker: &Checker,
    row: EvidenceRow,
    claim: String,
    obs: Observation,
    finding: snapshots::Finding,
    ms: i32,
) -> Result<bool> {
    let threshold = checker.settings().failure_threshold;
    let keep = i64::from(checker.settings().history);
    db.transaction(move |conn| {
        let Some(mut current) = evidence::get(conn, row.supplier_id, row.id)? else {
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
        let before = current.health;
        let prev = Health {
            status: before,
            consecutive_failures: current.consecutive_failures,
            last_ok_at: current.last_ok_at,
        };
        let next = health::apply(prev, &obs, threshold, at);
        current.health = next.status;
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
                evidence_id: current.id,
                checked_at: at,
                outcome: obs.outcome,
                http_status: current.http_status,
                final_url: obs.final_url.clone(),
                detail: obs.detail.clone(),
                duration_ms: ms,
            },
            keep,
        )?;
        let note = current.snapshot_note.clone();
        snapshots::record(conn, &mut current, finding, at)?;
        if current.snapshot_note != note {
            evidence::save(conn, &current)?;
        }
        let changed = next.status != before;
        supplier::touch(conn, current.supplier_id, changed.then_some(at))?;
        if !changed {
            // The record shows the latest checks even when the health stays (and the
            // touch above moved its revision past a change of words' projection).
            crate::usecases::projection::project(conn, current.supplier_id, at)?;
        }
        if changed {
            changes::record(
                conn,
                at,
                audit::Entry::new(
                    "system",
                    Action::EvidenceHealthChanged,
                    "evidence",
                    current.id.to_string(),
                )
                .supplier(current.supplier_id)
                .before(json!({ "health": before, "url": current.url }))
                .after(json!({
                    "health": next.status,
                    "http_status": current.http_status,
                    "final_url": current.final_url,
                    "detail": obs.detail,
                    "consecutive_failures": next.consecutive_failures,
                })),
            )?;
            tell(conn, &current, before, &obs.detail, at)?;
        }
        Ok(changed)
    })
    .await
}

/// Tells the supplier's members that a link turned failing (past the threshold) or
/// works again.
fn tell(
    conn: &mut DbConn,
    link: &EvidenceRow,
    before: EvidenceHealth,
    detail: &str,
    at: NaiveDateTime,
) -> Result<()> {
    use EvidenceHealth::*;
    let failing = |h: EvidenceHealth| matches!(h, Broken | Unreachable | Blocked);
    let working = |h: EvidenceHealth| matches!(h, Ok | Redirected);
    let Some(row) = supplier::get(conn, link.supplier_id)? else {
        return Result::Ok(());
    };
    let (title, url) = (link.title.as_str(), link.url.as_str());
    let letter = if failing(link.health) && !failing(before) {
        letters::evidence_broken(&row.name, &link.id.to_string(), title, url, detail)
    } else if working(link.health) && failing(before) {
        letters::evidence_recovered(&row.name, &row.slug, title, url)
    } else {
        return Result::Ok(());
    };
    let event = format!("evidence:{}:{}", link.id, at.and_utc().timestamp_micros());
    super::notify::write(conn, super::notify::To::Members, &row, &letter, &event, at)?;
    Result::Ok(())
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
