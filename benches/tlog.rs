//! The log's Merkle tree at a million entries: how long an inclusion proof, a
//! consistency proof (with both roots) and a root take when read from the stored tiles, as the API
//! serves them, on a fresh SQLite registry (or PostgreSQL with `--database-url`), and
//! what an append writes.
//!
//!     cargo bench --bench tlog -- --entries 1000000 [--database-url postgres://...] [--rebuild 1000000]
//!
//! The tree is filled through the service's own append (the leaves are hashes of
//! synthetic entries; proofs read only the stored tree, never the entries). Every proof is verified against the
//! root, so a wrong one would stop the run.

use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use pledge_registry::config::Config;
use pledge_registry::db::models::log_tree;
use pledge_registry::tlog::merkle::{
    self, Hash, MemoryNodes, Needed, Nodes, leaf_hash, verify_consistency, verify_inclusion,
};
use pledge_registry::tlog::tiles::{TileId, Tiles};
use rand::Rng;

// Only its command-line reader is used here.
#[allow(dead_code)]
mod support;
use support::arg;

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e6;
    let mean = times.iter().sum::<Duration>().as_secs_f64() * 1e6 / times.len() as f64;
    println!(
        "{what:<28} n={:<6} mean {mean:>8.1} µs  p50 {:>8.1} µs  p99 {:>8.1} µs  max {:>8.1} µs",
        times.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

fn main() -> anyhow::Result<()> {
    let entries: u64 = arg("--entries", "1000000").parse()?;
    let samples: usize = arg("--samples", "2000").parse()?;
    let database_url = arg("--database-url", "");
    let dir = tempfile::tempdir()?;
    let data = dir.path().to_string_lossy().into_owned();
    let config = Config::from_lookup(|k| match k {
        "REGISTRY_DATA_DIR" => Some(data.clone()),
        "DATABASE_URL" if !database_url.is_empty() => Some(database_url.clone()),
        _ => None,
    })?;
    let state = pledge_registry::app::bootstrap::prepare(config)?;
    let mut conn = state.database.pool().get()?;

    // Build the tree in memory, then store it as the service appends: in batches,
    // through the same code, each in a transaction.
    let started = Instant::now();
    let mut tree = MemoryNodes::default();
    let leaves: Vec<Hash> = (0..entries)
        .map(|n| leaf_hash(format!("{{\"seq\":{}}}", n + 1).as_bytes()))
        .collect();
    for leaf in &leaves {
        tree.push_hash(*leaf);
    }
    let built = started.elapsed();
    conn.batch_execute("DELETE FROM log_tiles")?;
    let started = Instant::now();
    let mut tiles = Tiles::default();
    for (n, batch) in leaves.chunks(2000).enumerate() {
        conn.transaction(|c| log_tree::append(c, &mut tiles, n as u64 * 2000, batch))?;
    }
    drop(leaves);
    // A log that grew to this size has had its statistics gathered by then (autovacuum
    // on PostgreSQL); one loaded at once has not, and the planner would guess.
    conn.batch_execute("ANALYZE log_tiles")?;
    println!(
        "{entries} entries: tree built in memory in {:.1} s, stored in {:.1} s",
        built.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let size = log_tree::size(&mut conn)?;
    assert_eq!(size, entries);
    let root = log_tree::root(&mut conn, size)?;
    assert_eq!(root, merkle::root(&tree, size)?);

    let mut rng = rand::thread_rng();
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let index = rng.gen_range(0..size);
        let t = Instant::now();
        let (_, proof, _) = log_tree::inclusion_answer(&mut conn, index, size)?;
        times.push(t.elapsed());
        let leaf = tree.node(merkle::Node { level: 0, index })?;
        verify_inclusion(&leaf, index, size, &proof, &root)?;
    }
    report("inclusion proof", times);

    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let old = rng.gen_range(1..size);
        let t = Instant::now();
        let (proof, old_root, _) = log_tree::consistency_answer(&mut conn, old, size)?;
        times.push(t.elapsed());
        verify_consistency(old, size, &proof, &old_root, &root)?;
    }
    report("consistency proof + old root", times);

    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let n = rng.gen_range(1..=size);
        let t = Instant::now();
        log_tree::root(&mut conn, n)?;
        times.push(t.elapsed());
    }
    report("root of any size", times);

    // The floor: one round trip that reads nothing, on the same connection.
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        conn.batch_execute("SELECT 1")?;
        times.push(t.elapsed());
    }
    report("one empty round trip", times);

    // Appends as a write makes them, one leaf each: the tree's size and right edge
    // read, the leaf added, the tiles it changed written, in a transaction.
    let mut times = Vec::with_capacity(samples);
    let (mut written, mut read) = (Vec::new(), Vec::new());
    for n in size..size + samples as u64 {
        let leaf = leaf_hash(&n.to_be_bytes());
        let t = Instant::now();
        let wrote = conn.transaction(|c| {
            let (at, mut tiles) = log_tree::right_edge(c)?;
            assert_eq!(at, n);
            log_tree::append(c, &mut tiles, at, &[leaf])
        })?;
        times.push(t.elapsed());
        written.push(wrote);
        read.push(TileId::covering(&merkle::needed(Needed::Root { size: n })).len());
        tree.push_hash(leaf);
    }
    report("append one entry", times);
    let size = size + samples as u64;
    assert_eq!(log_tree::root(&mut conn, size)?, merkle::root(&tree, size)?);
    println!(
        "appends after {}: tiles written mean {:.2}, max {}; read (the right edge) max {}",
        size - samples as u64,
        written.iter().sum::<usize>() as f64 / written.len() as f64,
        written.iter().max().unwrap_or(&0),
        read.iter().max().unwrap_or(&0),
    );

    // The first start after the upgrade to tiles: the tree rebuilt from a log of
    // `--rebuild` entries, each with a public change and both states.
    let rebuild: u64 = arg("--rebuild", "0").parse()?;
    if rebuild > 0 {
        conn.batch_execute("DELETE FROM log_tiles; DELETE FROM audit_log")?;
        let record = format!(
            "{{\"name\":\"Supplier\",\"summary\":\"{}\"}}",
            "x".repeat(200)
        );
        let mut rows = Vec::new();
        for seq in 1..=rebuild {
            rows.push(format!(
                "({seq},'2026-11-28 00:00:00','admin','supplier.update','supplier','s{seq}','s{seq}','{record}','{record}','{h}','{h}','{record}')",
                h = "0".repeat(64)
            ));
            if rows.len() == 1000 || seq == rebuild {
                conn.batch_execute(&format!(
                    "INSERT INTO audit_log (seq, at, actor, action, entity_type, entity_id, supplier_id, before_json, after_json, prev_hash, hash, public_json) VALUES {}",
                    rows.join(",")
                ))?;
                rows.clear();
            }
        }
        conn.batch_execute("ANALYZE audit_log")?;
        let t = Instant::now();
        let grown = conn.transaction(|c| pledge_registry::db::models::audit::replace_tree(c))?;
        assert_eq!(grown, rebuild);
        println!(
            "tree rebuilt from a log of {rebuild} entries in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        guard_and_tiles(&mut conn, &state, rebuild, samples)?;
    }
    Ok(())
}

