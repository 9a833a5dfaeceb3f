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
}
