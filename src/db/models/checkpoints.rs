//! `log_checkpoints` and `log_cosignatures`: the checkpoints the registry published,
//! and what witnesses cosigned of them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{log_checkpoints, log_cosignatures};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = log_checkpoints)]
pub struct CheckpointRow {
    pub size: i64,
    pub root: Vec<u8>,
    /// The signed note as published, without cosignatures.
    pub note: String,
    pub published_at: NaiveDateTime,
}

/// The newest published checkpoint.
pub fn newest(conn: &mut DbConn) -> QueryResult<Option<CheckpointRow>> {
    log_checkpoints::table
        .order(log_checkpoints::size.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()
}

/// The published checkpoint of `size` entries, if there is one.
pub fn of_size(conn: &mut DbConn, size: u64) -> QueryResult<Option<CheckpointRow>> {
    log_checkpoints::table
        .find(size as i64)
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()
}

/// Records a checkpoint as published. Call it inside the transaction that checked it.
pub fn insert(conn: &mut DbConn, row: &CheckpointRow) -> QueryResult<()> {
    diesel::insert_into(log_checkpoints::table)
        .values((
            log_checkpoints::size.eq(row.size),
            log_checkpoints::root.eq(&row.root),
            log_checkpoints::note.eq(&row.note),
            log_checkpoints::published_at.eq(row.published_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The cosignature lines of the checkpoint of `size`, in witness order.
pub fn cosignatures(conn: &mut DbConn, size: u64) -> QueryResult<Vec<(String, String)>> {
    log_cosignatures::table
        .filter(log_cosignatures::size.eq(size as i64))
        .order(log_cosignatures::witness.asc())
        .select((log_cosignatures::witness, log_cosignatures::line))
        .load(conn)
}

/// Keeps a witness's cosignature of the checkpoint of `size` (a later one replaces it).
pub fn add_cosignature(
    conn: &mut DbConn,
    size: u64,
    witness: &str,
    line: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    on_backend!(conn, |c| diesel::insert_into(log_cosignatures::table)
        .values((
            log_cosignatures::size.eq(size as i64),
            log_cosignatures::witness.eq(witness),
            log_cosignatures::line.eq(line),
            log_cosignatures::cosigned_at.eq(at),
        ))
        .on_conflict((log_cosignatures::size, log_cosignatures::witness))
        .do_update()
        .set((
            log_cosignatures::line.eq(line),
            log_cosignatures::cosigned_at.eq(at),
        ))
        .execute(c))
    .map(|_| ())
}

/// The largest size `witness` has cosigned, as far as this registry knows.
pub fn witnessed(conn: &mut DbConn, witness: &str) -> QueryResult<Option<u64>> {
    let size: Option<i64> = log_cosignatures::table
        .filter(log_cosignatures::witness.eq(witness))
        .select(diesel::dsl::max(log_cosignatures::size))
        .first(conn)?;
    Ok(size.map(|s| s as u64))
}
