//! Customer sessions as requests present them (`X-Customer-Token`).
//!
//! A session's token is random; the database keeps its hash as the record
//! and the cache keeps a short-lived copy that requests read, so a busy
//! storefront costs no query per request, a cache flush or restart logs
//! nobody out, and ending sessions (logout, "log out everywhere", a
//! password reset) forgets the cached copies at once.

use std::time::Duration;

use bazaar_store::TenantSchema;
use bazaar_store::secret;
use bazaar_store::tenant::customers::{self, SHARED_REALM};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::{Outcome, Services, TenantKey, refusals};

/// A signed-in customer, as a request's session shows it.
#[derive(Debug, Clone)]
pub struct Shopper {
    pub customer_id: Uuid,
    pub token_hash: Vec<u8>,
}

refusals! {
    /// Why a session does not open.
    pub enum SessionRefusal {
        /// Unknown, expired, ended, or another brand's account.
        Invalid => Unauthenticated, "invalid_session",
            "the customer session is unknown, expired or ended; sign in again";
        /// Sessions belong to storefronts.
        StorefrontKeyRequired => Forbidden, "storefront_key_required",
            "customer sessions are used with a storefront key";
    }
}

fn session_cache_key(schema: &TenantSchema, hash: &[u8]) -> String {
    format!("cs:{}:{}", schema.as_str(), hex::encode(hash))
}

/// Cached sessions are re-read from the database at least this often, which
/// bounds how long a session whose cached copy could not be forgotten (the
/// cache was unreachable at logout) stays usable.
const SESSION_CACHE_TTL: Duration = Duration::from_secs(60);

/// The customer signed in with `token`, visible to the key's brand.
pub async fn shopper(
    state: &Services,
    key: &TenantKey,
    token: &str,
) -> Outcome<Shopper, SessionRefusal> {
    let brand = key.brand_id.ok_or(SessionRefusal::StorefrontKeyRequired)?;
    if token.is_empty() || token.len() > 200 {
        return Err(SessionRefusal::Invalid.into());
    }
    let hash = secret::hash(token);
    let cache_key = session_cache_key(&key.schema, &hash);
    let now = Utc::now();
    let cached = match state.cache.get(&cache_key).await {
        Ok(Some(raw)) => decode_session(&raw),
        _ => None,
    };
    let session = match cached {
        Some(s) if s.expires_at > now => s,
        _ => {
            let h = hash.clone();
            let found = state
                .db
                .tenant_read(&key.schema, move |conn| {
                    async move { customers::session(conn, &h).await }.boxed()
                })
                .await?
                .ok_or(SessionRefusal::Invalid)?;
            let remaining = (found.expires_at - now).to_std().unwrap_or_default();
            let _ = state
                .cache
                .set(
                    &cache_key,
                    encode_session(&found).as_bytes(),
                    remaining.min(SESSION_CACHE_TTL),
                )
                .await;
            found
        }
    };
    // Accounts of one brand are invisible to another; shared accounts
    // (the tenant's choice) are seen by all of its brands.
    if session.realm != brand && session.realm != SHARED_REALM {
        return Err(SessionRefusal::Invalid.into());
    }
    Ok(Shopper {
        customer_id: session.customer_id,
        token_hash: hash,
    })
}

fn encode_session(s: &customers::Session) -> String {
    format!("{}|{}|{}", s.customer_id, s.realm, s.expires_at.timestamp())
}

fn decode_session(raw: &[u8]) -> Option<customers::Session> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut parts = text.split('|');
    let customer_id = parts.next()?.parse().ok()?;
    let realm = parts.next()?.parse().ok()?;
    let expires_at = DateTime::from_timestamp(parts.next()?.parse().ok()?, 0)?;
    Some(customers::Session {
        customer_id,
        realm,
        expires_at,
    })
}

/// Forget the cached copies of ended sessions.
pub async fn forget_sessions(state: &Services, schema: &TenantSchema, hashes: &[Vec<u8>]) {
    for hash in hashes {
        if let Err(err) = state.cache.delete(&session_cache_key(schema, hash)).await {
            tracing::warn!(error = %err, "could not forget a cached session; it lapses within {SESSION_CACHE_TTL:?}");
        }
    }
}
