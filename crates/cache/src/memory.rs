//! The in-process cache: a bounded map with per-entry expiry. Good for one
//! node; with several nodes each has its own copy, which is why deployments
//! with more than one node configure Redis.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::{Cache, CacheError};

struct Entry {
    value: Vec<u8>,
    expires_at: Option<Instant>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// A bounded in-process cache. When full, expired entries are dropped first,
/// then the entries closest to expiry.
pub struct MemoryCache {
    entries: Mutex<HashMap<String, Entry>>,
    capacity: usize,
}

impl MemoryCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave a half-written entry
        // (every update is a single insert or remove), so a poisoned map is
        // still consistent.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn make_room(map: &mut HashMap<String, Entry>, capacity: usize, now: Instant) {
        if map.len() < capacity {
            return;
        }
        map.retain(|_, entry| entry.live(now));
        if map.len() < capacity {
            return;
        }
        let overflow = map.len() + 1 - capacity;
        let mut by_expiry: Vec<(Option<Instant>, String)> = map
            .iter()
            .map(|(key, entry)| (entry.expires_at, key.clone()))
            .collect();
        // Soonest expiry first; entries without an expiry last.
        by_expiry.sort_by_key(|(at, _)| (at.is_none(), *at));
        for (_, key) in by_expiry.into_iter().take(overflow) {
            map.remove(&key);
        }
    }
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new(100_000)
    }
}

#[async_trait::async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let now = Instant::now();
        let mut map = self.lock();
        match map.get(key) {
            Some(entry) if entry.live(now) => Ok(Some(entry.value.clone())),
            Some(_) => {
                map.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let now = Instant::now();
        let mut map = self.lock();
        if !map.contains_key(key) {
            Self::make_room(&mut map, self.capacity, now);
        }
        map.insert(
            key.to_owned(),
            Entry {
                value: value.to_vec(),
                expires_at: Some(now + ttl),
            },
        );
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.lock().remove(key);
        Ok(())
    }

    async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64, CacheError> {
        let now = Instant::now();
        let mut map = self.lock();
        let current = match map.get(key) {
            Some(entry) if entry.live(now) => Some(
                std::str::from_utf8(&entry.value)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                    .ok_or_else(|| {
                        CacheError::Command(format!("value under `{key}` is not an integer"))
                    })?,
            ),
            _ => None,
        };
        let (next, expires_at) = match current {
            Some(value) => (value + by, map.get(key).and_then(|e| e.expires_at)),
            None => {
                Self::make_room(&mut map, self.capacity, now);
                (by, ttl.map(|ttl| now + ttl))
            }
        };
        map.insert(
            key.to_owned(),
            Entry {
                value: next.to_string().into_bytes(),
                expires_at,
            },
        );
        Ok(next)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn full_cache_evicts_the_entry_closest_to_expiry() {
        let cache = MemoryCache::new(2);
        cache.set("long", b"1", Duration::from_secs(600)).await.ok();
        cache.set("short", b"2", Duration::from_secs(5)).await.ok();
        cache.set("new", b"3", Duration::from_secs(60)).await.ok();
        assert_eq!(cache.get("short").await.ok().flatten(), None);
        assert_eq!(cache.get("long").await.ok().flatten(), Some(b"1".to_vec()));
        assert_eq!(cache.get("new").await.ok().flatten(), Some(b"3".to_vec()));
    }
}
