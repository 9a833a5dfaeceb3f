//! Configuration: an optional YAML file (`--config`, `BAZAAR_CONFIG`, or
//! `./bazaar.yaml` when present), then `BAZAAR_*` environment variables,
//! then command-line flags. Unknown keys and unknown `BAZAAR_*` variables
//! are refused with the key named. Secrets never appear in `Debug` output.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use bazaar_store::db::redact_url;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON when stdout is not a terminal, text when it is.
    #[default]
    Auto,
    Json,
    Text,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    #[serde(default = "defaults::listen")]
    pub listen: SocketAddr,
    /// Where the embedded database, the platform key file and (later) the
    /// search index live.
    #[serde(default = "defaults::data_dir")]
    pub data_dir: PathBuf,
    /// PostgreSQL URL of the primary; unset starts an embedded PostgreSQL.
    #[serde(default)]
    pub database_url: Option<String>,
    /// PostgreSQL URLs of read replicas.
    #[serde(default)]
    pub replica_urls: Vec<String>,
    /// Redis URL; unset uses an in-process cache (one node only).
    #[serde(default)]
    pub redis_url: Option<String>,
    /// Prefix of every cache key, so deployments can share a Redis.
    #[serde(default = "defaults::cache_namespace")]
    pub cache_namespace: String,
    /// The platform operator's key; unset generates one into
    /// `<data_dir>/platform.key` on first start.
    #[serde(default)]
    pub platform_key: Option<String>,
    /// Largest request body accepted, in bytes.
    #[serde(default = "defaults::max_body_bytes")]
    pub max_body_bytes: usize,
    /// Connections per database pool.
    #[serde(default = "defaults::db_max_connections")]
    pub db_max_connections: u32,
    /// How long a request waits for a database connection before a 503.
    #[serde(default = "defaults::db_acquire_timeout_ms")]
    pub db_acquire_timeout_ms: u64,
    /// A replica further behind than this is skipped.
    #[serde(default = "defaults::replica_max_lag_seconds")]
    pub replica_max_lag_seconds: u64,
    /// How long in-flight requests get to finish on shutdown.
    #[serde(default = "defaults::shutdown_timeout_seconds")]
    pub shutdown_timeout_seconds: u64,
    #[serde(default)]
    pub log_format: LogFormat,
    /// Base URL that relative product image paths are served under.
    #[serde(default)]
    pub cdn_base_url: Option<String>,
    /// Folder of region packs (`*.yaml`), watched for changes.
    #[serde(default = "defaults::regions_dir")]
    pub regions_dir: PathBuf,
    /// How often the regions folder is checked for changes.
    #[serde(default = "defaults::regions_poll_ms")]
    pub regions_poll_ms: u64,
    /// Where checkouts charge: `sandbox` (test tokens, nothing leaves the
    /// process), `http` (a card processor of the simple charges shape),
    /// `stripe` (Stripe's PaymentIntents API) or `paypal` (PayPal's Orders
    /// and Payments v2 APIs), each at `payment_provider_url`.
    #[serde(default)]
    pub payment_provider: PaymentProvider,
    /// When an order's money is taken: `immediate` (captured at checkout)
    /// or `on_shipment` (authorised at checkout; each vendor's part
    /// captured when it ships, the rest released when the last part ships
    /// or the order is cancelled).
    #[serde(default)]
    pub payment_capture: PaymentCapture,
    /// Base URL of the `http` payment provider.
    #[serde(default)]
    pub payment_provider_url: Option<String>,
    /// The provider's secret: the secret key (`http`, `stripe`), or
    /// `client_id:client_secret` (`paypal`).
    #[serde(default)]
    pub payment_provider_key: Option<String>,
    /// Which provider to fail over to (`http`, `stripe` or `paypal`;
    /// `http` by default), named `<provider>_fallback`.
    #[serde(default = "defaults::payment_fallback_provider")]
    pub payment_fallback_provider: PaymentProvider,
    /// Base URL of a provider to fail over to: new orders go there while
    /// the primary's circuit breaker is open, and so does an order no
    /// attempt of which reached the primary. Unset: no fallback.
    #[serde(default)]
    pub payment_fallback_url: Option<String>,
    /// Secret key for the fallback provider.
    #[serde(default)]
    pub payment_fallback_key: Option<String>,
    /// The secret providers sign their events with (`POST
    /// /v1/payments/events/{provider}`); unset, events are refused.
    #[serde(default)]
    pub payment_webhook_secret: Option<String>,
    /// How long one payment attempt may take before it counts as a timeout
    /// (retried with the same idempotency key).
    #[serde(default = "defaults::payment_timeout_ms")]
    pub payment_timeout_ms: u64,
    /// How long checkout holds stock for a payment to complete.
    #[serde(default = "defaults::reservation_ttl_seconds")]
    pub reservation_ttl_seconds: u64,
    /// A checkout claim (Idempotency-Key) not finished after this long
    /// belongs to a process that died: a retry with the key resumes it.
    #[serde(default = "defaults::checkout_resume_after_seconds")]
    pub checkout_resume_after_seconds: u64,
    /// Whether this node keeps a search index (under `data_dir/search`)
    /// and answers product searches.
    #[serde(default = "defaults::search")]
    pub search: bool,
    /// How often the search follower looks for catalog changes.
    #[serde(default = "defaults::search_poll_ms")]
    pub search_poll_ms: u64,
    /// This node's name in the search feed's progress table (default: an
    /// id generated once into `data_dir/node.id`).
    #[serde(default)]
    pub node_id: Option<String>,
    /// How long a customer session lasts after login.
    #[serde(default = "defaults::session_ttl_hours")]
    pub session_ttl_hours: u64,
    /// Failed logins allowed per customer account per window.
    #[serde(default = "defaults::login_failures_per_account")]
    pub login_failures_per_account: u64,
    /// Login, registration and reset attempts allowed per client address
    /// per window.
    #[serde(default = "defaults::login_attempts_per_address")]
    pub login_attempts_per_address: u64,
    /// The login throttling window.
    #[serde(default = "defaults::login_window_seconds")]
    pub login_window_seconds: u64,
    /// A header carrying the client's address when a proxy sits in front
    /// (e.g. `X-Forwarded-For`; its last entry, the one the proxy appended). Unset: the peer
    /// address. Set it only behind a proxy that overwrites the header.
    #[serde(default)]
    pub client_ip_header: Option<String>,
    /// Base URL of an OpenTelemetry collector's OTLP/HTTP receiver (e.g.
    /// `http://otel-collector:4318`); request traces are sent to
    /// `<url>/v1/traces` as protobuf. Unset: no trace export.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported traces.
    #[serde(default = "defaults::otlp_service_name")]
    pub otlp_service_name: String,
}

