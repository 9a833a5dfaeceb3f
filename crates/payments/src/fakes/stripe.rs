//! A Stripe-shaped HTTP server on loopback, for tests of the Stripe
//! adapter (and of anything that charges through it): the PaymentIntents
//! endpoints Bazaar calls (create-and-confirm, retrieve, search, capture,
//! cancel) and refunds, with Stripe's documented behaviour where Bazaar
//! depends on it:
//!
//! - form-encoded bodies, unknown parameters refused; a bearer secret key
//!   ([`SECRET_KEY`]), anything else a 401;
//! - idempotency keys: the first answer is saved once execution starts
//!   (errors and 500s included) and replayed with `Idempotent-Replayed:
//!   true`; the same key with other parameters or on another endpoint is
//!   a 400 `idempotency_error` (and recorded, see
//!   [`FakeStripe::key_misuses`]); the same key while the first request
//!   still executes is a 409; a request refused before execution (bad
//!   parameters, bad key) saves nothing;
//! - Stripe's test payment methods: `pm_card_visa` succeeds,
//!   `pm_card_chargeDeclined` and `pm_card_chargeDeclinedInsufficientFunds`
//!   are declined (402, the intent left in `requires_payment_method` with
//!   its `last_payment_error`), `pm_card_threeDSecure2Required` asks for a
//!   challenge the test ends with [`FakeStripe::complete_action`];
//!   `pm_fake_processing` (the fake's own) stays `processing` until
//!   [`FakeStripe::finish_processing`];
//! - manual capture with multicapture (`request_multicapture=if_available`):
//!   partial captures with `final_capture=false` keep the rest capturable,
//!   a final capture or a cancel releases it, nothing beyond the
//!   authorisation (`amount_too_large`); refunds up to what was captured
//!   and not yet refunded;
//! - search by `metadata['<key>']:'<value>'`, optionally behind a lag
//!   ([`FakeStripe::set_search_lag`]), as Stripe's index is.
//!
//! Faults are armed from the test ([`FakeStripe::inject`] and its
//! shorthands) and spent by the requests they match. Not modelled: API
//! versions, Connect, expansion, search pagination beyond one page of
//! 100, Basic auth, payment method types other than cards, Stripe's
//! minimum amounts and its rule that three-decimal currencies charge
//! multiples of 10, a separate confirm endpoint, and the expiry of keys
//! (24 hours) and of authorisations (7 days).

mod ledger;
mod request;
mod search;
mod server;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use poem::listener::{Acceptor, Listener};
use serde_json::{Value, json};

use ledger::Ledger;
use request::Answer;

/// The secret key the fake accepts.
pub const SECRET_KEY: &str = "sk_test_bazaar_fake";

/// Something going wrong at the fake, armed by a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Do the work and save the answer under the key, then deliver it
    /// only after this delay (longer than the client's timeout: the answer
    /// is lost, the change made).
    Hang(Duration),
    /// Hold the idempotency key this long before doing the work: another
    /// request with the key meanwhile gets Stripe's 409.
    Stall(Duration),
    /// Do the work, then answer 500 `api_error`; the 500 is what is saved
    /// under the key, as Stripe saves it.
    FailAfterChange,
    /// Answer 500 without doing anything or saving anything.
    FailBefore,
    /// Do the work, save the answer, then break the connection in the
    /// middle of the response.
    DropConnection,
}

/// Which requests an armed fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Only {
    /// Every request, reads included.
    AnyRequest,
    /// Requests that change something (every POST).
    Changes,
    /// POSTs under this idempotency key.
    Key(String),
}

/// How many matching requests an armed fault spoils.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    Next(u32),
    Always,
}

/// An intent as the fake holds it, amounts in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentView {
    pub id: String,
    pub status: String,
    pub amount: i64,
    pub amount_capturable: i64,
    /// Captured so far.
    pub amount_received: i64,
    /// Refunded and not failed.
    pub amount_refunded: i64,
    pub currency: String,
    pub capture_method: String,
    pub metadata: BTreeMap<String, String>,
}

