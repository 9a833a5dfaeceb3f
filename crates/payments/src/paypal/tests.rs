//! The PayPal adapter against the PayPal-shaped fake: every money movement
//! is checked on the fake's side, and every test ends by checking the
//! rules Bazaar keeps with PayPal (a request id always carries the same
//! body, and every POST has one).

use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::wire::format_amount;
use crate::fakes::paypal::{
    self as fake, FakePayPal, Op, OrderView, VAULT_CAPTURE_DECLINED, VAULT_DECLINED, VAULT_OK,
    VAULT_PAYER_ACTION,
};
use crate::*;

fn gateway_for(paypal: &FakePayPal, timeout: Duration) -> PayPalGateway {
    PayPalGateway::new(
        "paypal",
        paypal.base_url(),
        paypal.client_id(),
        paypal.client_secret(),
        timeout,
    )
    .expect("client")
}

async fn setup() -> (FakePayPal, PayPalGateway) {
    let paypal = fake::start().await;
    let gateway = gateway_for(&paypal, Duration::from_secs(5));
    (paypal, gateway)
}

fn charge(key: &str, vault: &str, cents: i64) -> ChargeRequest {
    ChargeRequest {
        idempotency_key: key.to_owned(),
        amount: Decimal::new(cents, 2),
        currency: "USD".into(),
        payment_token: vault.to_owned(),
        tenant: "t_test".into(),
        capture: true,
        return_url: None,
    }
}

fn authorise(key: &str, cents: i64) -> ChargeRequest {
    ChargeRequest {
        capture: false,
        ..charge(key, VAULT_OK, cents)
    }
}

fn capture(key: &str, charge_id: &str, cents: i64, last: bool) -> CaptureRequest {
    CaptureRequest {
        idempotency_key: key.to_owned(),
        charge_id: charge_id.to_owned(),
        amount: Decimal::new(cents, 2),
        currency: "USD".into(),
        final_capture: last,
        tenant: "t_test".into(),
    }
}

fn refund(key: &str, charge_id: &str, cents: i64) -> RefundRequest {
    RefundRequest {
        idempotency_key: key.to_owned(),
        charge_id: charge_id.to_owned(),
        amount: Decimal::new(cents, 2),
        currency: "USD".into(),
        tenant: "t_test".into(),
    }
}

