//! A PayPal-shaped server on loopback: the part of OAuth2, Orders v2 and
//! Payments v2 that [`crate::PayPalGateway`] uses, behaving as PayPal
//! documents it, so the adapter is tested against PayPal's rules rather
//! than its own assumptions.
//!
//! What it follows:
//! - Access tokens from `POST /v1/oauth2/token` (HTTP Basic client id and
//!   secret, `grant_type=client_credentials`). They expire, and
//!   [`FakePayPal::expire_tokens`] ends them early. A call without a live
//!   token gets 401 and does nothing.
//! - `PayPal-Request-Id` on POSTs. A request id seen before on the same
//!   path gets 200 with the current state of what the first request made
//!   (PayPal answers with "the latest status"), or its refusal again. A
//!   5xx is not remembered, so it can be retried. A repeat whose body
//!   differs is answered the same way and recorded
//!   ([`FakePayPal::request_id_mismatches`]).
//! - Orders `CREATED`, `APPROVED`, `PAYER_ACTION_REQUIRED`, `COMPLETED`,
//!   `VOIDED`. An order created with a vaulted payment source is processed
//!   at once, as PayPal does. `PATCH` changes the intent and the amount
//!   while the order is `CREATED` or `APPROVED`.
//! - Authorizations `CREATED`, `PARTIALLY_CAPTURED`, `CAPTURED`, `DENIED`,
//!   `VOIDED`, with any number of partial captures up to PayPal's default
//!   115% of the authorized amount. Captures `COMPLETED`, `DECLINED`,
//!   `PARTIALLY_REFUNDED`, `REFUNDED`. Refunds are made per capture.
//! - Errors in PayPal's shape: `{"name", "message", "debug_id", "details":
//!   [{"issue", "description"}], "links"}`. 400 `INVALID_REQUEST` for a
//!   malformed amount (`DECIMAL_PRECISION`, `DECIMALS_NOT_SUPPORTED` for
//!   HUF, JPY and TWD), 401 `AUTHENTICATION_FAILURE`, 404
//!   `RESOURCE_NOT_FOUND`, 422 `UNPROCESSABLE_ENTITY`.
//!
//! Vault ids: [`VAULT_OK`] pays. [`VAULT_DECLINED`] is refused with
//! `INSTRUMENT_DECLINED` and the order is unchanged.
//! [`VAULT_CAPTURE_DECLINED`] completes the order with the capture
//! `DECLINED` (or the authorization `DENIED`): PayPal's shape for a
//! processor's decline. [`VAULT_PAYER_ACTION`] is refused with
//! `PAYER_ACTION_REQUIRED`, and the order waits for the payer.
//! [`FakePayPal::approve`] makes it `APPROVED`.
//!
//! What it leaves out, because Bazaar does not use it: orders with more
//! than one purchase unit, item breakdowns, shipping, order and
//! authorization expiry, reauthorization, disputes, webhooks, and
//! timestamps.

mod orders;
mod payments;
mod server;
mod state;
mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use poem::Request;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use server::serve;
use wire::zero_decimal;

/// Pays.
pub const VAULT_OK: &str = "vault_ok";
/// Refused with `INSTRUMENT_DECLINED` (422) at capture or authorize.
pub const VAULT_DECLINED: &str = "vault_declined";
/// Completes the order with a `DECLINED` capture or a `DENIED`
/// authorization.
pub const VAULT_CAPTURE_DECLINED: &str = "vault_capture_declined";
/// Needs the payer: `PAYER_ACTION_REQUIRED` until [`FakePayPal::approve`].
pub const VAULT_PAYER_ACTION: &str = "vault_payer_action";

/// What PayPal says an access token lasts.
const TOKEN_LIFETIME: Duration = Duration::from_secs(32_400);
/// PayPal's default limit on captures, in percent of the authorization.
const MAX_CAPTURE_PERCENT: i64 = 115;

/// The calls the fake answers, for counting and for fault injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Token,
    CreateOrder,
    GetOrder,
    PatchOrder,
    CaptureOrder,
    AuthorizeOrder,
    GetAuthorization,
    CaptureAuthorization,
    VoidAuthorization,
    GetCapture,
    RefundCapture,
    GetRefund,
}

/// An order as the fake holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderView {
    pub id: String,
    pub status: String,
    pub intent: String,
    pub custom_id: Option<String>,
    pub currency: String,
    /// The amount exactly as it was sent.
    pub amount: String,
    /// Captures that took money.
    pub captures: usize,
    pub captured: Decimal,
    pub refunded: Decimal,
    pub authorization_status: Option<String>,
}

/// A handle on a running fake; clones share it.
#[derive(Clone)]
pub struct FakePayPal {
    shared: Arc<Shared>,
}

struct Shared {
    base_url: String,
    client_id: String,
    client_secret: String,
    state: Mutex<State>,
}

/// Serve a new fake on a free loopback port until the runtime ends.
pub async fn start() -> FakePayPal {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free loopback port");
    let addr = listener.local_addr().expect("the port's address");
    let base_url = format!("http://{addr}");
    let shared = Arc::new(Shared {
        state: Mutex::new(State::new(&base_url)),
        base_url,
        client_id: "fake-client-id".into(),
        client_secret: "fake-client-secret".into(),
    });
    let served = shared.clone();
    let endpoint = poem::endpoint::make(move |req: Request| {
        let shared = served.clone();
        async move { serve(&shared, req).await }
    });
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).expect("an acceptor");
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(endpoint));
    FakePayPal { shared }
}

