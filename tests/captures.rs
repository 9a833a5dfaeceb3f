//! Authorise at checkout, capture as the vendors ship, and cancel: against
//! a processor that records what it holds and takes, so each test compares
//! the money at the processor with the orders, the ledger and the stock.

use futures_util::FutureExt;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::checkout::{add_line, cart, checkout, ledger_balances, regions_with_hours, stock};
use crate::refunds::{dec, events, ledger_and_payouts, order, refund, schema};
use crate::support::processor::Processor;
use crate::support::shop::Shop;
use crate::support::{Reply, TestApp, e2e, unique};

/// A Bazaar selling all day through the test processor, taking money
/// `capture` (`immediate` or `on_shipment`).
async fn app_capturing(url: &str, capture: &str) -> TestApp {
    let regions = regions_with_hours("[\"00:00-24:00\"]");
    Processor::configure(
        TestApp::builder()
            .regions_dir(&regions)
            .env("BAZAAR_PAYMENT_CAPTURE", capture),
        url,
        400,
    )
    .start()
    .await
}

/// A paid order of one north tee (42.90 with tax) and two south tees
/// (85.80), with each vendor's part id.
async fn two_part_order(app: &TestApp) -> (Shop, Vec<String>, Vec<String>, String, Vec<String>) {
    let (s, vendor_keys, variants) = crate::checkout::two_vendor_shop(app).await;
    let c = cart(app, &s, &variants[0], 1).await;
    add_line(app, &s, &c, &variants[1], 2).await;
    let paid = checkout(
        app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_ok" }),
    )
    .await
    .expect(201);
    assert_eq!(paid["status"], "paid", "{paid}");
    let id = paid["id"].as_str().expect("id").to_owned();
    let mut parts = Vec::new();
    for key in &vendor_keys {
        let listed = app.get("/v1/vendor-orders", key).await.expect(200);
        parts.push(listed["items"][0]["id"].as_str().expect("part").to_owned());
    }
    (s, vendor_keys, variants, id, parts)
}

async fn ship(app: &TestApp, vendor_key: &str, part: &str) -> Reply {
    app.post(
        &format!("/v1/vendor-orders/{part}/ship"),
        vendor_key,
        json!({ "carrier": "UPS", "tracking_number": unique("1Z") }),
    )
    .await
}

async fn cancel(app: &TestApp, s: &Shop, id: &str, reason: &str) -> Reply {
    app.post(
        &format!("/v1/orders/{id}/cancel"),
        &s.admin,
        json!({ "reason": reason }),
    )
    .await
}

/// Run the capture sweep as housekeeping does, after making every pending
/// capture and void old enough to be asked again.
async fn sweep(app: &TestApp, s: &Shop) -> bazaar_commerce::captures::Swept {
    app.db()
        .tenant_tx(&schema(s), |conn| {
            async move {
                for sql in [
                    "UPDATE captures SET updated_at = now() - interval '1 hour' WHERE status = 'pending'",
                    "UPDATE payments SET updated_at = now() - interval '1 hour' WHERE void_pending",
                ] {
                    diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), conn.pg()).await?;
                }
                Ok(())
            }
            .boxed()
        })
        .await
        .expect("age pending captures and voids");
    bazaar_commerce::captures::sweep(&app.state, &schema(s))
        .await
        .expect("sweep")
}

/// The money ledger (vendors' shares and commission) plus what was paid
/// out equals what the processor took and kept.
async fn ledger_holds_what_was_kept(app: &TestApp, s: &Shop, processor: &Processor, id: &str) {
    let (ledger, paid_out) = ledger_and_payouts(app, s).await;
    assert_eq!(
        ledger + paid_out,
        processor.kept(id),
        "the ledger holds exactly what the processor kept"
    );
}

