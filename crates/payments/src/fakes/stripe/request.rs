//! What a request to the fake says and how the fake answers it: form
//! parameters, Stripe's error objects, and the checks Stripe makes before
//! it starts executing a request ([`Op::validate`]), for which it saves
//! nothing under the idempotency key.

use serde_json::{Value, json};

/// Form parameters as sent, Stripe's `a[b]` keys kept flat.
pub(super) type Params = Vec<(String, String)>;

/// An answer: HTTP status and JSON body.
#[derive(Debug, Clone)]
pub(super) struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }

    /// Stripe's error object; [`Answer::with`] adds fields such as the
    /// intent a card error happened on.
    pub fn error(status: u16, kind: &str, code: Option<&str>, message: String) -> Self {
        Self {
            status,
            body: json!({ "error": { "type": kind, "code": code, "message": message } }),
        }
    }

    pub fn with(mut self, field: &str, value: Value) -> Self {
        if let Some(error) = self.body.get_mut("error").and_then(Value::as_object_mut) {
            error.insert(field.to_owned(), value);
        }
        self
    }

    pub fn invalid(code: &str, param: &str, message: String) -> Self {
        Self::error(400, "invalid_request_error", Some(code), message).with("param", json!(param))
    }

    pub fn missing(kind: &str, id: &str, param: &str) -> Self {
        Self::error(
            404,
            "invalid_request_error",
            Some("resource_missing"),
            format!("No such {kind}: '{id}'"),
        )
        .with("param", json!(param))
    }
}

pub(super) fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Stripe refuses a parameter it does not know rather than ignoring it,
/// which is what catches a misspelt key in the adapter.
fn known(params: &Params, allowed: &[&str]) -> Result<(), Answer> {
    for (key, _) in params {
        let metadata = key.starts_with("metadata[") && key.ends_with(']');
        if !metadata && !allowed.contains(&key.as_str()) {
            return Err(Answer::invalid(
                "parameter_unknown",
                key,
                format!("Received unknown parameter: {key}"),
            ));
        }
    }
    Ok(())
}

pub(super) fn positive(params: &Params, name: &str) -> Result<Option<i64>, Answer> {
    match param(params, name) {
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(Answer::invalid(
                "parameter_invalid_integer",
                name,
                format!("Invalid positive integer: {v}"),
            )),
        },
    }
}

pub(super) fn boolean(params: &Params, name: &str) -> Result<Option<bool>, Answer> {
    match param(params, name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(v) => Err(Answer::invalid(
            "parameter_invalid_boolean",
            name,
            format!("Invalid boolean: {v}"),
        )),
    }
}

fn one_of(params: &Params, name: &str, values: &[&str]) -> Result<(), Answer> {
    match param(params, name) {
        Some(v) if !values.contains(&v) => Err(Answer::invalid(
            "parameter_invalid_string",
            name,
            format!("Invalid {name}: must be one of {}", values.join(", ")),
        )),
        _ => Ok(()),
    }
}

pub(super) fn metadata(params: &Params) -> impl Iterator<Item = (String, String)> + '_ {
    params.iter().filter_map(|(k, v)| {
        k.strip_prefix("metadata[")
            .and_then(|k| k.strip_suffix(']'))
            .map(|k| (k.to_owned(), v.clone()))
    })
}

/// A request that changes the books.
#[derive(Debug, Clone)]
pub(super) enum Op {
    Create,
    Capture(String),
    Cancel(String),
    Refund,
}

impl Op {
    /// The checks Stripe makes before executing: a refusal here is not
    /// saved under the idempotency key.
    pub fn validate(&self, params: &Params) -> Result<(), Answer> {
        match self {
            Op::Create => {
                known(
                    params,
                    &[
                        "amount",
                        "currency",
                        "payment_method",
                        "confirm",
                        "capture_method",
                        "return_url",
                        "description",
                        "payment_method_options[card][request_multicapture]",
                    ],
                )?;
                for required in ["amount", "currency"] {
                    if param(params, required).is_none() {
                        return Err(Answer::invalid(
                            "parameter_missing",
                            required,
                            format!("Missing required param: {required}."),
                        ));
                    }
                }
                positive(params, "amount")?;
                let currency = param(params, "currency").unwrap_or_default();
                if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(Answer::error(
                        400,
                        "invalid_request_error",
                        None,
                        format!("Invalid currency: {currency}."),
                    )
                    .with("param", json!("currency")));
                }
                boolean(params, "confirm")?;
                one_of(
                    params,
                    "capture_method",
                    &["automatic", "automatic_async", "manual"],
                )?;
                one_of(
                    params,
                    "payment_method_options[card][request_multicapture]",
                    &["if_available", "never"],
                )
            }
            Op::Capture(_) => {
                known(params, &["amount_to_capture", "final_capture"])?;
                positive(params, "amount_to_capture")?;
                boolean(params, "final_capture").map(|_| ())
            }
            Op::Cancel(_) => {
                known(params, &["cancellation_reason"])?;
                one_of(
                    params,
                    "cancellation_reason",
                    &[
                        "duplicate",
                        "fraudulent",
                        "requested_by_customer",
                        "abandoned",
                    ],
                )
            }
            Op::Refund => {
                known(params, &["payment_intent", "charge", "amount", "reason"])?;
                if param(params, "payment_intent").is_none() && param(params, "charge").is_none() {
                    return Err(Answer::invalid(
                        "parameter_missing",
                        "payment_intent",
                        "One of `charge` or `payment_intent` is required.".to_owned(),
                    ));
                }
                positive(params, "amount").map(|_| ())
            }
        }
    }
}
