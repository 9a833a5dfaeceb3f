//! Loyalty points: earned on paid orders and not on failed ones, redeemed
//! at checkout within limits, given back when the payment is declined,
//! redeemed once by a replayed checkout, and expired after thirty days; the
//! kept balance always equals the ledger's sum.

use futures_util::FutureExt;
use reqwest::Method;
use serde_json::{Value, json};

use super::{as_shopper, customer_cart, customer_id, register, schema, session};
use crate::checkout::{checkout, open_all_day};
use crate::support::shop::Shop;
use crate::support::{TestApp, e2e, unique};

/// The account's kept balance and its ledger's sum.
async fn balances(app: &TestApp, s: &Shop, customer: &str) -> (i64, i64) {
    let id: uuid::Uuid = customer.parse().expect("uuid");
    app.db()
        .tenant_read(&schema(s), move |conn| {
            async move { bazaar_store::tenant::loyalty::balances(conn, id).await }.boxed()
        })
        .await
        .expect("balances")
}

#[e2e]
async fn loyalty_points_are_earned_redeemed_restored_and_expire() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 20).await;
    let rule = |value: &str| {
        json!({ "account_scope": "brand", "loyalty_points_per_unit": "10",
                "loyalty_point_value": value, "loyalty_expiry_days": 30 })
    };
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(rule("0.01")),
    )
    .await
    .expect(200);
    let view = register(&app, &s.storefront, "points@shoppers.example").await;
    let (id, me) = (customer_id(&view), session(&view));
    let signed_in = |cart: &(String, String), key: String, body: Value| {
        let app = &app;
        let storefront = s.storefront.clone();
        let me = me.clone();
        let cart = cart.clone();
        async move {
            app.send_with_headers(
                Method::POST,
                &format!("/v1/carts/{}/checkout", cart.0),
                Some(&storefront),
                &[
                    ("X-Customer-Token", me.as_str()),
                    ("Idempotency-Key", key.as_str()),
                ],
                Some(body),
            )
            .await
        }
    };

    // Earned: 10 points per dollar of goods (2 tees, 60.00 net) = 600.
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 2).await;
    checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    assert_eq!(balances(&app, &s, &id).await, (600, 600));
    // A failed payment earns nothing.
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
    checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_decline" }),
    )
    .await
    .expect(201);
    assert_eq!(balances(&app, &s, &id).await, (600, 600));

    // Redeeming needs a signed-in shopper and enough points.
    let guest = crate::checkout::cart(&app, &s, s.variant("tee"), 1).await;
    checkout(
        &app,
        &s,
        &guest,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success", "redeem_points": 100 }),
    )
    .await
    .expect_problem(401, "sign_in_required");
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
    signed_in(
        &c,
        unique("k"),
        json!({ "payment_token": "tok_success", "redeem_points": 601 }),
    )
    .await
    .expect_problem(422, "insufficient_points");
    // 600 points (6.00) off one tee (30.00 + 7.25% = 32.18); the order then
    // earns on 24.00 of goods: 240 points.
    let paid = signed_in(
        &c,
        unique("k"),
        json!({ "payment_token": "tok_success", "redeem_points": 600 }),
    )
    .await
    .expect(201);
    assert_eq!(paid["discount_total"], "6.00");
    assert_eq!(paid["loyalty_points"], 600);
    assert_eq!(paid["total"], "26.18", "{paid}");
    assert_eq!(balances(&app, &s, &id).await, (240, 240));

    // Never below zero: points worth more than the order are refused.
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(rule("1")),
    )
    .await
    .expect(200);
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
    let over = signed_in(
        &c,
        unique("k"),
        json!({ "payment_token": "tok_success", "redeem_points": 40 }),
    )
    .await
    .expect_problem(422, "points_exceed_total");
    assert!(
        over["detail"]
            .as_str()
            .is_some_and(|d| d.contains("at most 32")),
        "{over}"
    );
    // Points worth a fraction of a cent are refused, not rounded away.
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(rule("0.005")),
    )
    .await
    .expect(200);
    signed_in(
        &c,
        unique("k"),
        json!({ "payment_token": "tok_success", "redeem_points": 1 }),
    )
    .await
    .expect_problem(422, "points_not_whole_amount");
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(rule("0.00001")),
    )
    .await
    .expect_problem(422, "invalid_loyalty_rule");
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(rule("0.01")),
    )
    .await
    .expect(200);

    // A declined payment gives the redeemed points back.
    let declined = signed_in(
        &c,
        unique("k"),
        json!({ "payment_token": "tok_decline", "redeem_points": 100 }),
    )
    .await
    .expect(201);
    assert_eq!(declined["status"], "payment_failed");
    assert_eq!(balances(&app, &s, &id).await, (240, 240));

    // Idempotent with the checkout: a replay redeems nothing more.
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
    let key = unique("k");
    let body = json!({ "payment_token": "tok_success", "redeem_points": 50 });
    let first = signed_in(&c, key.clone(), body.clone()).await.expect(201);
    // 240 - 50 + 10 x (30.00 - 0.50) = 485.
    assert_eq!(balances(&app, &s, &id).await, (485, 485));
    let replay = signed_in(&c, key, body).await.expect(201);
    assert_eq!(replay["id"], first["id"]);
    assert_eq!(balances(&app, &s, &id).await, (485, 485));

    // Thirty days on, every unspent point expires, and the ledger agrees.
    let later = chrono::Utc::now() + chrono::Duration::days(31);
    let report = app
        .db()
        .tenant_tx(&schema(&s), move |conn| {
            bazaar_store::tenant::housekeeping::run(conn, later).boxed()
        })
        .await
        .expect("housekeeping");
    assert_eq!(report.points_expired, 485);
    assert_eq!(balances(&app, &s, &id).await, (0, 0));
    let ledger = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/loyalty",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    assert_eq!(ledger["balance"], 0);
    let kinds: Vec<&str> = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        vec![
            "expire", "earn", "redeem", "restore", "redeem", "earn", "redeem", "earn"
        ],
        "newest first"
    );
    let sum: i64 = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["points"].as_i64().expect("points"))
        .sum();
    assert_eq!(sum, 0, "the entries sum to the balance");
    app.stop().await;
}

