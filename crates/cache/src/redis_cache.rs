//! The Redis cache through a bb8 pool of multiplexed connections. Every
//! command is bounded by a short timeout so a slow or dead Redis costs a
//! request milliseconds, not seconds, before the caller falls back.

use std::time::Duration;

use bb8_redis::RedisConnectionManager;
use bb8_redis::redis::{self, AsyncCommands};

use crate::{Cache, CacheError};

const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

/// Redis-backed cache; every key is prefixed with `namespace:` so several
/// deployments (or test runs) can share one Redis without colliding.
pub struct RedisCache {
    pool: bb8::Pool<RedisConnectionManager>,
    namespace: String,
}

impl RedisCache {
    /// Build the pool. Connections are made lazily, so a Redis that is down
    /// at start-up is reported by `/readyz` rather than stopping the server.
    pub fn new(url: &str, namespace: &str, max_connections: u32) -> Result<Self, CacheError> {
        let manager = RedisConnectionManager::new(url)
            .map_err(|e| CacheError::Unavailable(format!("invalid redis url: {e}")))?;
        let pool = bb8::Pool::builder()
            .max_size(max_connections)
            .min_idle(Some(0))
            .connection_timeout(COMMAND_TIMEOUT)
            .retry_connection(false)
            .build_unchecked(manager);
        Ok(Self {
            pool,
            namespace: namespace.to_owned(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }

    async fn run<T, F, Fut>(&self, op: F) -> Result<T, CacheError>
    where
        F: FnOnce(redis::aio::MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let attempt = async {
            let conn = self
                .pool
                .get()
                .await
                .map_err(|e| CacheError::Unavailable(e.to_string()))?;
            op(conn.clone())
                .await
                .map_err(|e| CacheError::Command(e.to_string()))
        };
        tokio::time::timeout(COMMAND_TIMEOUT, attempt)
            .await
            .map_err(|_| CacheError::Unavailable("redis did not answer in time".into()))?
    }
}

#[async_trait::async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let key = self.key(key);
        self.run(|mut c| async move { c.get(key).await }).await
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let key = self.key(key);
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let value = value.to_vec();
        self.run(|mut c| async move { c.pset_ex(key, value, millis).await })
            .await
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let key = self.key(key);
        self.run(|mut c| async move { c.del(key).await }).await
    }

    async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64, CacheError> {
        let key = self.key(key);
        self.run(|mut c| async move {
            let mut pipe = redis::pipe();
            pipe.atomic().cmd("INCRBY").arg(&key).arg(by);
            if let Some(ttl) = ttl {
                // NX: only a counter without an expiry gets one, so the
                // window is fixed from its first hit.
                let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
                pipe.cmd("PEXPIRE").arg(&key).arg(millis).arg("NX").ignore();
            }
            let (value,): (i64,) = pipe.query_async(&mut c).await?;
            Ok(value)
        })
        .await
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.run(|mut c| async move {
            let _: String = redis::cmd("PING").query_async(&mut c).await?;
            Ok(())
        })
        .await
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}
