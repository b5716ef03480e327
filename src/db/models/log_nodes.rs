//! `log_nodes`: the audit log's Merkle tree, as the hashes of its complete subtrees.
//! Appends go with the entry they add, under the log's lock, so the tree never forks.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{audit_log, log_nodes};
use crate::domain::merkle::{self, Hash, Node, Nodes, ProofError};

/// Entries appended per statement when the tree catches up with the log.
const BATCH: i64 = 2000;

fn hex_hash(text: &str) -> Option<Hash> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Subtrees read from the database at once.
#[derive(Debug, Default)]
pub struct Fetched(HashMap<Node, Hash>);

impl Nodes for Fetched {
    fn node(&self, node: Node) -> Result<Hash, ProofError> {
        self.0.get(&node).copied().ok_or(ProofError::Missing(node))
    }
}

/// The number of leaves in the tree.
pub fn size(conn: &mut DbConn) -> QueryResult<u64> {
    let top: Option<i64> = log_nodes::table
        .filter(log_nodes::level.eq(0))
        .select(diesel::dsl::max(log_nodes::idx))
        .first(conn)?;
    Ok(top.map_or(0, |i| i as u64 + 1))
}

/// Reads `nodes` in one query.
pub fn fetch(conn: &mut DbConn, nodes: &[Node]) -> QueryResult<Fetched> {
    if nodes.is_empty() {
        return Ok(Fetched::default());
    }
    // A proof and the roots beside it name many subtrees twice: ask for each once, in
    // a stable order (the same proof shape, the same statement).
    let mut by_level: std::collections::BTreeMap<u8, std::collections::BTreeSet<i64>> =
        Default::default();
    for n in nodes {
        by_level.entry(n.level).or_default().insert(n.index as i64);
    }
    let mut q = log_nodes::table
        .select((log_nodes::level, log_nodes::idx, log_nodes::hash))
        .into_boxed::<crate::db::MultiBackend>();
    for (level, idx) in by_level {
        q = q.or_filter(
            log_nodes::level
                .eq(i16::from(level))
                .and(log_nodes::idx.eq_any(idx.into_iter().collect::<Vec<_>>())),
        );
    }
    let rows: Vec<(i16, i64, String)> = q.load(conn)?;
    let mut out = HashMap::with_capacity(nodes.len());
    for (level, idx, hash) in rows {
        if let Some(h) = hex_hash(&hash) {
            out.insert(
                Node {
                    level: level as u8,
                    index: idx as u64,
                },
                h,
            );
        }
    }
    Ok(Fetched(out))
}

/// Adds to the tree every log entry it does not hold yet, in `seq` order, each leaf
/// being `leaf(entry)`; returns the tree's size after. Call it under the log's lock.
pub fn catch_up(
    conn: &mut DbConn,
    leaf: impl Fn(&super::audit::AuditRow) -> Vec<u8>,
) -> QueryResult<u64> {
    let mut size = size(conn)?;
    // The right edge of the tree: every subtree an append may fold into.
    let mut known = fetch(conn, &merkle::needed(merkle::Needed::Root { size }))?;
    loop {
        let rows: Vec<super::audit::AuditRow> = audit_log::table
            .filter(audit_log::seq.gt(size as i64))
            .order(audit_log::seq.asc())
            .limit(BATCH)
            .select(super::audit::AuditRow::as_select())
            .load(conn)?;
        if rows.is_empty() {
            return Ok(size);
        }
        let mut new = Vec::new();
        for row in &rows {
            if row.seq as u64 != size + 1 {
                return Err(diesel::result::Error::QueryBuilderError(
                    format!("the log skips from {size} to {}", row.seq).into(),
                ));
            }
            let done = merkle::completed_by_append(&known, size, merkle::leaf_hash(&leaf(row)))
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
            for (node, hash) in done {
                known.0.insert(node, hash);
                new.push((
                    log_nodes::level.eq(i16::from(node.level)),
                    log_nodes::idx.eq(node.index as i64),
                    log_nodes::hash.eq(crate::domain::text::hex(&hash)),
                ));
            }
            size += 1;
        }
        for chunk in new.chunks(500) {
            on_backend!(conn, |c| diesel::insert_into(log_nodes::table)
                .values(chunk)
                .execute(c))?;
        }
    }
}

fn proof_error(e: ProofError) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(e.to_string().into())
}

/// The root of the tree of `size` leaves (`size` at most the tree's).
pub fn root(conn: &mut DbConn, size: u64) -> QueryResult<Hash> {
    let nodes = fetch(conn, &merkle::needed(merkle::Needed::Root { size }))?;
    merkle::root(&nodes, size).map_err(proof_error)
}

/// The stored subtrees of one level from `from` on, in order, as (index, hex hash).
pub fn level_page(
    conn: &mut DbConn,
    level: u8,
    from: u64,
    limit: i64,
) -> QueryResult<Vec<(i64, String)>> {
    log_nodes::table
        .filter(log_nodes::level.eq(i16::from(level)))
        .filter(log_nodes::idx.ge(from as i64))
        .order(log_nodes::idx.asc())
        .limit(limit)
        .select((log_nodes::idx, log_nodes::hash))
        .load(conn)
}

/// An inclusion proof as the API answers it, from one read: the leaf's hash, the proof
/// of leaf `index` in the tree of `size` leaves, and that tree's root.
pub fn inclusion_answer(
    conn: &mut DbConn,
    index: u64,
    size: u64,
) -> QueryResult<(Hash, Vec<Hash>, Hash)> {
    let leaf = Node { level: 0, index };
    let mut wanted = merkle::needed(merkle::Needed::Inclusion { index, size });
    wanted.extend(merkle::needed(merkle::Needed::Root { size }));
    wanted.push(leaf);
    let nodes = fetch(conn, &wanted)?;
    Ok((
        nodes.node(leaf).map_err(proof_error)?,
        merkle::inclusion_proof(&nodes, index, size).map_err(proof_error)?,
        merkle::root(&nodes, size).map_err(proof_error)?,
    ))
}

/// A consistency proof as the API answers it, from one read: the proof from `old` to
/// `new` leaves and the roots of both trees.
pub fn consistency_answer(
    conn: &mut DbConn,
    old: u64,
    new: u64,
) -> QueryResult<(Vec<Hash>, Hash, Hash)> {
    let mut wanted = merkle::needed(merkle::Needed::Consistency { old, new });
    wanted.extend(merkle::needed(merkle::Needed::Root { size: old }));
    wanted.extend(merkle::needed(merkle::Needed::Root { size: new }));
    let nodes = fetch(conn, &wanted)?;
    Ok((
        merkle::consistency_proof(&nodes, old, new).map_err(proof_error)?,
        merkle::root(&nodes, old).map_err(proof_error)?,
        merkle::root(&nodes, new).map_err(proof_error)?,
    ))
}
