//! Payments v2: captures of an authorization, voids, refunds, and their
//! JSON.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::wire::{amount, link, random_id, unprocessable};
use super::{Authorization, Capture, Handled, MAX_CAPTURE_PERCENT, Made, Refund, Resource, State};

impl State {
    pub(super) fn capture_authorization(&mut self, id: &str, body: &Value) -> Handled {
        let at = self.authorization_at(id)?;
        let authorization = &self.authorizations[at];
        let refused = match authorization.status.as_str() {
            "VOIDED" => Some(("AUTHORIZATION_VOIDED", "The authorization was voided.")),
            "CAPTURED" => Some((
                "AUTHORIZATION_ALREADY_CAPTURED",
                "The authorization was captured in full.",
            )),
            "DENIED" => Some(("AUTHORIZATION_DENIED", "The authorization was denied.")),
            _ => None,
        };
        if let Some((issue, description)) = refused {
            return Err(unprocessable(issue, description));
        }
        let left = authorization.amount.value - authorization.captured;
        let amount = match &body["amount"] {
            Value::Null => authorization.amount.of(left),
            given => amount(given)?,
        };
        if amount.currency != authorization.amount.currency {
            return Err(unprocessable(
                "AUTH_CAPTURE_CURRENCY_MISMATCH",
                "A capture is in the authorization's currency.",
            ));
        }
        let limit =
            authorization.amount.value * Decimal::from(MAX_CAPTURE_PERCENT) / Decimal::from(100);
        if authorization.captured + amount.value > limit {
            return Err(unprocessable(
                "MAX_CAPTURE_AMOUNT_EXCEEDED",
                "The captures would exceed what the authorization allows.",
            ));
        }
        let final_capture = body["final_capture"].as_bool().unwrap_or(false);
        let capture_id = random_id(17);
        self.captures.push(Capture {
            id: capture_id.clone(),
            order_id: authorization.order_id.clone(),
            authorization_id: Some(id.to_owned()),
            status: "COMPLETED".into(),
            amount: amount.clone(),
            final_capture,
            invoice_id: body["invoice_id"].as_str().map(str::to_owned),
            refunded: Decimal::ZERO,
        });
        let authorization = &mut self.authorizations[at];
        authorization.captured += amount.value;
        authorization.status =
            if final_capture || authorization.captured >= authorization.amount.value {
                "CAPTURED"
            } else {
                "PARTIALLY_CAPTURED"
            }
            .into();
        Ok(Made::Resource(201, Resource::Capture(capture_id)))
    }

    pub(super) fn void_authorization(&mut self, id: &str) -> Handled {
        let at = self.authorization_at(id)?;
        let refused = match self.authorizations[at].status.as_str() {
            "VOIDED" => Some(("PREVIOUSLY_VOIDED", "The authorization was voided already.")),
            "CAPTURED" => Some((
                "PREVIOUSLY_CAPTURED",
                "The authorization was captured in full.",
            )),
            "DENIED" => Some(("CANNOT_BE_VOIDED", "A denied authorization holds nothing.")),
            _ => None,
        };
        if let Some((issue, description)) = refused {
            return Err(unprocessable(issue, description));
        }
        self.authorizations[at].status = "VOIDED".into();
        let order_id = self.authorizations[at].order_id.clone();
        // An order whose only payment is voided is voided too.
        if !self.captures.iter().any(|c| c.order_id == order_id)
            && let Ok(order) = self.order_at(&order_id)
        {
            self.orders[order].status = "VOIDED".into();
        }
        Ok(Made::Resource(200, Resource::Authorization(id.to_owned())))
    }

    pub(super) fn refund_capture(&mut self, id: &str, body: &Value) -> Handled {
        let at = self.capture_at(id)?;
        let capture = &self.captures[at];
        match capture.status.as_str() {
            "COMPLETED" | "PARTIALLY_REFUNDED" => {}
            "REFUNDED" => {
                return Err(unprocessable(
                    "CAPTURE_FULLY_REFUNDED",
                    "The capture was refunded in full.",
                ));
            }
            _ => {
                return Err(unprocessable(
                    "REFUND_NOT_ALLOWED",
                    "The capture took no money to give back.",
                ));
            }
        }
        let left = capture.amount.value - capture.refunded;
        let amount = match &body["amount"] {
            Value::Null => capture.amount.of(left),
            given => amount(given)?,
        };
        if amount.currency != capture.amount.currency {
            return Err(unprocessable(
                "REFUND_CAPTURE_CURRENCY_MISMATCH",
                "A refund is in the capture's currency.",
            ));
        }
        if amount.value > left {
            return Err(unprocessable(
                "REFUND_AMOUNT_EXCEEDED",
                "The refund is more than is left of the capture.",
            ));
        }
        let refund_id = random_id(17);
        self.refunds.push(Refund {
            id: refund_id.clone(),
            capture_id: id.to_owned(),
            order_id: capture.order_id.clone(),
            amount: amount.clone(),
            custom_id: body["custom_id"].as_str().map(str::to_owned),
        });
        let capture = &mut self.captures[at];
        capture.refunded += amount.value;
        capture.status = if capture.refunded >= capture.amount.value {
            "REFUNDED"
        } else {
            "PARTIALLY_REFUNDED"
        }
        .into();
        Ok(Made::Resource(201, Resource::Refund(refund_id)))
    }

    pub(super) fn authorization_json(&self, authorization: &Authorization) -> Value {
        let (base, id) = (&self.base_url, &authorization.id);
        let order = self.orders.iter().find(|o| o.id == authorization.order_id);
        json!({
            "id": id,
            "status": authorization.status,
            "amount": authorization.amount.json(),
            "invoice_id": order.and_then(|o| o.invoice_id.clone()),
            "custom_id": order.and_then(|o| o.custom_id.clone()),
            "links": [
                link(&format!("{base}/v2/payments/authorizations/{id}"), "self", "GET"),
                link(&format!("{base}/v2/payments/authorizations/{id}/capture"), "capture", "POST"),
                link(&format!("{base}/v2/payments/authorizations/{id}/void"), "void", "POST"),
                link(&format!("{base}/v2/checkout/orders/{}", authorization.order_id), "up", "GET"),
            ],
        })
    }

    pub(super) fn capture_json(&self, capture: &Capture) -> Value {
        let (base, id) = (&self.base_url, &capture.id);
        let up = match &capture.authorization_id {
            Some(authorization) => format!("{base}/v2/payments/authorizations/{authorization}"),
            None => format!("{base}/v2/checkout/orders/{}", capture.order_id),
        };
        json!({
            "id": id,
            "status": capture.status,
            "amount": capture.amount.json(),
            "final_capture": capture.final_capture,
            "invoice_id": capture.invoice_id,
            "links": [
                link(&format!("{base}/v2/payments/captures/{id}"), "self", "GET"),
                link(&format!("{base}/v2/payments/captures/{id}/refund"), "refund", "POST"),
                link(&up, "up", "GET"),
            ],
        })
    }

    pub(super) fn refund_json(&self, refund: &Refund) -> Value {
        let (base, id) = (&self.base_url, &refund.id);
        json!({
            "id": id,
            "status": "COMPLETED",
            "amount": refund.amount.json(),
            "custom_id": refund.custom_id,
            "links": [
                link(&format!("{base}/v2/payments/refunds/{id}"), "self", "GET"),
                link(&format!("{base}/v2/payments/captures/{}", refund.capture_id), "up", "GET"),
            ],
        })
    }
}
