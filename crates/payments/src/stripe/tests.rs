//! The Stripe adapter against the Stripe-shaped fake: what it sends, how
//! it reads each answer, and that no retry ever charges twice.

use std::time::Duration;

use rust_decimal::Decimal;

use super::StripeGateway;
use super::wire::{from_minor, quoted, to_minor};
use crate::fakes::stripe::{self as fake, FakeStripe, Fault, Only, Times};
use crate::*;

const ORDER: &str = "0190a5a0-0000-7000-8000-000000000001";

async fn setup() -> (FakeStripe, StripeGateway) {
    let fake = fake::start().await;
    let gateway = StripeGateway::new(
        "stripe",
        fake.base_url(),
        fake.secret_key(),
        Duration::from_millis(300),
    )
    .expect("gateway");
    (fake, gateway)
}

fn charge(key: &str, card: &str, capture: bool) -> ChargeRequest {
    ChargeRequest {
        idempotency_key: key.to_owned(),
        amount: Decimal::new(4999, 2),
        currency: "USD".into(),
        payment_token: card.to_owned(),
        tenant: "t_test".into(),
        capture,
        return_url: None,
    }
}

fn capture(id: &str, key: &str, cents: i64, last: bool) -> CaptureRequest {
    CaptureRequest {
        idempotency_key: key.to_owned(),
        charge_id: id.to_owned(),
        amount: Decimal::new(cents, 2),
        currency: "USD".into(),
        final_capture: last,
        tenant: "t_test".into(),
    }
}

fn void(id: &str, key: &str) -> VoidRequest {
    VoidRequest {
        idempotency_key: key.to_owned(),
        charge_id: id.to_owned(),
        tenant: "t_test".into(),
    }
}

