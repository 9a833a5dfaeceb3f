//! Checkout, confirmation, events and refunds through the Stripe-shaped
//! and PayPal-shaped adapters, against loopback fakes that follow each
//! provider's documented API and count the money they really move.

use std::time::Duration;

use bazaar_payments::fakes::{paypal, stripe};
use serde_json::{Value, json};

use crate::checkout::{cart, checkout, ledger_balances, regions_with_hours, stock};
use crate::payment_actions::confirm;
use crate::refunds::{deliver_signed, order, refund};
use crate::support::shop::Shop;
use crate::support::{Reply, TestApp, e2e, unique};

const WEBHOOK_SECRET: &str = "whsec_providers_test";

/// A Bazaar selling all day through `provider` at `url`.
async fn app_with(provider: &str, url: &str, key: &str) -> TestApp {
    let regions = regions_with_hours("[\"00:00-24:00\"]");
    TestApp::builder()
        .regions_dir(&regions)
        .env("BAZAAR_PAYMENT_PROVIDER", provider)
        .env("BAZAAR_PAYMENT_PROVIDER_URL", url)
        .env("BAZAAR_PAYMENT_PROVIDER_KEY", key)
        .env("BAZAAR_PAYMENT_TIMEOUT_MS", "400")
        .env("BAZAAR_PAYMENT_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .start()
        .await
}

async fn buy(app: &TestApp, s: &Shop, token: &str, quantity: i32) -> ((String, String), Value) {
    let c = cart(app, s, s.variant("tee"), quantity).await;
    let placed = checkout(
        app,
        s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": token, "return_url": "https://shop.example/back" }),
    )
    .await
    .expect(201);
    (c, placed)
}

fn minor(amount: &Value) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    let amount: rust_decimal::Decimal = amount
        .as_str()
        .expect("an amount")
        .parse()
        .expect("decimal");
    (amount * rust_decimal::Decimal::ONE_HUNDRED)
        .to_i64()
        .expect("cents")
}

#[e2e]
async fn stripe_charges_once_challenges_the_shopper_and_takes_its_events() {
    let fake = stripe::start().await;
    let app = app_with("stripe", fake.base_url(), stripe::SECRET_KEY).await;
    let s = Shop::stocked(&app, 20).await;
    let tee = s.variant("tee").to_owned();

    // A card that pays: one intent, for the order's total in cents.
    let (_, paid) = buy(&app, &s, "pm_card_visa", 2).await;
    assert_eq!(paid["status"], "paid", "{paid}");
    let id = paid["id"].as_str().expect("id").to_owned();
    assert_eq!(fake.effective_charges(&id), 1);
    let intent = fake
        .intents()
        .into_iter()
        .find(|i| i.metadata.get("order_id") == Some(&id))
        .expect("the intent names its order");
    assert_eq!(intent.amount_received, minor(&paid["total"]));
    assert_eq!(intent.currency, "usd");

    // A decline: the order failed, its stock back.
    let (_, declined) = buy(&app, &s, "pm_card_chargeDeclined", 1).await;
    assert_eq!(declined["status"], "payment_failed");
    assert_eq!(declined["payment_failure"], "payment_declined");

    // The answer is lost after Stripe charged: the retry with the same
    // key gets Stripe's saved answer; one charge.
    fake.hang(Duration::from_millis(900));
    let (_, slow) = buy(&app, &s, "pm_card_visa", 1).await;
    assert_eq!(slow["status"], "paid", "{slow}");
    let slow_id = slow["id"].as_str().expect("id");
    assert_eq!(fake.intents_for_order(slow_id), 1);
    assert_eq!(fake.effective_charges(slow_id), 1);

    // 3-D Secure: the order waits with the challenge, its stock held.
    let (c, challenged) = buy(&app, &s, "pm_card_threeDSecure2Required", 1).await;
    assert_eq!(challenged["status"], "pending_payment");
    assert_eq!(challenged["payment_status"], "requires_action");
    let action = &challenged["payment_action"];
    assert!(
        matches!(action["kind"].as_str(), Some("redirect_to_url" | "use_sdk")),
        "{action}"
    );
    assert!(action["client_secret"].as_str().is_some(), "{action}");
    let challenged_id = challenged["id"].as_str().expect("id").to_owned();
    let intent = fake
        .intents()
        .into_iter()
        .find(|i| i.metadata.get("order_id") == Some(&challenged_id))
        .expect("intent");
    assert_eq!(intent.status, "requires_action");
    // Confirming before the shopper acts changes nothing.
    let waiting = confirm(&app, &s, &c.1, &challenged_id).await.expect(200);
    assert_eq!(waiting["payment_status"], "requires_action");
    // The shopper passes; Stripe's event arrives before the storefront
    // confirms, signed in Stripe's header.
    assert!(fake.complete_action(&intent.id, true));
    let event = fake
        .intent_event(&intent.id, "payment_intent.succeeded")
        .expect("event");
    let delivered = deliver(&app, &event).await.expect(200);
    assert_eq!(delivered["outcome"], "paid", "{delivered}");
    let again = deliver(&app, &event).await.expect(200);
    assert_eq!(again["outcome"], "duplicate");
    let confirmed = confirm(&app, &s, &c.1, &challenged_id).await.expect(200);
    assert_eq!(confirmed["status"], "paid");
    assert_eq!(fake.effective_charges(&challenged_id), 1);

    // A refund of part of the first order reaches Stripe once.
    let part = refund(
        &app,
        &s,
        &id,
        &unique("r"),
        json!({ "amount": "10.00", "reason": "damaged" }),
    )
    .await
    .expect(201);
    assert_eq!(part["status"], "succeeded", "{part}");
    let refunded: i64 = fake
        .refunds()
        .iter()
        .filter(|r| r.payment_intent == intent_of(&fake, &id))
        .map(|r| r.amount)
        .sum();
    assert_eq!(refunded, 1000);
    assert_eq!(order(&app, &s, &id).await["refunded_total"], "10.00");

    assert!(fake.key_misuses().is_empty(), "{:?}", fake.key_misuses());
    assert_eq!(stock(&app, &s, &tee).await, (16, 0), "2 + 1 + 1 sold");
    ledger_balances(&app, &s.slug).await;
    app.stop().await;
}