#[e2e]
async fn an_authorised_order_is_captured_part_by_part_as_it_ships() {
    let (processor, url) = Processor::start();
    let app = app_capturing(&url, "on_shipment").await;
    let (s, vendor_keys, _, id, parts) = two_part_order(&app).await;

    let placed = order(&app, &s, &id).await;
    assert_eq!(placed["payment_status"], "authorized", "{placed}");
    assert_eq!(placed["payment_capture"], "on_shipment");
    assert_eq!(placed["captured_total"], "0.00");
    let total = dec(&placed["total"]);
    assert_eq!(total, Decimal::new(12870, 2), "42.90 + 85.80");
    let hold = processor.hold(&id).expect("authorised");
    assert_eq!(processor.charge(&id).expect("held").amount, total);
    assert_eq!(hold.captured, Decimal::ZERO, "nothing taken at checkout");
    assert!(!hold.closed);
    ledger_holds_what_was_kept(&app, &s, &processor, &id).await;

    // The south part cannot be refunded: none of its money was taken.
    refund(
        &app,
        &s,
        &id,
        &unique("r"),
        json!({ "vendor_order_id": parts[1], "reason": "changed mind" }),
    )
    .await
    .expect_problem(409, "part_not_captured");

    // North ships: its part, and only its part, is taken.
    let shipped = ship(&app, &vendor_keys[0], &parts[0]).await.expect(200);
    assert_eq!(shipped["status"], "shipped");
    assert_eq!(processor.captured(&id), Decimal::new(4290, 2));
    assert!(
        !processor.hold(&id).expect("hold").closed,
        "south is still held"
    );
    let after_north = order(&app, &s, &id).await;
    assert_eq!(after_north["captured_total"], "42.90", "{after_north}");
    assert_eq!(after_north["payment_status"], "authorized");
    ledger_holds_what_was_kept(&app, &s, &processor, &id).await;
    assert_eq!(events(&app, &s, "order.captured").await, 1);

    // Once a part has left, the order cannot be cancelled.
    cancel(&app, &s, &id, "too late")
        .await
        .expect_problem(409, "order_part_shipped");

    // South ships: the rest is taken and the authorisation closes.
    ship(&app, &vendor_keys[1], &parts[1]).await.expect(200);
    let hold = processor.hold(&id).expect("hold");
    assert_eq!(
        hold.captured, total,
        "exactly the order's total, in two parts"
    );
    assert!(hold.closed, "the last capture closes the authorisation");
    assert_eq!(processor.captures.lock().expect("lock").len(), 2);
    let done = order(&app, &s, &id).await;
    assert_eq!(done["payment_status"], "succeeded", "{done}");
    assert_eq!(done["captured_total"], "128.70");
    ledger_holds_what_was_kept(&app, &s, &processor, &id).await;
    assert_eq!(events(&app, &s, "order.captured").await, 2);

    // Now the south part's money can be given back.
    let back = refund(
        &app,
        &s,
        &id,
        &unique("r"),
        json!({ "vendor_order_id": parts[1], "reason": "arrived broken" }),
    )
    .await
    .expect(201);
    assert_eq!(back["status"], "succeeded", "{back}");
    assert_eq!(processor.kept(&id), Decimal::new(4290, 2));
    ledger_holds_what_was_kept(&app, &s, &processor, &id).await;
    // A sweep finds nothing left to do.
    let swept = sweep(&app, &s).await;
    assert_eq!((swept.captures, swept.voids), (0, 0));
    app.stop().await;
}

#[e2e]
async fn cancelling_before_anything_ships_releases_the_hold_and_the_stock() {
    let (processor, url) = Processor::start();
    let app = app_capturing(&url, "on_shipment").await;
    let (s, vendor_keys, variants, id, parts) = two_part_order(&app).await;
    let before = [
        stock(&app, &s, &variants[0]).await,
        stock(&app, &s, &variants[1]).await,
    ];
    assert_eq!(before, [(4, 0), (3, 0)], "checkout committed the units");
    // Packed is not shipped: still cancellable.
    app.post(
        &format!("/v1/vendor-orders/{}/pack", parts[0]),
        &vendor_keys[0],
        json!({}),
    )
    .await
    .expect(200);

    let cancelled = cancel(&app, &s, &id, "  customer called  ")
        .await
        .expect(200);
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["payment_status"], "voided");
    assert_eq!(cancelled["captured_total"], "0.00");
    let hold = processor.hold(&id).expect("hold");
    assert!(hold.closed, "the authorisation is released");
    assert_eq!((hold.captured, hold.voids), (Decimal::ZERO, 1));
    assert_eq!(stock(&app, &s, &variants[0]).await, (5, 0));
    assert_eq!(stock(&app, &s, &variants[1]).await, (5, 0));
    ledger_balances(&app, &s.slug).await;
    ledger_holds_what_was_kept(&app, &s, &processor, &id).await;
    for (key, part) in vendor_keys.iter().zip(&parts) {
        let listed = app
            .get("/v1/vendor-orders?status=cancelled", key)
            .await
            .expect(200);
        assert_eq!(listed["items"][0]["id"], part.as_str(), "{listed}");
        assert_eq!(listed["items"][0]["status"], "cancelled");
    }
    assert_eq!(events(&app, &s, "order.cancelled").await, 1);

    // Again: the same answer, nothing done twice.
    let again = cancel(&app, &s, &id, "again").await.expect(200);
    assert_eq!(again["status"], "cancelled");
    assert_eq!(processor.hold(&id).expect("hold").voids, 1);
    assert_eq!(stock(&app, &s, &variants[0]).await, (5, 0));
    assert_eq!(events(&app, &s, "order.cancelled").await, 1);
    // A cancelled part cannot ship, so nothing can be captured.
    ship(&app, &vendor_keys[1], &parts[1])
        .await
        .expect_problem(409, "illegal_transition");
    assert_eq!(processor.captured(&id), Decimal::ZERO);
    app.stop().await;
}

