//! PayPal: Orders v2 to charge, Payments v2 to capture, void and refund,
//! OAuth2 client credentials for the access token.
//!
//! [`Charge::id`] is the PayPal order id. Everything later starts from the
//! order, which lists its authorization, its captures and its refunds.
//! The shopper's payment token is a PayPal wallet saved in PayPal's vault
//! for Bazaar's merchant account, sent as `payment_source.paypal.vault_id`.
//!
//! # A charge, and how it is found again
//!
//! 1. `POST /v2/checkout/orders` under `PayPal-Request-Id: <key>`. The
//!    body depends on the key alone: the key is the purchase unit's
//!    `reference_id`, `custom_id` and `invoice_id`, and the amount is a
//!    placeholder. [`Gateway::find`] has nothing but the key, and it must
//!    send exactly the body the charge sent. For a request id it has seen,
//!    PayPal answers with the order it already made. If the first request
//!    never arrived, `find` makes the same unpaid order the charge would
//!    have made. An order without a payment source moves no money.
//! 2. `PATCH` the order's intent (`CAPTURE`, or `AUTHORIZE` when
//!    [`ChargeRequest::capture`] is false) and its amount. PayPal allows
//!    both changes while the order is `CREATED`. The step is skipped when
//!    they already match.
//! 3. `POST .../capture` or `.../authorize` under `<key>:complete`. The
//!    body carries the vault id, and `experience_context` when there is a
//!    return URL. The charge is made unless the capture comes back
//!    `DECLINED` (or `FAILED`) or the authorization `DENIED`.
//!
//! The vault id is not sent at creation because PayPal processes an order
//! created with a saved payment source straight away. A repeated create in
//! `find` could then charge.
//!
//! If PayPal needs the payer to act, the completion is refused with
//! `PAYER_ACTION_REQUIRED`. The order's `payer-action` link then becomes a
//! `redirect_to_url` action. Once the payer approves, the order is
//! `APPROVED`, and [`Gateway::retrieve`] completes it under
//! `<key>:approved` with no payment source, so PayPal uses the one the payer
//! approved. A different request id is needed because the body differs, and
//! PayPal would answer `<key>:complete` with its stored refusal.
//!
//! # Limits
//!
//! - PayPal keeps Orders request ids for 6 hours (72 on request). After
//!   that, `find`'s replay makes a new, unpaid order and answers `None` even
//!   when a charge was made. Bazaar can hold an unknown outcome for 24 hours,
//!   so the merchant account should have the 72-hour retention. Payments v2
//!   (captures, voids, refunds) keeps request ids for 45 days.
//! - A void of an order that was never completed does nothing. PayPal
//!   cannot cancel an order; it moves no money unless someone completes it,
//!   and it expires on its own.
//! - The tenant is not sent: the order's body must come from the key
//!   alone, and the events that would echo it back are not taken.
//! - PayPal's webhooks are not taken yet. PayPal verifies them with an API
//!   call, not a shared-secret signature, so `signature_header` and
//!   `read_event` keep their defaults. Reconciliation ([`Gateway::find`])
//!   settles what an event would have told.

mod wire;

use std::time::{Duration, Instant};

use reqwest::Method;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    CaptureRequest, Captured, Charge, ChargeRequest, Gateway, GatewayError, RefundMade,
    RefundRequest, VoidRequest,
};
use wire::{
    Order, Payment, Reply, answer, closed, holds_money, money, redirect, refund_parts, released,
    segment, unanswered,
};

/// The amount an order is created with before the charge's amount is
/// patched in. Nobody can pay it: the order has no payment source, and its
/// approve link is never shown to anyone.
const PLACEHOLDER_CURRENCY: &str = "USD";
/// See [`PLACEHOLDER_CURRENCY`].
const PLACEHOLDER_VALUE: &str = "1.00";

/// How long before its stated expiry an access token is replaced, so that
/// it never expires in flight.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

pub struct PayPalGateway {
    name: &'static str,
    client: reqwest::Client,
    base_url: String,
    client_id: String,
    client_secret: String,
    /// A tokio mutex, so that calls arriving together wait for one token
    /// request instead of each making its own.
    token: tokio::sync::Mutex<Option<AccessToken>>,
}

struct AccessToken {
    value: String,
    fresh_until: Instant,
}

impl PayPalGateway {
    /// `base_url` is `https://api-m.paypal.com` (or the sandbox's). Each
    /// HTTP call gets `timeout`; a slower one is a `Timeout`, and repeating
    /// it with the same key shows what happened.
    pub fn new(
        name: &'static str,
        base_url: &str,
        client_id: &str,
        client_secret: &str,
        timeout: Duration,
    ) -> Result<Self, GatewayError> {
        let client = crate::http_client(timeout)?;
        Ok(Self {
            name,
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            token: tokio::sync::Mutex::new(None),
        })
    }