fn intent_of(fake: &stripe::FakeStripe, order: &str) -> String {
    fake.intents()
        .into_iter()
        .find(|i| i.metadata.get("order_id").map(String::as_str) == Some(order))
        .map(|i| i.id)
        .expect("intent")
}

/// Deliver a Stripe event to Bazaar, signed as Stripe signs.
async fn deliver(app: &TestApp, event: &Value) -> Reply {
    let (signature, body) = stripe::sign_event(WEBHOOK_SECRET, event);
    deliver_signed(app, "stripe", ("stripe-signature", &signature), body).await
}

#[e2e]
async fn paypal_charges_waits_for_approval_and_refunds() {
    let fake = paypal::start().await;
    let key = format!("{}:{}", fake.client_id(), fake.client_secret());
    let app = app_with("paypal", fake.base_url(), &key).await;
    let s = Shop::stocked(&app, 20).await;
    let tee = s.variant("tee").to_owned();

    let (_, paid) = buy(&app, &s, paypal::VAULT_OK, 2).await;
    assert_eq!(paid["status"], "paid", "{paid}");
    let id = paid["id"].as_str().expect("id").to_owned();
    assert_eq!(fake.orders_for(&id), 1);
    let at_paypal = paypal_order(&fake, &id);
    assert_eq!(at_paypal.status, "COMPLETED");
    assert_eq!(
        at_paypal.captured.to_string(),
        paid["total"].as_str().expect("total")
    );

    let (_, declined) = buy(&app, &s, paypal::VAULT_DECLINED, 1).await;
    assert_eq!(declined["status"], "payment_failed", "{declined}");

    // The payer must approve at PayPal first.
    let (c, waiting) = buy(&app, &s, paypal::VAULT_PAYER_ACTION, 1).await;
    assert_eq!(waiting["payment_status"], "requires_action", "{waiting}");
    assert_eq!(waiting["payment_action"]["kind"], "redirect_to_url");
    let waiting_id = waiting["id"].as_str().expect("id").to_owned();
    assert_eq!(stock(&app, &s, &tee).await.1, 1, "held meanwhile");
    let still = confirm(&app, &s, &c.1, &waiting_id).await.expect(200);
    assert_eq!(still["payment_status"], "requires_action");
    assert!(fake.approve(&paypal_order(&fake, &waiting_id).id));
    let approved = confirm(&app, &s, &c.1, &waiting_id).await.expect(200);
    assert_eq!(approved["status"], "paid", "{approved}");
    assert_eq!(paypal_order(&fake, &waiting_id).status, "COMPLETED");

    // A partial refund goes to the order's capture, once per key.
    let key = unique("r");
    let body = json!({ "amount": "5.00", "reason": "damaged" });
    let made = refund(&app, &s, &id, &key, body.clone()).await.expect(201);
    assert_eq!(made["status"], "succeeded", "{made}");
    refund(&app, &s, &id, &key, body).await.expect(201);
    assert_eq!(paypal_order(&fake, &id).refunded.to_string(), "5.00");

    assert!(
        fake.request_id_mismatches().is_empty(),
        "{:?}",
        fake.request_id_mismatches()
    );
    assert_eq!(fake.posts_without_request_id(), 0);
    assert_eq!(stock(&app, &s, &tee).await, (17, 0));
    ledger_balances(&app, &s.slug).await;
    app.stop().await;
}

