//! The fake's books: PaymentIntents and Refunds, and what each Stripe
//! operation does to them once the request passed
//! [`Op::validate`](super::request::Op::validate), answered as Stripe
//! answers (status and JSON body).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::request::{Answer, Op, Params, boolean, metadata, param, positive};
use super::{IntentView, RefundView};

/// How a test payment method behaves when confirmed, after Stripe's
/// test cards.
enum Card {
    Succeeds,
    Declines(&'static str, &'static str),
    Challenges,
    /// Not a Stripe card (cards answer synchronously): the fake's own way
    /// to hold an intent in `processing` until a test settles it.
    Processes,
}

fn card(payment_method: &str) -> Option<Card> {
    Some(match payment_method {
        "pm_card_visa" | "pm_card_mastercard" | "pm_card_amex" => Card::Succeeds,
        "pm_card_chargeDeclined" => Card::Declines("generic_decline", "Your card was declined."),
        "pm_card_chargeDeclinedInsufficientFunds" => {
            Card::Declines("insufficient_funds", "Your card has insufficient funds.")
        }
        "pm_card_threeDSecure2Required" | "pm_card_authenticationRequired" => Card::Challenges,
        "pm_fake_processing" => Card::Processes,
        _ => return None,
    })
}

#[derive(Debug, Clone)]
pub(super) struct Intent {
    pub id: String,
    pub amount: i64,
    pub amount_capturable: i64,
    pub amount_received: i64,
    /// Refunded and not failed.
    pub amount_refunded: i64,
    pub currency: String,
    pub status: &'static str,
    pub capture_method: String,
    pub multicapture: bool,
    pub client_secret: String,
    pub payment_method: Option<String>,
    pub next_action: Option<Value>,
    pub last_payment_error: Option<Value>,
    pub latest_charge: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub return_url: Option<String>,
    pub created: i64,
    pub canceled_at: Option<i64>,
    /// When the search index will show it (Stripe's lag).
    pub searchable_at: std::time::Instant,
}

impl Intent {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": self.amount_capturable,
            "amount_received": self.amount_received,
            "canceled_at": self.canceled_at,
            "capture_method": self.capture_method,
            "client_secret": self.client_secret,
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "last_payment_error": self.last_payment_error,
            "latest_charge": self.latest_charge,
            "livemode": false,
            "metadata": self.metadata,
            "next_action": self.next_action,
            "payment_method": self.payment_method,
            "payment_method_options": { "card": {
                "request_multicapture": if self.multicapture { "if_available" } else { "never" },
            }},
            "status": self.status,
        })
    }

    pub fn view(&self) -> IntentView {
        IntentView {
            id: self.id.clone(),
            status: self.status.to_owned(),
            amount: self.amount,
            amount_capturable: self.amount_capturable,
            amount_received: self.amount_received,
            amount_refunded: self.amount_refunded,
            currency: self.currency.clone(),
            capture_method: self.capture_method.clone(),
            metadata: self.metadata.clone(),
        }
    }

    /// The card said yes: held (manual capture) or taken.
    fn authorise(&mut self, charge: String) {
        self.next_action = None;
        self.latest_charge = Some(charge);
        if self.capture_method == "manual" {
            self.status = "requires_capture";
            self.amount_capturable = self.amount;
        } else {
            self.status = "succeeded";
            self.amount_received = self.amount;
        }
    }

    /// The attempt failed: the intent waits for another payment method.
    fn fail(&mut self, error: Value) {
        self.next_action = None;
        self.status = "requires_payment_method";
        self.last_payment_error = Some(error);
    }

    fn unexpected_state(&self, doing: &str) -> Answer {
        Answer::error(
            400,
            "invalid_request_error",
            Some("payment_intent_unexpected_state"),
            format!(
                "This PaymentIntent could not be {doing} because it has a status of {}.",
                self.status
            ),
        )
        .with("payment_intent", self.json())
    }
}

#[derive(Debug, Clone)]
pub(super) struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub status: &'static str,
    pub failure_reason: Option<String>,
    pub payment_intent: String,
    pub charge: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub created: i64,
}

impl Refund {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "failure_reason": self.failure_reason,
            "metadata": self.metadata,
            "payment_intent": self.payment_intent,
            "status": self.status,
        })
    }

    pub fn view(&self) -> RefundView {
        RefundView {
            id: self.id.clone(),
            payment_intent: self.payment_intent.clone(),
            amount: self.amount,
            status: self.status.to_owned(),
            metadata: self.metadata.clone(),
        }
    }
}

pub(super) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[derive(Default)]
pub(super) struct Ledger {
    /// By id; ids grow with a counter, so this is creation order.
    pub intents: BTreeMap<String, Intent>,
    pub refunds: BTreeMap<String, Refund>,
    next: u64,
}

