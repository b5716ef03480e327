//! A tile client written from the C2SP `tlog-tiles` text alone (paths, partial tiles,
//! entry bundles), with its own RFC 6962 tree hash: it reads the whole log from
//! `/checkpoint` and `/tile/...` and recomputes the root the checkpoint signs. Nothing
//! of the registry's tree code is used.

use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

type Hash = [u8; 32];

fn leaf(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0]);
    h.update(data);
    h.finalize().into()
}

fn node(l: &Hash, r: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

/// MTH of RFC 6962 §2.1: split at the largest power of two smaller than n.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = 1 << (usize::BITS - (n - 1).leading_zeros() - 1);
            node(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// "index 1234067 will be encoded as x001/x234/067"
fn encode(mut n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        parts.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

async fn fetch(app: &TestApp, path: &str) -> Option<Vec<u8>> {
    let res = app.get(path).await;
    match res.status().as_u16() {
        200 => {
            assert_eq!(res.headers()["content-type"], "application/octet-stream");
            assert!(
                res.headers()["cache-control"]
                    .to_str()
                    .unwrap()
                    .contains("immutable")
            );
            Some(res.bytes().await.unwrap().to_vec())
        }
        404 => None,
        other => panic!("{path}: {other}"),
    }
}

/// The tiles of one level: the full ones, then the partial one, as the text says.
async fn level(app: &TestApp, kind: &str, hashes: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for n in 0..hashes.div_ceil(256) {
        let width = (hashes - n * 256).min(256);
        let path = if width == 256 {
            format!("/tile/{kind}/{}", encode(n))
        } else {
            format!("/tile/{kind}/{}.p/{width}", encode(n))
        };
        out.push(fetch(app, &path).await.unwrap_or_else(|| panic!("{path}")));
    }
    out
}

#[tokio::test]
async fn a_tile_client_reads_the_whole_log_and_recomputes_the_signed_root() {
    use pledge_registry::db::models::{audit, now};
    use pledge_registry::domain::Action;
    let app = TestApp::spawn().await;
    app.active_supplier("Tiled Ltd").await;
    // Past a full tile of entries and into the next, through the registry's writer.
    {
        let mut conn = app.pool.get().unwrap();
        diesel::Connection::transaction(&mut *conn, |c| {
            for i in 0..300 {
                audit::record(
                    c,
                    now(),
                    audit::Entry::new("system", Action::SupplierProfileUpdated, "test", i),
                )?;
            }
            diesel::QueryResult::Ok(())
        })
        .unwrap();
    }
    let key = app.get_json("/api/v1/log/key").await;
    let key = pledge_registry::tlog::verify::LogKey::parse(key["verifier_key"].as_str().unwrap())
        .unwrap();
    let note = app.get("/checkpoint").await.text().await.unwrap();
    let checkpoint = key.checkpoint(&note).unwrap();
    let size = checkpoint.size;
    assert!(size > 300 && size < 512, "{size}");

    // Level 0 and the entry bundles: every entry hashes to its leaf.
    let tiles = level(&app, "0", size).await;
    let bundles = level(&app, "entries", size).await;
    let mut leaves: Vec<Hash> = Vec::new();
    let mut entries: Vec<Vec<u8>> = Vec::new();
    for (tile, bundle) in tiles.iter().zip(&bundles) {
        let mut rest = bundle.as_slice();
        while !rest.is_empty() {
            let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
            entries.push(rest[2..2 + len].to_vec());
            rest = &rest[2 + len..];
        }
        for h in tile.chunks_exact(32) {
            leaves.push(h.try_into().unwrap());
        }
    }
    assert_eq!((leaves.len() as u64, entries.len() as u64), (size, size));
    for (i, (e, l)) in entries.iter().zip(&leaves).enumerate() {
        assert_eq!(leaf(e), *l, "entry {}", i + 1);
    }
    assert_eq!(
        entries[0],
        app.get_bytes("/api/v1/log/leaves/1").await,
        "an entry is the leaf's public form"
    );
    // Level 1 holds the hash of each full tile below.
    let above = level(&app, "1", size >> 8).await;
    assert_eq!(above.len(), 1);
    assert_eq!(above[0].len(), 32);
    assert_eq!(above[0][..32], mth(&leaves[..256]));
    // The root of every leaf is the one the checkpoint signs.
    assert_eq!(mth(&leaves), checkpoint.root);

    // Nothing past the checkpoint, and no path but the specification's.
    let w = size % 256;
    for path in [
        format!("/tile/0/001.p/{}", w + 1),
        "/tile/0/001".into(),
        "/tile/entries/001".into(),
        "/tile/1/000.p/2".into(),
        "/tile/2/000.p/1".into(),
        "/tile/0/1".into(),
        "/tile/0/x000/001".into(),
        "/tile/0/000.p/0".into(),
        "/tile/64/000".into(),
    ] {
        assert_eq!(fetch(&app, &path).await, None, "{path}");
    }
    // A partial tile of an earlier checkpoint's size is a prefix of the full one.
    let early = fetch(&app, "/tile/0/000.p/5").await.unwrap();
    assert_eq!(early, tiles[0][..5 * 32]);
}