fn paypal_order(fake: &paypal::FakePayPal, order: &str) -> paypal::OrderView {
    fake.orders()
        .into_iter()
        .find(|o| o.custom_id.as_deref() == Some(order))
        .expect("a PayPal order for it")
}

#[e2e]
async fn a_tenant_routes_its_orders_to_providers_and_capture_modes_by_region() {
    let stripe_fake = stripe::start().await;
    let (processor, processor_url) = crate::support::processor::Processor::start();
    let regions = regions_with_hours("[\"00:00-24:00\"]");
    let app = TestApp::builder()
        .regions_dir(&regions)
        .env("BAZAAR_PAYMENT_PROVIDER", "stripe")
        .env("BAZAAR_PAYMENT_PROVIDER_URL", stripe_fake.base_url())
        .env("BAZAAR_PAYMENT_PROVIDER_KEY", stripe::SECRET_KEY)
        .env("BAZAAR_PAYMENT_FALLBACK_URL", &processor_url)
        .env("BAZAAR_PAYMENT_FALLBACK_KEY", "sk_test_fake")
        .env("BAZAAR_PAYMENT_TIMEOUT_MS", "400")
        .start()
        .await;
    let s = Shop::stocked(&app, 20).await;
    let routes = |body: Value| {
        let app = &app;
        let admin = s.admin.clone();
        async move {
            app.send(
                reqwest::Method::PUT,
                "/v1/payment-routes",
                Some(&admin),
                Some(body),
            )
            .await
        }
    };

    // No routes: the deployment's primary, captured at once.
    let (_, first) = buy(&app, &s, "pm_card_visa", 1).await;
    assert_eq!(first["payment_status"], "succeeded", "{first}");
    assert_eq!(
        stripe_fake.effective_charges(first["id"].as_str().expect("id")),
        1
    );

    // The tenant prefers the other provider and authorises at checkout.
    let set = routes(json!({ "routes": [
        { "region": "*", "providers": ["http_fallback", "stripe"], "capture": "on_shipment" }
    ] }))
    .await
    .expect(200);
    assert_eq!(set["routes"][0]["providers"][0], "http_fallback");
    let (_, second) = buy(&app, &s, "tok_ok", 1).await;
    assert_eq!(second["status"], "paid", "{second}");
    assert_eq!(second["payment_status"], "authorized");
    assert_eq!(second["payment_capture"], "on_shipment");
    let second_id = second["id"].as_str().expect("id");
    assert!(
        processor
            .charges
            .lock()
            .expect("charges")
            .contains_key(second_id),
        "charged by the route's first provider"
    );
    assert_eq!(stripe_fake.intents_for_order(second_id), 0);

    // California has a route of its own: back to Stripe, captured at once.
    routes(json!({ "routes": [
        { "region": "*", "providers": ["http_fallback", "stripe"], "capture": "on_shipment" },
        { "region": "US-CA", "providers": ["stripe"], "capture": "immediate" }
    ] }))
    .await
    .expect(200);
    let (_, third) = buy(&app, &s, "pm_card_visa", 1).await;
    assert_eq!(third["payment_status"], "succeeded", "{third}");
    assert_eq!(
        stripe_fake.effective_charges(third["id"].as_str().expect("id")),
        1
    );
    let listed = app.get("/v1/payment-routes", &s.admin).await.expect(200);
    assert_eq!(listed["routes"][0]["region"], "*", "the default first");
    assert_eq!(listed["routes"][1]["region"], "US-CA");

    // Routes name only providers the deployment has, each once.
    for (body, code) in [
        (
            json!({ "routes": [{ "region": "*", "providers": ["adyen"] }] }),
            "payment_provider_not_configured",
        ),
        (
            json!({ "routes": [{ "region": "*", "providers": [] }] }),
            "providers_required",
        ),
        (
            json!({ "routes": [{ "region": "*", "providers": ["stripe", "stripe"] }] }),
            "providers_required",
        ),
        (
            json!({ "routes": [{ "region": "California", "providers": ["stripe"] }] }),
            "invalid_region",
        ),
        (
            json!({ "routes": [
                { "region": "US-CA", "providers": ["stripe"] },
                { "region": "US-CA", "providers": ["http_fallback"] }
            ] }),
            "duplicate_region",
        ),
    ] {
        routes(body).await.expect_problem(422, code);
    }
    app.send(
        reqwest::Method::PUT,
        "/v1/payment-routes",
        Some(&s.storefront),
        Some(json!({ "routes": [] })),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    // Emptied, the deployment's own order applies again.
    assert_eq!(
        routes(json!({ "routes": [] })).await.expect(200)["routes"],
        json!([])
    );
    app.stop().await;
}
