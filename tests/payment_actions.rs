//! Payments the provider cannot make until the shopper acts (a 3-D Secure
//! challenge, approving a wallet payment): checkout answers the order
//! pending with what the shopper must do, its stock held; confirming asks
//! the provider how it ended and settles the order; a challenge abandoned
//! past the hold is cancelled at the provider, and one completed too late
//! is given back.

use serde_json::json;

use crate::checkout::{cart, checkout, ledger_balances, open_all_day, stock};
use crate::refunds::{events, housekeeping, order, sweep};
use crate::support::shop::Shop;
use crate::support::{Reply, TestApp, e2e, unique};

const RETURN_URL: &str = "https://shop.example/checkout/return";

/// `POST /v1/orders/{id}/payment/confirm` as the shopper, with the cart's
/// token.
pub(crate) async fn confirm(app: &TestApp, s: &Shop, cart_token: &str, order: &str) -> Reply {
    app.send_with_headers(
        reqwest::Method::POST,
        &format!("/v1/orders/{order}/payment/confirm"),
        Some(&s.storefront),
        &[("X-Cart-Token", cart_token)],
        None,
    )
    .await
}

/// Check out `quantity` tees paying with `token`; the order as answered.
async fn challenged(
    app: &TestApp,
    s: &Shop,
    token: &str,
    quantity: i32,
) -> ((String, String), String, serde_json::Value) {
    let c = cart(app, s, s.variant("tee"), quantity).await;
    let key = unique("k");
    let placed = checkout(
        app,
        s,
        &c,
        Some(&key),
        json!({ "payment_token": token, "return_url": RETURN_URL }),
    )
    .await
    .expect(201);
    (c, key, placed)
}

#[e2e]
async fn a_challenge_passed_pays_the_order_and_a_failed_one_releases_its_stock() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let tee = s.variant("tee").to_owned();
    let (c, key, placed) = challenged(&app, &s, "tok_3ds_pass", 2).await;
    assert_eq!(placed["status"], "pending_payment");
    assert_eq!(placed["payment_status"], "requires_action");
    let action = &placed["payment_action"];
    assert_eq!(action["kind"], "redirect_to_url");
    let url = action["url"].as_str().expect("a challenge url");
    assert!(
        url.ends_with(&format!("return_url={RETURN_URL}")),
        "the provider is told where to send the shopper back: {url}"
    );
    assert!(action["client_secret"].as_str().is_some());
    assert_eq!(
        stock(&app, &s, &tee).await,
        (10, 2),
        "held while the shopper acts"
    );
    assert_eq!(events(&app, &s, "order.payment_action_required").await, 1);
    // The same key replays the same answer; nothing is charged twice.
    let again = checkout(
        &app,
        &s,
        &c,
        Some(&key),
        json!({ "payment_token": "tok_3ds_pass", "return_url": RETURN_URL }),
    )
    .await
    .expect(201);
    assert_eq!(again, placed);
    let id = placed["id"].as_str().expect("id").to_owned();
    // Only with the cart's token (or the owner's session).
    app.send_with_headers(
        reqwest::Method::POST,
        &format!("/v1/orders/{id}/payment/confirm"),
        Some(&s.storefront),
        &[("X-Cart-Token", "not-the-token")],
        None,
    )
    .await
    .expect_problem(404, "order_not_found");

    // Back from the challenge: the provider says it passed.
    let paid = confirm(&app, &s, &c.1, &id).await.expect(200);
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["payment_status"], "succeeded");
    assert_eq!(paid["payment_action"], serde_json::Value::Null);
    assert_eq!(paid["captured_total"], paid["total"]);
    assert_eq!(stock(&app, &s, &tee).await, (8, 0), "committed");
    // Confirming again changes nothing.
    let twice = confirm(&app, &s, &c.1, &id).await.expect(200);
    assert_eq!(twice["status"], "paid");
    assert_eq!(events(&app, &s, "order.paid").await, 1);

    // A challenge the shopper fails: refused, the stock back on sale.
    let (c2, _, failing) = challenged(&app, &s, "tok_3ds_fail", 3).await;
    assert_eq!(failing["payment_status"], "requires_action");
    assert_eq!(stock(&app, &s, &tee).await, (8, 3));
    let failed = confirm(&app, &s, &c2.1, failing["id"].as_str().expect("id"))
        .await
        .expect(200);
    assert_eq!(failed["status"], "payment_failed");
    assert_eq!(failed["payment_status"], "failed");
    assert_eq!(failed["payment_failure"], "authentication_failed");
    assert_eq!(failed["payment_action"], serde_json::Value::Null);
    assert_eq!(stock(&app, &s, &tee).await, (8, 0), "released");
    ledger_balances(&app, &s.slug).await;
    app.stop().await;
}

