//! One cache trait for hot data, sessions and rate limits, with two
//! implementations: Redis through bb8-redis for deployments with more than
//! one node, and an in-process map for a single node with nothing configured.
//! Callers treat every cache error as a miss: the cache speeds things up and
//! is never the system of record.

mod memory;
mod redis_cache;

use std::sync::Arc;
use std::time::Duration;

pub use memory::MemoryCache;
pub use redis_cache::RedisCache;

/// Why a cache operation failed. Callers degrade (treat as a miss) rather
/// than fail the request.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache backend unavailable: {0}")]
    Unavailable(String),
    #[error("cache command failed: {0}")]
    Command(String),
}

/// A shared handle to whichever cache the deployment uses.
pub type SharedCache = Arc<dyn Cache>;

#[async_trait::async_trait]
pub trait Cache: Send + Sync + 'static {
    /// The value under `key`, or `None` when absent or expired.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;

    /// Store `value` under `key` for `ttl`.
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError>;

    /// Remove `key`; removing an absent key is not an error.
    async fn delete(&self, key: &str) -> Result<(), CacheError>;

    /// Atomically add `by` to the integer under `key` (absent counts as 0)
    /// and return the new value. `ttl` is set only when the counter is
    /// created, so a fixed window does not slide with every hit.
    async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64, CacheError>;

    /// Check the backend answers.
    async fn ping(&self) -> Result<(), CacheError>;

    /// `redis` or `memory`, for health output and metrics.
    fn backend(&self) -> &'static str;
}
