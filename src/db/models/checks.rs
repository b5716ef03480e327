//! Claiming evidence links for a check, and recording what the check found.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::evidence::EvidenceRow;
use crate::db::DbConn;
use crate::db::schema::{evidence, evidence_checks};
use crate::domain::evidence::EvidenceHealth;
use crate::domain::{EvidenceId, SupplierId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = evidence_checks)]
pub struct CheckRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub evidence_id: EvidenceId,
    pub checked_at: NaiveDateTime,
    pub outcome: EvidenceHealth,
    pub http_status: Option<i32>,
    pub final_url: Option<String>,
    pub detail: String,
    pub duration_ms: i32,
}

/// Which links a round covers.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Only this supplier's links.
    pub supplier_id: Option<SupplierId>,
    /// Only this link.
    pub evidence_id: Option<EvidenceId>,
    /// Only links last checked before this time (or never).
    pub due_before: Option<NaiveDateTime>,
}

/// Claims up to `limit` live, unclaimed, due links for `claim` until `until`, and
/// returns them. Two instances claiming at once never get the same link: the claim
/// condition is checked again on each row as it is updated.
pub fn claim(
    conn: &mut DbConn,
    claim: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
    scope: &Scope,
    limit: i64,
) -> QueryResult<Vec<EvidenceRow>> {
    let free = evidence::claimed_until
        .is_null()
        .or(evidence::claimed_until.lt(now));
    let mut candidates = evidence::table
        .filter(evidence::retired_at.is_null())
        .filter(free)
        .select(evidence::id)
        .order((
            evidence::checked_at.is_not_null().asc(),
            evidence::checked_at.asc(),
            evidence::id.asc(),
        ))
        .limit(limit)
        .into_boxed();
    if let Some(s) = &scope.supplier_id {
        candidates = candidates.filter(evidence::supplier_id.eq(*s));
    }
    if let Some(e) = &scope.evidence_id {
        candidates = candidates.filter(evidence::id.eq(*e));
    }
    if let Some(due) = scope.due_before {
        candidates = candidates.filter(
            evidence::checked_at
                .is_null()
                .or(evidence::checked_at.lt(due)),
        );
    }
    let ids: Vec<String> = candidates.load(conn)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(
        evidence::table
            .filter(evidence::id.eq_any(&ids))
            .filter(free),
    )
    .set((
        evidence::claimed_by.eq(claim),
        evidence::claimed_until.eq(until),
    ))
    .execute(conn)?;
    evidence::table
        .filter(evidence::claimed_by.eq(claim))
        .filter(evidence::id.eq_any(&ids))
        .select(EvidenceRow::as_select())
        .load(conn)
}

/// How many live links there are (of one supplier, or all).
pub fn count_live(conn: &mut DbConn, supplier_id: Option<SupplierId>) -> QueryResult<u64> {
    let mut q = evidence::table
        .filter(evidence::retired_at.is_null())
        .into_boxed();
    if let Some(s) = supplier_id {
        q = q.filter(evidence::supplier_id.eq(s));
    }
    q.count().get_result::<i64>(conn).map(|n| n.max(0) as u64)
}

/// Extends the lease of every link still held by `claim` (a round still running).
pub fn extend(conn: &mut DbConn, claim: &str, until: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(evidence::table.filter(evidence::claimed_by.eq(claim)))
        .set(evidence::claimed_until.eq(until))
        .execute(conn)
}

/// Lets go of a claim without recording a check (the round stopped early).
pub fn release(conn: &mut DbConn, claim: &str) -> QueryResult<usize> {
    diesel::update(evidence::table.filter(evidence::claimed_by.eq(claim)))
        .set((
            evidence::claimed_by.eq(None::<String>),
            evidence::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// Forgets a link's check history (its address changed).
pub fn forget(conn: &mut DbConn, evidence_id: EvidenceId) -> QueryResult<usize> {
    diesel::delete(evidence_checks::table.filter(evidence_checks::evidence_id.eq(evidence_id)))
        .execute(conn)
}

/// Appends a check to a link's history and keeps only the newest `keep`.
pub fn append(conn: &mut DbConn, row: &CheckRow, keep: i64) -> QueryResult<()> {
    diesel::insert_into(evidence_checks::table)
        .values(row)
        .execute(conn)?;
    let newest: Vec<i64> = evidence_checks::table
        .filter(evidence_checks::evidence_id.eq(&row.evidence_id))
        .order(evidence_checks::id.desc())
        .limit(keep)
        .select(evidence_checks::id)
        .load(conn)?;
    if let Some(oldest_kept) = newest.last() {
        diesel::delete(
            evidence_checks::table
                .filter(evidence_checks::evidence_id.eq(&row.evidence_id))
                .filter(evidence_checks::id.lt(oldest_kept)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// The newest checks of each live link of a supplier, newest first, at most `per_link`
/// each. Two queries: the ids of every stored check of the supplier's live links (from
/// the `(evidence_id, id)` index, so no check is read in full), then the rows of the
/// newest ones only, however long each link's stored history is.
pub fn recent_of_supplier(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    per_link: usize,
) -> QueryResult<Vec<CheckRow>> {
    let ids: Vec<(EvidenceId, i64)> = on_backend!(conn, |c| evidence_checks::table
        .inner_join(evidence::table)
        .filter(evidence::supplier_id.eq(supplier_id))
        .filter(evidence::retired_at.is_null())
        .order((
            evidence_checks::evidence_id.asc(),
            evidence_checks::id.desc(),
        ))
        .select((evidence_checks::evidence_id, evidence_checks::id))
        .load(c))?;
    let mut keep = Vec::new();
    let mut current = None;
    let mut n = 0;
    for (evidence_id, id) in &ids {
        if current != Some(evidence_id) {
            current = Some(evidence_id);
            n = 0;
        }
        if n < per_link {
            keep.push(*id);
        }
        n += 1;
    }
    if keep.is_empty() {
        return Ok(Vec::new());
    }
    on_backend!(conn, |c| evidence_checks::table
        .filter(evidence_checks::id.eq_any(&keep))
        .order((
            evidence_checks::evidence_id.asc(),
            evidence_checks::id.desc(),
        ))
        .select(CheckRow::as_select())
        .load(c))
}
