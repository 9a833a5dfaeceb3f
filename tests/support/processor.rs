//! A card processor on loopback that follows the HTTP adapter's documented
//! shape (charges and refunds with idempotency keys, a charge lookup) and
//! misbehaves on demand, recording every charge and refund it really
//! makes so a test can compare the money with the orders.
//!
//! How a charge behaves is chosen by its payment token:
//!
//! | token | behaviour |
//! |---|---|
//! | `tok_ok` | charges, answers 200 |
//! | `tok_decline` | 402 `card_declined`, no charge |
//! | `tok_hang` | charges, then answers only after [`HANG`] (longer than the adapter waits) |
//! | `tok_500` | charges (once), then answers 500 to every call |
//! | `tok_lost` | answers 500 without charging; the charge lands later, when the test calls [`Processor::land_in_flight`] (a request stuck in the processor's queue) |
//!
//! A charge sent with `"capture": false` is an authorisation: it holds the
//! amount and takes nothing until `POST /v1/charges/{id}/capture` takes
//! part of it (never more than is left; `final_capture` or a void closes
//! it), and refunds can give back only what was captured.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use poem::http::StatusCode;
use poem::web::{Data, Json, Query};
use poem::{EndpointExt, Request, Route, handler, post};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::TestAppBuilder;

/// How long `tok_hang` keeps the caller waiting.
pub const HANG: Duration = Duration::from_millis(1500);

#[derive(Debug, Clone, PartialEq)]
pub struct Made {
    pub id: String,
    pub amount: Decimal,
    pub currency: String,
}

/// An authorisation's or a charge's money at the processor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hold {
    /// Taken so far (the whole amount for a charge captured at once).
    pub captured: Decimal,
    /// Closed by a final capture or a void: nothing more can be taken.
    pub closed: bool,
    /// Voids asked for (each key once).
    pub voids: usize,
}

#[derive(Default)]
pub struct Processor {
    /// Charges by idempotency key.
    pub charges: Mutex<HashMap<String, Made>>,
    /// Refunds by idempotency key, with the charge id each came from.
    pub refunds: Mutex<HashMap<String, (String, Made)>>,
    /// What each charge (by charge id) holds and has given.
    pub holds: Mutex<HashMap<String, Hold>>,
    /// Captures by idempotency key, with the charge id each came from.
    pub captures: Mutex<HashMap<String, (String, Made)>>,
    /// Void idempotency keys seen.
    voided_keys: Mutex<HashSet<String>>,
    captures_down: AtomicBool,
    /// `tok_lost` charges not made yet, with their amount and currency.
    in_flight: Mutex<HashMap<String, (Decimal, String, bool)>>,
    /// Keys `tok_lost` answered for (so a retry does not charge either).
    lost: Mutex<HashSet<String>>,
    /// Keys presented again with different parameters (a real processor
    /// refuses them; Bazaar must never send one).
    pub mismatches: Mutex<Vec<String>>,
    lookups_down: AtomicBool,
    refunds_down: AtomicBool,
}

impl Processor {
    /// Serve it on a free loopback port; the server stops with the test.
    pub fn start() -> (Arc<Self>, String) {
        let processor = Arc::new(Self::default());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let app = Route::new()
            .at("/v1/charges", post(take_charge).get(lookup))
            .at("/v1/refunds", post(give_back))
            .at("/v1/charges/:id/capture", post(take_capture))
            .at("/v1/charges/:id/void", post(release))
            .data(processor.clone());
        tokio::spawn(poem::Server::new(poem::listener::TcpListener::bind(addr)).run(app));
        (processor, format!("http://{addr}"))
    }

    /// A Bazaar using this processor, waiting `timeout_ms` per attempt.
    pub fn configure(builder: TestAppBuilder, url: &str, timeout_ms: u64) -> TestAppBuilder {
        builder
            .env("BAZAAR_PAYMENT_PROVIDER", "http")
            .env("BAZAAR_PAYMENT_PROVIDER_URL", url)
            .env("BAZAAR_PAYMENT_PROVIDER_KEY", "sk_test_fake")
            .env("BAZAAR_PAYMENT_TIMEOUT_MS", &timeout_ms.to_string())
    }

    pub fn set_lookups_down(&self, down: bool) {
        self.lookups_down.store(down, Ordering::SeqCst);
    }

    pub fn set_refunds_down(&self, down: bool) {
        self.refunds_down.store(down, Ordering::SeqCst);
    }

    /// Captures and voids answer 503 without doing anything.
    pub fn set_captures_down(&self, down: bool) {
        self.captures_down.store(down, Ordering::SeqCst);
    }