    /// The cached access token, or a new one when it is stale or PayPal
    /// just refused it (`rejected`).
    async fn access_token(&self, rejected: Option<&str>) -> Result<String, GatewayError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref() {
            let refused = rejected.is_some_and(|r| r == token.value);
            if !refused && Instant::now() < token.fresh_until {
                return Ok(token.value.clone());
            }
        }
        let response = self
            .client
            .post(format!("{}/v1/oauth2/token", self.base_url))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(unanswered)?;
        let status = response.status().as_u16();
        if status != 200 {
            if !matches!(status, 429 | 500..=599) {
                tracing::error!(
                    gateway = self.name,
                    status,
                    "paypal refused the client credentials"
                );
            }
            // A configuration fault, not the shopper's: it must not become
            // a decline.
            return Err(GatewayError::Transient(format!(
                "paypal answered {status} to a token request"
            )));
        }
        #[derive(Deserialize)]
        struct Issued {
            access_token: String,
            expires_in: u64,
        }
        let issued: Issued = response.json().await.map_err(unanswered)?;
        let lifetime = Duration::from_secs(issued.expires_in);
        *cached = Some(AccessToken {
            value: issued.access_token.clone(),
            fresh_until: Instant::now() + lifetime.saturating_sub(TOKEN_MARGIN).max(lifetime / 2),
        });
        Ok(issued.access_token)
    }

    /// One API call. A 401 means PayPal did nothing with the call, so it is
    /// sent again once with a fresh token (an expired or revoked token).
    async fn send(
        &self,
        method: Method,
        path: &str,
        request_id: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Reply, GatewayError> {
        let url = format!("{}{path}", self.base_url);
        let mut token = self.access_token(None).await?;
        let mut refreshed = false;
        loop {
            let mut call = self
                .client
                .request(method.clone(), &url)
                .bearer_auth(&token)
                .header("Prefer", "return=representation");
            if let Some(id) = request_id {
                call = call.header("PayPal-Request-Id", id);
            }
            if let Some(body) = body {
                call = call.json(body);
            }
            let response = call.send().await.map_err(unanswered)?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(unanswered)?.to_vec();
            if status == 401 && !refreshed {
                tracing::warn!(
                    gateway = self.name,
                    "paypal refused the access token; fetching a new one"
                );
                token = self.access_token(Some(&token)).await?;
                refreshed = true;
                continue;
            }
            return Ok(Reply { status, body });
        }
    }

    /// Create the key's order (step 1), or get back the one made before.
    async fn create_order(&self, key: &str) -> Result<Order, GatewayError> {
        let body = json!({
            "intent": "CAPTURE",
            "purchase_units": [{
                "reference_id": key,
                "custom_id": key,
                "invoice_id": key,
                "amount": { "currency_code": PLACEHOLDER_CURRENCY, "value": PLACEHOLDER_VALUE },
            }],
        });
        let reply = self
            .send(Method::POST, "/v2/checkout/orders", Some(key), Some(&body))
            .await?;
        if reply.is_success() {
            reply.json("order")
        } else {
            Err(reply.failure("an order creation"))
        }
    }

    /// The order as PayPal holds it now; `None` when PayPal does not know it.
    async fn get_order(&self, id: &str) -> Result<Option<Order>, GatewayError> {
        let path = format!("/v2/checkout/orders/{}", segment(id)?);
        let reply = self.send(Method::GET, &path, None, None).await?;
        match reply.status {
            200 => reply.json("order").map(Some),
            404 => Ok(None),
            _ => Err(reply.failure("an order lookup")),
        }
    }

    /// Set the order's intent and amount (step 2). `false` means the order
    /// was completed in the meantime and can no longer change.
    async fn prepare(
        &self,
        order: &Order,
        key: &str,
        intent: &str,
        amount: &Value,
    ) -> Result<bool, GatewayError> {
        let unit = order.unit()?;
        let current = unit
            .amount
            .as_ref()
            .map(|m| json!({ "currency_code": m.currency_code, "value": m.value }));
        if order.intent == intent && current.as_ref() == Some(amount) {
            return Ok(true);
        }
        let reference = unit.reference_id.as_deref().unwrap_or(key);
        let patch = json!([
            { "op": "replace", "path": "/intent", "value": intent },
            {
                "op": "replace",
                "path": format!("/purchase_units/@reference_id=='{reference}'/amount"),
                "value": amount,
            },
        ]);
        let path = format!("/v2/checkout/orders/{}", segment(&order.id)?);
        let reply = self.send(Method::PATCH, &path, None, Some(&patch)).await?;
        if reply.is_success() {
            Ok(true)
        } else if reply.issue().as_deref() == Some("ORDER_ALREADY_COMPLETED") {
            Ok(false)
        } else {
            Err(reply.failure("an order update"))
        }
    }

    /// Capture or authorize the order (step 3, or after the payer's
    /// approval).
    async fn complete(
        &self,
        order_id: &str,
        intent: &str,
        request_id: &str,
        body: &Value,
    ) -> Result<Charge, GatewayError> {
        let verb = if intent == "AUTHORIZE" {
            "authorize"
        } else {
            "capture"
        };
        let path = format!("/v2/checkout/orders/{}/{verb}", segment(order_id)?);
        let reply = self
            .send(Method::POST, &path, Some(request_id), Some(body))
            .await?;
        if reply.is_success() {
            let order: Order = reply.json("order")?;
            return answer(&order)?.ok_or_else(|| {
                GatewayError::Transient(format!(
                    "paypal left order {} {} after completing it",
                    order.id, order.status
                ))
            });
        }
        match reply.issue().as_deref() {
            Some("PAYER_ACTION_REQUIRED") => {
                let order = self
                    .get_order(order_id)
                    .await?
                    .ok_or_else(|| GatewayError::Declined("resource_not_found".into()))?;
                let (amount, currency) = order.amount()?;
                let url = order
                    .link("payer-action")
                    .or_else(|| reply.link("payer-action"))
                    .or_else(|| order.link("approve"));
                Ok(Charge {
                    action: Some(redirect(url)),
                    ..Charge::made(order.id, amount, currency)
                })
            }
            // Completed by an earlier attempt whose answer was lost: the
            // order says how it went.
            Some("ORDER_ALREADY_CAPTURED" | "ORDER_ALREADY_AUTHORIZED") => {
                self.settled(order_id).await
            }
            _ => Err(reply.failure("an order completion")),
        }
    }

    /// The charge a completed order stands for.
    async fn settled(&self, order_id: &str) -> Result<Charge, GatewayError> {
        let order = self
            .get_order(order_id)
            .await?
            .ok_or_else(|| GatewayError::Declined("resource_not_found".into()))?;
        answer(&order)?.ok_or_else(|| closed(&order))
    }

    /// The order behind a capture, void or refund; a final refusal when
    /// PayPal does not know it.
    async fn known_order(&self, id: &str) -> Result<Order, GatewayError> {
        self.get_order(id)
            .await?
            .ok_or_else(|| GatewayError::Declined("resource_not_found".into()))
    }
}

