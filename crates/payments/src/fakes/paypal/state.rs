//! Request ids, dispatch to the calls, rendering, inspection.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Value, json};

use super::wire::{not_found, random_id};
use super::{
    Call, Capture, Fault, Handled, Made, Op, Order, OrderView, Refusal, Remembered, Resource,
    State, TOKEN_LIFETIME,
};

impl State {
    pub(super) fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            tokens: HashMap::new(),
            tokens_issued: 0,
            rejected_tokens: 0,
            orders: Vec::new(),
            authorizations: Vec::new(),
            captures: Vec::new(),
            refunds: Vec::new(),
            requests: HashMap::new(),
            mismatches: Vec::new(),
            posts_without_id: 0,
            faults: Vec::new(),
            calls: HashMap::new(),
        }
    }

    pub(super) fn token(&mut self, credentials_match: bool, form: &[u8]) -> (u16, Value) {
        if !credentials_match {
            let error = json!({ "error": "invalid_client", "error_description": "The client id and secret do not match." });
            return (401, error);
        }
        let form = String::from_utf8_lossy(form);
        if !form
            .split('&')
            .any(|pair| pair == "grant_type=client_credentials")
        {
            let error = json!({ "error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials." });
            return (400, error);
        }
        let token = format!("A21AA{}", random_id(40));
        self.tokens
            .insert(token.clone(), Instant::now() + TOKEN_LIFETIME);
        self.tokens_issued += 1;
        let issued = json!({
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-FAKE",
            "expires_in": TOKEN_LIFETIME.as_secs(),
            "nonce": random_id(24),
        });
        (200, issued)
    }

    pub(super) fn authorized(&self, bearer: Option<&str>) -> bool {
        bearer
            .and_then(|t| self.tokens.get(t))
            .is_some_and(|expiry| Instant::now() < *expiry)
    }

    pub(super) fn take_fault(&mut self, op: Op) -> Option<Fault> {
        let at = self.faults.iter().position(|(o, _, _)| *o == op)?;
        let (_, fault, left) = &mut self.faults[at];
        let fault = *fault;
        *left = left.saturating_sub(1);
        if *left == 0 {
            self.faults.remove(at);
        }
        Some(fault)
    }

    /// Answer an API call, applying `PayPal-Request-Id` to POSTs.
    pub(super) fn handle(&mut self, call: Call) -> (u16, Option<Value>) {
        let post = matches!(
            call.op,
            Op::CreateOrder
                | Op::CaptureOrder
                | Op::AuthorizeOrder
                | Op::CaptureAuthorization
                | Op::VoidAuthorization
                | Op::RefundCapture
        );
        let key = match &call.request_id {
            _ if !post => None,
            None => {
                self.posts_without_id += 1;
                None
            }
            Some(request_id) => Some((call.path.clone(), request_id.clone())),
        };
        if let Some(key) = &key
            && let Some(seen) = self.requests.get(key)
        {
            let made = match &seen.made {
                Made::Resource(_, resource) => Made::Resource(200, resource.clone()),
                other => other.clone(),
            };
            if seen.body != call.body {
                self.mismatches.push(format!("{} {}", key.0, key.1));
            }
            return self.render(made, call.op, call.representation);
        }
        let made = self
            .execute(&call)
            .unwrap_or_else(|Refusal(status, body)| Made::Refused(status, body));
        if let Some(key) = key {
            let body = call.body.clone();
            self.requests.insert(
                key,
                Remembered {
                    body,
                    made: made.clone(),
                },
            );
        }
        self.render(made, call.op, call.representation)
    }

    pub(super) fn execute(&mut self, call: &Call) -> Handled {
        let id = call.id.as_str();
        let found = |found: Result<usize, Refusal>, resource: Resource| {
            found.map(|_| Made::Resource(200, resource))
        };
        match call.op {
            Op::CreateOrder => self.create_order(&call.body),
            Op::GetOrder => found(self.order_at(id), Resource::Order(id.to_owned())),
            Op::PatchOrder => self.patch_order(id, &call.body),
            Op::CaptureOrder => self.complete_order(id, "CAPTURE", &call.body),
            Op::AuthorizeOrder => self.complete_order(id, "AUTHORIZE", &call.body),
            Op::GetAuthorization => found(
                self.authorization_at(id),
                Resource::Authorization(id.to_owned()),
            ),
            Op::CaptureAuthorization => self.capture_authorization(id, &call.body),
            Op::VoidAuthorization => self.void_authorization(id),
            Op::GetCapture => found(self.capture_at(id), Resource::Capture(id.to_owned())),
            Op::RefundCapture => self.refund_capture(id, &call.body),
            Op::GetRefund => found(
                self.refunds
                    .iter()
                    .position(|r| r.id == id)
                    .ok_or_else(not_found),
                Resource::Refund(id.to_owned()),
            ),
            Op::Token => Err(not_found()),
        }
    }

    /// The answer's status and body. Without `Prefer: return=representation`
    /// PayPal answers a POST with a minimal body (id, status, links), and a
    /// void with none.
    pub(super) fn render(&self, made: Made, op: Op, representation: bool) -> (u16, Option<Value>) {
        match made {
            Made::Refused(status, body) => (status, Some(body)),
            Made::Empty(status) => (status, None),
            Made::Resource(_, _) if !representation && op == Op::VoidAuthorization => (204, None),
            Made::Resource(status, resource) => {
                let full = self.resource_json(&resource);
                let get = matches!(
                    op,
                    Op::GetOrder | Op::GetAuthorization | Op::GetCapture | Op::GetRefund
                );
                if representation || get {
                    (status, Some(full))
                } else {
                    let minimal = json!({ "id": full["id"], "status": full["status"], "links": full["links"] });
                    (status, Some(minimal))
                }
            }
        }
    }

    pub(super) fn order_at(&self, id: &str) -> Result<usize, Refusal> {
        self.orders
            .iter()
            .position(|o| o.id == id)
            .ok_or_else(not_found)
    }

    pub(super) fn authorization_at(&self, id: &str) -> Result<usize, Refusal> {
        self.authorizations
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(not_found)
    }

    pub(super) fn capture_at(&self, id: &str) -> Result<usize, Refusal> {
        self.captures
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(not_found)
    }

    pub(super) fn resource_json(&self, resource: &Resource) -> Value {
        match resource {
            Resource::Order(id) => self
                .orders
                .iter()
                .find(|o| o.id == *id)
                .map(|o| self.order_json(o)),
            Resource::Authorization(id) => self
                .authorizations
                .iter()
                .find(|a| a.id == *id)
                .map(|a| self.authorization_json(a)),
            Resource::Capture(id) => self
                .captures
                .iter()
                .find(|c| c.id == *id)
                .map(|c| self.capture_json(c)),
            Resource::Refund(id) => self
                .refunds
                .iter()
                .find(|r| r.id == *id)
                .map(|r| self.refund_json(r)),
        }
        .unwrap_or(Value::Null)
    }

    pub(super) fn view(&self, order: &Order) -> OrderView {
        let captures: Vec<&Capture> = self
            .captures
            .iter()
            .filter(|c| c.order_id == order.id && c.status != "DECLINED")
            .collect();
        OrderView {
            id: order.id.clone(),
            status: order.status.clone(),
            intent: order.intent.clone(),
            custom_id: order.custom_id.clone(),
            currency: order.amount.currency.clone(),
            amount: order.amount.text.clone(),
            captures: captures.len(),
            captured: captures.iter().map(|c| c.amount.value).sum(),
            refunded: self
                .refunds
                .iter()
                .filter(|r| r.order_id == order.id)
                .map(|r| r.amount.value)
                .sum(),
            authorization_status: self
                .authorizations
                .iter()
                .find(|a| a.order_id == order.id)
                .map(|a| a.status.clone()),
        }
    }
}
