//! Finished public reads kept in each instance's memory: the public records, the pages
//! of the API's list, the supplier pages and the home page's lists, each as the bytes
//! served (plain and gzip) with its ETag.
//!
//! Nothing is kept by time. An entry goes when a write touches what it shows: at
//! commit for this instance's own writes, and through the database's change signal for
//! everyone else's (see [`crate::db::signal`] and [`crate::db::watch`]). Entries are
//! served only while that signal is proven to be heard: after [`LEASE`] without a
//! proof, or once it is lost, every read goes to the database again until the signal
//! is heard again and what was kept is dropped. So a write made elsewhere is served
//! here within [`BOUND`] at most.
//!
//! A read that missed builds its answer from the database and keeps it only if no
//! write was heard in between: it takes a [`Ticket`] before it reads.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use chrono::NaiveDateTime;

use crate::db::signal::Touched;
use crate::db::watch::Heard;
use crate::domain::SupplierId;

/// How long a proof that the change signal is heard lets entries be served.
pub const LEASE: Duration = Duration::from_millis(500);
/// The most time after a write commits that another instance may still serve what it
/// replaced: the lease, plus the slowest the signal is read and proven.
pub const BOUND: Duration = Duration::from_secs(1);
/// Answers smaller than this are not worth compressing.
const GZIP_FROM: usize = 256;

/// What an answer is kept under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// A public record by what the path named it by (id or slug, lowercased).
    Record(String),
    /// A supplier's page by what the path named it by.
    SupplierPage(String),
    /// A page of the API's supplier list, by its query string.
    ListPage(String),
    /// The home page's list, by its query string.
    HomePage(String),
}

impl CacheKey {
    fn len(&self) -> usize {
        match self {
            CacheKey::Record(s)
            | CacheKey::SupplierPage(s)
            | CacheKey::ListPage(s)
            | CacheKey::HomePage(s) => s.len(),
        }
    }
}

/// One finished answer.
#[derive(Debug)]
pub struct Held {
    /// The supplier it shows, or none when it shows many (a list).
    pub supplier: Option<SupplierId>,
    pub etag: String,
    pub modified: Option<NaiveDateTime>,
    pub plain: Bytes,
    /// The same bytes gzipped, when that is worth it.
    pub gzip: Option<Bytes>,
}

impl Held {
    /// An answer of `plain`, compressed once here for every reader that takes gzip.
    /// Both are kept at their exact size (what was built may have room to spare).
    pub fn new(
        supplier: Option<SupplierId>,
        etag: String,
        modified: Option<NaiveDateTime>,
        plain: Vec<u8>,
    ) -> Held {
        let plain = Bytes::from(plain.into_boxed_slice());
        let gzip = (plain.len() >= GZIP_FROM)
            .then(|| gzip(&plain))
            .flatten()
            .filter(|z| z.len() < plain.len());
        Held {
            supplier,
            etag,
            modified,
            plain,
            gzip,
        }
    }

    fn weight(&self) -> u64 {
        (self.plain.len() + self.gzip.as_ref().map_or(0, Bytes::len) + self.etag.len() + 128) as u64
    }
}

fn gzip(plain: &[u8]) -> Option<Bytes> {
    let mut z = flate2::write::GzEncoder::new(
        Vec::with_capacity(plain.len() / 4),
        flate2::Compression::default(),
    );
    z.write_all(plain).ok()?;
    z.finish().ok().map(|z| Bytes::from(z.into_boxed_slice()))
}

#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<CacheKey, std::sync::Arc<Held>> for Weigh {
    fn weight(&self, key: &CacheKey, held: &std::sync::Arc<Held>) -> u64 {
        held.weight() + key.len() as u64
    }
}

type Entries = quick_cache::sync::Cache<CacheKey, std::sync::Arc<Held>, Weigh>;

/// Taken before a read of the database whose answer is to be kept: the answer is kept
/// only if nothing was heard since.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

