//! Rendered answers kept in memory under the version of the data they were built
//! from, so that many readers of one answer do not each build it: a supplier's page
//! under its stored record's ETag, a list page under the audit log head it was built at.
//! Each is served only while that version is still the one the database gives. Per
//! instance and bounded in bytes: nothing here is needed for correctness.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::web::Bytes;

/// Up to `budget` bytes of serialized public records.
#[derive(Debug)]
pub struct RecordCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Supplier id → (ETag, body).
    records: HashMap<String, (String, Bytes)>,
    bytes: usize,
}

impl RecordCache {
    pub fn new(budget: usize) -> Self {
        RecordCache {
            budget,
            inner: Mutex::default(),
        }
    }

    /// The body cached for `supplier` under `etag`, if any.
    pub fn get(&self, supplier: &str, etag: &str) -> Option<Bytes> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match inner.records.get(supplier) {
            Some((tag, body)) if tag == etag => Some(body.clone()),
            _ => None,
        }
    }

    /// Keeps `body` as `supplier`'s record under `etag`, making room by dropping other
    /// records; a record larger than a quarter of the budget is not kept.
    pub fn put(&self, supplier: &str, etag: &str, body: Bytes) {
        if body.len() > self.budget / 4 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, old)) = inner.records.remove(supplier) {
            inner.bytes -= old.len();
        }
        while inner.bytes + body.len() > self.budget {
            let Some(victim) = inner.records.keys().next().cloned() else {
                break;
            };
            if let Some((_, old)) = inner.records.remove(&victim) {
                inner.bytes -= old.len();
            }
        }
        inner.bytes += body.len();
        inner
            .records
            .insert(supplier.to_owned(), (etag.to_owned(), body));
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_a_record_only_under_its_etag_and_stays_in_budget() {
        let cache = RecordCache::new(1000);
        cache.put("a", "\"r1\"", Bytes::from(vec![b'a'; 200]));
        assert!(cache.get("a", "\"r1\"").is_some());
        assert!(
            cache.get("a", "\"r2\"").is_none(),
            "a newer revision misses"
        );
        assert!(cache.get("b", "\"r1\"").is_none());
        cache.put("a", "\"r2\"", Bytes::from(vec![b'a'; 200]));
        assert!(
            cache.get("a", "\"r1\"").is_none(),
            "replaced, not kept beside"
        );
        assert_eq!(cache.bytes(), 200);
        for i in 0..20 {
            cache.put(&format!("s{i}"), "\"r1\"", Bytes::from(vec![b'x'; 200]));
            assert!(cache.bytes() <= 1000);
        }
        cache.put("huge", "\"r1\"", Bytes::from(vec![b'x'; 300]));
        assert!(
            cache.get("huge", "\"r1\"").is_none(),
            "over a quarter of the budget"
        );
    }
}
