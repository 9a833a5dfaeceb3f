//! Sign-in throttling: fixed windows counted in the cache (shared by every
//! node with Redis), for failed logins per account and for attempts per
//! client address. An unreachable cache lets attempts through (logged):
//! the password hash's cost still bounds guessing, and shoppers can still
//! sign in.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bazaar_store::TenantSchema;
use bazaar_store::secret;
use uuid::Uuid;

use crate::{Services, refusals};

refusals! {
    /// Too many attempts in the window.
    pub enum ThrottleRefusal {
        /// `left`: seconds until the window starts afresh.
        TooMany { what: &'static str, left: u64 } => TooMany { retry_after: *left },
            "too_many_attempts", "too many {what}; try again in {left} seconds";
    }
}

/// What the address window counts, as its refusal names it.
pub const ADDRESS_ATTEMPTS: &str = "sign-in attempts from this address";
/// What the account window counts, as its refusal names it.
pub const ACCOUNT_ATTEMPTS: &str = "sign-in attempts for this account";

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
    pub fn account(services: &Services, schema: &TenantSchema, realm: Uuid, email: &str) -> Self {
        let s = &services.settings.customers;
        let who = hex::encode(secret::hash(&email.to_lowercase()));
        Self {
            key: format!("rl:acct:{}:{realm}:{who}", schema.as_str()),
            limit: s.login_failures_per_account,
            window: s.login_window,
        }
    }

    /// Sign-in attempts from one client address.
    pub fn address(services: &Services, address: &str) -> Self {
        let s = &services.settings.customers;
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

    /// Count an attempt; refuse it when the window is already full.
    pub async fn hit(
        &self,
        services: &Services,
        what: &'static str,
    ) -> Result<(), ThrottleRefusal> {
        let (slot, left) = self.slot();
        match services
            .cache
            .incr(&slot, 1, Some(self.window + Duration::from_secs(1)))
            .await
        {
            Ok(n) if n > self.limit => Err(ThrottleRefusal::TooMany { what, left }),
            Ok(_) => Ok(()),
            Err(err) => {
                tracing::warn!(error = %err, "login throttling unavailable; attempt allowed");
                Ok(())
            }
        }
    }

    /// Start the window afresh (a successful login clears its failures).
    pub async fn clear(&self, services: &Services) {
        let (slot, _) = self.slot();
        let _ = services.cache.delete(&slot).await;
    }
}

/// Count an attempt from `address` (register, login, reset, a new email).
pub async fn from_address(services: &Services, address: &str) -> Result<(), ThrottleRefusal> {
    Window::address(services, address)
        .hit(services, ADDRESS_ATTEMPTS)
        .await
}
