//! Evidence links and the commitments each supports.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{evidence, evidence_commitments};
use crate::domain::evidence::{CertScheme, EvidenceHealth, EvidenceKind};
use crate::domain::{EvidenceId, SupplierId, WebUrl};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = evidence, treat_none_as_null = true)]
pub struct EvidenceRow {
    pub id: EvidenceId,
    pub supplier_id: SupplierId,
    pub url: WebUrl,
    pub title: String,
    pub kind: EvidenceKind,
    pub scheme: Option<CertScheme>,
    pub reference: Option<String>,
    pub expires_on: Option<NaiveDate>,
    pub health: EvidenceHealth,
    pub http_status: Option<i32>,
    pub final_url: Option<String>,
    pub checked_at: Option<NaiveDateTime>,
    pub last_ok_at: Option<NaiveDateTime>,
    pub consecutive_failures: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
    /// The instance and round holding this link for a check, until `claimed_until`.
    #[serde(skip)]
    pub claimed_by: Option<String>,
    #[serde(skip)]
    pub claimed_until: Option<NaiveDateTime>,
    /// The latest check's explanation.
    pub check_detail: Option<String>,
    /// Why the latest check that reached the link kept no snapshot.
    #[serde(skip)]
    pub snapshot_note: Option<String>,
}

/// A supplier's live links whose expiry date is on or after `from` and before `to`,
/// as (id, expires on).
pub fn expiring_between(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> QueryResult<Vec<(EvidenceId, Option<chrono::NaiveDate>)>> {
    evidence::table
        .filter(evidence::supplier_id.eq(supplier_id))
        .filter(evidence::retired_at.is_null())
        .filter(evidence::expires_on.ge(from))
        .filter(evidence::expires_on.lt(to))
        .order(evidence::expires_on.asc())
        .select((evidence::id, evidence::expires_on))
        .load(conn)
}

/// Live certifications of any supplier that expire on or after `from` and before `to`.
pub fn certifications_expiring(
    conn: &mut DbConn,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<EvidenceRow>> {
    evidence::table
        .filter(evidence::kind.eq(EvidenceKind::Certification))
        .filter(evidence::retired_at.is_null())
        .filter(evidence::expires_on.ge(from))
        .filter(evidence::expires_on.lt(to))
        .order((evidence::expires_on.asc(), evidence::id.asc()))
        .select(EvidenceRow::as_select())
        .load(conn)
}

/// The ids of a supplier's links that are not retired.
pub fn live_ids(conn: &mut DbConn, supplier_id: SupplierId) -> QueryResult<Vec<EvidenceId>> {
    evidence::table
        .filter(evidence::supplier_id.eq(supplier_id))
        .filter(evidence::retired_at.is_null())
        .order(evidence::id.asc())
        .select(evidence::id)
        .load(conn)
}

/// How many links of a supplier are not retired.
pub fn count_live(conn: &mut DbConn, supplier_id: SupplierId) -> QueryResult<i64> {
    evidence::table
        .filter(evidence::supplier_id.eq(supplier_id))
        .filter(evidence::retired_at.is_null())
        .count()
        .get_result(conn)
}

/// A supplier's evidence that is not retired, oldest first, each with the codes of the
/// commitments it supports in code order. Two queries: joined, every row of a link
/// would come back once per commitment, its long URLs with it.
pub fn active_with_commitments(
    conn: &mut DbConn,
    supplier_id: SupplierId,
) -> QueryResult<Vec<(EvidenceRow, Vec<String>)>> {
    let rows: Vec<EvidenceRow> = on_backend!(conn, |c| evidence::table
        .filter(evidence::supplier_id.eq(supplier_id))
        .filter(evidence::retired_at.is_null())
        .order((evidence::created_at.asc(), evidence::id.asc()))
        .select(EvidenceRow::as_select())
        .load(c))?;
    let codes: Vec<(EvidenceId, String)> = on_backend!(conn, |c| evidence_commitments::table
        .inner_join(evidence::table)
        .filter(evidence::supplier_id.eq(supplier_id))
        .filter(evidence::retired_at.is_null())
        .order((
            evidence_commitments::evidence_id.asc(),
            evidence_commitments::commitment_code.asc(),
        ))
        .select((
            evidence_commitments::evidence_id,
            evidence_commitments::commitment_code,
        ))
        .load(c))?;
    let mut by_id: HashMap<EvidenceId, Vec<String>> = HashMap::new();
    for (id, code) in codes {
        by_id.entry(id).or_default().push(code);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let codes = by_id.remove(&row.id).unwrap_or_default();
            (row, codes)
        })
        .collect())
}

pub fn get(
    conn: &mut DbConn,
    supplier_id: SupplierId,
    id: EvidenceId,
) -> QueryResult<Option<EvidenceRow>> {
    evidence::table
        .filter(evidence::supplier_id.eq(supplier_id))
        .find(id)
        .select(EvidenceRow::as_select())
        .first(conn)
        .optional()
}

/// The commitment codes of each evidence id given, in code order.
pub fn commitments_of(
    conn: &mut DbConn,
    ids: &[EvidenceId],
) -> QueryResult<HashMap<EvidenceId, Vec<String>>> {
    let rows: Vec<(EvidenceId, String)> = evidence_commitments::table
        .filter(evidence_commitments::evidence_id.eq_any(ids))
        .order((
            evidence_commitments::evidence_id.asc(),
            evidence_commitments::commitment_code.asc(),
        ))
        .select((
            evidence_commitments::evidence_id,
            evidence_commitments::commitment_code,
        ))
        .load(conn)?;
    let mut map: HashMap<EvidenceId, Vec<String>> = HashMap::new();
    for (id, code) in rows {
        map.entry(id).or_default().push(code);
    }
    Ok(map)
}

pub fn insert(conn: &mut DbConn, row: &EvidenceRow, codes: &[String]) -> QueryResult<()> {
    diesel::insert_into(evidence::table)
        .values(row)
        .execute(conn)?;
    set_commitments(conn, row.id, codes)
}

pub fn save(conn: &mut DbConn, row: &EvidenceRow) -> QueryResult<()> {
    diesel::update(evidence::table.find(row.id))
        .set(row)
        .execute(conn)
        .map(|_| ())
}

/// Replaces the commitment codes of one piece of evidence.
pub fn set_commitments(conn: &mut DbConn, id: EvidenceId, codes: &[String]) -> QueryResult<()> {
    diesel::delete(evidence_commitments::table.filter(evidence_commitments::evidence_id.eq(id)))
        .execute(conn)?;
    for code in codes {
        diesel::insert_into(evidence_commitments::table)
            .values((
                evidence_commitments::evidence_id.eq(id),
                evidence_commitments::commitment_code.eq(code),
            ))
            .execute(conn)?;
    }
    Ok(())
}
