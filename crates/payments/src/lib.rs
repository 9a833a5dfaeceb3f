//! Payment gateways. Checkout charges through the [`Gateway`] trait,
//! outside any database transaction, with the order id as the gateway's
//! idempotency key, so a retry after a timeout that in fact succeeded finds
//! the first charge instead of making a second. [`charge_with_retries`]
//! retries transient failures with exponential backoff and full jitter;
//! declines are final.
//!
//! A charge is either captured at once or only authorised
//! ([`ChargeRequest::capture`] false): the money is held on the card and
//! taken later in parts ([`Gateway::capture`], one per vendor order as it
//! ships), the rest released by the last capture or a [`Gateway::void`].

#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
mod http;
mod paypal;
mod routing;
mod sandbox;
mod stripe;
pub mod webhook;

use std::time::Duration;

use rust_decimal::Decimal;

pub use http::HttpGateway;
pub use paypal::PayPalGateway;
pub use routing::{Breaker, Gateways};
pub use sandbox::SandboxGateway;
pub use stripe::StripeGateway;

/// A charge to make.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargeRequest {
    /// Sent as the gateway's idempotency key: the same key never charges twice.
    pub idempotency_key: String,
    pub amount: Decimal,
    /// ISO 4217.
    pub currency: String,
    /// The shopper's payment method as the provider tokenised it.
    pub payment_token: String,
    /// Which tenant it is for, sent as metadata and echoed in the
    /// provider's events (so an event finds its order).
    pub tenant: String,
    /// Take the money now (`true`), or only authorise it, to be captured
    /// later.
    pub capture: bool,
    /// Where the provider sends the shopper back after an action it asks
    /// of them (a 3-D Secure challenge, approving a wallet payment).
    pub return_url: Option<String>,
}

/// A charge the provider made (or, when authorising, the authorisation),
/// or, when [`Charge::action`] is set, one it cannot make until the
/// shopper acts: nothing is charged or held yet.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Charge {
    pub id: String,
    pub amount: Decimal,
    pub currency: String,
    /// What the shopper must do first; `None` once the charge is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<NextAction>,
}

impl Charge {
    /// A charge made (nothing left for the shopper to do).
    pub fn made(id: impl Into<String>, amount: Decimal, currency: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            amount,
            currency: currency.into(),
            action: None,
        }
    }
}

/// What a shopper must do before the provider can make a charge: pass a
/// 3-D Secure challenge, approve a wallet payment. Card data never passes
/// through Bazaar: the storefront either sends the shopper to `url` or
/// hands `client_secret` to the provider's own browser library.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NextAction {
    /// `redirect_to_url` (send the shopper to `url`) or `use_sdk` (give
    /// `client_secret` to the provider's library).
    pub kind: String,
    pub url: Option<String>,
    /// The provider's client-side secret for the payment, when it has one.
    pub client_secret: Option<String>,
}

/// Money to take from an authorised charge.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureRequest {
    /// Sent as the provider's idempotency key: the same key never
    /// captures twice (Bazaar's capture id).
    pub idempotency_key: String,
    /// The authorisation to capture from.
    pub charge_id: String,
    /// In the currency's minor-unit precision.
    pub amount: Decimal,
    pub currency: String,
    /// The last capture: the provider releases what is left of the
    /// authorisation.
    pub final_capture: bool,
    pub tenant: String,
}

/// A capture the provider made.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Captured {
    pub id: String,
    pub amount: Decimal,
    pub currency: String,
}

/// Release what is left uncaptured of an authorisation.
#[derive(Debug, Clone, PartialEq)]
pub struct VoidRequest {
    pub idempotency_key: String,
    pub charge_id: String,
    pub tenant: String,
}

/// Money to give back from a charge.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRequest {
    /// Sent as the provider's idempotency key: the same key never refunds
    /// twice (Bazaar's refund id).
    pub idempotency_key: String,
    /// The charge the money came from.
    pub charge_id: String,
    /// In the currency's minor-unit precision (see `ChargeRequest`).
    pub amount: Decimal,
    pub currency: String,
    /// As in `ChargeRequest`.
    pub tenant: String,
}

/// A refund the provider made.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RefundMade {
    pub id: String,
    pub amount: Decimal,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GatewayError {
    /// The card or account refused; do not retry.
    #[error("declined: {0}")]
    Declined(String),
    /// Not enough funds; do not retry.
    #[error("insufficient funds")]
    InsufficientFunds,
    /// The provider failed in a way that may pass (5xx, 429, connection).
    #[error("transient failure: {0}")]
    Transient(String),
    /// No answer in time: the charge may or may not have happened.
    #[error("the provider did not answer in time")]
    Timeout,
    /// The provider could not be reached (the connection failed): nothing
    /// was sent, so nothing was charged.
    #[error("the provider cannot be reached: {0}")]
    Unreachable(String),
}