fn refund(id: &str, key: &str, cents: i64) -> RefundRequest {
    RefundRequest {
        idempotency_key: key.to_owned(),
        charge_id: id.to_owned(),
        amount: Decimal::new(cents, 2),
        currency: "USD".into(),
        tenant: "t_test".into(),
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

fn declined(code: &str) -> GatewayError {
    GatewayError::Declined(code.to_owned())
}

#[tokio::test]
async fn an_automatic_charge_is_one_confirmed_intent_tagged_with_the_order() {
    let (fake, gateway) = setup().await;
    let made = gateway
        .charge(&charge(ORDER, "pm_card_visa", true))
        .await
        .expect("charged");
    assert!(made.id.starts_with("pi_"), "{made:?}");
    assert_eq!(
        (made.amount, made.currency.as_str(), made.action),
        (Decimal::new(4999, 2), "USD", None)
    );
    let intent = fake.intent(&made.id).expect("intent");
    assert_eq!(
        (
            intent.status.as_str(),
            intent.amount_received,
            intent.currency.as_str()
        ),
        ("succeeded", 4999, "usd")
    );
    let sent = &fake.requests()[0];
    assert_eq!(sent.idempotency_key.as_deref(), Some(ORDER));
    let has = |k: &str, v: &str| sent.params.contains(&(k.to_owned(), v.to_owned()));
    assert!(has("amount", "4999") && has("currency", "usd") && has("confirm", "true"));
    assert!(has("capture_method", "automatic") && has("payment_method", "pm_card_visa"));
    assert!(has("metadata[order_id]", ORDER) && has("metadata[tenant]", "t_test"));
    assert!(
        !sent.params.iter().any(|(k, _)| k.contains("multicapture")),
        "multicapture is for authorisations only"
    );
}

#[tokio::test]
async fn an_authorisation_is_captured_in_parts_then_closed() {
    let (fake, gateway) = setup().await;
    let auth = gateway
        .charge(&charge(ORDER, "pm_card_visa", false))
        .await
        .expect("authorised");
    let sent = &fake.requests()[0].params;
    assert!(sent.contains(&("capture_method".into(), "manual".into())));
    assert!(sent.contains(&(
        "payment_method_options[card][request_multicapture]".into(),
        "if_available".into()
    )));
    let held = fake.intent(&auth.id).expect("intent");
    assert_eq!(
        (held.status.as_str(), held.amount_capturable),
        ("requires_capture", 4999)
    );

    let first = gateway
        .capture(&capture(&auth.id, "cap-1", 2000, false))
        .await
        .expect("first vendor");
    assert_eq!(first.amount, Decimal::new(2000, 2));
    assert!(
        first.id.starts_with("ch_") && first.id.ends_with(":2000"),
        "{first:?}"
    );
    // The same key is the same capture, not a second one.
    assert_eq!(
        gateway
            .capture(&capture(&auth.id, "cap-1", 2000, false))
            .await,
        Ok(first.clone())
    );
    assert_eq!(
        gateway
            .capture(&capture(&auth.id, "cap-2", 3000, false))
            .await,
        Err(declined("amount_too_large")),
        "20.00 + 30.00 is more than the 49.99 authorised"
    );
    let second = gateway
        .capture(&capture(&auth.id, "cap-3", 1500, false))
        .await
        .expect("second vendor");
    assert_ne!(second.id, first.id);
    let after_two = fake.intent(&auth.id).expect("intent");
    assert_eq!(
        (
            after_two.status.as_str(),
            after_two.amount_received,
            after_two.amount_capturable
        ),
        ("requires_capture", 3500, 1499)
    );
    gateway
        .capture(&capture(&auth.id, "cap-4", 1000, true))
        .await
        .expect("last vendor");
    let closed = fake.intent(&auth.id).expect("intent");
    assert_eq!(
        (
            closed.status.as_str(),
            closed.amount_received,
            closed.amount_capturable
        ),
        ("succeeded", 4500, 0),
        "the final capture released the 4.99 left"
    );
    assert_eq!(
        gateway.capture(&capture(&auth.id, "cap-5", 1, false)).await,
        Err(declined("payment_intent_unexpected_state"))
    );
    assert!(fake.key_misuses().is_empty());
}

#[tokio::test]
async fn declines_are_final_and_found_as_declines() {
    let (fake, gateway) = setup().await;
    let outcome = charge_with_retries(
        &gateway,
        &charge(ORDER, "pm_card_chargeDeclined", true),
        &fast(),
    )
    .await;
    assert_eq!(
        (outcome.result, outcome.attempts),
        (Err(declined("generic_decline")), 1)
    );
    assert_eq!(fake.intents_for_order(ORDER), 1);
    assert_eq!(fake.effective_charges(ORDER), 0);
    assert_eq!(gateway.find(ORDER).await, Err(declined("generic_decline")));

    let broke = gateway
        .charge(&charge(
            "order-broke",
            "pm_card_chargeDeclinedInsufficientFunds",
            true,
        ))
        .await;
    assert_eq!(broke, Err(GatewayError::InsufficientFunds));
    assert_eq!(
        gateway.find("order-broke").await,
        Err(GatewayError::InsufficientFunds)
    );
}

#[tokio::test]
async fn a_challenge_comes_back_as_an_action_and_its_outcome_by_retrieve() {
    let (fake, gateway) = setup().await;
    let redirected = ChargeRequest {
        return_url: Some("https://shop.example/return".into()),
        ..charge(ORDER, "pm_card_threeDSecure2Required", true)
    };
    let pending = gateway.charge(&redirected).await.expect("pending");
    let action = pending.action.clone().expect("an action");
    assert_eq!(action.kind, "redirect_to_url");
    assert_eq!(
        action.url,
        Some(format!(
            "{}/fake/three_d_secure/{}",
            fake.base_url(),
            pending.id
        ))
    );
    assert!(
        action
            .client_secret
            .is_some_and(|s| s.starts_with(&pending.id))
    );
    assert_eq!(fake.effective_charges(ORDER), 0, "nothing charged yet");
    assert_eq!(
        gateway.retrieve(&pending.id, ORDER).await,
        Ok(Some(pending.clone()))
    );
    assert_eq!(gateway.find(ORDER).await, Ok(Some(pending.clone())));

    assert!(fake.complete_action(&pending.id, true));
    let made = Charge::made(pending.id.clone(), Decimal::new(4999, 2), "USD");
    assert_eq!(
        gateway.retrieve(&pending.id, ORDER).await,
        Ok(Some(made.clone()))
    );
    // A resumed checkout sends the charge again: Stripe replays the
    // saved `requires_action`, and the adapter reads the intent as it is.
    assert_eq!(gateway.charge(&redirected).await, Ok(made));
    assert!(fake.requests().iter().any(|r| r.replayed));

    let sdk = gateway
        .charge(&charge("order-sdk", "pm_card_threeDSecure2Required", false))
        .await
        .expect("pending");
    let action = sdk.action.clone().expect("an action");
    assert_eq!((action.kind.as_str(), action.url), ("use_sdk", None));
    assert!(fake.complete_action(&sdk.id, false));
    assert_eq!(
        gateway.retrieve(&sdk.id, "order-sdk").await,
        Err(declined("payment_intent_authentication_failure"))
    );
    assert_eq!(
        gateway.find("order-sdk").await,
        Err(declined("payment_intent_authentication_failure"))
    );
    assert_eq!(gateway.retrieve("pi_unknown", "order-x").await, Ok(None));
}

#[tokio::test]
async fn a_charge_answered_too_late_is_found_by_the_retry_not_made_twice() {
    let (fake, gateway) = setup().await;
    fake.hang(Duration::from_millis(900));
    let outcome =
        charge_with_retries(&gateway, &charge(ORDER, "pm_card_visa", true), &fast()).await;
    let made = outcome.result.expect("charged");
    assert_eq!(outcome.attempts, 2, "the first attempt timed out");
    assert_eq!(fake.intents_for_order(ORDER), 1);
    assert_eq!(fake.effective_charges(ORDER), 1);
    let posts: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/payment_intents")
        .collect();
    assert_eq!(posts.len(), 2);
    assert!(posts[1].replayed, "the retry got the saved answer");
    assert_eq!(
        fake.intents()[0].id,
        made.id,
        "the answer names the first intent"
    );
    assert!(fake.key_misuses().is_empty());
}

#[tokio::test]
async fn a_500_after_charging_is_replayed_and_settled_by_find() {
    let (fake, gateway) = setup().await;
    fake.fail_after_charge(1);
    let outcome =
        charge_with_retries(&gateway, &charge(ORDER, "pm_card_visa", true), &fast()).await;
    assert!(
        matches!(outcome.result, Err(GatewayError::Transient(_))),
        "{outcome:?}"
    );
    assert_eq!(outcome.attempts, 4);
    assert!(
        fake.requests()
            .iter()
            .skip(1)
            .all(|r| r.replayed && r.status == 500),
        "Stripe saves the 500 under the key and replays it"
    );
    assert_eq!(
        fake.effective_charges(ORDER),
        1,
        "charged once all the same"
    );
    let found = gateway.find(ORDER).await.expect("found").expect("a charge");
    assert_eq!(found.id, fake.intents()[0].id);
    assert_eq!(found.action, None);
}

#[tokio::test]
async fn failures_before_stripe_acts_are_retried_into_one_charge() {
    let (fake, gateway) = setup().await;
    fake.fail_before(2);
    let outcome =
        charge_with_retries(&gateway, &charge(ORDER, "pm_card_visa", true), &fast()).await;
    assert!(outcome.result.is_ok());
    assert_eq!(outcome.attempts, 3);
    assert_eq!(fake.intents_for_order(ORDER), 1);

    // The connection breaks after the intent is made: unknown, retried,
    // and the retry gets the saved answer.
    fake.drop_connection();
    let outcome = charge_with_retries(
        &gateway,
        &charge("order-dropped", "pm_card_visa", true),
        &fast(),
    )
    .await;
    assert!(outcome.result.is_ok(), "{outcome:?}");
    assert_eq!(outcome.attempts, 2);
    assert_eq!(fake.effective_charges("order-dropped"), 1);
}

#[tokio::test]
async fn the_same_key_while_the_first_request_runs_is_a_transient_409() {
    let (fake, gateway) = setup().await;
    fake.stall(Duration::from_millis(500));
    let first = {
        let gateway = StripeGateway::new(
            "stripe",
            fake.base_url(),
            fake.secret_key(),
            Duration::from_secs(2),
        )
        .expect("gateway");
        tokio::spawn(async move { gateway.charge(&charge(ORDER, "pm_card_visa", true)).await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let concurrent = gateway.charge(&charge(ORDER, "pm_card_visa", true)).await;
    assert!(
        matches!(&concurrent, Err(GatewayError::Transient(_))),
        "{concurrent:?}"
    );
    let first = first.await.expect("joined").expect("charged");
    let later = gateway
        .charge(&charge(ORDER, "pm_card_visa", true))
        .await
        .expect("replayed");
    assert_eq!(later.id, first.id);
    assert_eq!(fake.intents_for_order(ORDER), 1);
    assert!(
        fake.requests().iter().any(|r| r.status == 409),
        "the fake answered 409 to the concurrent request"
    );
}

#[tokio::test]
async fn a_key_reused_with_other_parameters_is_refused_and_recorded() {
    let (fake, gateway) = setup().await;
    gateway
        .charge(&charge(ORDER, "pm_card_visa", true))
        .await
        .expect("charged");
    let other = ChargeRequest {
        amount: Decimal::new(1000, 2),
        ..charge(ORDER, "pm_card_visa", true)
    };
    assert_eq!(
        gateway.charge(&other).await,
        Err(declined("idempotency_error"))
    );
    assert_eq!(
        fake.key_misuses(),
        vec![fake::KeyMisuse {
            key: ORDER.to_owned(),
            path: "/v1/payment_intents".to_owned(),
        }]
    );
    assert_eq!(fake.intents_for_order(ORDER), 1);
}

#[tokio::test]
async fn find_answers_for_every_state_of_an_intent() {
    let (fake, gateway) = setup().await;
    assert_eq!(gateway.find("never-charged").await, Ok(None));

    let made = gateway
        .charge(&charge("o-paid", "pm_card_visa", true))
        .await
        .expect("charged");
    assert_eq!(gateway.find("o-paid").await, Ok(Some(made)));
    let held = gateway
        .charge(&charge("o-held", "pm_card_visa", false))
        .await
        .expect("authorised");
    assert_eq!(gateway.find("o-held").await, Ok(Some(held.clone())));
    gateway.void(&void(&held.id, "v-held")).await.expect("void");
    assert_eq!(
        gateway.find("o-held").await,
        Ok(None),
        "cancelled: nothing held"
    );

    let slow = charge("o-slow", "pm_fake_processing", true);
    assert_eq!(gateway.charge(&slow).await, Err(GatewayError::Timeout));
    assert!(matches!(
        gateway.find("o-slow").await,
        Err(GatewayError::Transient(_))
    ));
    let id = fake.intents().last().expect("intent").id.clone();
    assert!(fake.finish_processing(&id, true));
    assert!(matches!(gateway.find("o-slow").await, Ok(Some(c)) if c.id == id));

    // A key whose text would end the query literal is escaped, not read
    // as query syntax.
    let odd = r"o-it's \ odd";
    let made = gateway
        .charge(&charge(odd, "pm_card_visa", true))
        .await
        .expect("charged");
    assert_eq!(gateway.find(odd).await, Ok(Some(made)));
    assert_eq!(quoted(odd), r"'o-it\'s \\ odd'");

    // Stripe's index lags its writes: a search right after the charge
    // may not see it, which is why only old orders are looked up.
    fake.set_search_lag(Duration::from_secs(60));
    gateway
        .charge(&charge("o-fresh", "pm_card_visa", true))
        .await
        .expect("charged");
    assert_eq!(gateway.find("o-fresh").await, Ok(None));
}

#[tokio::test]
async fn void_releases_a_hold_and_is_harmless_once_nothing_is_left() {
    let (fake, gateway) = setup().await;
    let auth = gateway
        .charge(&charge(ORDER, "pm_card_visa", false))
        .await
        .expect("authorised");
    gateway.void(&void(&auth.id, "v-1")).await.expect("voided");
    let voided = fake.intent(&auth.id).expect("intent");
    assert_eq!(
        (voided.status.as_str(), voided.amount_capturable),
        ("canceled", 0)
    );
    // Again under the same key (replayed), and under a new one (Stripe
    // refuses; the adapter sees the intent is cancelled already).
    gateway
        .void(&void(&auth.id, "v-1"))
        .await
        .expect("replayed");
    gateway.void(&void(&auth.id, "v-2")).await.expect("again");
    assert_eq!(
        gateway.capture(&capture(&auth.id, "c-1", 100, true)).await,
        Err(declined("payment_intent_unexpected_state"))
    );

    let paid = gateway
        .charge(&charge("o-paid", "pm_card_visa", true))
        .await
        .expect("charged");
    gateway
        .void(&void(&paid.id, "v-3"))
        .await
        .expect("fully captured: nothing to release");
    assert_eq!(
        fake.intent(&paid.id).map(|i| (i.status, i.amount_received)),
        Some(("succeeded".to_owned(), 4999))
    );

    // Partly captured: the void releases the rest, the capture stands.
    let part = gateway
        .charge(&charge("o-part", "pm_card_visa", false))
        .await
        .expect("authorised");
    gateway
        .capture(&capture(&part.id, "c-2", 1000, false))
        .await
        .expect("captured");
    gateway.void(&void(&part.id, "v-4")).await.expect("voided");
    assert_eq!(
        fake.intent(&part.id)
            .map(|i| (i.status, i.amount_received, i.amount_capturable)),
        Some(("succeeded".to_owned(), 1000, 0))
    );

    // A refusal that is not "nothing left" stands.
    let slow = gateway
        .charge(&charge("o-slow", "pm_fake_processing", false))
        .await;
    assert_eq!(slow, Err(GatewayError::Timeout));
    let id = fake.intents().last().expect("intent").id.clone();
    assert!(matches!(
        gateway.void(&void(&id, "v-5")).await,
        Err(GatewayError::Transient(_))
    ));
    assert_eq!(
        gateway.void(&void("pi_unknown", "v-6")).await,
        Err(declined("resource_missing"))
    );
}

#[tokio::test]
async fn refunds_reach_what_was_captured_and_no_further() {
    let (fake, gateway) = setup().await;
    let paid = gateway
        .charge(&charge(ORDER, "pm_card_visa", true))
        .await
        .expect("charged");
    let first = gateway
        .refund(&refund(&paid.id, "r-1", 1000))
        .await
        .expect("refunded");
    assert!(first.id.starts_with("re_"));
    assert_eq!(
        (first.amount, first.currency.as_str()),
        (Decimal::new(1000, 2), "USD")
    );
    assert_eq!(
        gateway.refund(&refund(&paid.id, "r-1", 1000)).await,
        Ok(first.clone())
    );
    assert_eq!(
        gateway.refund(&refund(&paid.id, "r-2", 4000)).await,
        Err(declined("amount_too_large")),
        "39.99 is left"
    );
    gateway
        .refund(&refund(&paid.id, "r-3", 3999))
        .await
        .expect("the rest");
    assert_eq!(
        gateway.refund(&refund(&paid.id, "r-4", 1)).await,
        Err(declined("charge_already_refunded"))
    );
    assert_eq!(fake.intent(&paid.id).map(|i| i.amount_refunded), Some(4999));
    let sent = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/refunds")
        .expect("a refund request");
    assert!(
        sent.params
            .contains(&("metadata[refund_id]".into(), "r-1".into()))
    );
    assert!(
        sent.params
            .contains(&("payment_intent".into(), paid.id.clone()))
    );

    let held = gateway
        .charge(&charge("o-held", "pm_card_visa", false))
        .await
        .expect("authorised");
    assert_eq!(
        gateway.refund(&refund(&held.id, "r-5", 100)).await,
        Err(declined("payment_intent_unexpected_state")),
        "nothing captured, nothing to give back"
    );
}

#[tokio::test]
async fn a_wrong_key_or_no_server_is_told_apart_from_a_refusal() {
    let (fake, _) = setup().await;
    let wrong = StripeGateway::new(
        "stripe",
        fake.base_url(),
        "sk_test_wrong",
        Duration::from_millis(300),
    )
    .expect("gateway");
    assert_eq!(
        wrong.charge(&charge(ORDER, "pm_card_visa", true)).await,
        Err(declined("authentication_failed_with_provider"))
    );
    assert!(matches!(
        wrong.find(ORDER).await,
        Err(GatewayError::Transient(_))
    ));
    assert!(fake.intents().is_empty());
    assert!(fake.requests().iter().all(|r| r.status == 401));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let nowhere =
        StripeGateway::new("stripe", &closed, "sk", Duration::from_millis(300)).expect("gateway");
    assert!(matches!(
        nowhere.charge(&charge(ORDER, "pm_card_visa", true)).await,
        Err(GatewayError::Unreachable(_))
    ));
}

#[tokio::test]
async fn faults_can_target_one_key_and_last_until_cleared() {
    let (fake, gateway) = setup().await;
    fake.inject(
        Fault::FailBefore,
        Only::Key("o-unlucky".into()),
        Times::Always,
    );
    gateway
        .charge(&charge("o-lucky", "pm_card_visa", true))
        .await
        .expect("other keys pass");
    let outcome = charge_with_retries(
        &gateway,
        &charge("o-unlucky", "pm_card_visa", true),
        &fast(),
    )
    .await;
    assert_eq!(outcome.attempts, 4);
    assert_eq!(fake.intents_for_order("o-unlucky"), 0);
    fake.clear_faults();
    gateway
        .charge(&charge("o-unlucky", "pm_card_visa", true))
        .await
        .expect("nothing was saved under the key");
}

#[tokio::test]
async fn stripe_events_become_bazaars() {
    let (fake, gateway) = setup().await;
    let paid = gateway
        .charge(&charge(ORDER, "pm_card_visa", true))
        .await
        .expect("charged");
    let event = fake
        .intent_event(&paid.id, "payment_intent.succeeded")
        .expect("event");
    let (header, body) = fake::sign_event("whsec_test", &event);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert_eq!(webhook::verify("whsec_test", &header, &body, now), Ok(()));
    assert_eq!(gateway.signature_header(), "stripe-signature");
    let read = gateway.read_event(&body).expect("read").expect("acted on");
    assert_eq!(read.id, event["id"].as_str().expect("id"));
    assert_eq!(read.kind, "charge.succeeded");
    assert_eq!(
        (
            read.data.id.as_str(),
            read.data.idempotency_key.as_str(),
            read.data.amount,
            read.data.currency.as_str(),
            read.data.failure_code,
            read.data.metadata.tenant.as_deref()
        ),
        (
            paid.id.as_str(),
            ORDER,
            Decimal::new(4999, 2),
            "USD",
            None,
            Some("t_test")
        )
    );

    let held = gateway
        .charge(&charge("o-held", "pm_card_visa", false))
        .await
        .expect("authorised");
    let event = fake
        .intent_event(&held.id, "payment_intent.amount_capturable_updated")
        .expect("event");
    let read = gateway
        .read_event(event.to_string().as_bytes())
        .expect("read")
        .expect("acted on");
    assert_eq!(
        (read.kind.as_str(), read.data.idempotency_key.as_str()),
        ("charge.succeeded", "o-held")
    );

    assert_eq!(
        gateway
            .charge(&charge("o-declined", "pm_card_chargeDeclined", true))
            .await,
        Err(declined("generic_decline"))
    );
    let failed = fake.intents().last().expect("intent").id.clone();
    let event = fake
        .intent_event(&failed, "payment_intent.payment_failed")
        .expect("event");
    let read = gateway
        .read_event(event.to_string().as_bytes())
        .expect("read")
        .expect("acted on");
    assert_eq!(
        (read.kind.as_str(), read.data.failure_code.as_deref()),
        ("charge.failed", Some("generic_decline"))
    );

    let made = gateway
        .refund(&refund(&paid.id, "r-1", 500))
        .await
        .expect("refunded");
    let event = fake
        .refund_event(&made.id, "refund.created")
        .expect("event");
    let read = gateway
        .read_event(event.to_string().as_bytes())
        .expect("read")
        .expect("acted on");
    assert_eq!(
        (
            read.kind.as_str(),
            read.data.id.as_str(),
            read.data.idempotency_key.as_str(),
            read.data.amount
        ),
        (
            "refund.succeeded",
            made.id.as_str(),
            "r-1",
            Decimal::new(500, 2)
        )
    );
    assert!(fake.fail_refund(&made.id));
    let event = fake
        .refund_event(&made.id, "refund.updated")
        .expect("event");
    let read = gateway
        .read_event(event.to_string().as_bytes())
        .expect("read")
        .expect("acted on");
    assert_eq!(
        (read.kind.as_str(), read.data.failure_code.as_deref()),
        ("refund.failed", Some("expired_or_canceled_card"))
    );
    assert_eq!(fake.intent(&paid.id).map(|i| i.amount_refunded), Some(0));

    let ignored = [
        r#"{"id":"evt_1","type":"customer.created","data":{"object":{"id":"cus_1"}}}"#,
        r#"{"id":"evt_2","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":100,"currency":"usd","metadata":{}}}}"#,
        r#"{"id":"evt_3","type":"refund.created","data":{"object":{"id":"re_1","amount":100,"currency":"usd","status":"pending","metadata":{"refund_id":"r"}}}}"#,
    ];
    for body in ignored {
        assert_eq!(gateway.read_event(body.as_bytes()), Ok(None), "{body}");
    }
    assert!(gateway.read_event(b"not json").is_err());
    assert!(
        gateway
            .read_event(
                br#"{"id":"evt_4","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","currency":"usd","metadata":{"order_id":"o"}}}}"#
            )
            .is_err(),
        "an event without its amount cannot be acted on"
    );
}

#[tokio::test]
async fn amounts_travel_in_each_currencys_minor_units() {
    assert_eq!(to_minor(Decimal::new(1500, 0), "JPY"), Ok(1500));
    assert_eq!(to_minor(Decimal::new(1500, 0), "jpy"), Ok(1500));
    assert!(to_minor(Decimal::new(15, 1), "JPY").is_err(), "1.5 yen");
    assert_eq!(to_minor(Decimal::new(1235, 3), "KWD"), Ok(1235));
    assert_eq!(to_minor(Decimal::new(12, 1), "KWD"), Ok(1200));
    assert!(
        to_minor(Decimal::new(12345, 4), "KWD").is_err(),
        "1.2345 dinar"
    );
    assert_eq!(to_minor(Decimal::new(4999, 2), "EUR"), Ok(4999));
    assert!(to_minor(Decimal::new(-1, 0), "EUR").is_err());
    assert_eq!(from_minor(1235, "kwd"), Decimal::new(1235, 3));
    assert_eq!(from_minor(1500, "jpy"), Decimal::new(1500, 0));

    let (fake, gateway) = setup().await;
    let yen = ChargeRequest {
        amount: Decimal::new(1500, 0),
        currency: "JPY".into(),
        ..charge("o-yen", "pm_card_visa", true)
    };
    let made = gateway.charge(&yen).await.expect("charged");
    assert_eq!(
        (made.amount, made.currency.as_str()),
        (Decimal::new(1500, 0), "JPY")
    );
    let dinar = ChargeRequest {
        amount: Decimal::new(12340, 3),
        currency: "KWD".into(),
        ..charge("o-dinar", "pm_card_visa", true)
    };
    let made = gateway.charge(&dinar).await.expect("charged");
    assert_eq!(made.amount, Decimal::new(12340, 3));
    assert_eq!(
        fake.intent(&made.id).map(|i| (i.amount, i.currency)),
        Some((12340, "kwd".to_owned()))
    );
    let fraction = ChargeRequest {
        amount: Decimal::new(15, 1),
        ..yen
    };
    assert!(matches!(
        gateway.charge(&fraction).await,
        Err(GatewayError::Declined(code)) if code.starts_with("invalid_amount")
    ));
    assert_eq!(fake.intents().len(), 2, "a refused amount is never sent");
}
