//! A gateway for development and tests that behaves by payment token, the
//! way providers' test cards do:
//!
//! | token | behaviour |
//! |---|---|
//! | `tok_success` | charges |
//! | `tok_decline` | declined |
//! | `tok_insufficient_funds` | insufficient funds |
//! | `tok_transient` | fails transiently on the first attempt per key, then charges |
//! | `tok_timeout` | charges but answers with a timeout the first time; a retry finds the charge |
//! | `tok_unreachable` | the provider cannot be reached (nothing is sent) |
//! | `tok_unconfirmed` | charges, but answers with a timeout to the first 4 calls per key (every attempt of one checkout request with the default policy); a later call finds the charge |
//! | `tok_3ds_pass` | asks for a 3-D Secure challenge (the charge comes back with an action, nothing charged); the shopper passes it as soon as the charge is looked up by id ([`Gateway::retrieve`]), which charges |
//! | `tok_3ds_fail` | asks for a challenge the shopper fails: looked up by id, it is refused (`authentication_failed`) |
//!
//! A charge waiting for its challenge is found by key with its action
//! still pending, and a void cancels it (nothing can be charged after).
//!
//! A charge with `capture: false` is only authorised: captures take it in
//! parts (refused beyond the authorisation, `amount_too_large`, or after
//! the final capture or a void, `authorization_closed`), a void releases
//! the rest. Refunds are made once per idempotency key, and refused beyond
//! what was captured and not yet refunded (`amount_too_large`) or for an
//! unknown charge.

use std::collections::HashMap;
use std::sync::Mutex;

use rust_decimal::Decimal;

use crate::{
    CaptureRequest, Captured, Charge, ChargeRequest, Gateway, GatewayError, NextAction, RefundMade,
    RefundRequest, VoidRequest,
};

/// How many calls per key `tok_unconfirmed` answers with a timeout.
pub const UNCONFIRMED_CALLS: u32 = 4;

pub struct SandboxGateway {
    name: &'static str,
    state: Mutex<State>,
}

impl Default for SandboxGateway {
    fn default() -> Self {
        Self::named("sandbox")
    }
}

#[derive(Default)]
struct State {
    /// Charges by idempotency key.
    charges: HashMap<String, Charge>,
    /// Calls by idempotency key.
    calls: HashMap<String, u32>,
    /// Refunds by idempotency key, with the charge each came from.
    refunds: HashMap<String, (String, RefundMade)>,
    /// What each charge (by id) has had captured, and whether it still
    /// takes captures.
    holds: HashMap<String, Hold>,
    /// Captures by idempotency key.
    captures: HashMap<String, Captured>,
    /// Charges waiting for the shopper's challenge, by idempotency key:
    /// the charge (with its action), whether the shopper will pass, and
    /// whether to capture at once.
    challenged: HashMap<String, (Charge, bool, bool)>,
    /// Keys whose challenge failed or was cancelled: nothing charged.
    refused: HashMap<String, String>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Hold {
    captured: Decimal,
    open: bool,
}

impl SandboxGateway {
    /// A sandbox under another name (a fallback's).
    pub fn named(name: &'static str) -> Self {
        Self {
            name,
            state: Mutex::default(),
        }
    }

    /// How many distinct charges were made for `key` (0 or 1).
    pub fn charges_for(&self, key: &str) -> usize {
        self.lock().charges.get(key).map_or(0, |_| 1)
    }

    /// What has been refunded of the charge made under `key`.
    pub fn refunded_for(&self, key: &str) -> Decimal {
        let state = self.lock();
        let Some(charge) = state.charges.get(key) else {
            return Decimal::ZERO;
        };
        refunded_of(&state, &charge.id)
    }

    /// What has been captured of the charge made under `key` (all of it
    /// for a charge captured at once), and whether it still takes captures.
    pub fn captured_for(&self, key: &str) -> (Decimal, bool) {
        let state = self.lock();
        state
            .charges
            .get(key)
            .and_then(|c| state.holds.get(&c.id))
            .map_or((Decimal::ZERO, false), |h| (h.captured, h.open))
    }

