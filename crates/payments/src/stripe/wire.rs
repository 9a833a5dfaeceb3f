//! Stripe's side of the conversation: the objects it answers with, money
//! in a currency's minor units, and search-query quoting. Only the fields
//! Bazaar reads are declared; Stripe adds fields without a version change,
//! so unknown ones are ignored rather than refused.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::{GatewayError, NextAction};

/// A PaymentIntent, as every PaymentIntent endpoint returns it.
#[derive(Debug, Clone, serde::Deserialize)]
pub(super) struct PaymentIntent {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_received: i64,
    pub currency: String,
    pub status: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub next_action: Option<WireNextAction>,
    #[serde(default)]
    pub last_payment_error: Option<ApiError>,
    #[serde(default)]
    pub latest_charge: Option<String>,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub(super) struct WireNextAction {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub redirect_to_url: Option<RedirectToUrl>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub(super) struct RedirectToUrl {
    #[serde(default)]
    pub url: Option<String>,
}

/// `{"error": {...}}`, the body of every non-2xx answer.
#[derive(Debug, serde::Deserialize)]
pub(super) struct ErrorBody {
    pub error: ApiError,
}

/// Stripe's error object; also a PaymentIntent's `last_payment_error`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub(super) struct ApiError {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub decline_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl ApiError {
    /// The most specific reason Stripe gave: the issuer's decline code
    /// (`insufficient_funds`, `generic_decline`) before Stripe's own code
    /// (`card_declined`), then the error type.
    pub fn reason(&self) -> Option<&str> {
        self.decline_code
            .as_deref()
            .or(self.code.as_deref())
            .or(self.kind.as_deref())
    }

    /// A card's final "no", as Bazaar's refusal.
    pub fn refusal(&self) -> GatewayError {
        match self.reason() {
            Some("insufficient_funds") => GatewayError::InsufficientFunds,
            Some(reason) => GatewayError::Declined(reason.to_owned()),
            None => GatewayError::Declined("payment_declined".to_owned()),
        }
    }
}

/// A Refund object.
#[derive(Debug, serde::Deserialize)]
pub(super) struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub failure_reason: Option<String>,
}

/// The answer of `/v1/payment_intents/search`.
#[derive(Debug, serde::Deserialize)]
pub(super) struct SearchResult {
    pub data: Vec<PaymentIntent>,
}

/// A webhook delivery: `{"id", "type", "data": {"object": {...}}}`, the
/// object's shape depending on the type.
#[derive(Debug, serde::Deserialize)]
pub(super) struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: EventData,
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct EventData {
    pub object: serde_json::Value,
}

impl PaymentIntent {
    /// What the shopper must do, when Stripe is waiting for them.
    pub fn action(&self) -> Option<NextAction> {
        let next = self.next_action.as_ref()?;
        let (kind, url) = match next.kind.as_str() {
            "redirect_to_url" => (
                "redirect_to_url",
                next.redirect_to_url.as_ref().and_then(|r| r.url.clone()),
            ),
            // Stripe.js runs the challenge itself from the client secret.
            _ => ("use_sdk", None),
        };
        Some(NextAction {
            kind: kind.to_owned(),
            url,
            client_secret: self.client_secret.clone(),
        })
    }
}

/// How many digits a currency has after the decimal point, as Stripe
/// counts them (its list of zero-decimal and three-decimal currencies).
pub(super) fn exponent(currency: &str) -> u32 {
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
        "XAF", "XOF", "XPF",
    ];
    const THREE: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];
    let code = currency.to_ascii_uppercase();
    if ZERO.contains(&code.as_str()) {
        0
    } else if THREE.contains(&code.as_str()) {
        3
    } else {
        2
    }
}

/// `amount` as the whole number of minor units Stripe takes. An amount
/// finer than the currency allows (0.5 JPY, 1.2345 KWD) is refused, not
/// rounded: rounding would charge a different sum than the order shows.
pub(super) fn to_minor(amount: Decimal, currency: &str) -> Result<i64, GatewayError> {
    let scaled = amount * Decimal::from(10i64.pow(exponent(currency)));
    if amount.is_sign_negative() || !scaled.fract().is_zero() {
        return Err(GatewayError::Declined(format!(
            "invalid_amount: {amount} is not a whole number of {currency}'s minor units"
        )));
    }
    scaled
        .to_i64()
        .ok_or_else(|| GatewayError::Declined(format!("invalid_amount: {amount} is too large")))
}

/// Minor units back to an amount with the currency's precision.
pub(super) fn from_minor(minor: i64, currency: &str) -> Decimal {
    Decimal::new(minor, exponent(currency))
}

/// `value` as a Stripe search-query string literal: single-quoted, with
/// the quote and the backslash escaped by a backslash, so an idempotency
/// key can never end the literal and add clauses of its own.
pub(super) fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}
