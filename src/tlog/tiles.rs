//! The tree stored as tiles, as transparency logs serve theirs (C2SP `tlog-tiles`):
//! a tile at tile level `t` holds the hashes of up to [`TILE_WIDTH`] consecutive complete
//! subtrees of tree level `t * TILE_HEIGHT`, and every subtree of the levels between is
//! folded from one tile. A proof then reads one tile per tile level on each path it
//! walks (a handful of rows at a million entries) instead of one row per subtree.
//!
//! A tile fills as the log grows: the rightmost tile of each tile level may be partial,
//! and every tile left of it is full and never changes.

use std::collections::{BTreeSet, HashMap};

use super::merkle::{Hash, Node, Nodes, ProofError, completed_by_append, node_hash};

/// How many tree levels one tile spans.
pub const TILE_HEIGHT: u8 = 4;
/// How many subtrees a full tile holds: `2^TILE_HEIGHT`, 512 bytes of hashes, small
/// enough to stay in the row on every backend.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// One tile: subtrees `index * TILE_WIDTH ..` of tree level `level * TILE_HEIGHT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub level: u8,
    pub index: u64,
}

impl TileId {
    /// The tile `node` is folded from, and where in it its subtrees start and how many.
    fn locate(node: Node) -> (TileId, usize, usize) {
        let within = node.level % TILE_HEIGHT;
        let first = node.index << within;
        (
            TileId {
                level: node.level / TILE_HEIGHT,
                index: first >> TILE_HEIGHT,
            },
            (first % TILE_WIDTH) as usize,
            1 << within,
        )
    }

    /// The tile holding the subtrees `node` is folded from.
    pub fn of(node: Node) -> TileId {
        Self::locate(node).0
    }

    /// The tiles holding every subtree in `nodes`, each once, in order.
    pub fn covering(nodes: &[Node]) -> Vec<TileId> {
        let set: BTreeSet<TileId> = nodes.iter().map(|n| Self::of(*n)).collect();
        set.into_iter().collect()
    }
}

/// Tiles in memory: the ones read from a store, and those an append changed.
#[derive(Debug, Default, Clone)]
pub struct Tiles {
    tiles: HashMap<TileId, Vec<u8>>,
    changed: BTreeSet<TileId>,
}

impl Tiles {
    /// Adds a tile as stored: its hashes concatenated, 32 bytes each.
    pub fn insert(&mut self, id: TileId, hashes: Vec<u8>) {
        self.tiles.insert(id, hashes);
    }

    /// Appends leaf number `size` (0-based), adding the subtrees it completes to their
    /// tiles. The tree's right edge (the tiles of [`super::Needed::Root`] at `size`)
    /// must be here.
    pub fn append(&mut self, size: u64, leaf: Hash) -> Result<(), ProofError> {
        for (node, hash) in completed_by_append(self, size, leaf)? {
            if !node.level.is_multiple_of(TILE_HEIGHT) {
                continue;
            }
            let (id, at, _) = TileId::locate(node);
            let tile = match self.tiles.get_mut(&id) {
                None if at == 0 => self.tiles.entry(id).or_default(),
                Some(tile) if tile.len() == at * 32 => tile,
                _ => return Err(ProofError::Missing(node)),
            };
            tile.extend_from_slice(&hash);
            self.changed.insert(id);
        }
        Ok(())
    }

    /// The tiles appends changed since the last call, in order, with their hashes.
    pub fn take_changed(&mut self) -> Vec<(TileId, &[u8])> {
        let changed = std::mem::take(&mut self.changed);
        changed
            .into_iter()
            .filter_map(|id| self.tiles.get(&id).map(|h| (id, h.as_slice())))
            .collect()
    }
}