    /// How many times `key` was presented.
    pub fn calls_for(&self, key: &str) -> u32 {
        self.lock().calls.get(key).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait::async_trait]
impl Gateway for SandboxGateway {
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, GatewayError> {
        let mut state = self.lock();
        let calls = {
            let n = state
                .calls
                .entry(request.idempotency_key.clone())
                .or_default();
            *n += 1;
            *n
        };
        let charge = || {
            Charge::made(
                format!("ch_sandbox_{}", request.idempotency_key),
                request.amount,
                request.currency.clone(),
            )
        };
        if request.payment_token == "tok_unconfirmed" && calls <= UNCONFIRMED_CALLS {
            // Charged, but the answer is lost.
            let made = state
                .charges
                .entry(request.idempotency_key.clone())
                .or_insert_with(charge)
                .clone();
            hold(&mut state, &made, request.capture);
            return Err(GatewayError::Timeout);
        }
        if let Some(existing) = state.charges.get(&request.idempotency_key) {
            return Ok(existing.clone());
        }
        if let Some((pending, _, _)) = state.challenged.get(&request.idempotency_key) {
            return Ok(pending.clone());
        }
        if let Some(code) = state.refused.get(&request.idempotency_key) {
            return Err(GatewayError::Declined(code.clone()));
        }
        match request.payment_token.as_str() {
            "tok_success" => {}
            token @ ("tok_3ds_pass" | "tok_3ds_fail") => {
                let mut pending = charge();
                pending.action = Some(NextAction {
                    kind: "redirect_to_url".to_owned(),
                    url: Some(format!(
                        "https://sandbox.invalid/3ds/{}?return_url={}",
                        pending.id,
                        request.return_url.as_deref().unwrap_or_default()
                    )),
                    client_secret: Some(format!("{}_secret", pending.id)),
                });
                let pass = token == "tok_3ds_pass";
                state.challenged.insert(
                    request.idempotency_key.clone(),
                    (pending.clone(), pass, request.capture),
                );
                return Ok(pending);
            }
            "tok_decline" => return Err(GatewayError::Declined("card_declined".into())),
            "tok_insufficient_funds" => return Err(GatewayError::InsufficientFunds),
            "tok_transient" if calls == 1 => {
                return Err(GatewayError::Transient("sandbox: try again".into()));
            }
            "tok_transient" => {}
            "tok_unreachable" => {
                return Err(GatewayError::Unreachable(
                    "sandbox: connection refused".into(),
                ));
            }
            "tok_unconfirmed" => {}
            "tok_timeout" => {
                let made = charge();
                hold(&mut state, &made, request.capture);
                state.charges.insert(request.idempotency_key.clone(), made);
                if calls == 1 {
                    return Err(GatewayError::Timeout);
                }
            }
            other => {
                return Err(GatewayError::Declined(format!(
                    "unknown sandbox token `{other}`"
                )));
            }
        }
        let made = state
            .charges
            .entry(request.idempotency_key.clone())
            .or_insert_with(charge)
            .clone();
        hold(&mut state, &made, request.capture);
        Ok(made)
    }

    async fn find(&self, idempotency_key: &str) -> Result<Option<Charge>, GatewayError> {
        let state = self.lock();
        if let Some(code) = state.refused.get(idempotency_key) {
            return Err(GatewayError::Declined(code.clone()));
        }
        Ok(state
            .charges
            .get(idempotency_key)
            .or_else(|| state.challenged.get(idempotency_key).map(|(c, _, _)| c))
            .cloned())
    }