impl Ledger {
    /// A new id in Stripe's `<prefix>_<24 characters>` form.
    pub fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}_Fake{:020}", self.next)
    }

    /// Do what a validated request asks. `base_url` is the fake's own, for
    /// the 3-D Secure page it links to.
    pub fn execute(
        &mut self,
        op: &Op,
        params: &Params,
        base_url: &str,
        search_lag: std::time::Duration,
    ) -> Answer {
        match op {
            Op::Create => self.create(params, base_url, search_lag),
            Op::Capture(id) => self.capture(id, params),
            Op::Cancel(id) => self.cancel(id),
            Op::Refund => self.refund(params),
        }
    }

    fn create(
        &mut self,
        params: &Params,
        base_url: &str,
        search_lag: std::time::Duration,
    ) -> Answer {
        let payment_method = param(params, "payment_method").map(str::to_owned);
        let behaviour = match payment_method.as_deref() {
            None => None,
            Some(pm) => match card(pm) {
                Some(card) => Some(card),
                None => {
                    return Answer::error(
                        400,
                        "invalid_request_error",
                        Some("resource_missing"),
                        format!("No such PaymentMethod: '{pm}'"),
                    )
                    .with("param", json!("payment_method"));
                }
            },
        };
        let id = self.id("pi");
        let manual = param(params, "capture_method") == Some("manual");
        let mut intent = Intent {
            client_secret: format!("{id}_secret_fake"),
            id,
            amount: positive(params, "amount")
                .ok()
                .flatten()
                .unwrap_or_default(),
            amount_capturable: 0,
            amount_received: 0,
            amount_refunded: 0,
            currency: param(params, "currency")
                .unwrap_or_default()
                .to_ascii_lowercase(),
            status: if payment_method.is_some() {
                "requires_confirmation"
            } else {
                "requires_payment_method"
            },
            capture_method: param(params, "capture_method")
                .unwrap_or("automatic")
                .to_owned(),
            multicapture: manual
                && param(params, "payment_method_options[card][request_multicapture]")
                    == Some("if_available"),
            payment_method,
            next_action: None,
            last_payment_error: None,
            latest_charge: None,
            metadata: metadata(params).collect(),
            return_url: param(params, "return_url").map(str::to_owned),
            created: now(),
            canceled_at: None,
            searchable_at: std::time::Instant::now() + search_lag,
        };
        let confirm = boolean(params, "confirm").ok().flatten().unwrap_or(false);
        let mut answer = None;
        match behaviour {
            Some(behaviour) if confirm => match behaviour {
                Card::Succeeds => intent.authorise(self.id("ch")),
                Card::Declines(decline_code, message) => {
                    let charge = self.id("ch");
                    let error = json!({
                        "type": "card_error",
                        "code": "card_declined",
                        "decline_code": decline_code,
                        "message": message,
                        "charge": charge,
                        "payment_method": { "id": intent.payment_method },
                    });
                    intent.latest_charge = Some(charge.clone());
                    intent.fail(error);
                    answer = Some(
                        Answer::error(402, "card_error", Some("card_declined"), message.to_owned())
                            .with("decline_code", json!(decline_code))
                            .with("charge", json!(charge))
                            .with("payment_intent", intent.json()),
                    );
                }
                Card::Challenges => {
                    intent.status = "requires_action";
                    let page = format!("{base_url}/fake/three_d_secure/{}", intent.id);
                    intent.next_action = Some(match &intent.return_url {
                        Some(return_url) => json!({
                            "type": "redirect_to_url",
                            "redirect_to_url": { "url": page, "return_url": return_url },
                        }),
                        None => json!({
                            "type": "use_stripe_sdk",
                            "use_stripe_sdk": { "type": "three_d_secure_redirect", "stripe_js": page },
                        }),
                    });
                }
                Card::Processes => intent.status = "processing",
            },
            _ => {}
        }
        let answer = answer.unwrap_or_else(|| Answer::ok(intent.json()));
        self.intents.insert(intent.id.clone(), intent);
        answer
    }

    fn capture(&mut self, id: &str, params: &Params) -> Answer {
        let Some(intent) = self.intents.get_mut(id) else {
            return Answer::missing("payment_intent", id, "intent");
        };
        if intent.status != "requires_capture" {
            return intent.unexpected_state("captured");
        }
        let amount = positive(params, "amount_to_capture")
            .ok()
            .flatten()
            .unwrap_or(intent.amount_capturable);
        let last = boolean(params, "final_capture")
            .ok()
            .flatten()
            .unwrap_or(true);
        if amount > intent.amount_capturable {
            return Answer::invalid(
                "amount_too_large",
                "amount_to_capture",
                format!(
                    "The amount to capture ({amount}) is greater than what remains capturable ({}).",
                    intent.amount_capturable
                ),
            );
        }
        if !last && !intent.multicapture {
            return Answer::error(
                400,
                "invalid_request_error",
                None,
                "final_capture=false needs multicapture, which this PaymentIntent did not request."
                    .to_owned(),
            )
            .with("param", json!("final_capture"));
        }
        intent.amount_received += amount;
        intent.amount_capturable -= amount;
        intent.metadata.extend(metadata(params));
        if last || intent.amount_capturable == 0 {
            // The rest of the authorisation goes back to the card.
            intent.amount_capturable = 0;
            intent.status = "succeeded";
        }
        Answer::ok(intent.json())
    }

    fn cancel(&mut self, id: &str) -> Answer {
        let Some(intent) = self.intents.get_mut(id) else {
            return Answer::missing("payment_intent", id, "intent");
        };
        match intent.status {
            "requires_payment_method" | "requires_confirmation" | "requires_action" => {
                intent.status = "canceled";
            }
            // A multicapture intent partly captured keeps what was
            // captured: cancelling releases the rest and the intent ends
            // as succeeded. Untouched, the whole hold is released.
            "requires_capture" if intent.amount_received > 0 => intent.status = "succeeded",
            "requires_capture" => intent.status = "canceled",
            _ => return intent.unexpected_state("canceled"),
        }
        intent.amount_capturable = 0;
        intent.next_action = None;
        if intent.status == "canceled" {
            intent.canceled_at = Some(now());
        }
        Answer::ok(intent.json())
    }

    fn refund(&mut self, params: &Params) -> Answer {
        let found = match (param(params, "payment_intent"), param(params, "charge")) {
            (Some(id), _) => self
                .intents
                .get(id)
                .map(|i| i.id.clone())
                .ok_or(("payment_intent", id)),
            (None, Some(ch)) => self
                .intents
                .values()
                .find(|i| i.latest_charge.as_deref() == Some(ch))
                .map(|i| i.id.clone())
                .ok_or(("charge", ch)),
            (None, None) => Err(("payment_intent", "")),
        };
        let intent_id = match found {
            Ok(id) => id,
            Err((param_name, id)) => {
                return Answer::error(
                    400,
                    "invalid_request_error",
                    Some("resource_missing"),
                    format!("No such {param_name}: '{id}'"),
                )
                .with("param", json!(param_name));
            }
        };
        let id = self.id("re");
        let Some(intent) = self.intents.get_mut(&intent_id) else {
            return Answer::missing("payment_intent", &intent_id, "payment_intent");
        };
        if intent.amount_received == 0 {
            return intent.unexpected_state("refunded");
        }
        let left = intent.amount_received - intent.amount_refunded;
        if left == 0 {
            return Answer::invalid(
                "charge_already_refunded",
                "payment_intent",
                format!(
                    "This PaymentIntent ({}) has already been refunded.",
                    intent.id
                ),
            );
        }
        let amount = positive(params, "amount").ok().flatten().unwrap_or(left);
        if amount > left {
            return Answer::invalid(
                "amount_too_large",
                "amount",
                format!("Refund amount ({amount}) is greater than unrefunded amount ({left})."),
            );
        }
        intent.amount_refunded += amount;
        let refund = Refund {
            id,
            amount,
            currency: intent.currency.clone(),
            status: "succeeded",
            failure_reason: None,
            payment_intent: intent.id.clone(),
            charge: intent.latest_charge.clone(),
            metadata: metadata(params).collect(),
            created: now(),
        };
        let answer = Answer::ok(refund.json());
        self.refunds.insert(refund.id.clone(), refund);
        answer
    }

    /// The shopper's 3-D Secure challenge ends: passed, the card is
    /// charged (or held); failed, the intent waits for another method.
    pub fn complete_action(&mut self, id: &str, passed: bool) -> bool {
        let charge = self.id("ch");
        let Some(intent) = self.intents.get_mut(id) else {
            return false;
        };
        if intent.status != "requires_action" {
            return false;
        }
        if passed {
            intent.authorise(charge);
        } else {
            intent.fail(json!({
                "type": "invalid_request_error",
                "code": "payment_intent_authentication_failure",
                "message": "The provided PaymentMethod has failed authentication.",
                "payment_method": { "id": intent.payment_method },
            }));
        }
        true
    }

    /// The card network answers an intent left `processing`.
    pub fn finish_processing(&mut self, id: &str, succeeded: bool) -> bool {
        let charge = self.id("ch");
        let Some(intent) = self.intents.get_mut(id) else {
            return false;
        };
        if intent.status != "processing" {
            return false;
        }
        if succeeded {
            intent.authorise(charge);
        } else {
            intent.fail(json!({
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
            }));
        }
        true
    }

    /// A refund the bank sent back after accepting it (Stripe's
    /// `pm_card_refundFail` behaviour): the money returns to the balance.
    pub fn fail_refund(&mut self, id: &str) -> bool {
        let Some(refund) = self.refunds.get_mut(id) else {
            return false;
        };
        if refund.status == "failed" {
            return false;
        }
        refund.status = "failed";
        refund.failure_reason = Some("expired_or_canceled_card".to_owned());
        if let Some(intent) = self.intents.get_mut(&refund.payment_intent) {
            intent.amount_refunded -= refund.amount;
        }
        true
    }
}
