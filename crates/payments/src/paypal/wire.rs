//! PayPal's JSON as the adapter reads it, and what it means in Bazaar's
//! terms: an order as a charge, captures and refunds as what is left to
//! give back, PayPal's amounts and errors.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{Charge, GatewayError, NextAction};

/// The charge an order stands for, as [`crate::Gateway::find`] answers: made
/// once completed, with its action while the payer must act, `None` while
/// nothing is charged or held (or the hold was voided).
pub(super) fn answer(order: &Order) -> Result<Option<Charge>, GatewayError> {
    let (amount, currency) = order.amount()?;
    match order.status.as_str() {
        "COMPLETED" => {
            let payments = &order.unit()?.payments;
            let (payment, refused) = if order.intent == "AUTHORIZE" {
                (payments.authorizations.first(), "authorization_denied")
            } else {
                (payments.captures.first(), "capture_declined")
            };
            match payment {
                Some(p) if matches!(p.status.as_str(), "DECLINED" | "DENIED" | "FAILED") => {
                    Err(GatewayError::Declined(p.decline(refused)))
                }
                Some(_) => Ok(Some(Charge::made(&order.id, amount, currency))),
                None => Err(GatewayError::Transient(format!(
                    "paypal order {} is completed without a payment",
                    order.id
                ))),
            }
        }
        "PAYER_ACTION_REQUIRED" => Ok(Some(Charge {
            action: Some(redirect(order.link("payer-action"))),
            ..Charge::made(&order.id, amount, currency)
        })),
        "CREATED" | "SAVED" | "APPROVED" | "VOIDED" => Ok(None),
        other => Err(GatewayError::Transient(format!(
            "paypal order {} has an unknown status {other}",
            order.id
        ))),
    }
}

/// The refusal for an order that can no longer be charged (voided).
pub(super) fn closed(order: &Order) -> GatewayError {
    GatewayError::Declined(format!("order_{}", order.status.to_ascii_lowercase()))
}

pub(super) fn redirect(url: Option<String>) -> NextAction {
    NextAction {
        kind: "redirect_to_url".into(),
        url,
        client_secret: None,
    }
}

/// Capture statuses under which the money was taken.
pub(super) fn holds_money(status: &str) -> bool {
    matches!(
        status,
        "COMPLETED" | "PENDING" | "PARTIALLY_REFUNDED" | "REFUNDED"
    )
}

/// Authorization statuses with nothing left to release.
pub(super) fn released(status: &str) -> bool {
    matches!(status, "VOIDED" | "CAPTURED" | "DENIED" | "EXPIRED")
}

/// One capture's share of a refund.
pub(super) struct RefundPart {
    pub(super) capture: String,
    /// What the capture had left before this refund's own parts.
    pub(super) left: Decimal,
    /// The parts this refund already made from it (id, amount).
    pub(super) made: Vec<(String, Decimal)>,
}

/// Each refundable capture, oldest first, with what is left of it. Refunds
/// are told apart by their `custom_id` (the refund key) and tied to their
/// capture by their `up` link.
pub(super) fn refund_parts(
    payments: &Payments,
    key: &str,
) -> Result<Vec<RefundPart>, GatewayError> {
    let mut parts = Vec::new();
    for capture in payments.captures.iter().filter(|c| {
        matches!(
            c.status.as_str(),
            "COMPLETED" | "PARTIALLY_REFUNDED" | "REFUNDED"
        )
    }) {
        let mut others = Decimal::ZERO;
        let mut made = Vec::new();
        for refund in payments.refunds.iter().filter(|r| {
            r.refunded_capture() == Some(capture.id.as_str())
                && !matches!(r.status.as_str(), "FAILED" | "CANCELLED")
        }) {
            let amount = refund.money()?.0;
            if refund.custom_id.as_deref() == Some(key) {
                made.push((refund.id.clone(), amount));
            } else {
                others += amount;
            }
        }
        parts.push(RefundPart {
            capture: capture.id.clone(),
            left: (capture.money()?.0 - others).max(Decimal::ZERO),
            made,
        });
    }
    Ok(parts)
}

/// PayPal's digits for a currency: none for the three it takes without
/// decimals (HUF and TWD included, though ISO 4217 gives them two), two
/// for every other currency it supports.
fn minor_digits(currency: &str) -> u32 {
    match currency {
        "HUF" | "JPY" | "TWD" => 0,
        _ => 2,
    }
}

/// An amount as PayPal takes it: exactly the currency's digits (`"32.18"`,
/// `"1000"`). PayPal refuses any other precision, and an amount with more
/// digits than the currency has cannot be charged as it is, so it is
/// refused here, before anything is sent.
pub(super) fn format_amount(amount: Decimal, currency: &str) -> Result<String, GatewayError> {
    let digits = minor_digits(&currency.to_ascii_uppercase());
    let mut exact = amount.normalize();
    if exact.scale() > digits {
        return Err(GatewayError::Declined("decimal_precision".into()));
    }
    exact.rescale(digits);
    Ok(exact.to_string())
}

/// A PayPal `money` object.
pub(super) fn money(amount: Decimal, currency: &str) -> Result<Value, GatewayError> {
    Ok(json!({
        "currency_code": currency.to_ascii_uppercase(),
        "value": format_amount(amount, currency)?,
    }))
}

/// An id placed in a URL path. PayPal's ids are ASCII letters and digits;
/// an id with anything but those, `-` and `_` is refused rather than sent
/// to some other path.
pub(super) fn segment(id: &str) -> Result<&str, GatewayError> {
    if !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(id)
    } else {
        Err(GatewayError::Declined("invalid_resource_id".into()))
    }
}