impl GatewayError {
    /// Whether trying again (with the same idempotency key) is safe and useful.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            GatewayError::Transient(_) | GatewayError::Timeout | GatewayError::Unreachable(_)
        )
    }

    /// The refusal code of a final "no" (a decline, no funds); `None`
    /// when the outcome is unknown and the same key must be asked again.
    pub fn refusal(&self) -> Option<String> {
        match self {
            GatewayError::Declined(code) => Some(code.clone()),
            GatewayError::InsufficientFunds => Some("insufficient_funds".to_owned()),
            _ => None,
        }
    }

    /// A stable code for problem documents and order events.
    pub fn code(&self) -> &'static str {
        match self {
            GatewayError::Declined(_) => "payment_declined",
            GatewayError::InsufficientFunds => "insufficient_funds",
            GatewayError::Transient(_) => "payment_provider_unavailable",
            GatewayError::Timeout => "payment_provider_timeout",
            GatewayError::Unreachable(_) => "payment_provider_unreachable",
        }
    }
}

#[async_trait::async_trait]
pub trait Gateway: Send + Sync {
    /// Charge once per idempotency key.
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, GatewayError>;
    /// The charge made under `idempotency_key`, if one was: how an order
    /// whose payment outcome never arrived is settled without the shopper.
    /// `Ok(None)`: nothing was charged. A charge still waiting for the
    /// shopper comes back with its [`Charge::action`]; one the shopper's
    /// action failed (authentication refused) is a final
    /// `Err(Declined)`. Any other `Err`: the provider cannot say now (try
    /// again later).
    async fn find(&self, idempotency_key: &str) -> Result<Option<Charge>, GatewayError>;
    /// The charge `charge_id` (made under `idempotency_key`) as the
    /// provider sees it now, answered as [`Gateway::find`] answers: how
    /// an order learns the outcome of an action the shopper took. By
    /// default, looked up by its key.
    async fn retrieve(
        &self,
        charge_id: &str,
        idempotency_key: &str,
    ) -> Result<Option<Charge>, GatewayError> {
        let _ = charge_id;
        self.find(idempotency_key).await
    }
    /// Give back (part of) a charge, once per idempotency key. A refusal
    /// (`Declined`: more than is left, a charge already refunded) is final;
    /// `Transient`/`Timeout` may have refunded, and the same key retried
    /// later finds out.
    async fn refund(&self, request: &RefundRequest) -> Result<RefundMade, GatewayError>;
    /// Take (part of) an authorised charge, once per idempotency key. A
    /// refusal (more than is left, an authorisation expired or voided) is
    /// final; `Transient`/`Timeout` may have captured, and the same key
    /// retried later finds out.
    async fn capture(&self, request: &CaptureRequest) -> Result<Captured, GatewayError>;
    /// Release what is left uncaptured of an authorisation. Voiding one
    /// already voided or fully captured is not an error.
    async fn void(&self, request: &VoidRequest) -> Result<(), GatewayError>;
    /// For logs and order records.
    fn name(&self) -> &'static str;
    /// The request header that carries this provider's event signature
    /// (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, see
    /// [`webhook`]).
    fn signature_header(&self) -> &'static str {
        "webhook-signature"
    }
    /// An event this provider sent, in Bazaar's terms; `Ok(None)` for a
    /// type Bazaar does not act on (acknowledged and ignored). By default
    /// the event is in Bazaar's own shape ([`webhook::Event`]).
    fn read_event(&self, body: &[u8]) -> Result<Option<webhook::Event>, String> {
        serde_json::from_slice(body)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// The HTTP client an adapter calls its provider with: `timeout` bounds
/// each attempt (a provider slower than that is a `Timeout`, and the retry,
/// with the same key, finds out what happened).
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, GatewayError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| GatewayError::Transient(e.to_string()))
}

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `n + 1` (n >= 1): a random time up to
    /// `base * 2^(n-1)`, capped ("full jitter", so retries from many
    /// checkouts do not arrive together).
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        let millis = u64::try_from(exp.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::random_range(0..=millis))
    }
}

/// The outcome of a provider call with retries.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T = Charge> {
    pub result: Result<T, GatewayError>,
    pub attempts: u32,
    /// Whether any attempt reached the provider. When none did (every one
    /// failed to connect), nothing can have been done.
    pub reached: bool,
}

/// Charge, retrying transient failures and timeouts with the same
/// idempotency key until the policy's attempts run out.
pub async fn charge_with_retries(
    gateway: &dyn Gateway,
    request: &ChargeRequest,
    policy: &RetryPolicy,
) -> Outcome {
    retrying(gateway.name(), policy, || gateway.charge(request)).await
}

/// Make a call to a provider (a charge, a capture, a void, a refund),
/// retrying transient failures and timeouts until the policy's attempts
/// run out. Every call must carry the same idempotency key, so a retry
/// after a timeout that was acted on finds the first result.
pub async fn retrying<T, F, Fut>(provider: &str, policy: &RetryPolicy, mut call: F) -> Outcome<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, GatewayError>>,
{
    let mut attempt = 1;
    let mut reached = false;
    loop {
        let result = call().await;
        reached |= !matches!(result, Err(GatewayError::Unreachable(_)));
        match &result {
            Err(err) if err.is_retryable() && attempt < policy.max_attempts => {
                let wait = policy.delay(attempt);
                tracing::warn!(
                    gateway = provider,
                    attempt,
                    error = %err,
                    wait_ms = wait.as_millis() as u64,
                    "payment provider call failed; retrying with the same idempotency key"
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            _ => {
                return Outcome {
                    result,
                    attempts: attempt,
                    reached,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests;
