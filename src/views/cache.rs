//! Rendered answers kept in memory under the version of the data they were built
//! from, so that many readers of one answer do not each build it: a supplier's page
//! under its stored record's ETag, a list page under the audit log head it was built at.
//! Each is served only while that version is still the one the database gives. Per
//! instance and bounded in bytes: nothing here is needed for correctness.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::web::Bytes;

use crate::domain::SupplierId;

/// What an answer is kept under, with the version of the data it was built from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// A supplier's page, built from its stored record (version: the record's ETag).
    SupplierPage(SupplierId),
    /// A page of the API's supplier list, by its query string (version: the audit log
    /// head it was built at).
    ListPage(String),
}

/// Up to `budget` bytes of serialized public records.
#[derive(Debug)]
pub struct RecordCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Key → (version, body).
    records: HashMap<CacheKey, (String, Bytes)>,
    bytes: usize,
}

impl RecordCache {
    pub fn new(budget: usize) -> Self {
        RecordCache {
            budget,
            inner: Mutex::default(),
        }
    }

    /// The body kept under `key` for `version`, if any.
    pub fn get(&self, key: &CacheKey, version: &str) -> Option<Bytes> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match inner.records.get(key) {
            Some((tag, body)) if tag == version => Some(body.clone()),
            _ => None,
        }
    }

    /// Keeps `body` under `key` for `version`, making room by dropping other answers;
    /// one larger than a quarter of the budget is not kept.
    pub fn put(&self, key: &CacheKey, version: &str, body: Bytes) {
        if body.len() > self.budget / 4 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, old)) = inner.records.remove(key) {
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
            .insert(key.clone(), (version.to_owned(), body));
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: u128) -> CacheKey {
        CacheKey::SupplierPage(SupplierId(uuid::Uuid::from_u128(n)))
    }

    #[test]
    fn serves_a_record_only_under_its_etag_and_stays_in_budget() {
        let cache = RecordCache::new(1000);
        cache.put(&page(97), "\"r1\"", Bytes::from(vec![b'a'; 200]));
        assert!(cache.get(&page(97), "\"r1\"").is_some());
        assert!(
            cache.get(&page(97), "\"r2\"").is_none(),
            "a newer revision misses"
        );
        assert!(cache.get(&page(98), "\"r1\"").is_none());
        cache.put(&page(97), "\"r2\"", Bytes::from(vec![b'a'; 200]));
        assert!(
            cache.get(&page(97), "\"r1\"").is_none(),
            "replaced, not kept beside"
        );
        assert_eq!(cache.bytes(), 200);
        for i in 0..20 {
            cache.put(&page(i as u128), "\"r1\"", Bytes::from(vec![b'x'; 200]));
            assert!(cache.bytes() <= 1000);
        }
        cache.put(
            &CacheKey::ListPage("huge".into()),
            "\"r1\"",
            Bytes::from(vec![b'x'; 300]),
        );
        assert!(
            cache
                .get(&CacheKey::ListPage("huge".into()), "\"r1\"")
                .is_none(),
            "over a quarter of the budget"
        );
    }
}