/// A request that got no usable answer: a timeout may have been acted on;
/// a failed connection sent nothing.
pub(super) fn unanswered(e: reqwest::Error) -> GatewayError {
    if e.is_connect() {
        GatewayError::Unreachable(e.to_string())
    } else if e.is_timeout() {
        GatewayError::Timeout
    } else {
        GatewayError::Transient(e.to_string())
    }
}

/// PayPal's answer to one call.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: Vec<u8>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    details: Vec<ErrorDetail>,
    #[serde(default)]
    links: Vec<Link>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    issue: String,
}

impl Reply {
    pub(super) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub(super) fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, GatewayError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| GatewayError::Transient(format!("unreadable paypal {what}: {e}")))
    }

    fn error(&self) -> Option<ErrorBody> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The first `details[].issue` of an error, else its `name`.
    pub(super) fn issue(&self) -> Option<String> {
        let error = self.error()?;
        error
            .details
            .into_iter()
            .next()
            .map(|d| d.issue)
            .or(error.name)
    }

    pub(super) fn link(&self, rel: &str) -> Option<String> {
        self.error()?
            .links
            .into_iter()
            .find(|l| l.rel == rel)
            .map(|l| l.href)
    }

    /// A refusal in Bazaar's terms: what may pass is `Transient`, and
    /// PayPal's business and validation refusals are final, named by their
    /// issue in lower case (`instrument_declined`, `refund_amount_exceeded`).
    pub(super) fn failure(&self, what: &str) -> GatewayError {
        let issue = self.issue();
        match (self.status, issue.as_deref()) {
            (_, Some("PREVIOUS_REQUEST_IN_PROGRESS")) | (409 | 429 | 500..=599, _) => {
                GatewayError::Transient(format!("paypal answered {} to {what}", self.status))
            }
            (401, _) => {
                GatewayError::Transient(format!("paypal refused a fresh access token for {what}"))
            }
            (status, issue) => GatewayError::Declined(issue.map_or_else(
                || format!("paypal_refused_{status}"),
                str::to_ascii_lowercase,
            )),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Order {
    pub(super) id: String,
    pub(super) status: String,
    #[serde(default)]
    pub(super) intent: String,
    #[serde(default)]
    pub(super) purchase_units: Vec<PurchaseUnit>,
    #[serde(default)]
    links: Vec<Link>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PurchaseUnit {
    #[serde(default)]
    pub(super) reference_id: Option<String>,
    #[serde(default)]
    pub(super) amount: Option<Money>,
    #[serde(default)]
    pub(super) payments: Payments,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Payments {
    #[serde(default)]
    pub(super) authorizations: Vec<Payment>,
    #[serde(default)]
    pub(super) captures: Vec<Payment>,
    #[serde(default)]
    pub(super) refunds: Vec<Payment>,
}

/// An authorization, capture or refund (the fields Bazaar reads are common
/// to the three).
#[derive(Debug, Deserialize)]
pub(super) struct Payment {
    pub(super) id: String,
    pub(super) status: String,
    #[serde(default)]
    pub(super) amount: Option<Money>,
    #[serde(default)]
    pub(super) invoice_id: Option<String>,
    #[serde(default)]
    pub(super) custom_id: Option<String>,
    #[serde(default)]
    status_details: Option<StatusDetails>,
    #[serde(default)]
    links: Vec<Link>,
}

#[derive(Debug, Deserialize)]
struct StatusDetails {
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Money {
    pub(super) currency_code: String,
    pub(super) value: String,
}

#[derive(Debug, Deserialize)]
struct Link {
    href: String,
    rel: String,
}

impl Money {
    fn parse(&self) -> Result<(Decimal, String), GatewayError> {
        let value = Decimal::from_str(&self.value).map_err(|e| {
            GatewayError::Transient(format!("unreadable paypal amount {}: {e}", self.value))
        })?;
        Ok((value, self.currency_code.clone()))
    }
}

impl Order {
    /// Bazaar's orders have one purchase unit.
    pub(super) fn unit(&self) -> Result<&PurchaseUnit, GatewayError> {
        self.purchase_units.first().ok_or_else(|| {
            GatewayError::Transient(format!("paypal order {} has no purchase unit", self.id))
        })
    }

    pub(super) fn amount(&self) -> Result<(Decimal, String), GatewayError> {
        self.unit()?
            .amount
            .as_ref()
            .ok_or_else(|| {
                GatewayError::Transient(format!("paypal order {} has no amount", self.id))
            })?
            .parse()
    }

    pub(super) fn link(&self, rel: &str) -> Option<String> {
        self.links
            .iter()
            .find(|l| l.rel == rel)
            .map(|l| l.href.clone())
    }
}

impl Payment {
    pub(super) fn money(&self) -> Result<(Decimal, String), GatewayError> {
        self.amount
            .as_ref()
            .ok_or_else(|| {
                GatewayError::Transient(format!("paypal payment {} has no amount", self.id))
            })?
            .parse()
    }

    /// A declined payment's code: PayPal's reason when it gives one.
    pub(super) fn decline(&self, otherwise: &str) -> String {
        self.status_details
            .as_ref()
            .and_then(|d| d.reason.as_deref())
            .map_or_else(|| otherwise.to_owned(), str::to_ascii_lowercase)
    }

    /// For a refund: the capture it gave money back from (its `up` link).
    pub(super) fn refunded_capture(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|l| l.rel == "up")
            .and_then(|l| l.href.rsplit_once("/captures/"))
            .map(|(_, id)| id.trim_end_matches('/'))
    }
}
