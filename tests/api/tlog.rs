//! The log as a Merkle tree: signed checkpoints, inclusion and consistency proofs, each
//! checked as a third party would, and tampering caught.

use pledge_registry::tlog::checkpoint::Checkpoint;
use pledge_registry::tlog::merkle::{Hash, leaf_hash, verify_consistency, verify_inclusion};
use pledge_registry::tlog::verify::LogKey;

use crate::helpers::{TestApp, hash, hashes, included, problem};

/// The newest checkpoint, verified with the key the registry publishes.
async fn checkpoint(app: &TestApp) -> Checkpoint {
    let key = app.get_json("/api/v1/log/key").await;
    let key = LogKey::parse(key["verifier_key"].as_str().unwrap()).unwrap();
    let res = app.get("/api/v1/log/checkpoint").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let note = res.text().await.unwrap();
    key.checkpoint(&note)
        .unwrap_or_else(|e| panic!("{e}: {note}"))
}

#[tokio::test]
async fn every_entry_is_provably_in_every_checkpoint_and_the_log_only_grows() {
    let app = TestApp::spawn().await;
    let a = app.active_supplier("Provable Ltd").await;
    let first = checkpoint(&app).await;
    assert!(first.size >= 4, "{first:?}");
    for seq in 1..=first.size {
        included(&app, seq, &first).await.unwrap();
    }
    // A leaf shows private fields only through its salted entry hash.
    let leaf = app.get_json("/api/v1/log/leaves/2").await;
    assert!(leaf.get("actor").is_none() && leaf.get("before").is_none());
    assert!(leaf.get("actor_sha256").is_none());
    assert!(leaf["entry_hash"].as_str().unwrap().len() == 64);
    assert!(!leaf.to_string().contains("jo@example.org"), "{leaf}");

    for i in 0..5 {
        app.active_supplier(&format!("Grown {i} Ltd")).await;
    }
    app.withdraw(&a, "Leaving").await;
    let later = checkpoint(&app).await;
    assert!(later.size > first.size);
    for seq in [1, first.size, later.size] {
        included(&app, seq, &later).await.unwrap();
    }
    for old in 1..later.size {
        let p = app
            .get_json(&format!(
                "/api/v1/log/proofs/consistency?from={old}&to={}",
                later.size
            ))
            .await;
        let old_root = hash(&p["from_root"]);
        verify_consistency(
            old,
            later.size,
            &hashes(&p["hashes"]),
            &old_root,
            &later.root,
        )
        .unwrap_or_else(|e| panic!("{old}: {e}"));
    }
    let p = app
        .get_json(&format!(
            "/api/v1/log/proofs/consistency?from={}",
            first.size
        ))
        .await;
    verify_consistency(
        first.size,
        later.size,
        &hashes(&p["hashes"]),
        &first.root,
        &later.root,
    )
    .unwrap();

    // Asking beyond the log is named.
    let res = app
        .get(&format!(
            "/api/v1/log/proofs/inclusion?seq={}",
            later.size + 1
        ))
        .await;
    assert_eq!(crate::helpers::fields(&problem(res, 400).await), ["seq"]);
    let res = app
        .get(&format!(
            "/api/v1/log/proofs/consistency?from=1&to={}",
            later.size + 5
        ))
        .await;
    assert_eq!(crate::helpers::fields(&problem(res, 400).await), ["to"]);
    problem(app.get("/api/v1/log/leaves/0").await, 404).await;
}

/// The stored tree on this backend, filled in batches of uneven sizes (so tiles fill
/// across writes) past two tile levels, answers every root and a spread of proofs as
/// the tree held in memory does.
#[tokio::test]
async fn the_stored_tiles_answer_as_the_tree_in_memory() {
    use diesel::Connection;
    use pledge_registry::db::models::log_tree;
    use pledge_registry::tlog::merkle::{self, MemoryNodes};
    use pledge_registry::tlog::tiles::Tiles;
    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    let mut memory = MemoryNodes::default();
    // Taken over from the registry's own entries, then grown.
    let start = log_tree::size(&mut conn).unwrap();
    for seq in 0..start {
        let stored = log_tree::fetch(
            &mut conn,
            &[merkle::Node {
                level: 0,
                index: seq,
            }],
        );
        memory.push_hash(
            merkle::Nodes::node(
                &stored.unwrap(),
                merkle::Node {
                    level: 0,
                    index: seq,
                },
            )
            .unwrap(),
        );
    }
    let mut size = start;
    for batch in [1u64, 15, 2, 200, 33, 1, 511, 300, 17] {
        let leaves: Vec<Hash> = (size..size + batch)
            .map(|n| leaf_hash(&n.to_be_bytes()))
            .collect();
        conn.transaction(|c| {
            let (at, mut tiles): (u64, Tiles) = log_tree::right_edge(c)?;
            assert_eq!(at, size);
            log_tree::append(c, &mut tiles, at, &leaves)
        })
        .unwrap();
        for leaf in &leaves {
            memory.push_hash(*leaf);
        }
        size += batch;
        assert_eq!(log_tree::size(&mut conn).unwrap(), size);
    }
    assert!(size > 1024, "three tile levels");
    for n in 1..=size {
        assert_eq!(
            log_tree::root(&mut conn, n).unwrap(),
            merkle::root(&memory, n).unwrap(),
            "root of {n}"
        );
    }
    for (index, n) in [
        (0, size),
        (size - 1, size),
        (255, 256),
        (256, 1025),
        (700, 1024),
        (15, 16),
        (16, 17),
    ] {
        let (leaf, path, root) = log_tree::inclusion_answer(&mut conn, index, n).unwrap();
        assert_eq!(path, merkle::inclusion_proof(&memory, index, n).unwrap());
        verify_inclusion(&leaf, index, n, &path, &root).unwrap();
    }
    for (old, new) in [(1, size), (16, 256), (255, 1025), (1000, size), (17, 18)] {
        let (path, old_root, new_root) = log_tree::consistency_answer(&mut conn, old, new).unwrap();
        assert_eq!(path, merkle::consistency_proof(&memory, old, new).unwrap());
        verify_consistency(old, new, &path, &old_root, &new_root).unwrap();
    }
}
