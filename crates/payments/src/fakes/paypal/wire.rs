//! PayPal's shapes: money objects as PayPal checks them, errors, links,
//! ids.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Amount, Refusal};

pub(super) fn link(href: &str, rel: &str, method: &str) -> Value {
    json!({ "href": href, "rel": rel, "method": method })
}

/// The currencies PayPal takes without decimals.
pub(super) fn zero_decimal(currency: &str) -> bool {
    matches!(currency, "HUF" | "JPY" | "TWD")
}

/// A `money` object, checked as PayPal checks it: a known shape, no more
/// decimals than the currency has, more than zero.
pub(super) fn amount(value: &Value) -> Result<Amount, Refusal> {
    let (Some(currency), Some(text)) = (value["currency_code"].as_str(), value["value"].as_str())
    else {
        return Err(invalid(
            "MISSING_REQUIRED_PARAMETER",
            "An amount needs a currency_code and a value.",
        ));
    };
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(invalid(
            "INVALID_CURRENCY_CODE",
            "The currency code is not one PayPal knows.",
        ));
    }
    let number = Decimal::from_str(text)
        .map_err(|_| invalid("INVALID_PARAMETER_SYNTAX", "The amount is not a number."))?;
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
    if zero_decimal(currency) && decimals > 0 {
        return Err(invalid(
            "DECIMALS_NOT_SUPPORTED",
            "The currency takes no decimals.",
        ));
    }
    if decimals > 2 {
        return Err(invalid(
            "DECIMAL_PRECISION",
            "The currency takes at most two decimals.",
        ));
    }
    if number <= Decimal::ZERO {
        return Err(invalid(
            "CANNOT_BE_ZERO_OR_NEGATIVE",
            "The amount must be more than zero.",
        ));
    }
    Ok(Amount {
        currency: currency.to_owned(),
        value: number,
        text: text.to_owned(),
    })
}

pub(super) fn intent(value: &Value) -> Result<String, Refusal> {
    match value.as_str() {
        Some(intent @ ("CAPTURE" | "AUTHORIZE")) => Ok(intent.to_owned()),
        _ => Err(invalid(
            "INVALID_PARAMETER_VALUE",
            "The intent is CAPTURE or AUTHORIZE.",
        )),
    }
}

/// The vault id of a saved PayPal wallet or card.
pub(super) fn vault_id(source: &Value) -> Option<&str> {
    source["paypal"]["vault_id"]
        .as_str()
        .or_else(|| source["card"]["vault_id"].as_str())
}

fn refusal(status: u16, name: &str, message: &str, issue: &str, description: &str) -> Refusal {
    Refusal(
        status,
        json!({
            "name": name,
            "message": message,
            "debug_id": random_id(13).to_ascii_lowercase(),
            "details": [{ "issue": issue, "description": description }],
            "links": [],
        }),
    )
}

pub(super) fn invalid(issue: &str, description: &str) -> Refusal {
    refusal(
        400,
        "INVALID_REQUEST",
        "The request is malformed or breaks the schema.",
        issue,
        description,
    )
}

pub(super) fn unprocessable(issue: &str, description: &str) -> Refusal {
    refusal(
        422,
        "UNPROCESSABLE_ENTITY",
        "The request is well formed but breaks a business rule.",
        issue,
        description,
    )
}

pub(super) fn not_found() -> Refusal {
    refusal(
        404,
        "RESOURCE_NOT_FOUND",
        "Nothing has that id.",
        "INVALID_RESOURCE_ID",
        "No resource has the id in the path.",
    )
}

pub(super) fn unauthorized() -> Value {
    json!({
        "name": "AUTHENTICATION_FAILURE",
        "message": "The access token is missing, invalid or expired.",
        "debug_id": random_id(13).to_ascii_lowercase(),
        "links": [],
    })
}

pub(super) fn internal_error() -> Value {
    json!({
        "name": "INTERNAL_SERVER_ERROR",
        "message": "An internal server error occurred.",
        "debug_id": random_id(13).to_ascii_lowercase(),
    })
}

/// An id in PayPal's style: capital letters and digits.
pub(super) fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..len)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}
