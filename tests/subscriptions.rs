//! Subscriptions: plans, a customer's subscription renewed by
//! housekeeping through checkout (stock, rules and payment as any order),
//! skipped, paused, resumed and cancelled; failed renewals retried on the
//! dunning schedule until the subscription is cancelled; a renewal whose
//! payment outcome is unknown resumed under its key, never made twice.

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::checkout::{open_all_day, stock};
use crate::customers::{as_shopper, verified_shopper};
use crate::refunds::{events, order, schema};
use crate::support::shop::Shop;
use crate::support::{Reply, TestApp, e2e};

async fn plan(app: &TestApp, s: &Shop, unit: &str, count: i32) -> String {
    app.post(
        "/v1/subscription-plans",
        &s.admin,
        json!({ "name": format!("every {count} {unit}"), "interval_unit": unit, "interval_count": count }),
    )
    .await
    .expect(201)["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn subscribe(app: &TestApp, s: &Shop, session: &str, body: Value) -> Reply {
    as_shopper(
        app,
        Method::POST,
        "/v1/subscriptions",
        &s.storefront,
        session,
        Some(body),
    )
    .await
}

/// The customer's subscription as they see it.
async fn mine(app: &TestApp, s: &Shop, session: &str, id: &str) -> Value {
    as_shopper(
        app,
        Method::GET,
        &format!("/v1/subscriptions/{id}"),
        &s.storefront,
        session,
        None,
    )
    .await
    .expect(200)
}

async fn act(app: &TestApp, s: &Shop, session: &str, id: &str, action: &str) -> Reply {
    as_shopper(
        app,
        Method::POST,
        &format!("/v1/subscriptions/{id}/{action}"),
        &s.storefront,
        session,
        None,
    )
    .await
}

/// Run the renewal pass as housekeeping does, at `now`.
async fn renew(
    app: &TestApp,
    s: &Shop,
    now: DateTime<Utc>,
) -> bazaar_commerce::subscriptions::Renewed {
    let whoami = app.get("/v1/whoami", &s.admin).await.expect(200);
    let tenant = bazaar_commerce::subscriptions::Tenant {
        id: whoami["tenant_id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("tenant id"),
        slug: s.slug.clone(),
        schema: schema(s),
    };
    bazaar_commerce::subscriptions::renew_due(&app.state, &tenant, now)
        .await
        .expect("renewals")
}

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().expect("a time").parse().expect("RFC 3339")
}

#[e2e]
async fn renewals_go_through_checkout_and_the_customer_skips_pauses_and_cancels() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 20).await;
    let tee = s.variant("tee").to_owned();
    let monthly = plan(&app, &s, "month", 1).await;
    let offered = app
        .get("/v1/subscription-plans", &s.storefront)
        .await
        .expect(200);
    assert_eq!(offered["items"][0]["id"], monthly.as_str());
    let (customer, session) = verified_shopper(&app, &s, "1990-01-01").await;
    let started = Utc::now();
    let sub = subscribe(
        &app,
        &s,
        &session,
        json!({ "plan_id": monthly, "lines": [{ "variant_id": tee, "quantity": 2 }],
                "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["customer_id"], customer.as_str());
    assert_eq!(sub["period"], 0);
    assert_eq!(sub["lines"][0]["quantity"], 2);
    let id = sub["id"].as_str().expect("id").to_owned();
    let first_due = at(&sub["next_renewal_at"]);
    assert!(first_due >= started - Duration::seconds(1) && first_due <= Utc::now());

    // Due now: one order, paid, the customer's, its stock committed.
    let now = Utc::now();
    let pass = renew(&app, &s, now).await;
    assert_eq!((pass.paid, pass.failed), (1, 0));
    assert_eq!(
        renew(&app, &s, now).await,
        Default::default(),
        "not due again"
    );
    let renewed = mine(&app, &s, &session, &id).await;
    assert_eq!(renewed["period"], 1);
    assert_eq!(renewed["renewals"][0]["status"], "paid");
    let first_order = renewed["renewals"][0]["order_id"]
        .as_str()
        .expect("order")
        .to_owned();
    let placed = order(&app, &s, &first_order).await;
    assert_eq!(placed["status"], "paid");
    assert_eq!(stock(&app, &s, &tee).await, (18, 0));
    assert_eq!(
        at(&renewed["next_renewal_at"]),
        first_due
            .checked_add_months(chrono::Months::new(1))
            .expect("a month on"),
        "the next period counts from the due date"
    );
    // The customer sees it among their orders.
    let orders = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/orders",
        &s.storefront,
        &session,
        None,
    )
    .await
    .expect(200);
    assert_eq!(orders["items"][0]["id"], first_order.as_str());

    // A month on, the second.
    let pass = renew(&app, &s, now + Duration::days(32)).await;
    assert_eq!(pass.paid, 1);
    assert_eq!(stock(&app, &s, &tee).await, (16, 0));

    // Skip the third: the fourth is due a month after it.
    let before_skip = at(&mine(&app, &s, &session, &id).await["next_renewal_at"]);
    let skipped = act(&app, &s, &session, &id, "skip").await.expect(200);
    assert_eq!(skipped["period"], 3);
    assert_eq!(skipped["renewals"][0]["status"], "skipped");
    assert_eq!(
        at(&skipped["next_renewal_at"]),
        before_skip
            .checked_add_months(chrono::Months::new(1))
            .expect("a month on")
    );

    // Paused, nothing renews however late it gets; resumed, it renews.
    let paused = act(&app, &s, &session, &id, "pause").await.expect(200);
    assert_eq!(paused["status"], "paused");
    let late = now + Duration::days(100);
    assert_eq!(renew(&app, &s, late).await, Default::default());
    act(&app, &s, &session, &id, "pause")
        .await
        .expect_problem(409, "subscription_not_changeable");
    let resumed = act(&app, &s, &session, &id, "resume").await.expect(200);
    assert_eq!(resumed["status"], "active");
    assert_eq!(renew(&app, &s, late).await.paid, 1);
    assert_eq!(stock(&app, &s, &tee).await, (14, 0));

    // Cancelled: no more renewals; cancelling again answers it as it is.
    let cancelled = act(&app, &s, &session, &id, "cancel").await.expect(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["next_renewal_at"], Value::Null);
    assert_eq!(cancelled["cancel_reason"], "cancelled by the customer");
    act(&app, &s, &session, &id, "cancel").await.expect(200);
    act(&app, &s, &session, &id, "resume")
        .await
        .expect_problem(409, "subscription_not_changeable");
    assert_eq!(
        renew(&app, &s, now + Duration::days(400)).await,
        Default::default()
    );
    assert_eq!(events(&app, &s, "subscription.renewed").await, 3);
    assert_eq!(events(&app, &s, "subscription.cancelled").await, 1);

    // Another customer does not see it; a storefront key alone sees none;
    // the tenant sees every subscription.
    let (_, other) = verified_shopper(&app, &s, "1985-05-05").await;
    as_shopper(
        &app,
        Method::GET,
        &format!("/v1/subscriptions/{id}"),
        &s.storefront,
        &other,
        None,
    )
    .await
    .expect_problem(404, "subscription_not_found");
    app.get("/v1/subscriptions", &s.storefront)
        .await
        .expect_problem(401, "sign_in_required");
    let all = app
        .get("/v1/subscriptions?status=cancelled", &s.admin)
        .await
        .expect(200);
    assert_eq!(all["items"][0]["id"], id.as_str());
    app.stop().await;
}

#[e2e]
async fn failed_renewals_are_retried_on_the_dunning_schedule_then_cancel() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 5).await;
    let tee = s.variant("tee").to_owned();
    let weekly = plan(&app, &s, "week", 1).await;
    let (_, session) = verified_shopper(&app, &s, "1990-01-01").await;
    let sub = subscribe(
        &app,
        &s,
        &session,
        json!({ "plan_id": weekly, "lines": [{ "variant_id": tee, "quantity": 1 }],
                "payment_token": "tok_decline" }),
    )
    .await
    .expect(201);
    let id = sub["id"].as_str().expect("id").to_owned();
    let now = Utc::now();
    // Declined: past due, retried 1, 3 and 5 days after each failure.
    let mut when = now;
    for (attempt, days) in [1, 3, 5].into_iter().enumerate() {
        let pass = renew(&app, &s, when).await;
        assert_eq!((pass.paid, pass.failed, pass.cancelled), (0, 1, 0));
        let seen = mine(&app, &s, &session, &id).await;
        assert_eq!(seen["status"], "past_due");
        assert_eq!(seen["failed_attempts"], attempt + 1);
        let next = at(&seen["next_renewal_at"]);
        assert!(
            (next - (when + Duration::days(days))).num_seconds().abs() <= 1,
            "attempt {} retried {days} days later",
            attempt + 1
        );
        let failed_order = seen["renewals"][0]["order_id"].as_str().expect("order");
        assert_eq!(
            order(&app, &s, failed_order).await["status"],
            "payment_failed"
        );
        assert_eq!(seen["renewals"][0]["failure_code"], "payment_declined");
        when = next;
    }
    assert_eq!(stock(&app, &s, &tee).await, (5, 0), "nothing held or sold");
    let last = renew(&app, &s, when).await;
    assert_eq!((last.failed, last.cancelled), (1, 1));
    let ended = mine(&app, &s, &session, &id).await;
    assert_eq!(ended["status"], "cancelled");
    assert_eq!(ended["renewals"].as_array().map(Vec::len), Some(4));
    assert_eq!(ended["cancel_reason"], "renewal failed 4 times in a row");

    // Out of stock at renewal time: no order, retried; it renews once
    // stock is there again.
    let (_, session2) = verified_shopper(&app, &s, "1990-01-01").await;
    let big = subscribe(
        &app,
        &s,
        &session2,
        json!({ "plan_id": weekly, "lines": [{ "variant_id": tee, "quantity": 9 }],
                "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    let big_id = big["id"].as_str().expect("id").to_owned();
    assert_eq!(renew(&app, &s, Utc::now()).await.failed, 1);
    let short = mine(&app, &s, &session2, &big_id).await;
    assert_eq!(short["renewals"][0]["failure_code"], "out_of_stock");
    assert_eq!(short["renewals"][0]["order_id"], Value::Null);
    // Its cart is gone: it never shows among the customer's carts.
    let carts = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/carts",
        &s.storefront,
        &session2,
        None,
    )
    .await
    .expect(200);
    assert_eq!(carts["items"], json!([]), "{carts}");
    app.post(
        "/v1/inventory/movements",
        &s.admin,
        json!({ "variant_id": tee, "warehouse_id": s.warehouse(), "kind": "receive", "quantity": 10 }),
    )
    .await
    .expect(201);
    let pass = renew(&app, &s, Utc::now() + Duration::days(2)).await;
    assert_eq!(pass.paid, 1);
    let back = mine(&app, &s, &session2, &big_id).await;
    assert_eq!(back["status"], "active");
    assert_eq!(back["failed_attempts"], 0);
    assert_eq!(stock(&app, &s, &tee).await, (6, 0));
    app.stop().await;
}

#[e2e]
async fn a_renewal_whose_payment_is_unknown_is_resumed_not_repeated() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 5).await;
    let tee = s.variant("tee").to_owned();
    let monthly = plan(&app, &s, "month", 1).await;
    let (_, session) = verified_shopper(&app, &s, "1990-01-01").await;
    let sub = subscribe(
        &app,
        &s,
        &session,
        json!({ "plan_id": monthly, "lines": [{ "variant_id": tee, "quantity": 1 }],
                "payment_token": "tok_unconfirmed" }),
    )
    .await
    .expect(201);
    let id = sub["id"].as_str().expect("id").to_owned();
    // Every attempt of the first pass times out (the sandbox did charge).
    let first = renew(&app, &s, Utc::now()).await;
    assert_eq!(first.unsettled, 1);
    let pending = mine(&app, &s, &session, &id).await;
    assert_eq!(pending["renewals"][0]["status"], "pending");
    assert_eq!(pending["period"], 0);
    act(&app, &s, &session, &id, "pause")
        .await
        .expect_problem(409, "renewal_in_progress");
    // The next pass resumes the same renewal: the charge is found.
    let second = renew(&app, &s, Utc::now()).await;
    assert_eq!(second.paid, 1);
    let done = mine(&app, &s, &session, &id).await;
    assert_eq!(done["period"], 1);
    assert_eq!(
        done["renewals"].as_array().map(Vec::len),
        Some(1),
        "one renewal"
    );
    let order_id = done["renewals"][0]["order_id"].as_str().expect("order");
    assert_eq!(order(&app, &s, order_id).await["status"], "paid");
    let sandbox = app.state.gateways.named("sandbox");
    assert!(sandbox.find(order_id).await.expect("found").is_some());
    assert_eq!(stock(&app, &s, &tee).await, (4, 0), "one unit sold");
    app.stop().await;
}

