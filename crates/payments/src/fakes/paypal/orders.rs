//! Orders v2: create, patch, capture or authorize, and the order as JSON.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::wire::{amount, intent, invalid, link, random_id, unprocessable, vault_id};
use super::{
    Authorization, Capture, Handled, Made, Order, Refusal, Resource, State, VAULT_CAPTURE_DECLINED,
    VAULT_DECLINED, VAULT_OK, VAULT_PAYER_ACTION,
};

impl State {
    pub(super) fn create_order(&mut self, body: &Value) -> Handled {
        let intent = intent(&body["intent"])?;
        let units = body["purchase_units"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let [unit] = units else {
            return Err(invalid(
                "FAKE_UNSUPPORTED",
                "The fake takes orders with exactly one purchase unit.",
            ));
        };
        let amount = amount(&unit["amount"])?;
        let text = |field: &str| unit[field].as_str().map(str::to_owned);
        let id = random_id(17);
        self.orders.push(Order {
            id: id.clone(),
            intent,
            status: "CREATED".into(),
            reference_id: text("reference_id").unwrap_or_else(|| "default".into()),
            custom_id: text("custom_id"),
            invoice_id: text("invoice_id"),
            amount,
        });
        let at = self.orders.len() - 1;
        let source = &body["payment_source"];
        if source.is_object() {
            match vault_id(source) {
                // A saved payment source: PayPal processes the order at once
                // (or sends the payer to act); a refusal creates nothing.
                Some(vault) => {
                    if let Err(refusal) = self.fund(at, vault)
                        && self.orders[at].status != "PAYER_ACTION_REQUIRED"
                    {
                        self.orders.remove(at);
                        return Err(refusal);
                    }
                }
                // A wallet to log in to: the payer must approve first.
                None => self.orders[at].status = "PAYER_ACTION_REQUIRED".into(),
            }
        }
        Ok(Made::Resource(201, Resource::Order(id)))
    }

    pub(super) fn patch_order(&mut self, id: &str, body: &Value) -> Handled {
        let at = self.order_at(id)?;
        let order = &self.orders[at];
        match order.status.as_str() {
            "CREATED" | "APPROVED" => {}
            "COMPLETED" | "VOIDED" => {
                return Err(unprocessable(
                    "ORDER_ALREADY_COMPLETED",
                    "A completed order cannot change.",
                ));
            }
            _ => {
                return Err(unprocessable(
                    "NOT_PATCHABLE",
                    "The order cannot change in its current status.",
                ));
            }
        }
        let Some(operations) = body.as_array() else {
            return Err(invalid(
                "MALFORMED_REQUEST_JSON",
                "A patch is a JSON array.",
            ));
        };
        // All operations are checked before any is applied.
        let mut new_intent = None;
        let mut new_amount = None;
        for operation in operations {
            let path = operation["path"].as_str().unwrap_or_default();
            let amount_of = path
                .strip_prefix("/purchase_units/@reference_id=='")
                .and_then(|p| p.strip_suffix("'/amount"));
            match (operation["op"].as_str(), path, amount_of) {
                (Some("replace"), "/intent", _) => new_intent = Some(intent(&operation["value"])?),
                (Some("replace"), _, Some(reference)) if reference == order.reference_id => {
                    new_amount = Some(amount(&operation["value"])?);
                }
                (Some("replace"), _, Some(_)) => {
                    return Err(unprocessable(
                        "REFERENCE_ID_NOT_FOUND",
                        "No purchase unit has that reference_id.",
                    ));
                }
                _ => {
                    return Err(unprocessable(
                        "NOT_PATCHABLE",
                        "The fake patches only the intent and the amount, by replace.",
                    ));
                }
            }
        }
        if let Some(amount) = &new_amount
            && order.status == "APPROVED"
            && (amount.value != order.amount.value || amount.currency != order.amount.currency)
        {
            return Err(unprocessable(
                "AMOUNT_CHANGE_NOT_ALLOWED",
                "The payer approved another amount.",
            ));
        }
        let order = &mut self.orders[at];
        if let Some(intent) = new_intent {
            order.intent = intent;
        }
        if let Some(amount) = new_amount {
            order.amount = amount;
        }
        Ok(Made::Empty(204))
    }

    pub(super) fn complete_order(&mut self, id: &str, intent: &str, body: &Value) -> Handled {
        let at = self.order_at(id)?;
        let order = &self.orders[at];
        if order.intent != intent {
            return Err(unprocessable(
                "ACTION_DOES_NOT_MATCH_INTENT",
                "The order's intent calls for the other completion.",
            ));
        }
        let status = order.status.clone();
        match status.as_str() {
            "COMPLETED" if intent == "CAPTURE" => {
                return Err(unprocessable(
                    "ORDER_ALREADY_CAPTURED",
                    "The order was captured already.",
                ));
            }
            "COMPLETED" => {
                return Err(unprocessable(
                    "ORDER_ALREADY_AUTHORIZED",
                    "The order was authorized already.",
                ));
            }
            "VOIDED" => {
                return Err(unprocessable(
                    "ORDER_COMPLETED_OR_VOIDED",
                    "The order is voided.",
                ));
            }
            _ => {}
        }
        match (vault_id(&body["payment_source"]), status.as_str()) {
            (Some(vault), _) => self.fund(at, vault)?,
            (None, "APPROVED") => self.pay(at, false),
            (None, "PAYER_ACTION_REQUIRED") => return Err(self.payer_action_required(id)),
            (None, _) => {
                return Err(unprocessable(
                    "ORDER_NOT_APPROVED",
                    "The payer has not approved the order.",
                ));
            }
        }
        Ok(Made::Resource(201, Resource::Order(id.to_owned())))
    }

    /// Pay order `at` with a vaulted payment source.
    pub(super) fn fund(&mut self, at: usize, vault: &str) -> Result<(), Refusal> {
        match vault {
            VAULT_OK => self.pay(at, false),
            VAULT_CAPTURE_DECLINED => self.pay(at, true),
            VAULT_DECLINED => {
                return Err(unprocessable(
                    "INSTRUMENT_DECLINED",
                    "The processor or bank declined the payment method.",
                ));
            }
            VAULT_PAYER_ACTION => {
                self.orders[at].status = "PAYER_ACTION_REQUIRED".into();
                let id = self.orders[at].id.clone();
                return Err(self.payer_action_required(&id));
            }
            _ => {
                return Err(unprocessable(
                    "TOKEN_ID_NOT_FOUND",
                    "No saved payment method has that id.",
                ));
            }
        }
        Ok(())
    }

    /// Complete order `at`: its capture or authorization, declined or not.
    pub(super) fn pay(&mut self, at: usize, declined: bool) {
        let order = &mut self.orders[at];
        order.status = "COMPLETED".into();
        let (order_id, amount) = (order.id.clone(), order.amount.clone());
        let invoice_id = order.invoice_id.clone();
        if order.intent == "AUTHORIZE" {
            self.authorizations.push(Authorization {
                id: random_id(17),
                order_id,
                status: if declined { "DENIED" } else { "CREATED" }.into(),
                amount,
                captured: Decimal::ZERO,
            });
        } else {
            self.captures.push(Capture {
                id: random_id(17),
                order_id,
                authorization_id: None,
                status: if declined { "DECLINED" } else { "COMPLETED" }.into(),
                amount,
                final_capture: true,
                invoice_id,
                refunded: Decimal::ZERO,
            });
        }
    }

    pub(super) fn payer_action_required(&self, order_id: &str) -> Refusal {
        let Refusal(status, mut body) = unprocessable(
            "PAYER_ACTION_REQUIRED",
            "The payer must act before the payment can complete.",
        );
        body["links"] = json!([link(&self.approval_url(order_id), "payer-action", "GET")]);
        Refusal(status, body)
    }

    pub(super) fn approval_url(&self, order_id: &str) -> String {
        format!("{}/checkoutnow?token={order_id}", self.base_url)
    }

    pub(super) fn order_json(&self, order: &Order) -> Value {
        let (base, id) = (&self.base_url, &order.id);
        let mut links = vec![link(
            &format!("{base}/v2/checkout/orders/{id}"),
            "self",
            "GET",
        )];
        match order.status.as_str() {
            "CREATED" => links.push(link(&self.approval_url(id), "approve", "GET")),
            "PAYER_ACTION_REQUIRED" => {
                links.push(link(&self.approval_url(id), "payer-action", "GET"))
            }
            _ => {}
        }
        if matches!(order.status.as_str(), "CREATED" | "APPROVED") {
            let verb = if order.intent == "AUTHORIZE" {
                "authorize"
            } else {
                "capture"
            };
            links.push(link(
                &format!("{base}/v2/checkout/orders/{id}"),
                "update",
                "PATCH",
            ));
            links.push(link(
                &format!("{base}/v2/checkout/orders/{id}/{verb}"),
                verb,
                "POST",
            ));
        }
        let mut unit = json!({ "reference_id": order.reference_id, "amount": order.amount.json() });
        if let Some(custom_id) = &order.custom_id {
            unit["custom_id"] = json!(custom_id);
        }
        if let Some(invoice_id) = &order.invoice_id {
            unit["invoice_id"] = json!(invoice_id);
        }
        let mut payments = serde_json::Map::new();
        let authorizations: Vec<Value> = self
            .authorizations
            .iter()
            .filter(|a| a.order_id == *id)
            .map(|a| self.authorization_json(a))
            .collect();
        let captures: Vec<Value> = self
            .captures
            .iter()
            .filter(|c| c.order_id == *id)
            .map(|c| self.capture_json(c))
            .collect();
        let refunds: Vec<Value> = self
            .refunds
            .iter()
            .filter(|r| r.order_id == *id)
            .map(|r| self.refund_json(r))
            .collect();
        for (name, list) in [
            ("authorizations", authorizations),
            ("captures", captures),
            ("refunds", refunds),
        ] {
            if !list.is_empty() {
                payments.insert(name.into(), Value::Array(list));
            }
        }
        if !payments.is_empty() {
            unit["payments"] = Value::Object(payments);
        }
        json!({
            "id": id,
            "intent": order.intent,
            "status": order.status,
            "purchase_units": [unit],
            "links": links,
        })
    }
}