/// Counts for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheCounts {
    pub hits: u64,
    pub misses: u64,
    pub bytes: u64,
    pub budget: u64,
    pub entries: u64,
    /// Whether entries are being served (the change signal is heard).
    pub serving: bool,
    /// Times the change signal was lost.
    pub lost: u64,
}

/// Up to `budget` bytes of finished answers; none when the budget is 0.
pub struct ReadCache {
    entries: Option<Entries>,
    budget: u64,
    /// Moves with every change heard; see [`Ticket`].
    generation: AtomicU64,
    /// Until when entries may be served, in milliseconds since `started` (0: not now).
    serve_until: AtomicU64,
    started: Instant,
    hits: AtomicU64,
    misses: AtomicU64,
    lost: AtomicU64,
}

impl ReadCache {
    pub fn new(budget: u64) -> ReadCache {
        // An entry is a few KiB (a record, a page): an estimate only, for sizing.
        let items = (budget / 4096).clamp(16, 1 << 20) as usize;
        ReadCache {
            entries: (budget > 0).then(|| Entries::with_weighter(items, budget, Weigh)),
            budget,
            generation: AtomicU64::new(0),
            serve_until: AtomicU64::new(0),
            started: Instant::now(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            lost: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Whether entries may be served and kept now.
    pub fn serving(&self) -> bool {
        self.entries.is_some() && self.now_ms() < self.serve_until.load(Ordering::Acquire)
    }

    /// The answer kept under `key`, if any may be served.
    pub fn get(&self, key: &CacheKey) -> Option<std::sync::Arc<Held>> {
        let entries = self.entries.as_ref()?;
        let found = if self.serving() {
            entries.get(key)
        } else {
            None
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Take before reading the database for an answer to [`ReadCache::put`].
    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    /// Keeps `held` under `key`, unless a change was heard since `ticket` was taken or
    /// entries are not served now (one larger than an eighth of the budget is not kept),
    /// and hands it back to be served.
    pub fn put(&self, ticket: Ticket, key: CacheKey, held: Held) -> std::sync::Arc<Held> {
        let held = std::sync::Arc::new(held);
        let Some(entries) = &self.entries else {
            return held;
        };
        if held.weight() > self.budget / 8 || !self.serving() || self.ticket().0 != ticket.0 {
            return held;
        }
        entries.insert(key.clone(), held.clone());
        // A change heard while it went in: [`ReadCache::changed`] moves the generation
        // before it drops entries, so either it dropped this one or this sees it moved.
        if self.ticket().0 != ticket.0 {
            entries.remove(&key);
        }
        held
    }

    /// What a write touched: drops every entry that shows it (and every list).
    pub fn changed(&self, touched: &Touched) {
        let Some(entries) = &self.entries else {
            return;
        };
        match touched {
            Touched::Nothing => {}
            Touched::Everything => {
                self.generation.fetch_add(1, Ordering::AcqRel);
                entries.clear();
            }
            Touched::Suppliers(ids) => {
                self.generation.fetch_add(1, Ordering::AcqRel);
                entries.retain(|_, held| held.supplier.is_some_and(|s| !ids.contains(&s)));
            }
        }
    }

    /// What the change signal's watcher heard.
    pub fn heard(&self, heard: Heard) {
        match heard {
            Heard::Written(touched) => self.changed(&touched),
            Heard::Alive(asked) => self.prove(asked),
            Heard::Listening(asked) => {
                // Whatever was written while nothing was heard is unknown: start again.
                self.changed(&Touched::Everything);
                self.prove(asked);
            }
            Heard::Lost => {
                self.serve_until.store(0, Ordering::Release);
                self.lost.fetch_add(1, Ordering::Relaxed);
                self.changed(&Touched::Everything);
            }
        }
    }

    /// Entries may be served until [`LEASE`] after `asked`, when the signal was last
    /// proven heard.
    fn prove(&self, asked: Instant) {
        let since = asked.saturating_duration_since(self.started).as_millis() as u64;
        self.serve_until
            .fetch_max(since + LEASE.as_millis() as u64, Ordering::AcqRel);
    }

    pub fn counts(&self) -> CacheCounts {
        CacheCounts {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            bytes: self.entries.as_ref().map_or(0, |e| e.weight()),
            budget: self.budget,
            entries: self.entries.as_ref().map_or(0, |e| e.len() as u64),
            serving: self.serving(),
            lost: self.lost.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn id(n: u128) -> SupplierId {
        SupplierId(uuid::Uuid::from_u128(n))
    }

    fn held(n: u128, size: usize) -> Held {
        Held::new(Some(id(n)), format!("\"{n}\""), None, vec![b'a'; size])
    }

    fn record(n: u128) -> CacheKey {
        CacheKey::Record(id(n).to_string())
    }

    fn listening(budget: u64) -> ReadCache {
        let cache = ReadCache::new(budget);
        cache.heard(Heard::Listening(Instant::now()));
        cache
    }

    #[test]
    fn serves_only_while_the_signal_is_heard() {
        let cache = ReadCache::new(1 << 20);
        cache.put(cache.ticket(), record(1), held(1, 100));
        assert!(cache.get(&record(1)).is_none(), "not listening yet");
        cache.heard(Heard::Listening(Instant::now()));
        cache.put(cache.ticket(), record(1), held(1, 100));
        assert!(cache.get(&record(1)).is_some());
        cache.heard(Heard::Lost);
        assert!(cache.get(&record(1)).is_none(), "lost: nothing served");
        cache.heard(Heard::Listening(Instant::now()));
        assert!(cache.get(&record(1)).is_none(), "dropped when heard again");
        let asked = Instant::now();
        cache.put(cache.ticket(), record(1), held(1, 100));
        std::thread::sleep(LEASE);
        assert!(cache.get(&record(1)).is_none(), "no proof within the lease");
        cache.heard(Heard::Alive(asked));
        assert!(
            cache.get(&record(1)).is_none(),
            "a proof asked before the lease"
        );
        cache.heard(Heard::Alive(Instant::now()));
        assert!(cache.get(&record(1)).is_some(), "proven again, still kept");
        assert!(!ReadCache::new(0).serving(), "0 keeps nothing");
    }

    #[test]
    fn a_change_drops_what_shows_it_and_every_list() {
        let cache = listening(1 << 20);
        cache.put(cache.ticket(), record(1), held(1, 100));
        cache.put(cache.ticket(), record(2), held(2, 100));
        let list = CacheKey::ListPage(String::new());
        let many = Held::new(None, "\"l\"".into(), None, b"[]".to_vec());
        cache.put(cache.ticket(), list.clone(), many);
        cache.changed(&Touched::Suppliers(BTreeSet::from([id(1)])));
        assert!(cache.get(&record(1)).is_none());
        assert!(cache.get(&record(2)).is_some(), "another supplier stays");
        assert!(cache.get(&list).is_none(), "lists show everyone");
        cache.changed(&Touched::Everything);
        assert!(cache.get(&record(2)).is_none());
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_kept() {
        let cache = listening(1 << 20);
        let ticket = cache.ticket();
        cache.changed(&Touched::Suppliers(BTreeSet::from([id(9)])));
        cache.put(ticket, record(1), held(1, 100));
        assert!(cache.get(&record(1)).is_none());
    }

    #[test]
    fn stays_in_budget_and_compresses_once() {
        let cache = listening(64 * 1024);
        for n in 0..200 {
            cache.put(cache.ticket(), record(n), held(n, 2000));
        }
        assert!(cache.counts().bytes <= 64 * 1024, "{:?}", cache.counts());
        cache.put(cache.ticket(), record(999), held(999, 20_000));
        assert!(
            cache.get(&record(999)).is_none(),
            "over an eighth of the budget"
        );
        let h = held(1, 5000);
        let z = h.gzip.as_ref().expect("compressed");
        assert!(z.len() < 200);
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&z[..]), &mut plain).unwrap();
        assert_eq!(plain, h.plain);
    }
}