    async fn retrieve(
        &self,
        _charge_id: &str,
        idempotency_key: &str,
    ) -> Result<Option<Charge>, GatewayError> {
        // The shopper acts now: a pending challenge is passed or failed.
        {
            let mut state = self.lock();
            if let Some((pending, pass, capture)) = state.challenged.remove(idempotency_key) {
                if !pass {
                    state
                        .refused
                        .insert(idempotency_key.to_owned(), "authentication_failed".into());
                } else {
                    let made = Charge {
                        action: None,
                        ..pending
                    };
                    hold(&mut state, &made, capture);
                    state.charges.insert(idempotency_key.to_owned(), made);
                }
            }
        }
        self.find(idempotency_key).await
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundMade, GatewayError> {
        let mut state = self.lock();
        if let Some((_, made)) = state.refunds.get(&request.idempotency_key) {
            return Ok(made.clone());
        }
        let Some(charge) = state
            .charges
            .values()
            .find(|c| c.id == request.charge_id)
            .cloned()
        else {
            return Err(GatewayError::Declined("no_such_charge".into()));
        };
        let captured = state
            .holds
            .get(&charge.id)
            .map_or(charge.amount, |h| h.captured);
        if request.amount <= Decimal::ZERO
            || refunded_of(&state, &charge.id) + request.amount > captured
        {
            return Err(GatewayError::Declined("amount_too_large".into()));
        }
        let made = RefundMade {
            id: format!("re_sandbox_{}", request.idempotency_key),
            amount: request.amount,
            currency: request.currency.clone(),
        };
        state
            .refunds
            .insert(request.idempotency_key.clone(), (charge.id, made.clone()));
        Ok(made)
    }

    async fn capture(&self, request: &CaptureRequest) -> Result<Captured, GatewayError> {
        let mut state = self.lock();
        if let Some(made) = state.captures.get(&request.idempotency_key) {
            return Ok(made.clone());
        }
        let Some(charge) = state
            .charges
            .values()
            .find(|c| c.id == request.charge_id)
            .cloned()
        else {
            return Err(GatewayError::Declined("no_such_charge".into()));
        };
        let held = state.holds.get(&charge.id).copied().unwrap_or_default();
        if !held.open {
            return Err(GatewayError::Declined("authorization_closed".into()));
        }
        if request.amount < Decimal::ZERO || held.captured + request.amount > charge.amount {
            return Err(GatewayError::Declined("amount_too_large".into()));
        }
        state.holds.insert(
            charge.id.clone(),
            Hold {
                captured: held.captured + request.amount,
                open: !request.final_capture,
            },
        );
        let made = Captured {
            id: format!("cap_sandbox_{}", request.idempotency_key),
            amount: request.amount,
            currency: request.currency.clone(),
        };
        state
            .captures
            .insert(request.idempotency_key.clone(), made.clone());
        Ok(made)
    }

    async fn void(&self, request: &VoidRequest) -> Result<(), GatewayError> {
        let mut state = self.lock();
        let waiting = state
            .challenged
            .iter()
            .find(|(_, (c, _, _))| c.id == request.charge_id)
            .map(|(key, _)| key.clone());
        if let Some(key) = waiting {
            state.challenged.remove(&key);
            state.refused.insert(key, "payment_cancelled".into());
            return Ok(());
        }
        match state.holds.get_mut(&request.charge_id) {
            Some(hold) => {
                hold.open = false;
                Ok(())
            }
            None => Err(GatewayError::Declined("no_such_charge".into())),
        }
    }

    fn name(&self) -> &'static str {
        self.name
    }
}

/// Record what a new charge holds: all of it captured, or an open
/// authorisation. (A charge seen before keeps its record.)
fn hold(state: &mut State, charge: &Charge, capture: bool) {
    state.holds.entry(charge.id.clone()).or_insert(Hold {
        captured: if capture {
            charge.amount
        } else {
            Decimal::ZERO
        },
        open: !capture,
    });
}

/// What has been refunded of charge `charge_id`.
fn refunded_of(state: &State, charge_id: &str) -> Decimal {
    state
        .refunds
        .values()
        .filter(|(charge, _)| charge == charge_id)
        .map(|(_, made)| made.amount)
        .sum()
}
