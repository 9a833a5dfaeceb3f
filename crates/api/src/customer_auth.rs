//! Customer sign-in: argon2id passwords, sessions and login throttling.
//!
//! A session's token (`X-Customer-Token`) is random; the database keeps its
//! hash as the record and the cache keeps a short-lived copy that requests
//! read, so a busy storefront costs no query per request, a cache flush or
//! restart logs nobody out, and ending sessions (logout, "log out
//! everywhere", a password reset) forgets the cached copies at once.
//!
//! Throttling counts in fixed windows in the cache (shared by every node
//! with Redis): failed logins per account, and attempts per client address.
//! An unreachable cache lets attempts through (logged): the password hash's
//! cost still bounds guessing, and shoppers can still sign in.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, Params};
use bazaar_store::TenantSchema;
use bazaar_store::secret;
use rand::RngCore;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
pub use bazaar_commerce::sessions::{Shopper, forget_sessions, shopper};

/// Passwords must be at least this long (NIST SP 800-63B's floor)...
pub const MIN_PASSWORD: usize = 8;
/// ...and at most this long, so hashing cost stays bounded.
pub const MAX_PASSWORD: usize = 256;

/// Refuse a password a person should not use.
pub fn check_password(password: &str, email: &str) -> ApiResult<()> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&chars) {
        return Err(ApiError::unprocessable(
            "weak_password",
            format!("a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
        ));
    }
    if password.eq_ignore_ascii_case(email) {
        return Err(ApiError::unprocessable(
            "weak_password",
            "the password must not be the email address",
        ));
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    // argon2id with the OWASP-recommended 19 MiB, 2 passes, 1 lane.
    Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        Params::default(),
    )
}

/// Hash a password with argon2id, off the async threads.
pub async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)?
}

/// A hash of nothing anyone knows, verified against when the email is
/// unknown so that answer takes as long as a wrong password.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::encode_b64(&[7u8; 16]).expect("a 16-byte salt encodes");
        argon2()
            .hash_password(secret::generate("decoy_").as_bytes(), &salt)
            .map(|h| h.to_string())
            .expect("argon2 hashes a short password")
    })
}

/// Whether `password` matches `hash`; with no hash (unknown account) it
/// does the same work and answers false.
pub async fn verify_password(password: String, hash: Option<String>) -> ApiResult<bool> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| decoy().to_owned());
        let parsed = PasswordHash::new(&stored).map_err(ApiError::internal)?;
        let ok = argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && known)
    })
    .await
    .map_err(ApiError::internal)?
}

/// The address a request comes from: the configured proxy header's last
/// entry (the one the nearest proxy appended; earlier entries are whatever
/// the client sent) when set and well-formed, else the peer address.
pub fn client_address(state: &AppState, req: &poem::Request) -> String {
    if let Some(header) = &state.settings.customers.client_ip_header
        && let Some(value) = req.headers().get(header.as_str())
        && let Ok(text) = value.to_str()
        && let Some(last) = text.rsplit(',').next()
        && let Ok(ip) = last.trim().parse::<IpAddr>()
    {
        return ip.to_string();
    }
    match req.remote_addr().as_socket_addr() {
        Some(addr) => addr.ip().to_string(),
        None => "unknown".to_owned(),
    }
}

/// A fixed-window counter in the cache.
pub struct Window {
    key: String,
    limit: i64,
    window: Duration,
}

impl Window {
    fn index(window: Duration) -> (u64, u64) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let len = window.as_secs().max(1);
        (now / len, len - now % len)
    }

    /// Failed logins for one account (its email in its realm).
    pub fn account(state: &AppState, schema: &TenantSchema, realm: Uuid, email: &str) -> Self {
        let s = &state.settings.customers;
        let who = hex::encode(secret::hash(&email.to_lowercase()));
        Self {
            key: format!("rl:acct:{}:{realm}:{who}", schema.as_str()),
            limit: s.login_failures_per_account,
            window: s.login_window,
        }
    }

    /// Sign-in attempts from one client address.
    pub fn address(state: &AppState, address: &str) -> Self {
        let s = &state.settings.customers;
        Self {
            key: format!("rl:addr:{address}"),
            limit: s.attempts_per_address,
            window: s.login_window,
        }
    }

    fn slot(&self) -> (String, u64) {
        let (index, left) = Self::index(self.window);
        (format!("{}:{index}", self.key), left)
    }

    fn refusal(&self, left: u64, what: &str) -> ApiError {
        ApiError::too_many(
            "too_many_attempts",
            format!("too many {what}; try again in {left} seconds"),
            left,
        )
    }

    /// Count an attempt; refuse it when the window is already full.
    pub async fn hit(&self, state: &AppState, what: &str) -> ApiResult<()> {
        let (slot, left) = self.slot();
        match state
            .cache
            .incr(&slot, 1, Some(self.window + Duration::from_secs(1)))
            .await
        {
            Ok(n) if n > self.limit => Err(self.refusal(left, what)),
            Ok(_) => Ok(()),
            Err(err) => {
                tracing::warn!(error = %err, "login throttling unavailable; attempt allowed");
                Ok(())
            }
        }
    }

    /// Start the window afresh (a successful login clears its failures).
    pub async fn clear(&self, state: &AppState) {
        let (slot, _) = self.slot();
        let _ = state.cache.delete(&slot).await;
    }
}