#[async_trait::async_trait]
impl Gateway for PayPalGateway {
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, GatewayError> {
        let key = &request.idempotency_key;
        let amount = money(request.amount, &request.currency)?;
        let intent = if request.capture {
            "CAPTURE"
        } else {
            "AUTHORIZE"
        };
        let order = self.create_order(key).await?;
        match order.status.as_str() {
            "CREATED" => {
                if !self.prepare(&order, key, intent, &amount).await? {
                    return self.settled(&order.id).await;
                }
                let mut source = json!({ "vault_id": request.payment_token });
                if let Some(url) = &request.return_url {
                    // Bazaar has one page for the shopper's return: it asks
                    // the order how things went, approved or not.
                    source["experience_context"] = json!({ "return_url": url, "cancel_url": url });
                }
                let body = json!({ "payment_source": { "paypal": source } });
                self.complete(&order.id, intent, &format!("{key}:complete"), &body)
                    .await
            }
            "APPROVED" => {
                self.complete(
                    &order.id,
                    &order.intent,
                    &format!("{key}:approved"),
                    &json!({}),
                )
                .await
            }
            _ => answer(&order)?.ok_or_else(|| closed(&order)),
        }
    }

    async fn find(&self, idempotency_key: &str) -> Result<Option<Charge>, GatewayError> {
        let created = self.create_order(idempotency_key).await?;
        // The replay names the order; its state is read afresh rather than
        // trusted from a stored answer.
        let order = self.get_order(&created.id).await?.ok_or_else(|| {
            GatewayError::Transient(format!("paypal cannot show order {}", created.id))
        })?;
        answer(&order)
    }