    /// What the charge made under `key` holds (`None` if there is none).
    pub fn hold(&self, key: &str) -> Option<Hold> {
        let charge = self.charge(key)?;
        self.holds.lock().expect("lock").get(&charge.id).cloned()
    }

    /// What has been captured of the charge made under `key`.
    pub fn captured(&self, key: &str) -> Decimal {
        self.hold(key).map_or(Decimal::ZERO, |h| h.captured)
    }

    /// The `tok_lost` charges land now.
    pub fn land_in_flight(&self) -> usize {
        let landing: Vec<_> = self.in_flight.lock().expect("lock").drain().collect();
        for (key, (amount, currency, capture)) in &landing {
            let made = Made {
                id: format!("ch_{key}"),
                amount: *amount,
                currency: currency.clone(),
            };
            self.record(key, made, *capture);
        }
        landing.len()
    }

    /// The charge made under `key`.
    pub fn charge(&self, key: &str) -> Option<Made> {
        self.charges.lock().expect("lock").get(key).cloned()
    }

    /// What has been refunded of the charge made under `key`.
    pub fn refunded(&self, key: &str) -> Decimal {
        let Some(charge) = self.charge(key) else {
            return Decimal::ZERO;
        };
        self.refunds
            .lock()
            .expect("lock")
            .values()
            .filter(|(from, _)| *from == charge.id)
            .map(|(_, made)| made.amount)
            .sum()
    }

    /// The money the processor has taken under `key` after refunds
    /// (an authorisation counts only what was captured of it).
    pub fn kept(&self, key: &str) -> Decimal {
        self.captured(key) - self.refunded(key)
    }

    fn record(&self, key: &str, made: Made, capture: bool) -> Made {
        let mut charges = self.charges.lock().expect("lock");
        let charge = charges.entry(key.to_owned()).or_insert(made).clone();
        self.holds
            .lock()
            .expect("lock")
            .entry(charge.id.clone())
            .or_insert_with(|| Hold {
                captured: if capture {
                    charge.amount
                } else {
                    Decimal::ZERO
                },
                closed: capture,
                voids: 0,
            });
        charge
    }
}

fn amount_of(body: &Value) -> Decimal {
    body["amount"]
        .as_str()
        .and_then(|a| Decimal::from_str(a).ok())
        .expect("the adapter sends the amount as a decimal string")
}

fn answer(status: StatusCode, body: Value) -> poem::Response {
    poem::Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

fn made(m: &Made) -> Value {
    json!({ "id": m.id, "amount": m.amount.to_string(), "currency": m.currency })
}

#[handler]
async fn take_charge(req: &Request, body: Json<Value>, p: Data<&Arc<Processor>>) -> poem::Response {
    let key = req.header("idempotency-key").unwrap_or_default().to_owned();
    let amount = amount_of(&body);
    let currency = body["currency"].as_str().unwrap_or_default().to_owned();
    let token = body["source"].as_str().unwrap_or_default().to_owned();
    let capture = body["capture"].as_bool().unwrap_or(true);
    let fresh = Made {
        id: format!("ch_{key}"),
        amount,
        currency: currency.clone(),
    };
    if token == "tok_500" {
        p.record(&key, fresh, capture);
        return answer(StatusCode::INTERNAL_SERVER_ERROR, json!({}));
    }
    if let Some(existing) = p.charge(&key) {
        // The same key answers the first charge: never a second one.
        if existing.amount != amount {
            p.mismatches
                .lock()
                .expect("lock")
                .push(format!("{key}: {} then {amount}", existing.amount));
            return answer(
                StatusCode::BAD_REQUEST,
                json!({ "error": { "code": "idempotency_key_in_use" } }),
            );
        }
        return answer(StatusCode::OK, made(&existing));
    }
    match token.as_str() {
        "tok_decline" => {
            return answer(
                StatusCode::PAYMENT_REQUIRED,
                json!({ "error": { "code": "card_declined" } }),
            );
        }
        "tok_lost" => {
            if p.lost.lock().expect("lock").insert(key.clone()) {
                p.in_flight
                    .lock()
                    .expect("lock")
                    .insert(key, (amount, currency, capture));
            }
            return answer(StatusCode::INTERNAL_SERVER_ERROR, json!({}));
        }
        _ => {}
    }
    let charged = p.record(&key, fresh, capture);
    match token.as_str() {
        "tok_hang" => {
            tokio::time::sleep(HANG).await;
            answer(StatusCode::OK, made(&charged))
        }
        _ => answer(StatusCode::OK, made(&charged)),
    }
}

#[derive(serde::Deserialize)]
struct LookupQuery {
    idempotency_key: String,
}

#[handler]
async fn lookup(query: Query<LookupQuery>, p: Data<&Arc<Processor>>) -> poem::Response {
    if p.lookups_down.load(Ordering::SeqCst) {
        return answer(StatusCode::SERVICE_UNAVAILABLE, json!({}));
    }
    let found: Vec<Value> = p.charge(&query.idempotency_key).iter().map(made).collect();
    answer(StatusCode::OK, json!({ "data": found }))
}

#[handler]
async fn give_back(req: &Request, body: Json<Value>, p: Data<&Arc<Processor>>) -> poem::Response {
    if p.refunds_down.load(Ordering::SeqCst) {
        return answer(StatusCode::SERVICE_UNAVAILABLE, json!({}));
    }
    let key = req.header("idempotency-key").unwrap_or_default().to_owned();
    if let Some((_, existing)) = p.refunds.lock().expect("lock").get(&key) {
        return answer(StatusCode::OK, made(existing));
    }
    let amount = amount_of(&body);
    let charge_id = body["charge"].as_str().unwrap_or_default().to_owned();
    let Some(charge) = p
        .charges
        .lock()
        .expect("lock")
        .values()
        .find(|c| c.id == charge_id)
        .cloned()
    else {
        return answer(
            StatusCode::NOT_FOUND,
            json!({ "error": { "code": "no_such_charge" } }),
        );
    };
    let captured = p
        .holds
        .lock()
        .expect("lock")
        .get(&charge_id)
        .map_or(Decimal::ZERO, |h| h.captured);
    let mut refunds = p.refunds.lock().expect("lock");
    let refunded: Decimal = refunds
        .values()
        .filter(|(from, _)| *from == charge_id)
        .map(|(_, m)| m.amount)
        .sum();
    if amount <= Decimal::ZERO || refunded + amount > captured {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({ "error": { "code": "amount_too_large" } }),
        );
    }
    let made_now = Made {
        id: format!("re_{key}"),
        amount,
        currency: charge.currency.clone(),
    };
    refunds.insert(key, (charge_id, made_now.clone()));
    answer(StatusCode::OK, made(&made_now))
}