impl FakePayPal {
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    pub fn client_id(&self) -> &str {
        &self.shared.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.shared.client_secret
    }

    /// The payer approves the order (from `CREATED` or
    /// `PAYER_ACTION_REQUIRED`); `false` when it is not waiting for them.
    pub fn approve(&self, order_id: &str) -> bool {
        let mut state = self.lock();
        match state.orders.iter_mut().find(|o| o.id == order_id) {
            Some(order) if matches!(order.status.as_str(), "CREATED" | "PAYER_ACTION_REQUIRED") => {
                order.status = "APPROVED".into();
                true
            }
            _ => false,
        }
    }

    /// End every access token issued so far: the next call with one gets 401.
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for expiry in self.lock().tokens.values_mut() {
            *expiry = now;
        }
    }

    /// The next `op` does what it does but answers only after `delay`.
    pub fn hang(&self, op: Op, delay: Duration) {
        self.fault(op, Fault::Hang(delay), 1);
    }

    /// The next `times` calls of `op` do what they do, then answer 500.
    pub fn fail_after(&self, op: Op, times: usize) {
        self.fault(op, Fault::After, times);
    }

    /// The next `times` calls of `op` answer 500 and do nothing.
    pub fn fail_before(&self, op: Op, times: usize) {
        self.fault(op, Fault::Before, times);
    }

    pub fn orders(&self) -> Vec<OrderView> {
        let state = self.lock();
        state.orders.iter().map(|o| state.view(o)).collect()
    }

    pub fn order(&self, id: &str) -> Option<OrderView> {
        let state = self.lock();
        state
            .orders
            .iter()
            .find(|o| o.id == id)
            .map(|o| state.view(o))
    }

    /// How many orders carry `custom_id` (Bazaar's key): one per charge.
    pub fn orders_for(&self, custom_id: &str) -> usize {
        self.lock()
            .orders
            .iter()
            .filter(|o| o.custom_id.as_deref() == Some(custom_id))
            .count()
    }

    /// Requests that reused a request id with another body (`<path>
    /// <request id>`). PayPal answers them with the first request's result,
    /// so the client never sends one.
    pub fn request_id_mismatches(&self) -> Vec<String> {
        self.lock().mismatches.clone()
    }

    /// POSTs sent without a `PayPal-Request-Id`: PayPal would repeat them.
    pub fn posts_without_request_id(&self) -> usize {
        self.lock().posts_without_id
    }

    /// How many calls of `op` arrived (401s and injected faults included).
    pub fn calls(&self, op: Op) -> usize {
        self.lock().calls.get(&op).copied().unwrap_or(0)
    }

    pub fn tokens_issued(&self) -> usize {
        self.lock().tokens_issued
    }

    /// API calls refused with 401.
    pub fn rejected_tokens(&self) -> usize {
        self.lock().rejected_tokens
    }

    fn fault(&self, op: Op, fault: Fault, times: usize) {
        if times > 0 {
            self.lock().faults.push((op, fault, times));
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Hang(Duration),
    After,
    Before,
}

struct State {
    base_url: String,
    tokens: HashMap<String, Instant>,
    tokens_issued: usize,
    rejected_tokens: usize,
    orders: Vec<Order>,
    authorizations: Vec<Authorization>,
    captures: Vec<Capture>,
    refunds: Vec<Refund>,
    /// By (path, request id).
    requests: HashMap<(String, String), Remembered>,
    mismatches: Vec<String>,
    posts_without_id: usize,
    faults: Vec<(Op, Fault, usize)>,
    calls: HashMap<Op, usize>,
}

struct Order {
    id: String,
    intent: String,
    status: String,
    reference_id: String,
    custom_id: Option<String>,
    invoice_id: Option<String>,
    amount: Amount,
}

struct Authorization {
    id: String,
    order_id: String,
    status: String,
    amount: Amount,
    captured: Decimal,
}

struct Capture {
    id: String,
    order_id: String,
    authorization_id: Option<String>,
    status: String,
    amount: Amount,
    final_capture: bool,
    invoice_id: Option<String>,
    refunded: Decimal,
}

struct Refund {
    id: String,
    capture_id: String,
    order_id: String,
    amount: Amount,
    custom_id: Option<String>,
}

#[derive(Debug, Clone)]
struct Amount {
    currency: String,
    value: Decimal,
    /// As sent, so inspection shows what the client wrote.
    text: String,
}

impl Amount {
    fn json(&self) -> Value {
        json!({ "currency_code": self.currency, "value": self.text })
    }

    /// Another amount in the same currency, written with its digits.
    fn of(&self, value: Decimal) -> Amount {
        let mut text = value.normalize();
        text.rescale(if zero_decimal(&self.currency) { 0 } else { 2 });
        Amount {
            currency: self.currency.clone(),
            value,
            text: text.to_string(),
        }
    }
}

/// What a request made, replayed on a repeat of its request id.
#[derive(Clone)]
enum Made {
    Resource(u16, Resource),
    Refused(u16, Value),
    Empty(u16),
}

#[derive(Clone)]
enum Resource {
    Order(String),
    Authorization(String),
    Capture(String),
    Refund(String),
}

struct Remembered {
    body: Value,
    made: Made,
}

/// A refusal in PayPal's error shape (status, body).
struct Refusal(u16, Value);

type Handled = Result<Made, Refusal>;

/// What a call needs from the HTTP request.
struct Call {
    op: Op,
    id: String,
    path: String,
    request_id: Option<String>,
    representation: bool,
    body: Value,
}