/// A refund as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundView {
    pub id: String,
    pub payment_intent: String,
    pub amount: i64,
    pub status: String,
    pub metadata: BTreeMap<String, String>,
}

/// An idempotency key sent again with other parameters (or to another
/// endpoint): a bug in the client, which Bazaar must never have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMisuse {
    pub key: String,
    pub path: String,
}

/// A request the fake received and what it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub params: Vec<(String, String)>,
    pub status: u16,
    /// Answered from the answer saved under the key.
    pub replayed: bool,
    pub fault: Option<Fault>,
}

struct Armed {
    fault: Fault,
    only: Only,
    times: Times,
}

/// What is saved under an idempotency key.
enum Keyed {
    /// The first request is still executing.
    InFlight {
        fingerprint: String,
    },
    Done {
        fingerprint: String,
        answer: Answer,
    },
}

#[derive(Default)]
struct State {
    ledger: Ledger,
    keys: HashMap<String, Keyed>,
    misuses: Vec<KeyMisuse>,
    faults: Vec<Armed>,
    log: Vec<SeenRequest>,
    search_lag: Duration,
}

impl State {
    /// The first armed fault this request matches, spent by it.
    fn take_fault(&mut self, change: bool, key: Option<&str>) -> Option<Fault> {
        let i = self.faults.iter().position(|armed| match &armed.only {
            Only::AnyRequest => true,
            Only::Changes => change,
            Only::Key(k) => change && key == Some(k.as_str()),
        })?;
        let fault = self.faults[i].fault.clone();
        if let Times::Next(n) = &mut self.faults[i].times {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.faults.remove(i);
            }
        }
        Some(fault)
    }
}

struct Shared {
    state: Mutex<State>,
    secret_key: String,
    base_url: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Stops the server when the last handle goes.
struct Serving(tokio::task::JoinHandle<()>);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running fake; clones share it.
#[derive(Clone)]
pub struct FakeStripe {
    shared: Arc<Shared>,
    _serving: Arc<Serving>,
}

/// Start a fake on a free loopback port, served until the last handle is
/// dropped (or the test's runtime ends).
pub async fn start() -> FakeStripe {
    let acceptor = poem::listener::TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind the fake stripe to loopback");
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .expect("the fake stripe's socket address");
    let shared = Arc::new(Shared {
        state: Mutex::default(),
        secret_key: SECRET_KEY.to_owned(),
        base_url: format!("http://{addr}"),
    });
    let app = server::routes(shared.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = poem::Server::new_with_acceptor(acceptor).run(app).await {
            tracing::error!(error = %e, "the fake stripe stopped");
        }
    });
    FakeStripe {
        shared,
        _serving: Arc::new(Serving(task)),
    }
}