#[e2e]
async fn plans_and_subscriptions_refuse_what_cannot_be_renewed() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 5).await;
    let tee = s.variant("tee").to_owned();
    app.post(
        "/v1/subscription-plans",
        &s.storefront,
        json!({ "name": "x", "interval_unit": "month", "interval_count": 1 }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    app.post(
        "/v1/subscription-plans",
        &s.admin,
        json!({ "name": "x", "interval_unit": "month", "interval_count": 0 }),
    )
    .await
    .expect_problem(422, "invalid_interval_count");
    app.post(
        "/v1/subscription-plans",
        &s.admin,
        json!({ "name": " ", "interval_unit": "week", "interval_count": 1 }),
    )
    .await
    .expect_problem(422, "invalid_plan_name");
    let monthly = plan(&app, &s, "month", 1).await;
    let (_, session) = verified_shopper(&app, &s, "1990-01-01").await;
    let line = json!([{ "variant_id": tee, "quantity": 1 }]);
    let cases = [
        (
            json!({ "plan_id": uuid::Uuid::nil(), "lines": line, "payment_token": "tok_success" }),
            404,
            "plan_not_found",
        ),
        (
            json!({ "plan_id": monthly, "lines": [], "payment_token": "tok_success" }),
            422,
            "subscription_lines_required",
        ),
        (
            json!({ "plan_id": monthly, "payment_token": "tok_success",
                    "lines": [{ "variant_id": tee, "quantity": 1 }, { "variant_id": tee, "quantity": 2 }] }),
            422,
            "duplicate_line",
        ),
        (
            json!({ "plan_id": monthly, "payment_token": "tok_success",
                    "lines": [{ "variant_id": uuid::Uuid::nil(), "quantity": 1 }] }),
            422,
            "variant_not_available",
        ),
        (
            json!({ "plan_id": monthly, "payment_token": "tok_success",
                    "lines": [{ "variant_id": tee, "quantity": 0 }] }),
            422,
            "quantity_out_of_range",
        ),
        (
            json!({ "plan_id": monthly, "lines": line, "payment_token": " " }),
            400,
            "payment_token_required",
        ),
        (
            json!({ "plan_id": monthly, "lines": line, "payment_token": "tok_success",
                    "first_renewal_at": (Utc::now() + Duration::days(400)).to_rfc3339() }),
            422,
            "invalid_first_renewal",
        ),
    ];
    for (body, status, code) in cases {
        subscribe(&app, &s, &session, body)
            .await
            .expect_problem(status, code);
    }
    // Without a session there is no customer to subscribe.
    app.post(
        "/v1/subscriptions",
        &s.storefront,
        json!({ "plan_id": monthly, "lines": line, "payment_token": "tok_success" }),
    )
    .await
    .expect_problem(401, "sign_in_required");
    // A closed plan takes no one new.
    app.send(
        Method::PATCH,
        &format!("/v1/subscription-plans/{monthly}"),
        Some(&s.admin),
        Some(json!({ "active": false })),
    )
    .await
    .expect(200);
    subscribe(
        &app,
        &s,
        &session,
        json!({ "plan_id": monthly, "lines": line, "payment_token": "tok_success" }),
    )
    .await
    .expect_problem(409, "plan_closed");
    assert_eq!(
        app.get("/v1/subscription-plans", &s.storefront)
            .await
            .expect(200)["items"],
        json!([])
    );
    app.stop().await;
}