    async fn retrieve(
        &self,
        charge_id: &str,
        idempotency_key: &str,
    ) -> Result<Option<Charge>, GatewayError> {
        let Some(order) = self.get_order(charge_id).await? else {
            return Ok(None);
        };
        if order.status == "APPROVED" {
            let request_id = format!("{idempotency_key}:approved");
            return self
                .complete(&order.id, &order.intent, &request_id, &json!({}))
                .await
                .map(Some);
        }
        answer(&order)
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundMade, GatewayError> {
        let key = &request.idempotency_key;
        money(request.amount, &request.currency)?;
        if request.amount <= Decimal::ZERO {
            return Err(GatewayError::Declined("cannot_be_zero_or_negative".into()));
        }
        let order = self.known_order(&request.charge_id).await?;
        let (_, currency) = order.amount()?;
        let parts = refund_parts(&order.unit()?.payments, key)?;
        let left: Decimal = parts.iter().map(|p| p.left).sum();
        if request.amount > left {
            return Err(GatewayError::Declined("refund_amount_exceeded".into()));
        }
        // Oldest capture first. A part this key already made is counted and
        // not sent again, so a retry finishes the refund without doubling
        // any part of it.
        let mut remaining = request.amount;
        let mut ids = Vec::new();
        let mut total = Decimal::ZERO;
        for part in parts {
            if remaining <= Decimal::ZERO {
                break;
            }
            let take = remaining.min(part.left);
            if take <= Decimal::ZERO {
                continue;
            }
            remaining -= take;
            if !part.made.is_empty() {
                for (id, amount) in part.made {
                    ids.push(id);
                    total += amount;
                }
                continue;
            }
            let path = format!("/v2/payments/captures/{}/refund", segment(&part.capture)?);
            let body = json!({ "amount": money(take, &currency)?, "custom_id": key });
            let request_id = format!("{key}:{}", part.capture);
            let reply = self
                .send(Method::POST, &path, Some(&request_id), Some(&body))
                .await?;
            if !reply.is_success() {
                return Err(reply.failure("a refund"));
            }
            let refund: Payment = reply.json("refund")?;
            if matches!(refund.status.as_str(), "FAILED" | "CANCELLED") {
                return Err(GatewayError::Declined(format!(
                    "refund_{}",
                    refund.status.to_ascii_lowercase()
                )));
            }
            total += refund.money()?.0;
            ids.push(refund.id);
        }
        Ok(RefundMade {
            id: ids.join(","),
            amount: total,
            currency,
        })
    }

    async fn capture(&self, request: &CaptureRequest) -> Result<Captured, GatewayError> {
        let key = &request.idempotency_key;
        let amount = money(request.amount, &request.currency)?;
        let order = self.known_order(&request.charge_id).await?;
        let payments = &order.unit()?.payments;
        let authorization = payments
            .authorizations
            .first()
            .ok_or_else(|| GatewayError::Declined("authorization_not_found".into()))?;
        // PayPal lets captures run over the authorization (115% by default,
        // depending on the account). Bazaar takes no more than it was
        // authorised for. A capture already made under this key is not
        // counted against itself.
        let repeated = payments
            .captures
            .iter()
            .any(|c| c.invoice_id.as_deref() == Some(key.as_str()));
        if !repeated {
            let mut taken = Decimal::ZERO;
            for capture in payments.captures.iter().filter(|c| holds_money(&c.status)) {
                taken += capture.money()?.0;
            }
            if taken + request.amount > authorization.money()?.0 {
                return Err(GatewayError::Declined("max_capture_amount_exceeded".into()));
            }
        }
        let path = format!(
            "/v2/payments/authorizations/{}/capture",
            segment(&authorization.id)?
        );
        let body = json!({
            "amount": amount,
            "final_capture": request.final_capture,
            "invoice_id": key,
        });
        let reply = self
            .send(Method::POST, &path, Some(key), Some(&body))
            .await?;
        if !reply.is_success() {
            return Err(reply.failure("a capture"));
        }
        let capture: Payment = reply.json("capture")?;
        if matches!(capture.status.as_str(), "DECLINED" | "FAILED") {
            return Err(GatewayError::Declined(capture.decline("capture_declined")));
        }
        let (amount, currency) = capture.money()?;
        Ok(Captured {
            id: capture.id,
            amount,
            currency,
        })
    }

    async fn void(&self, request: &VoidRequest) -> Result<(), GatewayError> {
        let order = self.known_order(&request.charge_id).await?;
        let Some(authorization) = order.unit()?.payments.authorizations.first() else {
            // Nothing is held: the charge was captured at once, or the
            // order was never completed (see the module doc).
            return Ok(());
        };
        if released(&authorization.status) {
            return Ok(());
        }
        let id = segment(&authorization.id)?;
        let path = format!("/v2/payments/authorizations/{id}/void");
        let reply = self
            .send(Method::POST, &path, Some(&request.idempotency_key), None)
            .await?;
        if reply.is_success() {
            return Ok(());
        }
        if matches!(
            reply.issue().as_deref(),
            Some("PREVIOUSLY_VOIDED" | "PREVIOUSLY_CAPTURED")
        ) {
            // Voided or fully captured since the order was read (another
            // node, or an earlier attempt whose answer was lost). The
            // authorization's own status confirms it.
            let path = format!("/v2/payments/authorizations/{id}");
            let current = self.send(Method::GET, &path, None, None).await?;
            if current.is_success() && released(&current.json::<Payment>("authorization")?.status) {
                return Ok(());
            }
        }
        Err(reply.failure("a void"))
    }

    fn name(&self) -> &'static str {
        self.name
    }
}

#[cfg(test)]
mod tests;
