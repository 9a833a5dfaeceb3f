//! Errors raised when input breaks a domain rule; each carries a stable code.

/// A rule of the domain was broken by the caller's input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DomainError {
    /// Stable, machine-readable code (`invalid_slug`, `invalid_currency`, ...).
    pub code: &'static str,
    /// What was wrong, in words a person can act on.
    pub message: String,
}

impl DomainError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Whether `code` refuses a change because of the object's current
    /// state (a conflict) rather than because of the value asked for.
    pub fn is_state_conflict(code: &str) -> bool {
        code == "illegal_transition"
    }
}

/// Every code a [`DomainError`] carries, with what it means: the domain's
/// part of the API's problem catalog (each is answered as 422).
pub const CODES: &[(&str, &str)] = &[
    (
        "illegal_transition",
        "the object's status cannot move to the one asked for from where it is",
    ),
    (
        "invalid_capture_mode",
        "not a capture mode: `immediate` or `on_shipment`",
    ),
    (
        "invalid_currency",
        "not an ISO 4217 currency code Bazaar knows",
    ),
    (
        "invalid_domain",
        "not a host name a storefront can be served on",
    ),
    ("invalid_email", "not an email address"),
    (
        "invalid_interval",
        "not an interval unit: `day`, `week` or `month`",
    ),
    (
        "invalid_name",
        "a name that is empty, too long or holds control characters",
    ),
    (
        "invalid_region",
        "not a region code such as `US-CA` or `DE`",
    ),
    ("invalid_scope", "not a key scope"),
    (
        "invalid_slug",
        "not a slug: 2-40 characters of `a-z`, `0-9` and `-`, starting with a letter",
    ),
    ("invalid_status", "not one of the status names"),
    (
        "too_many_decimals",
        "an amount with more decimal places than its currency's minor unit",
    ),
];