/// Payment providers Bazaar can charge through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentProvider {
    #[default]
    Sandbox,
    Http,
    Stripe,
    #[serde(rename = "paypal")]
    PayPal,
}

impl PaymentProvider {
    /// Its name in configuration, on orders and in event URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Http => "http",
            Self::Stripe => "stripe",
            Self::PayPal => "paypal",
        }
    }
}

/// A provider's URL (http or https) and secret (for `paypal`,
/// `client_id:client_secret`), each named by its setting.
fn check_provider(
    provider: PaymentProvider,
    (url_name, url): (&str, Option<&str>),
    (key_name, key): (&str, Option<&str>),
    when: &str,
) -> Result<(), ConfigError> {
    let invalid = |name: &str, message: String| {
        Err(ConfigError::Invalid {
            source_name: name.to_owned(),
            message,
        })
    };
    match url {
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {}
        Some(_) => return invalid(url_name, "must start with https:// or http://".into()),
        None => return invalid(url_name, format!("is required {when}")),
    }
    match key {
        None | Some("") => invalid(key_name, format!("is required {when}")),
        Some(key)
            if provider == PaymentProvider::PayPal
                && key
                    .split_once(':')
                    .is_none_or(|(id, secret)| id.is_empty() || secret.is_empty()) =>
        {
            invalid(
                key_name,
                "must be `client_id:client_secret` for paypal".into(),
            )
        }
        Some(_) => Ok(()),
    }
}

/// When an order's money is taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentCapture {
    #[default]
    Immediate,
    OnShipment,
}

impl From<PaymentCapture> for bazaar_domain::CaptureMode {
    fn from(mode: PaymentCapture) -> Self {
        match mode {
            PaymentCapture::Immediate => Self::Immediate,
            PaymentCapture::OnShipment => Self::OnShipment,
        }
    }
}