/// What the log's guard costs on a log of `size` entries with a published checkpoint
/// (at start, counting every entry; before each signature), and what serving a C2SP
/// tile and an entry bundle of 256 costs.
fn guard_and_tiles(
    conn: &mut pledge_registry::db::DbConn,
    state: &pledge_registry::state::AppState,
    size: u64,
    samples: usize,
) -> anyhow::Result<()> {
    use pledge_registry::db::models::{checkpoints, now};
    use pledge_registry::routes::log::tiles::read;
    use pledge_registry::tlog::checkpoint::{Checkpoint, origin};
    use pledge_registry::tlog::tile_api::Resource;
    let checkpoint = Checkpoint {
        origin: origin(&state.config.public_url),
        size,
        root: log_tree::root(conn, size)?,
    };
    conn.batch_execute("DELETE FROM log_checkpoints")?;
    checkpoints::insert(
        conn,
        &checkpoints::CheckpointRow {
            size: size as i64,
            root: checkpoint.root.to_vec(),
            note: checkpoint.sign(&state.keys.current().signing),
            published_at: now(),
        },
    )?;
    let guard = &state.checkpoints;
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let last = guard
            .check(conn, true)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        times.push(t.elapsed());
        assert_eq!(last.map(|c| c.size), Some(size));
    }
    report("guard at start (counts all)", times);
    let mut times = Vec::new();
    for _ in 0..samples / 10 {
        let t = Instant::now();
        guard
            .check(conn, false)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        times.push(t.elapsed());
    }
    report("guard before a signature", times);
    let mut rng = rand::thread_rng();
    let full = size / 256;
    for (what, entries) in [
        ("C2SP tile of 256 hashes", false),
        ("entry bundle of 256", true),
    ] {
        let mut times = Vec::with_capacity(samples);
        for _ in 0..samples {
            let index = rng.gen_range(0..full);
            let resource = if entries {
                Resource::Entries { index, width: 256 }
            } else {
                Resource::Tile {
                    level: 0,
                    index,
                    width: 256,
                }
            };
            let t = Instant::now();
            let body = read(conn, resource).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            times.push(t.elapsed());
            assert!(body.len() >= 256 * 2);
        }
        report(what, times);
    }
    Ok(())
}
