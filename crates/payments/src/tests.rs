//! The retry policy against the sandbox, and the HTTP adapter against a
//! fake provider served on loopback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use poem::web::{Data, Json};
use poem::{EndpointExt, Request, Route, handler, post};
use rust_decimal::Decimal;

use crate::*;

fn request(key: &str, token: &str) -> ChargeRequest {
    ChargeRequest {
        idempotency_key: key.to_owned(),
        amount: Decimal::new(4999, 2),
        currency: "USD".into(),
        payment_token: token.to_owned(),
        tenant: "t_test".into(),
        capture: true,
        return_url: None,
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

#[tokio::test]
async fn sandbox_tokens_behave_like_test_cards() {
    let sandbox = SandboxGateway::default();
    let ok = charge_with_retries(&sandbox, &request("o1", "tok_success"), &fast()).await;
    assert_eq!(
        (ok.result.map(|c| c.amount), ok.attempts),
        (Ok(Decimal::new(4999, 2)), 1)
    );
    let declined = charge_with_retries(&sandbox, &request("o2", "tok_decline"), &fast()).await;
    assert_eq!(declined.attempts, 1, "declines are not retried");
    assert_eq!(
        declined.result.map_err(|e| e.code()),
        Err("payment_declined")
    );
    let broke =
        charge_with_retries(&sandbox, &request("o3", "tok_insufficient_funds"), &fast()).await;
    assert_eq!(
        broke.result.map_err(|e| e.code()),
        Err("insufficient_funds")
    );
    let flaky = charge_with_retries(&sandbox, &request("o4", "tok_transient"), &fast()).await;
    assert!(flaky.result.is_ok());
    assert_eq!(flaky.attempts, 2);
}

#[tokio::test]
async fn a_timeout_that_succeeded_is_charged_once() {
    let sandbox = SandboxGateway::default();
    let outcome = charge_with_retries(&sandbox, &request("order-7", "tok_timeout"), &fast()).await;
    assert!(outcome.result.is_ok());
    assert_eq!(outcome.attempts, 2);
    assert_eq!(sandbox.calls_for("order-7"), 2);
    assert_eq!(
        sandbox.charges_for("order-7"),
        1,
        "the retry found the first charge"
    );
}

#[test]
fn backoff_grows_and_is_capped() {
    let policy = RetryPolicy {
        max_attempts: 10,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(800),
    };
    for _ in 0..200 {
        assert!(policy.delay(1) <= Duration::from_millis(100));
        assert!(policy.delay(3) <= Duration::from_millis(400));
        assert!(policy.delay(9) <= Duration::from_millis(800));
    }
}

/// The fake provider: charges by Idempotency-Key; the first attempt of a
/// key whose token is `tok_slow` is recorded but answered too late.
#[derive(Default)]
struct Provider {
    charges: Mutex<HashMap<String, serde_json::Value>>,
    calls: Mutex<u32>,
}

#[handler]
async fn charges(
    req: &Request,
    body: Json<serde_json::Value>,
    provider: Data<&Arc<Provider>>,
) -> poem::Response {
    let key = req.header("idempotency-key").unwrap_or_default().to_owned();
    *provider.calls.lock().expect("lock") += 1;
    let existing = provider.charges.lock().expect("lock").get(&key).cloned();
    if let Some(charge) = existing {
        return poem::Response::builder()
            .status(poem::http::StatusCode::OK)
            .body(charge.to_string());
    }
    match body["source"].as_str().unwrap_or_default() {
        "tok_declined" => poem::Response::builder()
            .status(poem::http::StatusCode::PAYMENT_REQUIRED)
            .body(r#"{"error":{"code":"card_declined"}}"#),
        "tok_broke" => poem::Response::builder()
            .status(poem::http::StatusCode::PAYMENT_REQUIRED)
            .body(r#"{"error":{"code":"insufficient_funds"}}"#),
        "tok_down" => poem::Response::builder()
            .status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
            .body("down"),
        source => {
            let charge = serde_json::json!({ "id": format!("ch_{key}"), "amount": body["amount"], "currency": body["currency"] });
            provider
                .charges
                .lock()
                .expect("lock")
                .insert(key, charge.clone());
            if source == "tok_slow" {
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            poem::Response::builder()
                .status(poem::http::StatusCode::OK)
                .body(charge.to_string())
        }
    }
}

#[tokio::test]
async fn http_adapter_against_a_fake_provider() {
    let provider = Arc::new(Provider::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let app = Route::new()
        .at("/v1/charges", post(charges))
        .data(provider.clone());
    let server = tokio::spawn(poem::Server::new(poem::listener::TcpListener::bind(addr)).run(app));
    tokio::time::sleep(Duration::from_millis(100)).await;

    let gateway = HttpGateway::new(
        &format!("http://{addr}"),
        "sk_test",
        Duration::from_millis(150),
    )
    .expect("client");
    let ok = charge_with_retries(&gateway, &request("a1", "tok_ok"), &fast()).await;
    let charge = ok.result.expect("charged");
    assert_eq!(
        (charge.id.as_str(), charge.amount),
        ("ch_a1", Decimal::new(4999, 2))
    );

    // The provider charged but answered after our timeout; the retry with
    // the same key gets the same charge back: one charge, two calls.
    let before = *provider.calls.lock().expect("lock");
    let slow = charge_with_retries(&gateway, &request("a2", "tok_slow"), &fast()).await;
    assert_eq!(slow.result.map(|c| c.id), Ok("ch_a2".to_owned()));
    assert_eq!(slow.attempts, 2);
    assert_eq!(*provider.calls.lock().expect("lock") - before, 2);
    assert_eq!(
        provider
            .charges
            .lock()
            .expect("lock")
            .keys()
            .filter(|k| *k == "a2")
            .count(),
        1
    );

    let declined = charge_with_retries(&gateway, &request("a3", "tok_declined"), &fast()).await;
    assert_eq!(
        (declined.result.map_err(|e| e.code()), declined.attempts),
        (Err("payment_declined"), 1)
    );
    let broke = charge_with_retries(&gateway, &request("a4", "tok_broke"), &fast()).await;
    assert_eq!(
        broke.result.map_err(|e| e.code()),
        Err("insufficient_funds")
    );
    let down = charge_with_retries(&gateway, &request("a5", "tok_down"), &fast()).await;
    assert_eq!(
        (down.result.map_err(|e| e.code()), down.attempts),
        (Err("payment_provider_unavailable"), 4),
        "retried until the policy gave up"
    );
    server.abort();
}

#[tokio::test]
async fn sandbox_refunds_once_per_key_and_never_more_than_was_charged() {
    let sandbox = SandboxGateway::default();
    let charge = sandbox
        .charge(&request("o9", "tok_success"))
        .await
        .expect("charged");
    let refund = |key: &str, cents: i64| RefundRequest {
        idempotency_key: key.to_owned(),
        charge_id: charge.id.clone(),
        amount: Decimal::new(cents, 2),
        currency: "USD".into(),
        tenant: "t_test".into(),
    };
    let first = sandbox.refund(&refund("r1", 1000)).await.expect("refund");
    assert_eq!(first.amount, Decimal::new(1000, 2));
    // The same key again: the same refund, not a second.
    assert_eq!(sandbox.refund(&refund("r1", 1000)).await, Ok(first));
    assert_eq!(sandbox.refunded_for("o9"), Decimal::new(1000, 2));
    // 49.99 charged, 10.00 back: 39.99 is left, 40.00 is too much.
    assert_eq!(
        sandbox.refund(&refund("r2", 4000)).await,
        Err(GatewayError::Declined("amount_too_large".into()))
    );
    sandbox.refund(&refund("r3", 3999)).await.expect("the rest");
    assert_eq!(sandbox.refunded_for("o9"), Decimal::new(4999, 2));
    let unknown = RefundRequest {
        charge_id: "ch_nope".into(),
        ..refund("r4", 1)
    };
    assert_eq!(
        sandbox.refund(&unknown).await,
        Err(GatewayError::Declined("no_such_charge".into()))
    );
}

#[tokio::test]
async fn sandbox_captures_in_parts_up_to_the_authorisation_then_closes() {
    let sandbox = SandboxGateway::default();
    let auth = sandbox
        .charge(&ChargeRequest {
            capture: false,
            return_url: None,
            ..request("o10", "tok_success")
        })
        .await
        .expect("authorised");
    assert_eq!(sandbox.captured_for("o10"), (Decimal::ZERO, true));
    let capture = |key: &str, cents: i64, last: bool| CaptureRequest {
        idempotency_key: key.to_owned(),
        charge_id: auth.id.clone(),
        amount: Decimal::new(cents, 2),
        currency: "USD".into(),
        final_capture: last,
        tenant: "t_test".into(),
    };
    // Nothing captured yet: nothing can be refunded.
    let refund = RefundRequest {
        idempotency_key: "r-early".into(),
        charge_id: auth.id.clone(),
        amount: Decimal::new(100, 2),
        currency: "USD".into(),
        tenant: "t_test".into(),
    };
    assert_eq!(
        sandbox.refund(&refund).await,
        Err(GatewayError::Declined("amount_too_large".into()))
    );
    let first = sandbox
        .capture(&capture("c1", 2000, false))
        .await
        .expect("capture");
    // The same key is the same capture.
    assert_eq!(
        sandbox.capture(&capture("c1", 2000, false)).await,
        Ok(first)
    );
    assert_eq!(sandbox.captured_for("o10"), (Decimal::new(2000, 2), true));
    assert_eq!(
        sandbox.capture(&capture("c2", 3000, false)).await,
        Err(GatewayError::Declined("amount_too_large".into())),
        "20.00 + 30.00 is more than the 49.99 authorised"
    );
    sandbox
        .capture(&capture("c3", 1000, true))
        .await
        .expect("last capture");
    assert_eq!(sandbox.captured_for("o10"), (Decimal::new(3000, 2), false));
    assert_eq!(
        sandbox.capture(&capture("c4", 1, false)).await,
        Err(GatewayError::Declined("authorization_closed".into())),
        "the final capture released the rest"
    );
    // Refunds reach what was captured, not what was authorised.
    let refund = |key: &str, cents: i64| RefundRequest {
        idempotency_key: key.to_owned(),
        amount: Decimal::new(cents, 2),
        ..refund.clone()
    };
    assert!(sandbox.refund(&refund("r1", 3001)).await.is_err());
    sandbox
        .refund(&refund("r2", 3000))
        .await
        .expect("all captured");
}

#[tokio::test]
async fn sandbox_void_releases_an_authorisation() {
    let sandbox = SandboxGateway::default();
    let auth = sandbox
        .charge(&ChargeRequest {
            capture: false,
            return_url: None,
            ..request("o11", "tok_success")
        })
        .await
        .expect("authorised");
    let void = VoidRequest {
        idempotency_key: "v1".into(),
        charge_id: auth.id.clone(),
        tenant: "t_test".into(),
    };
    sandbox.void(&void).await.expect("voided");
    sandbox
        .void(&void)
        .await
        .expect("voiding again is harmless");
    assert_eq!(sandbox.captured_for("o11"), (Decimal::ZERO, false));
    let capture = CaptureRequest {
        idempotency_key: "c1".into(),
        charge_id: auth.id,
        amount: Decimal::ONE,
        currency: "USD".into(),
        final_capture: true,
        tenant: "t_test".into(),
    };
    assert_eq!(
        sandbox.capture(&capture).await,
        Err(GatewayError::Declined("authorization_closed".into()))
    );
}