impl Nodes for Tiles {
    fn node(&self, node: Node) -> Result<Hash, ProofError> {
        let (id, at, count) = TileId::locate(node);
        let bytes = self
            .tiles
            .get(&id)
            .and_then(|t| t.get(at * 32..(at + count) * 32))
            .ok_or(ProofError::Missing(node))?;
        // Fold the `count` (a power of two, at most TILE_WIDTH) subtrees pairwise.
        let mut level = [[0u8; 32]; TILE_WIDTH as usize];
        for (slot, chunk) in level.iter_mut().zip(bytes.chunks_exact(32)) {
            slot.copy_from_slice(chunk);
        }
        let mut width = count;
        while width > 1 {
            for i in 0..width / 2 {
                level[i] = node_hash(&level[2 * i], &level[2 * i + 1]);
            }
            width /= 2;
        }
        Ok(level[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::merkle::{MemoryNodes, Needed, inclusion_proof, needed, root};

    fn grown(n: u64) -> (Tiles, MemoryNodes) {
        let (mut tiles, mut memory) = (Tiles::default(), MemoryNodes::default());
        for i in 0..n {
            let leaf = crate::tlog::merkle::leaf_hash(&i.to_be_bytes());
            tiles.append(i, leaf).unwrap();
            memory.push_hash(leaf);
        }
        (tiles, memory)
    }

    #[test]
    fn every_complete_subtree_folds_from_its_tile_to_the_hash_the_tree_has() {
        for n in [1u64, 15, 16, 17, 255, 256, 257, 300] {
            let (tiles, memory) = grown(n);
            for level in 0..=9u8 {
                for index in 0..(n >> level) {
                    let node = Node { level, index };
                    assert_eq!(tiles.node(node), memory.node(node), "{n} leaves, {node:?}");
                }
                // The subtree just past the right edge is not complete: not there.
                let next = Node {
                    level,
                    index: n >> level,
                };
                assert_eq!(tiles.node(next), Err(ProofError::Missing(next)));
            }
        }
    }

    #[test]
    fn the_tiles_of_a_proof_are_enough_to_make_it() {
        let (all, memory) = grown(300);
        for (index, size) in [(0u64, 300u64), (17, 33), (255, 256), (299, 300), (5, 6)] {
            let mut wanted = needed(Needed::Inclusion { index, size });
            wanted.extend(needed(Needed::Root { size }));
            let mut read = Tiles::default();
            for id in TileId::covering(&wanted) {
                if let Some(h) = all.tiles.get(&id) {
                    read.insert(id, h.clone());
                }
            }
            assert_eq!(
                inclusion_proof(&read, index, size),
                inclusion_proof(&memory, index, size)
            );
            assert_eq!(root(&read, size), root(&memory, size));
        }
    }

    #[test]
    fn appends_change_only_the_rightmost_tile_of_each_tile_level_and_need_only_the_right_edge() {
        let (all, mut memory) = grown(4097);
        // Start from what a store would read: the right edge's tiles.
        let mut tiles = Tiles::default();
        for id in TileId::covering(&needed(Needed::Root { size: 4097 })) {
            tiles.insert(id, all.tiles[&id].clone());
        }
        for i in 4097..4200u64 {
            let leaf = crate::tlog::merkle::leaf_hash(&i.to_be_bytes());
            tiles.append(i, leaf).unwrap();
            memory.push_hash(leaf);
            let changed = tiles.take_changed();
            // One tile per tile level at most, each the last of its level.
            let levels: BTreeSet<u8> = changed.iter().map(|(id, _)| id.level).collect();
            assert_eq!(levels.len(), changed.len());
            for (id, hashes) in changed {
                let base = u32::from(id.level * TILE_HEIGHT);
                assert_eq!(id.index, ((i + 1) >> base).saturating_sub(1) / TILE_WIDTH);
                assert!(!hashes.is_empty() && hashes.len() <= 32 * TILE_WIDTH as usize);
            }
        }
        assert_eq!(root(&tiles, 4200), root(&memory, 4200));
    }

    #[test]
    fn an_append_without_the_right_edge_is_refused() {
        // Leaf 20 goes into tile (0, 1), after leaves 16..19.
        let mut tiles = Tiles::default();
        let leaf = crate::tlog::merkle::leaf_hash(b"x");
        assert!(matches!(
            tiles.append(20, leaf),
            Err(ProofError::Missing(_))
        ));
        // A tile with the wrong number of hashes is refused too, not overwritten.
        tiles.insert(TileId { level: 0, index: 1 }, vec![0; 32 * 3]);
        assert!(tiles.append(20, leaf).is_err());
    }
}
