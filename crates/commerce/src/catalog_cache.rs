//! Cached storefront reads. Keys carry the tenant's catalog version, which
//! every catalog write bumps in the shared cache after it commits, so every
//! server's next read misses and reloads: invalidation works across nodes
//! without tracking which pages a write touched. Entries also expire, which
//! bounds staleness if a bump is lost while the cache is unreachable. Any
//! cache error is a miss: reads fall back to the database.

use std::time::Duration;

use uuid::Uuid;

use crate::Services;

const TTL: Duration = Duration::from_secs(300);

fn version_key(tenant: Uuid) -> String {
    format!("catalog:{tenant}:version")
}

/// The tenant's catalog version (0 when unknown or unreachable).
async fn version(state: &Services, tenant: Uuid) -> Option<i64> {
    match state.cache.get(&version_key(tenant)).await {
        Ok(Some(bytes)) => std::str::from_utf8(&bytes).ok()?.parse().ok(),
        Ok(None) => Some(0),
        Err(err) => {
            tracing::warn!(error = %err, "cache unavailable; reading the catalog from the database");
            None
        }
    }
}

/// Invalidate every cached page of the tenant's catalog.
pub async fn bump(state: &Services, tenant: Uuid) {
    if let Err(err) = state.cache.incr(&version_key(tenant), 1, None).await {
        tracing::warn!(error = %err, "could not bump the catalog version; cached pages expire within {TTL:?}");
    }
}

/// The cached bytes for `key` of this tenant's current catalog version, or
/// `None` (a miss, or no cache). Returns the full key to store under.
pub async fn lookup(
    state: &Services,
    tenant: Uuid,
    key: &str,
) -> (Option<Vec<u8>>, Option<String>) {
    let Some(version) = version(state, tenant).await else {
        return (None, None);
    };
    let full = format!("catalog:{tenant}:{version}:{key}");
    match state.cache.get(&full).await {
        Ok(hit) => (hit, Some(full)),
        Err(_) => (None, None),
    }
}

pub async fn store(state: &Services, full_key: Option<String>, bytes: &[u8]) {
    if let Some(key) = full_key
        && let Err(err) = state.cache.set(&key, bytes, TTL).await
    {
        tracing::warn!(error = %err, "could not cache a catalog page");
    }
}
