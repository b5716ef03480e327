//! `log_tiles`: the audit log's Merkle tree, stored as tiles of complete subtrees
//! ([`crate::tlog::tiles`]). Appends go with the entry they add, under the
//! log's lock, so the tree never forks.

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::log_tiles;
use crate::tlog::checkpoint::{self, Checkpoint};
use crate::tlog::merkle::{self, Hash, Node, Nodes, ProofError};
use crate::tlog::tiles::{TILE_WIDTH, TileId, Tiles};

/// The number of leaves in the tree: the last tile of leaves says it.
pub fn size(conn: &mut DbConn) -> QueryResult<u64> {
    let last: Option<(i64, Vec<u8>)> = log_tiles::table
        .filter(log_tiles::level.eq(0))
        .order(log_tiles::idx.desc())
        .select((log_tiles::idx, log_tiles::hashes))
        .first(conn)
        .optional()?;
    Ok(last.map_or(0, |(idx, hashes)| {
        idx as u64 * TILE_WIDTH + (hashes.len() / 32) as u64
    }))
}

/// Reads, in one query, the tiles every subtree in `nodes` folds from.
pub fn fetch(conn: &mut DbConn, nodes: &[Node]) -> QueryResult<Tiles> {
    let mut tiles = Tiles::default();
    if nodes.is_empty() {
        return Ok(tiles);
    }
    // One condition per tile level, in order: the statement's text depends only on
    // how many tile levels a proof spans, so PostgreSQL keeps its plan.
    let mut by_level: BTreeMap<u8, Vec<i64>> = BTreeMap::new();
    for id in TileId::covering(nodes) {
        by_level.entry(id.level).or_default().push(id.index as i64);
    }
    let mut q = log_tiles::table
        .select((log_tiles::level, log_tiles::idx, log_tiles::hashes))
        .into_boxed::<crate::db::MultiBackend>();
    for (level, idx) in by_level {
        q = q.or_filter(
            log_tiles::level
                .eq(i16::from(level))
                .and(log_tiles::idx.eq_any(idx)),
        );
    }
    let rows: Vec<(i16, i64, Vec<u8>)> = q.load(conn)?;
    for (level, idx, hashes) in rows {
        tiles.insert(
            TileId {
                level: level as u8,
                index: idx as u64,
            },
            hashes,
        );
    }
    Ok(tiles)
}

/// Appends `leaves` to the tree of `size` leaves whose right edge `tiles` holds, and
/// writes the tiles that changed; returns how many. Call it under the log's lock.
pub fn append(
    conn: &mut DbConn,
    tiles: &mut Tiles,
    size: u64,
    leaves: &[Hash],
) -> QueryResult<usize> {
    for (n, leaf) in leaves.iter().enumerate() {
        tiles.append(size + n as u64, *leaf).map_err(proof_error)?;
    }
    let rows: Vec<_> = tiles
        .take_changed()
        .into_iter()
        .map(|(id, hashes)| {
            (
                log_tiles::level.eq(i16::from(id.level)),
                log_tiles::idx.eq(id.index as i64),
                log_tiles::hashes.eq(hashes.to_vec()),
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        on_backend!(conn, |c| diesel::insert_into(log_tiles::table)
            .values(chunk)
            .on_conflict((log_tiles::level, log_tiles::idx))
            .do_update()
            .set(log_tiles::hashes.eq(diesel::upsert::excluded(log_tiles::hashes)))
            .execute(c))?;
    }
    Ok(rows.len())
}

/// The tree's size and the tiles of its right edge, which an append folds into.
pub fn right_edge(conn: &mut DbConn) -> QueryResult<(u64, Tiles)> {
    let size = size(conn)?;
    let tiles = fetch(conn, &merkle::needed(merkle::Needed::Root { size }))?;
    Ok((size, tiles))
}

/// The log's checkpoint now: its size and root, read from the stored tree.
pub fn checkpoint(conn: &mut DbConn, public_url: &str) -> QueryResult<Checkpoint> {
    let size = size(conn)?;
    Ok(Checkpoint {
        origin: checkpoint::origin(public_url),
        size,
        root: root(conn, size)?,
    })
}

fn proof_error(e: ProofError) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(e.to_string().into())
}

/// The root of the tree of `size` leaves (`size` at most the tree's).
pub fn root(conn: &mut DbConn, size: u64) -> QueryResult<Hash> {
    let nodes = fetch(conn, &merkle::needed(merkle::Needed::Root { size }))?;
    merkle::root(&nodes, size).map_err(proof_error)
}

/// The stored tiles of one tile level from `from` on, in order, as (index, hashes).
pub fn tile_page(
    conn: &mut DbConn,
    level: u8,
    from: u64,
    limit: i64,
) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    log_tiles::table
        .filter(log_tiles::level.eq(i16::from(level)))
        .filter(log_tiles::idx.ge(from as i64))
        .order(log_tiles::idx.asc())
        .limit(limit)
        .select((log_tiles::idx, log_tiles::hashes))
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