#[handler]
async fn take_capture(
    req: &Request,
    id: poem::web::Path<String>,
    body: Json<Value>,
    p: Data<&Arc<Processor>>,
) -> poem::Response {
    if p.captures_down.load(Ordering::SeqCst) {
        return answer(StatusCode::SERVICE_UNAVAILABLE, json!({}));
    }
    let key = req.header("idempotency-key").unwrap_or_default().to_owned();
    if let Some((_, existing)) = p.captures.lock().expect("lock").get(&key) {
        return answer(StatusCode::OK, made(existing));
    }
    let amount = amount_of(&body);
    let final_capture = body["final_capture"].as_bool().unwrap_or(true);
    let mut holds = p.holds.lock().expect("lock");
    let (Some(hold), Some(charge)) = (
        holds.get_mut(&id.0),
        p.charges
            .lock()
            .expect("lock")
            .values()
            .find(|c| c.id == id.0)
            .cloned(),
    ) else {
        return answer(
            StatusCode::NOT_FOUND,
            json!({ "error": { "code": "no_such_charge" } }),
        );
    };
    if hold.closed {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({ "error": { "code": "charge_closed" } }),
        );
    }
    if amount <= Decimal::ZERO || hold.captured + amount > charge.amount {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({ "error": { "code": "amount_too_large" } }),
        );
    }
    hold.captured += amount;
    hold.closed = final_capture;
    let made_now = Made {
        id: format!("cp_{key}"),
        amount,
        currency: charge.currency,
    };
    p.captures
        .lock()
        .expect("lock")
        .insert(key, (id.0.clone(), made_now.clone()));
    answer(StatusCode::OK, made(&made_now))
}

#[handler]
async fn release(
    req: &Request,
    id: poem::web::Path<String>,
    p: Data<&Arc<Processor>>,
) -> poem::Response {
    if p.captures_down.load(Ordering::SeqCst) {
        return answer(StatusCode::SERVICE_UNAVAILABLE, json!({}));
    }
    let key = req.header("idempotency-key").unwrap_or_default().to_owned();
    let mut holds = p.holds.lock().expect("lock");
    let Some(hold) = holds.get_mut(&id.0) else {
        return answer(
            StatusCode::NOT_FOUND,
            json!({ "error": { "code": "no_such_charge" } }),
        );
    };
    if p.voided_keys.lock().expect("lock").insert(key) {
        hold.voids += 1;
    }
    hold.closed = true;
    answer(StatusCode::OK, json!({ "id": id.0, "status": "voided" }))
}
