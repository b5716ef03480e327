//! The Merkle tree of RFC 9162 (Certificate Transparency 2.0, §2.1) over SHA-256: leaf
//! and node hashes, inclusion and consistency proofs, and their verification.
//!
//! Proofs are built from hashes of *complete* subtrees: the subtree of height `level`
//! at horizontal `index` covers leaves `index << level .. (index + 1) << level`. Each
//! one is fixed once it completes (an append completes at most one per level, so
//! appends stay logarithmic), and any hash a proof needs is either one of them or, on
//! the tree's right edge, folded from O(log n) of them. [`Nodes`] is where they come
//! from; [`needed`] says which a proof reads, so a store can fetch them at once;
//! [`tiles`] is how the registry stores them, a few rows per proof.

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The hash of a leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256()`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A complete subtree: `2^level` leaves from `index << level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    pub level: u8,
    pub index: u64,
}

/// Where the hashes of complete subtrees come from.
pub trait Nodes {
    /// The hash of a complete subtree the tree has; an error if it is not stored.
    fn node(&self, node: Node) -> Result<Hash, ProofError>;
}

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("index {index} is not in a tree of {size} entries")]
    OutOfRange { index: u64, size: u64 },
    #[error("a tree of {new} entries cannot follow one of {old}")]
    Shrunk { old: u64, new: u64 },
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    #[error("the proof leads to another root")]
    Mismatch,
    #[error("the log does not have subtree {0:?}")]
    Missing(Node),
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The complete subtrees whose hashes fold into the hash of leaves `start..end`,
/// left to right (`start` aligned as RFC 9162's recursion leaves it).
fn cover(start: u64, end: u64, out: &mut Vec<Node>) {
    let mut at = start;
    while at < end {
        let mut level = 0u8;
        // The biggest complete, aligned subtree starting at `at` that fits.
        while level < 63 && at.is_multiple_of(1 << (level + 1)) && at + (1 << (level + 1)) <= end {
            level += 1;
        }
        out.push(Node {
            level,
            index: at >> level,
        });
        at += 1 << level;
    }
}

/// The hash of leaves `start..end` (RFC 9162 MTH of that range), from stored subtrees.
fn range_hash(nodes: &impl Nodes, start: u64, end: u64) -> Result<Hash, ProofError> {
    let mut parts = Vec::new();
    cover(start, end, &mut parts);
    let mut hash: Option<Hash> = None;
    for part in parts.iter().rev() {
        let h = nodes.node(*part)?;
        hash = Some(match hash {
            None => h,
            Some(right) => node_hash(&h, &right),
        });
    }
    hash.ok_or(ProofError::OutOfRange {
        index: start,
        size: end,
    })
}

/// The root of a tree of `size` leaves.
pub fn root(nodes: &impl Nodes, size: u64) -> Result<Hash, ProofError> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(nodes, 0, size)
}

/// The ranges whose hashes an inclusion proof of `index` in a tree of `size` holds,
/// leaf to root (RFC 9162 §2.1.3.1, PATH).
fn inclusion_ranges(index: u64, size: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let (mut start, mut end, mut m) = (0u64, size, index);
    while end - start > 1 {
        let k = split(end - start);
        if m < k {
            out.push((start + k, end));
            end = start + k;
        } else {
            out.push((start, start + k));
            start += k;
            m -= k;
        }
    }
    out.reverse();
    out
}

/// The ranges whose hashes a consistency proof from `old` to `new` leaves holds (RFC
/// 9162 §2.1.4.1, SUBPROOF), in proof order.
fn consistency_ranges(old: u64, new: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let (mut start, mut end, mut m, mut complete) = (0u64, new, old, true);
    loop {
        let n = end - start;
        if m == n {
            if !complete {
                out.push((start, end));
            }
            break;
        }
        let k = split(n);
        if m <= k {
            out.push((start + k, end));
            end = start + k;
        } else {
            out.push((start, start + k));
            start += k;
            m -= k;
            complete = false;
        }
    }
    out.reverse();
    out
}

