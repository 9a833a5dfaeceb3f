//! What every use case runs with: the database, the cache, the region
//! packs, the payment providers, the search index and the settings, built
//! once at start-up and shared by reference (cheap to clone).

use std::sync::Arc;

use bazaar_cache::SharedCache;
use bazaar_regions::Registry;
use bazaar_store::Db;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub cache: SharedCache,
    pub regions: Arc<Registry>,
    /// Where checkouts charge: a primary provider (the sandbox unless
    /// configured otherwise) and perhaps a fallback, behind breakers.
    pub gateways: Arc<bazaar_payments::Gateways>,
    pub settings: Arc<Settings>,
    /// This node's product search index (`None` on a node configured not
    /// to serve search).
    pub search: Option<bazaar_search::SearchIndex>,
}

impl Services {
    pub fn new(db: Db, cache: SharedCache, regions: Arc<Registry>, settings: Settings) -> Self {
        Self {
            db,
            cache,
            regions,
            gateways: Arc::new(bazaar_payments::Gateways::new(Arc::new(
                bazaar_payments::SandboxGateway::default(),
            ))),
            settings: Arc::new(settings),
            search: None,
        }
    }
}

/// The moment `ttl` from now (expiries of holds, sessions and tokens).
pub fn from_now(ttl: std::time::Duration) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default()
}

/// Settings read at run time, by the use cases and the HTTP edge.
pub struct Settings {
    /// SHA-256 of the platform key from the configuration, if one is set.
    platform_key_hash: Option<[u8; 32]>,
    /// Request bodies larger than this are refused with 413.
    pub max_body_bytes: usize,
    /// Prefix for product image paths that are not absolute URLs.
    pub cdn_base_url: Option<String>,
    /// How long checkout holds stock for a payment to complete.
    pub reservation_ttl: std::time::Duration,
    /// Retries for transient payment failures.
    pub payment_retry: bazaar_payments::RetryPolicy,
    /// When an order's money is taken: at checkout, or authorised then and
    /// captured part by part as the vendors ship.
    pub payment_capture: bazaar_domain::CaptureMode,
    /// A checkout claim older than this belongs to a process that died; a
    /// retry with its Idempotency-Key resumes it.
    pub checkout_resume_after: std::time::Duration,
    /// Customer sessions and login throttling.
    pub customers: CustomerSettings,
    /// The secret payment providers sign their events with; without it,
    /// events are refused.
    pub payment_webhook_secret: Option<String>,
}

/// How customer accounts are guarded.
#[derive(Debug, Clone)]
pub struct CustomerSettings {
    /// How long a session lasts after login.
    pub session_ttl: std::time::Duration,
    /// Failed logins allowed per account in one window.
    pub login_failures_per_account: i64,
    /// Login, registration and reset attempts allowed per client address
    /// in one window.
    pub attempts_per_address: i64,
    /// The throttling window.
    pub login_window: std::time::Duration,
    /// A header naming the client's address (e.g. `X-Forwarded-For`, last
    /// entry) when a proxy sits in front; else the peer address is used.
    pub client_ip_header: Option<String>,
    /// How long an email verification link works.
    pub verify_token_ttl: std::time::Duration,
    /// How long a password reset link works.
    pub reset_token_ttl: std::time::Duration,
}

impl Default for CustomerSettings {
    fn default() -> Self {
        Self {
            session_ttl: std::time::Duration::from_secs(30 * 24 * 3600),
            login_failures_per_account: 5,
            attempts_per_address: 50,
            login_window: std::time::Duration::from_secs(15 * 60),
            client_ip_header: None,
            verify_token_ttl: std::time::Duration::from_secs(48 * 3600),
            reset_token_ttl: std::time::Duration::from_secs(3600),
        }
    }
}

impl Settings {
    pub fn new(platform_key: Option<&str>, max_body_bytes: usize) -> Self {
        Self {
            platform_key_hash: platform_key.map(|key| Sha256::digest(key.as_bytes()).into()),
            max_body_bytes,
            cdn_base_url: None,
            reservation_ttl: std::time::Duration::from_secs(15 * 60),
            payment_retry: bazaar_payments::RetryPolicy::default(),
            payment_capture: bazaar_domain::CaptureMode::Immediate,
            checkout_resume_after: std::time::Duration::from_secs(120),
            customers: CustomerSettings::default(),
            payment_webhook_secret: None,
        }
    }

    /// Serve relative image paths under `base` (e.g. `https://cdn.example.com`).
    pub fn with_cdn_base_url(mut self, base: Option<String>) -> Self {
        self.cdn_base_url = base.map(|b| b.trim_end_matches('/').to_owned());
        self
    }

    /// An image as a client should load it: absolute URLs as they are,
    /// relative paths under the CDN base when one is configured.
    pub fn image_url(&self, image: &str) -> String {
        match &self.cdn_base_url {
            Some(base) if !image.contains("://") => {
                format!("{base}/{}", image.trim_start_matches('/'))
            }
            _ => image.to_owned(),
        }
    }

    /// Whether `secret` is the configured platform key. Compares digests in
    /// constant time so response timing says nothing about the key.
    pub fn is_platform_key(&self, secret: &str) -> bool {
        let Some(expected) = &self.platform_key_hash else {
            return false;
        };
        let given: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        given
            .iter()
            .zip(expected.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}