#[e2e]
async fn cancelling_a_charged_order_refunds_it_in_full() {
    let (processor, url) = Processor::start();
    let app = app_capturing(&url, "immediate").await;
    let (s, _, variants, id, _) = two_part_order(&app).await;
    let placed = order(&app, &s, &id).await;
    assert_eq!(placed["payment_status"], "succeeded");
    assert_eq!(placed["captured_total"], "128.70");
    assert_eq!(processor.kept(&id), Decimal::new(12870, 2));

    let cancelled = cancel(&app, &s, &id, "fraud suspected").await.expect(200);
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["refunded_total"], "128.70");
    assert_eq!(processor.kept(&id), Decimal::ZERO, "all of it given back");
    let refunds = app
        .get(&format!("/v1/orders/{id}/refunds"), &s.admin)
        .await
        .expect(200);
    let items = refunds["items"].as_array().expect("refunds");
    assert_eq!(items.len(), 1, "{refunds}");
    assert_eq!(items[0]["status"], "succeeded");
    assert_eq!(items[0]["amount"], "128.70");
    assert_eq!(stock(&app, &s, &variants[0]).await, (5, 0));
    assert_eq!(stock(&app, &s, &variants[1]).await, (5, 0));
    ledger_balances(&app, &s.slug).await;
    ledger_holds_what_was_kept(&app, &s, &processor, &id).await;

    // A cancelled order is past refunding.
    cancel(&app, &s, &id, "again").await.expect(200);
    assert_eq!(processor.refunds.lock().expect("lock").len(), 1);
    app.stop().await;
}

#[e2e]
async fn captures_and_voids_without_an_answer_are_asked_again_and_made_once() {
    let (processor, url) = Processor::start();
    let app = app_capturing(&url, "on_shipment").await;
    let (s, vendor_keys, variants, id, parts) = two_part_order(&app).await;

    // The processor is down when north ships: the shipment stands, the
    // capture waits.
    processor.set_captures_down(true);
    ship(&app, &vendor_keys[0], &parts[0]).await.expect(200);
    assert_eq!(processor.captured(&id), Decimal::ZERO);
    let waiting = order(&app, &s, &id).await;
    assert_eq!(waiting["captured_total"], "0.00", "{waiting}");
    ledger_holds_what_was_kept(&app, &s, &processor, &id).await;
    let swept = sweep(&app, &s).await;
    assert_eq!(swept.captures, 0, "still down: nothing settled");

    processor.set_captures_down(false);
    let swept = sweep(&app, &s).await;
    assert_eq!(swept.captures, 1);
    assert_eq!(processor.captured(&id), Decimal::new(4290, 2));
    assert_eq!(order(&app, &s, &id).await["captured_total"], "42.90");
    ledger_holds_what_was_kept(&app, &s, &processor, &id).await;
    assert_eq!(sweep(&app, &s).await.captures, 0, "settled once");
    assert_eq!(processor.captures.lock().expect("lock").len(), 1);

    // A second order is cancelled while voids go unanswered.
    let c = cart(&app, &s, &variants[0], 1).await;
    let other = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_ok" }),
    )
    .await
    .expect(201);
    let other = other["id"].as_str().expect("id").to_owned();
    processor.set_captures_down(true);
    let cancelled = cancel(&app, &s, &other, "duplicate order")
        .await
        .expect(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert!(
        !processor.hold(&other).expect("hold").closed,
        "not released yet"
    );
    processor.set_captures_down(false);
    assert_eq!(sweep(&app, &s).await.voids, 1);
    assert!(processor.hold(&other).expect("hold").closed);
    assert_eq!(order(&app, &s, &other).await["payment_status"], "voided");
    assert_eq!(sweep(&app, &s).await.voids, 0);
    app.stop().await;
}

#[e2e]
async fn cancellation_is_checked_and_refused_with_reasons() {
    let (_processor, url) = Processor::start();
    let app = app_capturing(&url, "on_shipment").await;
    let (s, vendor_keys, variants, id, _) = two_part_order(&app).await;
    for reason in ["", "   ", &"x".repeat(201)] {
        cancel(&app, &s, &id, reason)
            .await
            .expect_problem(422, "invalid_reason");
    }
    app.post(
        &format!("/v1/orders/{id}/cancel"),
        &vendor_keys[0],
        json!({ "reason": "mine" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    cancel(&app, &s, &uuid::Uuid::new_v4().to_string(), "nope")
        .await
        .expect_problem(404, "order_not_found");
    // A declined checkout's order was never paid.
    let c = cart(&app, &s, &variants[1], 1).await;
    let declined: Value = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_decline" }),
    )
    .await
    .expect(201);
    assert_eq!(declined["status"], "payment_failed", "{declined}");
    let declined_id = declined["id"].as_str().expect("id");
    cancel(&app, &s, declined_id, "nope")
        .await
        .expect_problem(409, "order_not_cancellable");
    assert_eq!(
        order(&app, &s, &id).await["status"],
        "paid",
        "nothing changed"
    );
    app.stop().await;
}