/// Every stored subtree the proofs of `ranges` read.
fn nodes_of(ranges: &[(u64, u64)]) -> Vec<Node> {
    let mut out = Vec::new();
    for &(start, end) in ranges {
        cover(start, end, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// What a proof reads from the store.
pub enum Needed {
    Inclusion { index: u64, size: u64 },
    Consistency { old: u64, new: u64 },
    Root { size: u64 },
}

/// The stored subtrees a proof or root reads, so that a store can fetch them at once.
pub fn needed(what: Needed) -> Vec<Node> {
    match what {
        Needed::Inclusion { index, size } if index < size => {
            nodes_of(&inclusion_ranges(index, size))
        }
        Needed::Consistency { old, new } if 0 < old && old < new => {
            nodes_of(&consistency_ranges(old, new))
        }
        Needed::Root { size } if size > 0 => nodes_of(&[(0, size)]),
        _ => Vec::new(),
    }
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof(nodes: &impl Nodes, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange { index, size });
    }
    inclusion_ranges(index, size)
        .into_iter()
        .map(|(s, e)| range_hash(nodes, s, e))
        .collect()
}

/// The consistency proof between the trees of `old` and `new` leaves (empty when
/// `old` is 0 or equals `new`).
pub fn consistency_proof(nodes: &impl Nodes, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
    if old > new {
        return Err(ProofError::Shrunk { old, new });
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    consistency_ranges(old, new)
        .into_iter()
        .map(|(s, e)| range_hash(nodes, s, e))
        .collect()
}

/// Checks that `leaf` is at `index` in the tree of `size` leaves whose root is `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange { index, size });
    }
    let mut r = *leaf;
    walk(index, size - 1, proof, |p, on_left| {
        r = if on_left {
            node_hash(p, &r)
        } else {
            node_hash(&r, p)
        };
    })?;
    if &r != root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// Checks that the tree of `new` leaves with root `new_root` extends the tree of
/// `old` leaves with root `old_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::Shrunk { old, new });
    }
    if old == 0 {
        // Every tree extends the empty one: such a proof proves nothing, and is refused
        // (as the reference verifiers do) rather than taken as evidence.
        return Err(ProofError::OutOfRange {
            index: old,
            size: new,
        });
    }
    if old == new {
        return match (proof.is_empty(), old_root == new_root) {
            (false, _) => Err(ProofError::WrongLength),
            (true, true) => Ok(()),
            (true, false) => Err(ProofError::Mismatch),
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if old.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut f_r, mut s_r) = (path[0], path[0]);
    walk(f_n, s_n, &path[1..], |c, on_left| {
        if on_left {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
        } else {
            s_r = node_hash(&s_r, c);
        }
    })?;
    if &f_r != old_root || &s_r != new_root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// The walk both verifiers share (RFC 9162 §2.1.3.2 and §2.1.4.2): from position `f_n`
/// in a tree whose last position is `s_n`, each proof hash joins the running hash on the
/// left (`true`) or the right. A proof longer or shorter than the path is refused.
fn walk(
    mut f_n: u64,
    mut s_n: u64,
    proof: &[Hash],
    mut join: impl FnMut(&Hash, bool),
) -> Result<(), ProofError> {
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            join(p, true);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            join(p, false);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    Ok(())
}

/// The subtrees an append of leaf number `size` (0-based) completes, lowest first,
/// with the hash of each: at most one per level.
pub fn completed_by_append(
    nodes: &impl Nodes,
    size: u64,
    leaf: Hash,
) -> Result<Vec<(Node, Hash)>, ProofError> {
    let mut out = vec![(
        Node {
            level: 0,
            index: size,
        },
        leaf,
    )];
    let (mut index, mut hash, mut level) = (size, leaf, 0u8);
    while index & 1 == 1 {
        let left = nodes.node(Node {
            level,
            index: index - 1,
        })?;
        hash = node_hash(&left, &hash);
        index >>= 1;
        level += 1;
        out.push((Node { level, index }, hash));
    }
    Ok(out)
}

/// Subtrees held in memory, for tests and tools.
#[derive(Debug, Default, Clone)]
pub struct MemoryNodes {
    levels: Vec<Vec<Hash>>,
    size: u64,
}

impl MemoryNodes {
    /// Appends a leaf (its data), storing the subtrees it completes.
    pub fn push(&mut self, data: &[u8]) {
        self.push_hash(leaf_hash(data));
    }

    /// Appends a leaf by its hash.
    pub fn push_hash(&mut self, leaf: Hash) {
        let done = completed_by_append(self, self.size, leaf).unwrap_or_default();
        for (node, hash) in done {
            let level = usize::from(node.level);
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
        }
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }
}

impl Nodes for MemoryNodes {
    fn node(&self, node: Node) -> Result<Hash, ProofError> {
        self.levels
            .get(usize::from(node.level))
            .and_then(|l| usize::try_from(node.index).ok().and_then(|i| l.get(i)))
            .copied()
            .ok_or(ProofError::Missing(node))
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use serde_json::Value;

    use super::*;

    /// The leaves of the published vectors (transparency-dev/merkle testonly).
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];

    /// Their roots at every size, 1 to 8.
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn tree(n: usize) -> MemoryNodes {
        let mut t = MemoryNodes::default();
        for leaf in &LEAVES[..n] {
            t.push(&unhex(leaf));
        }
        t
    }

    /// A hash from base64. Some vectors hold roots of other lengths, which verifiers
    /// only compare for equality: such a value stands in as a hash of its bytes under
    /// a prefix no real hash has, which keeps equal values equal and different ones
    /// different (and never equal to a real root, such as the empty tree's).
    fn hash64(v: &Value) -> Option<Hash> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v.as_str()?)
            .ok()?;
        Some(match <Hash>::try_from(bytes.as_slice()) {
            Ok(h) => h,
            Err(_) => Sha256::digest([b"stand-in:".as_slice(), &bytes].concat()).into(),
        })
    }

    /// A hash from base64; none for another length (refused, as for a leaf hash).
    fn strict64(v: &Value) -> Option<Hash> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v.as_str()?)
            .ok()?;
        bytes.try_into().ok()
    }

    fn proof64(v: &Value) -> Option<Vec<Hash>> {
        match v {
            Value::Null => Some(Vec::new()),
            Value::Array(items) => items.iter().map(hash64).collect(),
            _ => None,
        }
    }

    fn vectors() -> Value {
        serde_json::from_str(include_str!("../../tests/vectors/rfc6962.json")).unwrap()
    }

    #[test]
    fn roots_match_the_published_ones_at_every_size() {
        assert_eq!(
            crate::domain::text::hex(&empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        for (n, want) in ROOTS.iter().enumerate() {
            let t = tree(n + 1);
            assert_eq!(
                crate::domain::text::hex(&root(&t, n as u64 + 1).unwrap()),
                *want,
                "size {}",
                n + 1
            );
        }
    }

    #[test]
    fn the_published_inclusion_vectors_verify_or_fail_as_they_should() {
        let v = vectors();
        let cases = v["inclusion"].as_array().unwrap();
        assert!(cases.len() > 90);
        for c in cases {
            let ok = (|| {
                let leaf = strict64(&c["leafHash"])?;
                let root = strict64(&c["root"])?;
                let proof = proof64(&c["proof"])?;
                let index = c["leafIdx"].as_i64().filter(|i| *i >= 0)? as u64;
                let size = c["treeSize"].as_i64().filter(|i| *i >= 0)? as u64;
                Some(verify_inclusion(&leaf, index, size, &proof, &root).is_ok())
            })()
            .unwrap_or(false);
            assert_eq!(ok, !c["wantErr"].as_bool().unwrap(), "{}", c["file"]);
        }
    }

    #[test]
    fn the_published_consistency_vectors_verify_or_fail_as_they_should() {
        let v = vectors();
        let cases = v["consistency"].as_array().unwrap();
        assert!(cases.len() > 90);
        for c in cases {
            let ok = (|| {
                let old_root = hash64(&c["root1"])?;
                let new_root = hash64(&c["root2"])?;
                let proof = proof64(&c["proof"])?;
                let old = c["size1"].as_i64().filter(|i| *i >= 0)? as u64;
                let new = c["size2"].as_i64().filter(|i| *i >= 0)? as u64;
                Some(verify_consistency(old, new, &proof, &old_root, &new_root).is_ok())
            })()
            .unwrap_or(false);
            assert_eq!(ok, !c["wantErr"].as_bool().unwrap(), "{}", c["file"]);
        }
    }

    #[test]
    fn the_published_happy_paths_are_the_proofs_this_tree_makes() {
        let v = vectors();
        let t = tree(8);
        for c in v["inclusion"].as_array().unwrap() {
            if c["wantErr"] == true || c["treeSize"].as_u64().unwrap_or(0) > 8 {
                continue;
            }
            let (index, size) = (
                c["leafIdx"].as_u64().unwrap(),
                c["treeSize"].as_u64().unwrap(),
            );
            assert_eq!(
                Some(inclusion_proof(&t, index, size).unwrap()),
                proof64(&c["proof"]),
                "{}",
                c["file"]
            );
        }
        for c in v["consistency"].as_array().unwrap() {
            if c["wantErr"] == true || c["size2"].as_u64().unwrap_or(0) > 8 {
                continue;
            }
            let (old, new) = (c["size1"].as_u64().unwrap(), c["size2"].as_u64().unwrap());
            assert_eq!(
                Some(consistency_proof(&t, old, new).unwrap()),
                proof64(&c["proof"]),
                "{}",
                c["file"]
            );
        }
    }

    #[test]
    fn every_proof_of_every_small_tree_verifies_and_reads_only_what_it_says() {
        let mut t = MemoryNodes::default();
        let mut roots = vec![empty_root()];
        for n in 1..=70u64 {
            t.push(format!("entry {n}").as_bytes());
            roots.push(root(&t, n).unwrap());
        }
        for size in 1..=70u64 {
            for index in 0..size {
                let proof = inclusion_proof(&t, index, size).unwrap();
                let leaf = leaf_hash(format!("entry {}", index + 1).as_bytes());
                verify_inclusion(&leaf, index, size, &proof, &roots[size as usize]).unwrap();
                let wrong = leaf_hash(b"another entry");
                assert_eq!(
                    verify_inclusion(&wrong, index, size, &proof, &roots[size as usize]),
                    Err(ProofError::Mismatch)
                );
                // A store holding only the subtrees `needed` names is enough.
                let mut only = Partial(&t, needed(Needed::Inclusion { index, size }));
                only.1.sort();
                assert_eq!(inclusion_proof(&only, index, size).unwrap(), proof);
            }
            for old in 1..size {
                let proof = consistency_proof(&t, old, size).unwrap();
                verify_consistency(
                    old,
                    size,
                    &proof,
                    &roots[old as usize],
                    &roots[size as usize],
                )
                .unwrap();
                assert!(
                    verify_consistency(
                        old,
                        size,
                        &proof,
                        &roots[old as usize],
                        &roots[size as usize - 1]
                    )
                    .is_err(),
                    "{old} -> {size}: a rewritten tree is caught"
                );
                let only = Partial(&t, needed(Needed::Consistency { old, new: size }));
                assert_eq!(consistency_proof(&only, old, size).unwrap(), proof);
            }
        }
    }

    /// A store with only some subtrees.
    struct Partial<'a>(&'a MemoryNodes, Vec<Node>);

    impl Nodes for Partial<'_> {
        fn node(&self, node: Node) -> Result<Hash, ProofError> {
            if self.1.contains(&node) {
                self.0.node(node)
            } else {
                Err(ProofError::Missing(node))
            }
        }
    }

    #[test]
    fn an_append_completes_at_most_one_subtree_per_level() {
        let mut t = MemoryNodes::default();
        for n in 0..1024u64 {
            let done = completed_by_append(&t, n, leaf_hash(&n.to_be_bytes())).unwrap();
            assert_eq!(done.len() as u32, 1 + n.trailing_ones());
            t.push(&n.to_be_bytes());
        }
    }
}