/// A refund takes back the points its share of the order earned (rounded
/// down), never more than the shopper still holds; the kept balance stays
/// the ledger's sum.
#[e2e]
async fn refunds_take_back_the_points_their_share_earned() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 20).await;
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(
            json!({ "account_scope": "brand", "loyalty_points_per_unit": "10",
                     "loyalty_point_value": "0.01" }),
        ),
    )
    .await
    .expect(200);
    let view = register(&app, &s.storefront, "refunded@shoppers.example").await;
    let (id, me) = (customer_id(&view), session(&view));
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 2).await;
    let order = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    assert_eq!(balances(&app, &s, &id).await, (600, 600));
    let order_id = order["id"].as_str().expect("id");
    let refund = |amount: &str| {
        let app = &app;
        let admin = s.admin.clone();
        let body = json!({ "amount": amount, "reason": "price adjustment" });
        async move {
            app.send_with_headers(
                Method::POST,
                &format!("/v1/orders/{order_id}/refunds"),
                Some(&admin),
                &[("Idempotency-Key", unique("r").as_str())],
                Some(body),
            )
            .await
            .expect(201)
        }
    };
    // A quarter of what was charged: a quarter of the 600 points.
    let total: rust_decimal::Decimal = order["total"]
        .as_str()
        .expect("total")
        .parse()
        .expect("dec");
    let quarter = (total / rust_decimal::Decimal::from(4)).round_dp(2);
    let made = refund(&quarter.to_string()).await;
    assert_eq!(made["status"], "succeeded", "{made}");
    let expected = 600
        - (rust_decimal::Decimal::from(600) * quarter / total)
            .floor()
            .to_string()
            .parse::<i64>()
            .expect("points");
    assert_eq!(balances(&app, &s, &id).await, (expected, expected));
    // The shopper spends points down to 100; the rest of the refund can
    // take back only what is left, never below zero.
    let spent = expected - 100;
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
    app.send_with_headers(
        Method::POST,
        &format!("/v1/carts/{}/checkout", c.0),
        Some(&s.storefront),
        &[
            ("X-Customer-Token", me.as_str()),
            ("Idempotency-Key", unique("k").as_str()),
        ],
        Some(json!({ "payment_token": "tok_success", "redeem_points": spent })),
    )
    .await
    .expect(201);
    let (kept, ledger) = balances(&app, &s, &id).await;
    assert_eq!(kept, ledger);
    let before = kept;
    refund(&(total - quarter).to_string()).await;
    let (kept, ledger) = balances(&app, &s, &id).await;
    assert_eq!(
        (kept, ledger),
        (0, 0),
        "took back what was left ({before}), no more"
    );
    app.stop().await;
}