mod defaults {
    use std::net::SocketAddr;
    use std::path::PathBuf;

    pub fn listen() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 8080))
    }
    pub fn data_dir() -> PathBuf {
        PathBuf::from(".bazaar")
    }
    pub fn cache_namespace() -> String {
        "bazaar".to_owned()
    }
    pub fn max_body_bytes() -> usize {
        1024 * 1024
    }
    pub fn db_max_connections() -> u32 {
        16
    }
    pub fn db_acquire_timeout_ms() -> u64 {
        5_000
    }
    pub fn replica_max_lag_seconds() -> u64 {
        30
    }
    pub fn shutdown_timeout_seconds() -> u64 {
        30
    }
    pub fn regions_dir() -> PathBuf {
        PathBuf::from("regions")
    }
    pub fn regions_poll_ms() -> u64 {
        1_000
    }
    pub fn payment_timeout_ms() -> u64 {
        10_000
    }
    pub fn payment_fallback_provider() -> super::PaymentProvider {
        super::PaymentProvider::Http
    }
    pub fn reservation_ttl_seconds() -> u64 {
        15 * 60
    }
    pub fn search() -> bool {
        true
    }
    pub fn search_poll_ms() -> u64 {
        200
    }
    pub fn checkout_resume_after_seconds() -> u64 {
        120
    }
    pub fn session_ttl_hours() -> u64 {
        30 * 24
    }
    pub fn login_failures_per_account() -> u64 {
        5
    }
    pub fn login_attempts_per_address() -> u64 {
        50
    }
    pub fn login_window_seconds() -> u64 {
        15 * 60
    }
    pub fn otlp_service_name() -> String {
        "bazaar".to_owned()
    }
}

/// The environment variables Bazaar reads, and the key each sets.
pub const ENV_KEYS: &[(&str, &str)] = &[
    ("BAZAAR_LISTEN", "listen"),
    ("BAZAAR_DATA_DIR", "data_dir"),
    ("BAZAAR_DATABASE_URL", "database_url"),
    ("BAZAAR_REPLICA_URLS", "replica_urls"),
    ("BAZAAR_REDIS_URL", "redis_url"),
    ("BAZAAR_CACHE_NAMESPACE", "cache_namespace"),
    ("BAZAAR_PLATFORM_KEY", "platform_key"),
    ("BAZAAR_MAX_BODY_BYTES", "max_body_bytes"),
    ("BAZAAR_DB_MAX_CONNECTIONS", "db_max_connections"),
    ("BAZAAR_DB_ACQUIRE_TIMEOUT_MS", "db_acquire_timeout_ms"),
    ("BAZAAR_REPLICA_MAX_LAG_SECONDS", "replica_max_lag_seconds"),
    (
        "BAZAAR_SHUTDOWN_TIMEOUT_SECONDS",
        "shutdown_timeout_seconds",
    ),
    ("BAZAAR_LOG_FORMAT", "log_format"),
    ("BAZAAR_REGIONS_DIR", "regions_dir"),
    ("BAZAAR_CDN_BASE_URL", "cdn_base_url"),
    ("BAZAAR_REGIONS_POLL_MS", "regions_poll_ms"),
    ("BAZAAR_PAYMENT_PROVIDER", "payment_provider"),
    ("BAZAAR_PAYMENT_CAPTURE", "payment_capture"),
    ("BAZAAR_PAYMENT_PROVIDER_URL", "payment_provider_url"),
    ("BAZAAR_PAYMENT_PROVIDER_KEY", "payment_provider_key"),
    (
        "BAZAAR_PAYMENT_FALLBACK_PROVIDER",
        "payment_fallback_provider",
    ),
    ("BAZAAR_PAYMENT_FALLBACK_URL", "payment_fallback_url"),
    ("BAZAAR_PAYMENT_FALLBACK_KEY", "payment_fallback_key"),
    ("BAZAAR_PAYMENT_WEBHOOK_SECRET", "payment_webhook_secret"),
    ("BAZAAR_PAYMENT_TIMEOUT_MS", "payment_timeout_ms"),
    ("BAZAAR_RESERVATION_TTL_SECONDS", "reservation_ttl_seconds"),
    (
        "BAZAAR_CHECKOUT_RESUME_AFTER_SECONDS",
        "checkout_resume_after_seconds",
    ),
    ("BAZAAR_SEARCH", "search"),
    ("BAZAAR_SEARCH_POLL_MS", "search_poll_ms"),
    ("BAZAAR_NODE_ID", "node_id"),
    ("BAZAAR_SESSION_TTL_HOURS", "session_ttl_hours"),
    (
        "BAZAAR_LOGIN_FAILURES_PER_ACCOUNT",
        "login_failures_per_account",
    ),
    (
        "BAZAAR_LOGIN_ATTEMPTS_PER_ADDRESS",
        "login_attempts_per_address",
    ),
    ("BAZAAR_LOGIN_WINDOW_SECONDS", "login_window_seconds"),
    ("BAZAAR_CLIENT_IP_HEADER", "client_ip_header"),
    ("BAZAAR_OTLP_ENDPOINT", "otlp_endpoint"),
    ("BAZAAR_OTLP_SERVICE_NAME", "otlp_service_name"),
];