impl FakeStripe {
    /// `http://127.0.0.1:<port>`, the adapter's base URL.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    pub fn secret_key(&self) -> &str {
        &self.shared.secret_key
    }

    /// Arm `fault` for the requests `only` names, `times` over.
    pub fn inject(&self, fault: Fault, only: Only, times: Times) {
        self.shared.lock().faults.push(Armed { fault, only, times });
    }

    /// The next change is made but answered after `delay`.
    pub fn hang(&self, delay: Duration) {
        self.inject(Fault::Hang(delay), Only::Changes, Times::Next(1));
    }

    /// The next change holds its key for `delay` before it is made.
    pub fn stall(&self, delay: Duration) {
        self.inject(Fault::Stall(delay), Only::Changes, Times::Next(1));
    }

    /// The next `n` changes are made and answered with a 500.
    pub fn fail_after_charge(&self, n: u32) {
        self.inject(Fault::FailAfterChange, Only::Changes, Times::Next(n));
    }

    /// The next `n` requests of any kind fail with a 500, doing nothing.
    pub fn fail_before(&self, n: u32) {
        self.inject(Fault::FailBefore, Only::AnyRequest, Times::Next(n));
    }

    /// The next change is made and its connection broken mid-answer.
    pub fn drop_connection(&self) {
        self.inject(Fault::DropConnection, Only::Changes, Times::Next(1));
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// How long a new intent stays out of search results.
    pub fn set_search_lag(&self, lag: Duration) {
        self.shared.lock().search_lag = lag;
    }

    /// The shopper ends the challenge of an intent in `requires_action`:
    /// passed, it succeeds (or is held, for manual capture); failed, it
    /// returns to `requires_payment_method` with
    /// `payment_intent_authentication_failure`. False when no such intent
    /// waits.
    pub fn complete_action(&self, intent_id: &str, passed: bool) -> bool {
        self.shared.lock().ledger.complete_action(intent_id, passed)
    }

    /// The network answers an intent in `processing`. False when none.
    pub fn finish_processing(&self, intent_id: &str, succeeded: bool) -> bool {
        self.shared
            .lock()
            .ledger
            .finish_processing(intent_id, succeeded)
    }

    /// A refund that had succeeded fails later (the bank sent it back).
    pub fn fail_refund(&self, refund_id: &str) -> bool {
        self.shared.lock().ledger.fail_refund(refund_id)
    }

    /// Every intent, oldest first.
    pub fn intents(&self) -> Vec<IntentView> {
        let state = self.shared.lock();
        state.ledger.intents.values().map(|i| i.view()).collect()
    }

    pub fn intent(&self, id: &str) -> Option<IntentView> {
        self.shared.lock().ledger.intents.get(id).map(|i| i.view())
    }

    /// How many intents carry `metadata[order_id]` = `order_id`.
    pub fn intents_for_order(&self, order_id: &str) -> usize {
        self.for_order(order_id).len()
    }

    /// How many intents for `order_id` took or hold money: more than one
    /// is a double charge.
    pub fn effective_charges(&self, order_id: &str) -> usize {
        self.for_order(order_id)
            .iter()
            .filter(|i| i.amount_received > 0 || i.status == "requires_capture")
            .count()
    }

    fn for_order(&self, order_id: &str) -> Vec<IntentView> {
        self.intents()
            .into_iter()
            .filter(|i| i.metadata.get("order_id").map(String::as_str) == Some(order_id))
            .collect()
    }

    pub fn refunds(&self) -> Vec<RefundView> {
        let state = self.shared.lock();
        state.ledger.refunds.values().map(|r| r.view()).collect()
    }

    /// Keys sent again with other parameters.
    pub fn key_misuses(&self) -> Vec<KeyMisuse> {
        self.shared.lock().misuses.clone()
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.lock().log.clone()
    }

    /// The Stripe event `kind` (`payment_intent.succeeded`, ...) as
    /// Stripe would send it for the intent as it is now.
    pub fn intent_event(&self, intent_id: &str, kind: &str) -> Option<Value> {
        let mut state = self.shared.lock();
        let object = state.ledger.intents.get(intent_id)?.json();
        Some(event(&mut state.ledger, kind, object))
    }

    /// The Stripe event `kind` (`refund.created`, `refund.updated`, ...)
    /// for the refund as it is now.
    pub fn refund_event(&self, refund_id: &str, kind: &str) -> Option<Value> {
        let mut state = self.shared.lock();
        let object = state.ledger.refunds.get(refund_id)?.json();
        Some(event(&mut state.ledger, kind, object))
    }
}

fn event(ledger: &mut Ledger, kind: &str, object: Value) -> Value {
    json!({
        "id": ledger.id("evt"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": ledger::now(),
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind,
        "data": { "object": object },
    })
}

/// A webhook delivery of `event` signed with `secret` now: the
/// `Stripe-Signature` header value and the body it signs.
pub fn sign_event(secret: &str, event: &Value) -> (String, Vec<u8>) {
    let body = event.to_string().into_bytes();
    let header = crate::webhook::sign(secret, ledger::now(), &body);
    (header, body)
}
