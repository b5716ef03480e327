//! `evidence_snapshots` and `snapshot_pins`: documents as checks found them, and which
//! of them each signature and reaffirmation was made with.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{evidence_snapshots as snaps, snapshot_pins as pins};
use crate::domain::{EvidenceId, SignatureId, SupplierId};

/// A snapshot without its text (what every read needs).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = snaps)]
pub struct SnapshotRow {
    pub id: i64,
    pub evidence_id: EvidenceId,
    pub supplier_id: SupplierId,
    pub taken_at: NaiveDateTime,
    pub seen_at: NaiveDateTime,
    pub body_sha256: String,
    pub content_type: String,
    pub size: i64,
    pub text_sha256: Option<String>,
    pub stored_bytes: i64,
}

impl SnapshotRow {
    /// What snapshots are compared by: the words' hash, or the body's without text.
    pub fn key(&self) -> &str {
        self.text_sha256.as_deref().unwrap_or(&self.body_sha256)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = pins)]
pub struct PinRow {
    pub id: i64,
    pub evidence_id: EvidenceId,
    pub snapshot_id: i64,
    pub signature_id: SignatureId,
    pub reason: String,
    pub pinned_at: NaiveDateTime,
}

pub struct NewSnapshot<'a> {
    pub evidence_id: EvidenceId,
    pub supplier_id: SupplierId,
    pub at: NaiveDateTime,
    pub body_sha256: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub text_sha256: Option<&'a str>,
    pub text: Option<&'a [u8]>,
}

/// The newest snapshot of a link.
pub fn latest(conn: &mut DbConn, evidence: EvidenceId) -> QueryResult<Option<SnapshotRow>> {
    snaps::table
        .filter(snaps::evidence_id.eq(evidence))
        .order(snaps::id.desc())
        .select(SnapshotRow::as_select())
        .first(conn)
        .optional()
}

/// Every snapshot of a link, oldest first.
pub fn of_link(conn: &mut DbConn, evidence: EvidenceId) -> QueryResult<Vec<SnapshotRow>> {
    snaps::table
        .filter(snaps::evidence_id.eq(evidence))
        .order(snaps::id.asc())
        .select(SnapshotRow::as_select())
        .load(conn)
}

/// Every snapshot of a supplier's links, oldest first.
pub fn of_supplier(conn: &mut DbConn, supplier: SupplierId) -> QueryResult<Vec<SnapshotRow>> {
    snaps::table
        .filter(snaps::supplier_id.eq(supplier))
        .order(snaps::id.asc())
        .select(SnapshotRow::as_select())
        .load(conn)
}

/// One snapshot's stored text (raw deflate), if it kept any.
pub fn text(conn: &mut DbConn, id: i64) -> QueryResult<Option<Vec<u8>>> {
    snaps::table
        .find(id)
        .select(snaps::text)
        .first::<Option<Vec<u8>>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Bytes of text a supplier's snapshots hold.
pub fn stored_bytes(conn: &mut DbConn, supplier: SupplierId) -> QueryResult<i64> {
    snaps::table
        .filter(snaps::supplier_id.eq(supplier))
        .select(snaps::stored_bytes)
        .load::<i64>(conn)
        .map(|all| all.iter().sum())
}

pub fn insert(conn: &mut DbConn, new: &NewSnapshot<'_>) -> QueryResult<i64> {
    diesel::insert_into(snaps::table)
        .values((
            snaps::evidence_id.eq(new.evidence_id),
            snaps::supplier_id.eq(new.supplier_id),
            snaps::taken_at.eq(new.at),
            snaps::seen_at.eq(new.at),
            snaps::body_sha256.eq(new.body_sha256),
            snaps::content_type.eq(new.content_type),
            snaps::size.eq(new.size),
            snaps::text_sha256.eq(new.text_sha256),
            snaps::text.eq(new.text),
            snaps::stored_bytes.eq(new.text.map_or(0, |t| t.len() as i64)),
        ))
        .returning(snaps::id)
        .get_result(conn)
}

/// Records that a check found the latest snapshot's words again (a new body with the
/// same words keeps the first body's hash: the words are what was signed).
pub fn seen(conn: &mut DbConn, id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(snaps::table.find(id))
        .set(snaps::seen_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

/// Drops a snapshot's text, keeping its hashes and dates.
pub fn forget_text(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::update(snaps::table.find(id))
        .set((snaps::text.eq(None::<Vec<u8>>), snaps::stored_bytes.eq(0)))
        .execute(conn)
        .map(|_| ())
}

pub fn delete(conn: &mut DbConn, ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(snaps::table.filter(snaps::id.eq_any(ids))).execute(conn)
}

/// Pins: every pin of a link, oldest first.
pub fn pins_of_link(conn: &mut DbConn, evidence: EvidenceId) -> QueryResult<Vec<PinRow>> {
    pins::table
        .filter(pins::evidence_id.eq(evidence))
        .order(pins::id.asc())
        .select(PinRow::as_select())
        .load(conn)
}

/// Every pin of a supplier's links, oldest first.
pub fn pins_of_supplier(conn: &mut DbConn, supplier: SupplierId) -> QueryResult<Vec<PinRow>> {
    pins::table
        .inner_join(snaps::table)
        .filter(snaps::supplier_id.eq(supplier))
        .order(pins::id.asc())
        .select(PinRow::as_select())
        .load(conn)
}

/// Every pin, oldest first (for the property tests and the operator's checks).
pub fn all_pins(conn: &mut DbConn) -> QueryResult<Vec<PinRow>> {
    pins::table
        .order(pins::id.asc())
        .select(PinRow::as_select())
        .load(conn)
}

pub fn pin(
    conn: &mut DbConn,
    evidence: EvidenceId,
    snapshot: i64,
    signature: SignatureId,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(pins::table)
        .values((
            pins::evidence_id.eq(evidence),
            pins::snapshot_id.eq(snapshot),
            pins::signature_id.eq(signature),
            pins::reason.eq(reason),
            pins::pinned_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}
