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
//!
//! Refunds are made once per idempotency key, and refused beyond what is
//! left of the charge (`amount_too_large`) or for an unknown charge.

use std::collections::HashMap;
use std::sync::Mutex;

use rust_decimal::Decimal;

use crate::{Charge, ChargeRequest, Gateway, GatewayError, RefundMade, RefundRequest};

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
        let charge = || Charge {
            id: format!("ch_sandbox_{}", request.idempotency_key),
            amount: request.amount,
            currency: request.currency.clone(),
        };
        if request.payment_token == "tok_unconfirmed" && calls <= UNCONFIRMED_CALLS {
            // Charged, but the answer is lost.
            state
                .charges
                .entry(request.idempotency_key.clone())
                .or_insert_with(charge);
            return Err(GatewayError::Timeout);
        }
        if let Some(existing) = state.charges.get(&request.idempotency_key) {
            return Ok(existing.clone());
        }
        match request.payment_token.as_str() {
            "tok_success" => {}
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
                state
                    .charges
                    .insert(request.idempotency_key.clone(), charge());
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
            .or_insert_with(charge);
        Ok(made.clone())
    }

    async fn find(&self, idempotency_key: &str) -> Result<Option<Charge>, GatewayError> {
        Ok(self.lock().charges.get(idempotency_key).cloned())
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
        if request.amount <= Decimal::ZERO
            || refunded_of(&state, &charge.id) + request.amount > charge.amount
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

    fn name(&self) -> &'static str {
        self.name
    }
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