/// Names the file to read rather than a key.
pub const CONFIG_ENV: &str = "BAZAAR_CONFIG";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("unknown environment variable {name}; Bazaar reads {known}")]
    UnknownEnv { name: String, known: String },
    #[error("{source_name}: {message}")]
    Invalid {
        source_name: String,
        message: String,
    },
}

impl Config {
    /// Load from `file` (or the default file when present), the environment
    /// and then `overrides` (command-line flags, as key/value pairs).
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &[(&str, Value)],
    ) -> Result<Self, ConfigError> {
        let env: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("BAZAAR_"))
            .collect();
        let file = file.map(Path::to_path_buf).or_else(|| {
            env.iter()
                .find(|(k, _)| k == CONFIG_ENV)
                .map(|(_, v)| PathBuf::from(v))
        });
        let default_file = Path::new("bazaar.yaml");
        let file = file.or_else(|| default_file.exists().then(|| default_file.to_path_buf()));

        let mut map = match &file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                // Deserialise once straight from the text so unknown keys and
                // bad types are reported with their line and column.
                if !text.trim().is_empty() {
                    serde_yaml::from_str::<Config>(&text).map_err(|e| ConfigError::File {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    })?;
                }
                match serde_yaml::from_str::<Value>(&text) {
                    Ok(Value::Mapping(map)) => map,
                    Ok(Value::Null) => Mapping::new(),
                    _ => {
                        return Err(ConfigError::File {
                            path: path.display().to_string(),
                            message: "the file must be a mapping of keys to values".into(),
                        });
                    }
                }
            }
            None => Mapping::new(),
        };

        for (name, value) in &env {
            if name == CONFIG_ENV {
                continue;
            }
            let Some((_, key)) = ENV_KEYS.iter().find(|(env_name, _)| env_name == name) else {
                return Err(ConfigError::UnknownEnv {
                    name: name.clone(),
                    known: ENV_KEYS
                        .iter()
                        .map(|(n, _)| *n)
                        .chain([CONFIG_ENV])
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            let value = if *key == "replica_urls" {
                Value::Sequence(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                )
            } else if matches!(
                *key,
                "max_body_bytes"
                    | "db_max_connections"
                    | "db_acquire_timeout_ms"
                    | "replica_max_lag_seconds"
                    | "shutdown_timeout_seconds"
                    | "regions_poll_ms"
                    | "payment_timeout_ms"
                    | "reservation_ttl_seconds"
                    | "checkout_resume_after_seconds"
                    | "search_poll_ms"
                    | "session_ttl_hours"
                    | "login_failures_per_account"
                    | "login_attempts_per_address"
                    | "login_window_seconds"
            ) {
                value
                    .trim()
                    .parse::<u64>()
                    .map(|n| Value::Number(n.into()))
                    .map_err(|_| ConfigError::Invalid {
                        source_name: name.clone(),
                        message: format!("`{value}` is not a whole number"),
                    })?
            } else if *key == "search" {
                match value.trim() {
                    "true" | "1" => Value::Bool(true),
                    "false" | "0" => Value::Bool(false),
                    other => {
                        return Err(ConfigError::Invalid {
                            source_name: name.clone(),
                            message: format!("`{other}` is not true or false"),
                        });
                    }
                }
            } else {
                Value::String(value.clone())
            };
            map.insert(Value::String((*key).to_owned()), value);
        }
        for (key, value) in overrides {
            map.insert(Value::String((*key).to_owned()), value.clone());
        }

        let config: Config =
            serde_yaml::from_value(Value::Mapping(map)).map_err(|e| ConfigError::Invalid {
                source_name: "configuration".into(),
                message: e.to_string(),
            })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| {
            Err(ConfigError::Invalid {
                source_name: key.to_owned(),
                message,
            })
        };
        let postgres =
            |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
        if let Some(url) = &self.database_url
            && !postgres(url)
        {
            return invalid(
                "database_url",
                "must start with postgres:// or postgresql://".into(),
            );
        }
        if let Some(url) = self.replica_urls.iter().find(|u| !postgres(u)) {
            return invalid(
                "replica_urls",
                format!(
                    "`{}` must start with postgres:// or postgresql://",
                    redact_url(url)
                ),
            );
        }
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return invalid("redis_url", "must start with redis:// or rediss://".into());
        }
        if let Some(key) = &self.platform_key
            && key.len() < 24
        {
            return invalid(
                "platform_key",
                "must be at least 24 characters (use a long random string)".into(),
            );
        }
        if self.max_body_bytes < 1024 {
            return invalid("max_body_bytes", "must be at least 1024".into());
        }
        if let Some(url) = &self.cdn_base_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return invalid("cdn_base_url", "must start with https:// or http://".into());
        }
        if self.search_poll_ms < 20 {
            return invalid("search_poll_ms", "must be at least 20".into());
        }
        if let Some(node) = &self.node_id
            && (node.is_empty()
                || node.len() > 64
                || !node
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return invalid(
                "node_id",
                "must be 1-64 letters, digits, `-`, `_` or `.`".into(),
            );
        }
        if self.regions_poll_ms < 50 {
            return invalid("regions_poll_ms", "must be at least 50".into());
        }
        if self.db_max_connections == 0 {
            return invalid("db_max_connections", "must be at least 1".into());
        }
        if self.payment_provider != PaymentProvider::Sandbox {
            let provider = self.payment_provider;
            check_provider(
                provider,
                ("payment_provider_url", self.payment_provider_url.as_deref()),
                ("payment_provider_key", self.payment_provider_key.as_deref()),
                &format!("when payment_provider is {}", provider.as_str()),
            )?;
        }
        if self.payment_fallback_url.is_some() || self.payment_fallback_key.is_some() {
            if self.payment_fallback_provider == PaymentProvider::Sandbox {
                return invalid(
                    "payment_fallback_provider",
                    "must be http, stripe or paypal (the sandbox charges nothing)".into(),
                );
            }
            check_provider(
                self.payment_fallback_provider,
                ("payment_fallback_url", self.payment_fallback_url.as_deref()),
                ("payment_fallback_key", self.payment_fallback_key.as_deref()),
                "when a fallback provider is configured",
            )?;
        }
        for (key, value) in [
            ("session_ttl_hours", self.session_ttl_hours),
            (
                "login_failures_per_account",
                self.login_failures_per_account,
            ),
            (
                "login_attempts_per_address",
                self.login_attempts_per_address,
            ),
            ("login_window_seconds", self.login_window_seconds),
        ] {
            if value == 0 {
                return invalid(key, "must be at least 1".into());
            }
        }
        if let Some(header) = &self.client_ip_header
            && poem::http::HeaderName::from_bytes(header.as_bytes()).is_err()
        {
            return invalid(
                "client_ip_header",
                format!("`{header}` is not a header name"),
            );
        }
        if let Some(url) = &self.otlp_endpoint
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return invalid(
                "otlp_endpoint",
                "must start with https:// or http:// (the collector's OTLP/HTTP receiver, usually port 4318)".into(),
            );
        }
        if self.otlp_service_name.trim().is_empty() {
            return invalid("otlp_service_name", "must not be empty".into());
        }
        if self.payment_timeout_ms < 100 {
            return invalid("payment_timeout_ms", "must be at least 100".into());
        }
        if self.reservation_ttl_seconds < 60 {
            return invalid(
                "reservation_ttl_seconds",
                "must be at least 60 (a payment needs time to complete)".into(),
            );
        }
        // A live checkout must never look abandoned: outlast every payment
        // attempt timing out, with the backoff between them.
        let longest_payment_ms = self
            .payment_timeout_ms
            .saturating_mul(4)
            .saturating_add(1_000);
        if self.checkout_resume_after_seconds.saturating_mul(1_000) <= longest_payment_ms {
            return invalid(
                "checkout_resume_after_seconds",
                format!(
                    "must be longer than a checkout's longest payment ({longest_payment_ms} ms: four attempts of payment_timeout_ms plus backoff)"
                ),
            );
        }
        Ok(())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field(
                "replica_urls",
                &self
                    .replica_urls
                    .iter()
                    .map(|u| redact_url(u))
                    .collect::<Vec<_>>(),
            )
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("cache_namespace", &self.cache_namespace)
            .field("platform_key", &self.platform_key.as_ref().map(|_| "***"))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("db_max_connections", &self.db_max_connections)
            .field("db_acquire_timeout_ms", &self.db_acquire_timeout_ms)
            .field("replica_max_lag_seconds", &self.replica_max_lag_seconds)
            .field("shutdown_timeout_seconds", &self.shutdown_timeout_seconds)
            .field("log_format", &self.log_format)
            .field("cdn_base_url", &self.cdn_base_url)
            .field("regions_dir", &self.regions_dir)
            .field("regions_poll_ms", &self.regions_poll_ms)
            .field("search", &self.search)
            .field("search_poll_ms", &self.search_poll_ms)
            .field("node_id", &self.node_id)
            .field("payment_provider", &self.payment_provider)
            .field("payment_provider_url", &self.payment_provider_url)
            .field(
                "payment_provider_key",
                &self.payment_provider_key.as_ref().map(|_| "***"),
            )
            .field("payment_timeout_ms", &self.payment_timeout_ms)
            .field("reservation_ttl_seconds", &self.reservation_ttl_seconds)
            .field(
                "checkout_resume_after_seconds",
                &self.checkout_resume_after_seconds,
            )
            .field("session_ttl_hours", &self.session_ttl_hours)
            .field(
                "login_failures_per_account",
                &self.login_failures_per_account,
            )
            .field(
                "login_attempts_per_address",
                &self.login_attempts_per_address,
            )
            .field("login_window_seconds", &self.login_window_seconds)
            .field("client_ip_header", &self.client_ip_header)
            .field(
                "otlp_endpoint",
                &self.otlp_endpoint.as_deref().map(redact_url),
            )
            .field("otlp_service_name", &self.otlp_service_name)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::load(Some(Path::new("/dev/null")), env(pairs), &[])
    }

    #[test]
    fn defaults_apply_with_nothing_configured() {
        let config = load(&[]).expect("defaults");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from(".bazaar"));
        assert!(config.database_url.is_none() && config.redis_url.is_none());
    }

    #[test]
    fn environment_overrides_and_lists() {
        let config = load(&[
            ("BAZAAR_LISTEN", "0.0.0.0:9000"),
            ("BAZAAR_REPLICA_URLS", "postgres://a/x, postgres://b/x"),
            ("BAZAAR_MAX_BODY_BYTES", "2048"),
        ])
        .expect("valid");
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(
            config.replica_urls,
            vec!["postgres://a/x", "postgres://b/x"]
        );
        assert_eq!(config.max_body_bytes, 2048);
    }

    #[test]
    fn unknown_environment_variable_is_named() {
        let err = load(&[("BAZAAR_LISTN", "x")]).expect_err("unknown");
        assert!(err.to_string().contains("BAZAAR_LISTN"), "{err}");
    }

    #[test]
    fn unknown_file_key_is_named_with_its_line() {
        let dir = std::env::temp_dir().join(format!("bazaar-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp");
        let path = dir.join("bazaar.yaml");
        std::fs::write(&path, "listen: 127.0.0.1:1\nredis_ulr: redis://x\n").expect("write");
        let err = Config::load(Some(&path), Vec::new(), &[]).expect_err("unknown key");
        let text = err.to_string();
        assert!(
            text.contains("redis_ulr") && text.contains("line 2"),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_values_are_refused_with_the_key() {
        for (pairs, key) in [
            (vec![("BAZAAR_DATABASE_URL", "mysql://x")], "database_url"),
            (vec![("BAZAAR_REDIS_URL", "http://x")], "redis_url"),
            (vec![("BAZAAR_PLATFORM_KEY", "short")], "platform_key"),
            (
                vec![("BAZAAR_MAX_BODY_BYTES", "lots")],
                "BAZAAR_MAX_BODY_BYTES",
            ),
            (
                vec![("BAZAAR_PAYMENT_PROVIDER", "http")],
                "payment_provider_url",
            ),
            (
                vec![
                    ("BAZAAR_PAYMENT_PROVIDER", "http"),
                    ("BAZAAR_PAYMENT_PROVIDER_URL", "ftp://pay"),
                ],
                "payment_provider_url",
            ),
            (
                vec![
                    ("BAZAAR_PAYMENT_PROVIDER", "http"),
                    ("BAZAAR_PAYMENT_PROVIDER_URL", "https://pay.example"),
                ],
                "payment_provider_key",
            ),
            (
                vec![("BAZAAR_PAYMENT_PROVIDER", "adyen")],
                "unknown variant",
            ),
            (
                vec![
                    ("BAZAAR_PAYMENT_PROVIDER", "paypal"),
                    (
                        "BAZAAR_PAYMENT_PROVIDER_URL",
                        "https://api-m.paypal.example",
                    ),
                    ("BAZAAR_PAYMENT_PROVIDER_KEY", "only-an-id"),
                ],
                "client_id:client_secret",
            ),
            (
                vec![
                    ("BAZAAR_PAYMENT_FALLBACK_PROVIDER", "stripe"),
                    ("BAZAAR_PAYMENT_FALLBACK_URL", "https://api.stripe.example"),
                ],
                "payment_fallback_key",
            ),
            (
                vec![("BAZAAR_RESERVATION_TTL_SECONDS", "10")],
                "reservation_ttl_seconds",
            ),
            (
                vec![
                    ("BAZAAR_PAYMENT_TIMEOUT_MS", "30000"),
                    ("BAZAAR_CHECKOUT_RESUME_AFTER_SECONDS", "60"),
                ],
                "checkout_resume_after_seconds",
            ),
        ] {
            let err = load(&pairs).expect_err(key);
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn payment_settings_load_from_the_environment() {
        let config = load(&[
            ("BAZAAR_PAYMENT_PROVIDER", "http"),
            ("BAZAAR_PAYMENT_PROVIDER_URL", "https://pay.example"),
            ("BAZAAR_PAYMENT_PROVIDER_KEY", "sk_live_secret"),
            ("BAZAAR_PAYMENT_TIMEOUT_MS", "2500"),
            ("BAZAAR_RESERVATION_TTL_SECONDS", "600"),
        ])
        .expect("valid");
        assert_eq!(config.payment_provider, PaymentProvider::Http);
        assert_eq!(
            (config.payment_timeout_ms, config.reservation_ttl_seconds),
            (2500, 600)
        );
        assert!(!format!("{config:?}").contains("sk_live_secret"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = load(&[
            ("BAZAAR_PLATFORM_KEY", "a-very-long-platform-secret-123"),
            ("BAZAAR_DATABASE_URL", "postgres://u:hunter2@db/x"),
        ])
        .expect("valid");
        let shown = format!("{config:?}");
        assert!(!shown.contains("a-very-long-platform-secret-123"));
        assert!(!shown.contains("hunter2"));
    }

    #[test]
    fn trace_export_is_off_unless_an_endpoint_is_configured() {
        let config = load(&[]).expect("defaults");
        assert_eq!(config.otlp_endpoint, None);
        assert_eq!(config.otlp_service_name, "bazaar");
        let config = load(&[
            ("BAZAAR_OTLP_ENDPOINT", "http://collector:4318"),
            ("BAZAAR_OTLP_SERVICE_NAME", "bazaar-eu"),
        ])
        .expect("valid");
        assert_eq!(
            config.otlp_endpoint.as_deref(),
            Some("http://collector:4318")
        );
        assert_eq!(config.otlp_service_name, "bazaar-eu");
        let err = load(&[("BAZAAR_OTLP_ENDPOINT", "collector:4317")])
            .expect_err("not a URL")
            .to_string();
        assert!(err.contains("otlp_endpoint"), "{err}");
        let err = load(&[("BAZAAR_OTLP_SERVICE_NAME", " ")])
            .expect_err("empty")
            .to_string();
        assert!(err.contains("otlp_service_name"), "{err}");
    }
}