/// Let `order`'s hold run out and run housekeeping as every node does:
/// reconcile what is due, then expire what is left.
async fn hold_runs_out(app: &TestApp, s: &Shop, order: &str) {
    let id = order.parse().expect("uuid");
    let reconciled = crate::checkout::reconcile_after_hold(app, s, id).await;
    assert_eq!(
        reconciled.paid, 0,
        "a charge still waiting for the shopper is not a charge"
    );
    assert_eq!(
        reconciled.held, 0,
        "nor an unknown outcome to hold stock for"
    );
    housekeeping(app, s).await;
}

#[e2e]
async fn an_abandoned_challenge_is_cancelled_at_the_provider_and_a_late_one_given_back() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let tee = s.variant("tee").to_owned();

    // The shopper never comes back: the order expires, its stock returns,
    // and the sweep cancels the charge at the provider and records that
    // nothing was charged.
    let (c, _, abandoned) = challenged(&app, &s, "tok_3ds_pass", 2).await;
    let id = abandoned["id"].as_str().expect("id").to_owned();
    hold_runs_out(&app, &s, &id).await;
    let expired = order(&app, &s, &id).await;
    assert_eq!(expired["status"], "cancelled");
    assert_eq!(stock(&app, &s, &tee).await, (10, 0));
    let first = sweep(&app, &s).await;
    assert_eq!(
        (first.late_charges, first.not_charged),
        (0, 1),
        "the waiting charge is cancelled at the provider: nothing charged"
    );
    let second = sweep(&app, &s).await;
    assert_eq!(
        (second.late_charges, second.not_charged),
        (0, 0),
        "settled once"
    );
    let settled = order(&app, &s, &id).await;
    assert_eq!(settled["payment_status"], "failed");
    assert_eq!(settled["payment_failure"], "not_charged");
    assert_eq!(settled["payment_action"], serde_json::Value::Null);
    let sandbox = app.state.gateways.named("sandbox");
    assert_eq!(
        sandbox.find(&id).await,
        Err(bazaar_payments::GatewayError::Declined(
            "payment_cancelled".into()
        )),
        "the provider holds no charge for it"
    );
    // Coming back now changes nothing: the charge was cancelled.
    let late = confirm(&app, &s, &c.1, &id).await.expect(200);
    assert_eq!(late["status"], "cancelled");
    assert_eq!(late["refunded_total"], "0.00");

    // The shopper passes the challenge after the order expired (before
    // the sweep cancelled it): the charge is made, and given back in full.
    let (c2, _, slow) = challenged(&app, &s, "tok_3ds_pass", 1).await;
    let slow_id = slow["id"].as_str().expect("id").to_owned();
    hold_runs_out(&app, &s, &slow_id).await;
    let back = confirm(&app, &s, &c2.1, &slow_id).await.expect(200);
    assert_eq!(back["status"], "cancelled", "{back}");
    assert_eq!(back["payment_status"], "succeeded");
    let refunds = app
        .get(&format!("/v1/orders/{slow_id}/refunds"), &s.admin)
        .await
        .expect(200);
    assert_eq!(refunds["items"][0]["amount"], slow["total"]);
    assert_eq!(refunds["items"][0]["reason"], "charged_after_cancellation");
    assert_eq!(stock(&app, &s, &tee).await, (10, 0), "no stock was sold");
    ledger_balances(&app, &s.slug).await;
    app.stop().await;
}

#[e2e]
async fn a_return_url_must_be_an_absolute_web_address() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let c = cart(&app, &s, s.variant("tee"), 1).await;
    for bad in ["javascript:alert(1)", "/relative", "https://has space"] {
        let refused = checkout(
            &app,
            &s,
            &c,
            Some(&unique("k")),
            json!({ "payment_token": "tok_3ds_pass", "return_url": bad }),
        )
        .await;
        assert_eq!(refused.status, 400, "{bad}: {}", refused.body);
        assert_eq!(refused.body["code"], "invalid_body", "{bad}");
    }
    app.stop().await;
}