fn void(key: &str, charge_id: &str) -> VoidRequest {
    VoidRequest {
        idempotency_key: key.to_owned(),
        charge_id: charge_id.to_owned(),
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

fn order(paypal: &FakePayPal, id: &str) -> OrderView {
    paypal.order(id).expect("the order exists at paypal")
}

/// The one order made under Bazaar's key.
fn order_for(paypal: &FakePayPal, key: &str) -> OrderView {
    assert_eq!(paypal.orders_for(key), 1, "one order per key");
    paypal
        .orders()
        .into_iter()
        .find(|o| o.custom_id.as_deref() == Some(key))
        .expect("the key's order")
}

fn assert_well_behaved(paypal: &FakePayPal) {
    assert_eq!(paypal.request_id_mismatches(), Vec::<String>::new());
    assert_eq!(paypal.posts_without_request_id(), 0);
}

#[tokio::test]
async fn a_capture_intent_charge_is_one_captured_order() {
    let (paypal, gateway) = setup().await;
    let made = gateway
        .charge(&charge("o-1", VAULT_OK, 3218))
        .await
        .expect("charged");
    assert_eq!(made, Charge::made(&made.id, Decimal::new(3218, 2), "USD"));
    let held = order(&paypal, &made.id);
    assert_eq!(
        (
            held.status.as_str(),
            held.intent.as_str(),
            held.amount.as_str()
        ),
        ("COMPLETED", "CAPTURE", "32.18")
    );
    assert_eq!((held.captures, held.captured), (1, Decimal::new(3218, 2)));
    // The same key again is the same charge, and a lookup finds it.
    assert_eq!(
        gateway.charge(&charge("o-1", VAULT_OK, 3218)).await,
        Ok(made.clone())
    );
    assert_eq!(gateway.find("o-1").await, Ok(Some(made.clone())));
    assert_eq!(order_for(&paypal, "o-1").captures, 1);
    assert_well_behaved(&paypal);
}

#[tokio::test]
async fn an_authorisation_is_captured_in_parts_up_to_the_final_one() {
    let (paypal, gateway) = setup().await;
    let auth = gateway
        .charge(&authorise("o-2", 10000))
        .await
        .expect("authorised");
    let held = order(&paypal, &auth.id);
    assert_eq!(
        (held.intent.as_str(), held.authorization_status.as_deref()),
        ("AUTHORIZE", Some("CREATED"))
    );
    assert_eq!(held.captured, Decimal::ZERO);

    let first = gateway
        .capture(&capture("c-1", &auth.id, 3000, false))
        .await
        .expect("first part");
    assert_eq!(first.amount, Decimal::new(3000, 2));
    assert_eq!(
        gateway
            .capture(&capture("c-1", &auth.id, 3000, false))
            .await,
        Ok(first),
        "the same key is the same capture"
    );
    gateway
        .capture(&capture("c-2", &auth.id, 5000, false))
        .await
        .expect("second part");
    let held = order(&paypal, &auth.id);
    assert_eq!(
        (held.authorization_status.as_deref(), held.captured),
        (Some("PARTIALLY_CAPTURED"), Decimal::new(8000, 2))
    );

    // 80.00 of 100.00 taken: 20.01 more is refused before anything is sent
    // (PayPal itself would allow up to 115%).
    let sent = paypal.calls(Op::CaptureAuthorization);
    assert_eq!(
        gateway
            .capture(&capture("c-3", &auth.id, 2001, false))
            .await,
        Err(declined("max_capture_amount_exceeded"))
    );
    assert_eq!(paypal.calls(Op::CaptureAuthorization), sent);

    gateway
        .capture(&capture("c-4", &auth.id, 1000, true))
        .await
        .expect("final part");
    let held = order(&paypal, &auth.id);
    assert_eq!(
        (
            held.authorization_status.as_deref(),
            held.captures,
            held.captured
        ),
        (Some("CAPTURED"), 3, Decimal::new(9000, 2))
    );
    assert_eq!(
        gateway.capture(&capture("c-5", &auth.id, 100, false)).await,
        Err(declined("authorization_already_captured")),
        "the final capture released the rest"
    );
    assert_well_behaved(&paypal);
}

#[tokio::test]
async fn declines_are_final_and_charge_nothing() {
    let (paypal, gateway) = setup().await;
    let refused =
        charge_with_retries(&gateway, &charge("o-3", VAULT_DECLINED, 2500), &fast()).await;
    assert_eq!(
        (refused.result, refused.attempts),
        (Err(declined("instrument_declined")), 1)
    );
    assert_eq!(gateway.find("o-3").await, Ok(None));
    let held = order_for(&paypal, "o-3");
    assert_eq!(
        (held.status.as_str(), held.captured),
        ("CREATED", Decimal::ZERO)
    );

    // A processor's decline: the order completes with a declined capture,
    // and a lookup reports the refusal.
    assert_eq!(
        gateway
            .charge(&charge("o-4", VAULT_CAPTURE_DECLINED, 2500))
            .await,
        Err(declined("capture_declined"))
    );
    assert_eq!(gateway.find("o-4").await, Err(declined("capture_declined")));
    let held = order_for(&paypal, "o-4");
    assert_eq!((held.status.as_str(), held.captures), ("COMPLETED", 0));
    // The same when authorising: the authorization comes back denied.
    let denied = ChargeRequest {
        payment_token: VAULT_CAPTURE_DECLINED.into(),
        ..authorise("o-4a", 2500)
    };
    assert_eq!(
        gateway.charge(&denied).await,
        Err(declined("authorization_denied"))
    );
    assert_eq!(
        order_for(&paypal, "o-4a").authorization_status.as_deref(),
        Some("DENIED")
    );
    assert_well_behaved(&paypal);
}

#[tokio::test]
async fn a_payer_action_then_the_payers_approval_is_completed_by_retrieve() {
    let (paypal, gateway) = setup().await;
    let request = ChargeRequest {
        return_url: Some("https://shop.example/orders/o-5/return".into()),
        ..charge("o-5", VAULT_PAYER_ACTION, 4200)
    };
    let pending = gateway.charge(&request).await.expect("waits for the payer");
    let action = pending.action.clone().expect("an action for the payer");
    assert_eq!(action.kind, "redirect_to_url");
    assert_eq!(
        action.url,
        Some(format!(
            "{}/checkoutnow?token={}",
            paypal.base_url(),
            pending.id
        ))
    );
    let held = order(&paypal, &pending.id);
    assert_eq!(
        (held.status.as_str(), held.captured),
        ("PAYER_ACTION_REQUIRED", Decimal::ZERO)
    );
    // Before the payer acts, every way of asking says the same.
    assert_eq!(gateway.charge(&request).await, Ok(pending.clone()));
    assert_eq!(
        gateway.retrieve(&pending.id, "o-5").await,
        Ok(Some(pending.clone()))
    );

    assert!(paypal.approve(&pending.id));
    let made = gateway
        .retrieve(&pending.id, "o-5")
        .await
        .expect("answered")
        .expect("charged");
    assert_eq!(
        made,
        Charge::made(&pending.id, Decimal::new(4200, 2), "USD")
    );
    assert_eq!(gateway.retrieve(&pending.id, "o-5").await, Ok(Some(made)));
    let held = order(&paypal, &pending.id);
    assert_eq!(
        (held.status.as_str(), held.captures, held.captured),
        ("COMPLETED", 1, Decimal::new(4200, 2))
    );
    assert_well_behaved(&paypal);
}

#[tokio::test]
async fn a_payer_who_never_approves_is_found_waiting_and_not_charged() {
    let (paypal, gateway) = setup().await;
    let pending = gateway
        .charge(&charge("o-6", VAULT_PAYER_ACTION, 1500))
        .await
        .expect("waits for the payer");
    assert!(pending.action.is_some());
    assert_eq!(gateway.find("o-6").await, Ok(Some(pending)));
    let held = order_for(&paypal, "o-6");
    assert_eq!(
        (held.status.as_str(), held.captures, held.captured),
        ("PAYER_ACTION_REQUIRED", 0, Decimal::ZERO)
    );
    assert_well_behaved(&paypal);
}

#[tokio::test]
async fn a_charge_whose_answer_was_lost_is_found_and_made_once() {
    let paypal = fake::start().await;
    let gateway = gateway_for(&paypal, Duration::from_millis(300));

    // PayPal captures, then answers after the client gave up.
    paypal.hang(Op::CaptureOrder, Duration::from_millis(900));
    assert_eq!(
        gateway.charge(&charge("o-7", VAULT_OK, 999)).await,
        Err(GatewayError::Timeout)
    );
    let found = gateway
        .find("o-7")
        .await
        .expect("answered")
        .expect("the charge was made");
    assert_eq!(found, Charge::made(&found.id, Decimal::new(999, 2), "USD"));
    assert_eq!(
        gateway.charge(&charge("o-7", VAULT_OK, 999)).await,
        Ok(found),
        "a retry gets the same charge"
    );
    let held = order_for(&paypal, "o-7");
    assert_eq!((held.captures, held.captured), (1, Decimal::new(999, 2)));

    // A 500 after the capture: the next attempt gets the stored result.
    paypal.fail_after(Op::CaptureOrder, 1);
    let outcome = charge_with_retries(&gateway, &charge("o-8", VAULT_OK, 500), &fast()).await;
    assert!(outcome.result.is_ok());
    assert_eq!(outcome.attempts, 2);
    assert_eq!(order_for(&paypal, "o-8").captures, 1);

    // A key never charged: the lookup makes an unpaid order at most.
    assert_eq!(gateway.find("o-9").await, Ok(None));
    let held = order_for(&paypal, "o-9");
    assert_eq!(
        (held.status.as_str(), held.captured),
        ("CREATED", Decimal::ZERO)
    );
    assert_well_behaved(&paypal);
}

#[tokio::test]
async fn a_void_releases_the_hold_and_is_harmless_when_nothing_is_held() {
    let (paypal, gateway) = setup().await;
    let auth = gateway
        .charge(&authorise("o-10", 5000))
        .await
        .expect("authorised");
    gateway.void(&void("v-1", &auth.id)).await.expect("voided");
    let held = order(&paypal, &auth.id);
    assert_eq!(
        (held.status.as_str(), held.authorization_status.as_deref()),
        ("VOIDED", Some("VOIDED"))
    );
    // Twice: the authorization is seen voided, and nothing more is sent.
    gateway
        .void(&void("v-2", &auth.id))
        .await
        .expect("voiding again is harmless");
    assert_eq!(paypal.calls(Op::VoidAuthorization), 1);
    assert_eq!(
        gateway
            .capture(&capture("c-10", &auth.id, 1000, false))
            .await,
        Err(declined("authorization_voided"))
    );
    assert_eq!(gateway.find("o-10").await, Ok(None), "the hold is gone");

    // After the final capture there is nothing left to release.
    let auth = gateway
        .charge(&authorise("o-11", 5000))
        .await
        .expect("authorised");
    gateway
        .capture(&capture("c-11", &auth.id, 5000, true))
        .await
        .expect("all of it");
    gateway
        .void(&void("v-3", &auth.id))
        .await
        .expect("nothing to release is not an error");
    let held = order(&paypal, &auth.id);
    assert_eq!(
        (held.authorization_status.as_deref(), held.captured),
        (Some("CAPTURED"), Decimal::new(5000, 2))
    );

    // A charge captured at once holds nothing either.
    let made = gateway
        .charge(&charge("o-12", VAULT_OK, 700))
        .await
        .expect("charged");
    gateway.void(&void("v-4", &made.id)).await.expect("no hold");

    // A void whose answer was lost: the retry sees the authorization voided.
    let auth = gateway
        .charge(&authorise("o-13", 2000))
        .await
        .expect("authorised");
    paypal.fail_after(Op::VoidAuthorization, 1);
    assert!(matches!(
        gateway.void(&void("v-5", &auth.id)).await,
        Err(GatewayError::Transient(_))
    ));
    gateway
        .void(&void("v-5", &auth.id))
        .await
        .expect("found voided");
    assert_eq!(
        order(&paypal, &auth.id).authorization_status.as_deref(),
        Some("VOIDED")
    );
    assert_well_behaved(&paypal);
}

#[tokio::test]
async fn refunds_spread_over_captures_once_per_key_and_never_beyond_them() {
    let (paypal, gateway) = setup().await;
    let auth = gateway
        .charge(&authorise("o-20", 10000))
        .await
        .expect("authorised");
    gateway
        .capture(&capture("c-20", &auth.id, 4000, false))
        .await
        .expect("first capture");
    gateway
        .capture(&capture("c-21", &auth.id, 6000, true))
        .await
        .expect("second capture");

    let first = gateway
        .refund(&refund("r-1", &auth.id, 3000))
        .await
        .expect("refunded");
    assert_eq!(
        (first.amount, first.id.split(',').count()),
        (Decimal::new(3000, 2), 1),
        "from the oldest capture"
    );
    let sent = paypal.calls(Op::RefundCapture);
    assert_eq!(
        gateway.refund(&refund("r-1", &auth.id, 3000)).await,
        Ok(first),
        "the same key is the same refund"
    );
    assert_eq!(paypal.calls(Op::RefundCapture), sent, "and sends nothing");

    // 40.00: the 10.00 left of the first capture, then 30.00 of the
    // second. The answer to the first part is lost; the retry makes only
    // the second.
    paypal.fail_after(Op::RefundCapture, 1);
    assert!(matches!(
        gateway.refund(&refund("r-2", &auth.id, 4000)).await,
        Err(GatewayError::Transient(_))
    ));
    assert_eq!(order(&paypal, &auth.id).refunded, Decimal::new(4000, 2));
    let second = gateway
        .refund(&refund("r-2", &auth.id, 4000))
        .await
        .expect("finished");
    assert_eq!(
        (second.amount, second.id.split(',').count()),
        (Decimal::new(4000, 2), 2)
    );
    assert_eq!(order(&paypal, &auth.id).refunded, Decimal::new(7000, 2));

    // 30.00 is left: 30.01 is refused before anything is sent.
    let sent = paypal.calls(Op::RefundCapture);
    assert_eq!(
        gateway.refund(&refund("r-3", &auth.id, 3001)).await,
        Err(declined("refund_amount_exceeded"))
    );
    assert_eq!(paypal.calls(Op::RefundCapture), sent);
    gateway
        .refund(&refund("r-4", &auth.id, 3000))
        .await
        .expect("the rest");
    assert_eq!(order(&paypal, &auth.id).refunded, Decimal::new(10000, 2));
    assert_well_behaved(&paypal);
}

#[tokio::test]
async fn an_access_token_is_reused_and_replaced_after_a_401() {
    let (paypal, gateway) = setup().await;
    for key in ["o-30", "o-31"] {
        gateway
            .charge(&charge(key, VAULT_OK, 100))
            .await
            .expect("charged");
    }
    assert_eq!(paypal.tokens_issued(), 1, "one token for every call");
    paypal.expire_tokens();
    gateway
        .charge(&charge("o-32", VAULT_OK, 100))
        .await
        .expect("charged with a new token");
    assert_eq!((paypal.tokens_issued(), paypal.rejected_tokens()), (2, 1));

    // Credentials PayPal refuses are the merchant's fault, not a decline.
    let misconfigured = PayPalGateway::new(
        "paypal",
        paypal.base_url(),
        paypal.client_id(),
        "not-the-secret",
        Duration::from_secs(5),
    )
    .expect("client");
    assert!(matches!(
        misconfigured.charge(&charge("o-33", VAULT_OK, 100)).await,
        Err(GatewayError::Transient(_))
    ));
    assert_eq!(paypal.orders_for("o-33"), 0);
    assert_well_behaved(&paypal);
}

#[test]
fn amounts_carry_exactly_the_currencys_digits() {
    let amount = |units: i64, scale: u32, currency: &str| {
        format_amount(Decimal::new(units, scale), currency)
    };
    assert_eq!(amount(321_800, 4, "USD"), Ok("32.18".into()));
    assert_eq!(amount(5, 0, "usd"), Ok("5.00".into()));
    assert_eq!(amount(1000, 0, "JPY"), Ok("1000".into()));
    assert_eq!(amount(100_000, 2, "JPY"), Ok("1000".into()));
    assert_eq!(amount(1500, 0, "HUF"), Ok("1500".into()));
    assert_eq!(amount(32_185, 3, "USD"), Err(declined("decimal_precision")));
    assert_eq!(amount(10_005, 1, "JPY"), Err(declined("decimal_precision")));
}

#[tokio::test]
async fn paypal_gets_amounts_in_the_currencys_precision() {
    let (paypal, gateway) = setup().await;
    let usd = ChargeRequest {
        amount: Decimal::new(321_800, 4),
        ..charge("o-40", VAULT_OK, 0)
    };
    let made = gateway.charge(&usd).await.expect("charged");
    assert_eq!(order(&paypal, &made.id).amount, "32.18");

    let yen = ChargeRequest {
        amount: Decimal::new(100_000, 2),
        currency: "JPY".into(),
        ..charge("o-41", VAULT_OK, 0)
    };
    let made = gateway.charge(&yen).await.expect("charged");
    assert_eq!(made, Charge::made(&made.id, Decimal::new(1000, 0), "JPY"));
    assert_eq!(order(&paypal, &made.id).amount, "1000");

    let created = paypal.calls(Op::CreateOrder);
    let half_yen = ChargeRequest {
        amount: Decimal::new(10_005, 1),
        ..yen
    };
    assert_eq!(
        gateway
            .charge(&ChargeRequest {
                idempotency_key: "o-42".into(),
                ..half_yen
            })
            .await,
        Err(declined("decimal_precision"))
    );
    assert_eq!(paypal.calls(Op::CreateOrder), created, "nothing was sent");
    assert_well_behaved(&paypal);
}

#[tokio::test]
async fn paypal_out_of_reach_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let gateway = PayPalGateway::new(
        "paypal",
        &format!("http://{addr}"),
        "id",
        "secret",
        Duration::from_secs(2),
    )
    .expect("client");
    assert!(matches!(
        gateway.charge(&charge("o-50", VAULT_OK, 100)).await,
        Err(GatewayError::Unreachable(_))
    ));
}

/// The fake's own rules that the adapter's design rests on, spoken to
/// directly.
#[tokio::test]
async fn the_fake_charges_at_creation_with_a_vault_id_and_replays_request_ids() {
    let paypal = fake::start().await;
    let http = reqwest::Client::new();
    let issued: Value = http
        .post(format!("{}/v1/oauth2/token", paypal.base_url()))
        .basic_auth(paypal.client_id(), Some(paypal.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token body");
    let token = issued["access_token"].as_str().expect("an access token");
    let create = |request_id: &str, value: &str| {
        http.post(format!("{}/v2/checkout/orders", paypal.base_url()))
            .bearer_auth(token)
            .header("PayPal-Request-Id", request_id)
            .header("Prefer", "return=representation")
            .json(&json!({
                "intent": "CAPTURE",
                "purchase_units": [{ "amount": { "currency_code": "USD", "value": value } }],
                "payment_source": { "paypal": { "vault_id": VAULT_OK } },
            }))
            .send()
    };
    let first = create("direct-1", "10.00").await.expect("created");
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.expect("order");
    assert_eq!(
        first["status"], "COMPLETED",
        "a saved payment source at creation is charged at once"
    );

    let again = create("direct-1", "99.00").await.expect("replayed");
    assert_eq!(again.status().as_u16(), 200);
    let again: Value = again.json().await.expect("order");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(
        paypal.request_id_mismatches(),
        vec!["/v2/checkout/orders direct-1".to_owned()]
    );

    let refused = create("direct-2", "10.001").await.expect("answered");
    assert_eq!(refused.status().as_u16(), 400);
    let refused: Value = refused.json().await.expect("error");
    assert_eq!(
        (&refused["name"], &refused["details"][0]["issue"]),
        (&json!("INVALID_REQUEST"), &json!("DECIMAL_PRECISION"))
    );

    let anonymous = http
        .get(format!(
            "{}/v2/checkout/orders/{}",
            paypal.base_url(),
            first["id"].as_str().unwrap_or_default()
        ))
        .send()
        .await
        .expect("answered");
    assert_eq!(anonymous.status().as_u16(), 401);
}
