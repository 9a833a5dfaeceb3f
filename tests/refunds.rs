//! Money after "paid": refunds by line and by amount against a processor
//! that records what it really gives back, refunds whose answer never
//! came, charges that land on cancelled orders, and a fault run over many
//! checkouts proving that the money and the orders agree.

use std::str::FromStr;

use futures_util::FutureExt;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkout::{cart, checkout, ledger_balances, regions_with_hours, stock};
use crate::support::processor::Processor;
use crate::support::shop::Shop;
use crate::support::{Reply, TestApp, e2e, unique};

pub(crate) fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().expect("decimal string")).expect("decimal")
}

async fn app_with(url: &str, timeout_ms: u64) -> TestApp {
    let regions = regions_with_hours("[\"00:00-24:00\"]");
    Processor::configure(TestApp::builder().regions_dir(&regions), url, timeout_ms)
        .start()
        .await
}

pub(crate) fn schema(s: &Shop) -> bazaar_store::TenantSchema {
    bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema")
}

pub(crate) async fn refund(app: &TestApp, s: &Shop, order: &str, key: &str, body: Value) -> Reply {
    app.send_with_headers(
        reqwest::Method::POST,
        &format!("/v1/orders/{order}/refunds"),
        Some(&s.admin),
        &[("Idempotency-Key", key)],
        Some(body),
    )
    .await
}

pub(crate) async fn order(app: &TestApp, s: &Shop, id: &str) -> Value {
    app.get(&format!("/v1/orders/{id}"), &s.admin)
        .await
        .expect(200)
}

/// Events of `topic` in the shop's tenant.
pub(crate) async fn events(app: &TestApp, s: &Shop, topic: &'static str) -> usize {
    app.db()
        .tenant_tx(&schema(s), move |conn| {
            async move { bazaar_store::tenant::outbox::of_topic(conn, topic).await }.boxed()
        })
        .await
        .expect("outbox")
        .len()
}

/// Run the refund sweep as housekeeping does, after making every pending
/// refund old enough to be asked again.
pub(crate) async fn sweep(app: &TestApp, s: &Shop) -> bazaar_commerce::refunds::Swept {
    app.db()
        .tenant_tx(&schema(s), |conn| {
            async move {
                diesel_async::RunQueryDsl::execute(
                    diesel::sql_query(
                        "UPDATE refunds SET updated_at = now() - interval '1 hour' WHERE status = 'pending'",
                    ),
                    conn.pg(),
                )
                .await?;
                Ok(())
            }
            .boxed()
        })
        .await
        .expect("age pending refunds");
    let tenant = app.get("/v1/whoami", &s.admin).await.expect(200)["tenant_id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .expect("tenant id");
    bazaar_commerce::refunds::sweep(&app.state, &schema(s), tenant)
        .await
        .expect("sweep")
}

#[e2e]
async fn refunds_by_line_restock_and_settle_the_order() {
    let (processor, url) = Processor::start();
    let app = app_with(&url, 2000).await;
    let s = Shop::stocked(&app, 10).await;
    let tee = s.variant("tee").to_owned();
    let c = cart(&app, &s, &tee, 3).await;
    let paid = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_ok" }),
    )
    .await
    .expect(201);
    assert_eq!(paid["status"], "paid", "{paid}");
    let id = paid["id"].as_str().expect("id").to_owned();
    let charged = processor.charge(&id).expect("charged").amount;
    assert_eq!(charged, dec(&paid["total"]));
    assert_eq!(stock(&app, &s, &tee).await, (7, 0));

    let detail = order(&app, &s, &id).await;
    let line = detail["lines"][0].clone();
    assert_eq!(line["quantity"], 3, "{detail}");
    let line_id = line["id"].as_str().expect("line id").to_owned();
    let line_gross = dec(&line["gross"]);

    // One of three units back, on hand again.
    let key = unique("r");
    let body = json!({ "lines": [{ "line_id": line_id, "quantity": 1 }], "restock": true, "reason": "damaged" });
    let first = refund(&app, &s, &id, &key, body.clone()).await.expect(201);
    assert_eq!(first["status"], "succeeded", "{first}");
    let share = (line_gross / Decimal::from(3)).round_dp(2);
    assert_eq!(dec(&first["amount"]), share);
    assert_eq!(first["lines"][0]["quantity"], 1);
    assert_eq!(processor.refunded(&id), share, "the processor gave it back");
    assert_eq!(stock(&app, &s, &tee).await, (8, 0), "restocked");
    let partly = order(&app, &s, &id).await;
    assert_eq!(partly["status"], "partially_refunded");
    assert_eq!(dec(&partly["refunded_total"]), share);

    // The same key and body: the same refund, not a second one.
    let again = refund(&app, &s, &id, &key, body).await.expect(201);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(processor.refunded(&id), share);
    assert_eq!(stock(&app, &s, &tee).await, (8, 0));
    // The same key with another request is refused.
    refund(&app, &s, &id, &key, json!({ "reason": "other" }))
        .await
        .expect_problem(422, "idempotency_key_reused");

    // No more units than are left; no line the order lacks; no key.
    let over = refund(
        &app,
        &s,
        &id,
        &unique("r"),
        json!({ "lines": [{ "line_id": line_id, "quantity": 3 }], "reason": "x" }),
    )
    .await
    .expect_problem(422, "refund_exceeds_quantity");
    assert_eq!(over["details"]["left"], 2);
    refund(
        &app,
        &s,
        &id,
        &unique("r"),
        json!({ "lines": [{ "line_id": Uuid::nil(), "quantity": 1 }], "reason": "x" }),
    )
    .await
    .expect_problem(422, "unknown_order_line");
    app.send_with_headers(
        reqwest::Method::POST,
        &format!("/v1/orders/{id}/refunds"),
        Some(&s.admin),
        &[],
        Some(json!({ "reason": "x" })),
    )
    .await
    .expect_problem(400, "idempotency_key_required");
    refund(
        &app,
        &s,
        &id,
        &unique("r"),
        json!({ "amount": "1000.00", "reason": "x" }),
    )
    .await
    .expect_problem(422, "refund_exceeds_payment");
    refund(&app, &s, &id, &unique("r"), json!({ "reason": "  " }))
        .await
        .expect_problem(422, "invalid_reason");
    // Only tenant admins give money back.
    app.send_with_headers(
        reqwest::Method::POST,
        &format!("/v1/orders/{id}/refunds"),
        Some(&s.storefront),
        &[("Idempotency-Key", "v")],
        Some(json!({ "reason": "x" })),
    )
    .await
    .expect_problem(403, "insufficient_scope");

    // Everything left (the other units, shipping and tax): refunded.
    let rest = refund(
        &app,
        &s,
        &id,
        &unique("r"),
        json!({ "reason": "cancelled by the shopper" }),
    )
    .await
    .expect(201);
    assert_eq!(rest["status"], "succeeded");
    assert_eq!(
        dec(&rest["amount"]) + share,
        charged,
        "all of it, to the cent"
    );
    assert_eq!(processor.kept(&id), Decimal::ZERO);
    let all = order(&app, &s, &id).await;
    assert_eq!(all["status"], "refunded");
    assert_eq!(dec(&all["refunded_total"]), charged);
    assert_eq!(
        stock(&app, &s, &tee).await,
        (8, 0),
        "not restocked when not asked"
    );
    refund(&app, &s, &id, &unique("r"), json!({ "reason": "x" }))
        .await
        .expect_problem(409, "order_not_refundable");

    let listed = app
        .get(&format!("/v1/orders/{id}/refunds"), &s.admin)
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(events(&app, &s, "order.refunded").await, 2);
    ledger_balances(&app, &s.slug).await;
    app.stop().await;
}

#[e2e]
async fn a_refund_the_processor_does_not_answer_is_asked_again_and_made_once() {
    let (processor, url) = Processor::start();
    let app = app_with(&url, 2000).await;
    let s = Shop::stocked(&app, 10).await;
    let tee = s.variant("tee").to_owned();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let c = cart(&app, &s, &tee, 1).await;
        let paid = checkout(
            &app,
            &s,
            &c,
            Some(&unique("k")),
            json!({ "payment_token": "tok_ok" }),
        )
        .await
        .expect(201);
        ids.push(paid["id"].as_str().expect("id").to_owned());
    }

    processor.set_refunds_down(true);
    let key = unique("r");
    let pending = refund(
        &app,
        &s,
        &ids[0],
        &key,
        json!({ "reason": "late delivery" }),
    )
    .await
    .expect(201);
    assert_eq!(pending["status"], "pending", "{pending}");
    let other = refund(
        &app,
        &s,
        &ids[1],
        &unique("r"),
        json!({ "amount": "5.00", "reason": "goodwill" }),
    )
    .await
    .expect(201);
    assert_eq!(other["status"], "pending");
    assert_eq!(processor.refunded(&ids[0]), Decimal::ZERO);
    assert_eq!(
        order(&app, &s, &ids[0]).await["status"],
        "paid",
        "nothing given back yet"
    );
    // A pending refund still counts against what is left.
    refund(
        &app,
        &s,
        &ids[0],
        &unique("r"),
        json!({ "amount": "0.01", "reason": "x" }),
    )
    .await
    .expect_problem(409, "nothing_left_to_refund");

    processor.set_refunds_down(false);
    // The shopper's agent retries with the same key: asked again, made.
    let made = refund(
        &app,
        &s,
        &ids[0],
        &key,
        json!({ "reason": "late delivery" }),
    )
    .await
    .expect(201);
    assert_eq!(made["status"], "succeeded");
    assert_eq!(made["id"], pending["id"]);
    assert_eq!(processor.kept(&ids[0]), Decimal::ZERO);
    // Nobody retries the other: the sweep asks again.
    let swept = sweep(&app, &s).await;
    assert_eq!(swept.settled, 1, "{swept:?}");
    assert_eq!(processor.refunded(&ids[1]), Decimal::new(500, 2));
    assert_eq!(
        order(&app, &s, &ids[1]).await["status"],
        "partially_refunded"
    );
    let again = sweep(&app, &s).await;
    assert_eq!(again, Default::default(), "nothing left to do");
    assert_eq!(
        processor.refunds.lock().expect("lock").len(),
        2,
        "each made once"
    );
    app.stop().await;
}

/// Expire `order` as housekeeping does once its longest hold has passed
/// while the processor could not say whether it charged.
async fn expire_unknown(app: &TestApp, s: &Shop, order: Uuid) {
    let long_ago = chrono::Utc::now() - chrono::Duration::hours(25);
    app.db()
        .tenant_tx(&schema(s), move |conn| {
            async move {
                diesel_async::RunQueryDsl::execute(
                    diesel::sql_query("UPDATE orders SET created_at = $1 WHERE id = $2")
                        .bind::<diesel::sql_types::Timestamptz, _>(long_ago)
                        .bind::<diesel::sql_types::Uuid, _>(order),
                    conn.pg(),
                )
                .await?;
                Ok(())
            }
            .boxed()
        })
        .await
        .expect("placed long ago");
    crate::checkout::reconcile_after_hold(app, s, order).await;
    housekeeping(app, s).await;
}

/// Expire what is due in the shop's tenant, as housekeeping does.
pub(crate) async fn housekeeping(app: &TestApp, s: &Shop) {
    app.db()
        .tenant_tx(&schema(s), |conn| {
            bazaar_store::tenant::housekeeping::run(conn, chrono::Utc::now()).boxed()
        })
        .await
        .expect("housekeeping");
}

#[e2e]
async fn a_charge_that_lands_on_a_cancelled_order_is_given_back() {
    let (processor, url) = Processor::start();
    let app = app_with(&url, 300).await;
    let s = Shop::stocked(&app, 10).await;
    let tee = s.variant("tee").to_owned();
    let c = cart(&app, &s, &tee, 2).await;
    // The processor loses the request, then cannot be asked about it.
    let unknown = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_lost" }),
    )
    .await;
    let id = crate::checkout::unconfirmed_order(&unknown);
    processor.set_lookups_down(true);
    expire_unknown(&app, &s, id).await;
    let cancelled = order(&app, &s, &id.to_string()).await;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(
        cancelled["payment_status"], "pending",
        "outcome still unknown"
    );
    assert_eq!(
        stock(&app, &s, &tee).await,
        (10, 0),
        "the stock is back on sale"
    );

    // Asked while the processor still cannot say: nothing decided.
    assert_eq!(sweep(&app, &s).await, Default::default());
    // The lost request lands after all: the money is given back, in full.
    assert_eq!(processor.land_in_flight(), 1);
    processor.set_lookups_down(false);
    let swept = sweep(&app, &s).await;
    assert_eq!(swept.late_charges, 1, "{swept:?}");
    let charged = processor.charge(&id.to_string()).expect("charged").amount;
    assert_eq!(processor.refunded(&id.to_string()), charged);
    let after = order(&app, &s, &id.to_string()).await;
    assert_eq!(
        after["status"], "cancelled",
        "a cancelled order stays cancelled"
    );
    assert_eq!(
        after["payment_status"], "succeeded",
        "the charge is on record"
    );
    let refunds = app
        .get(&format!("/v1/orders/{id}/refunds"), &s.admin)
        .await
        .expect(200);
    assert_eq!(refunds["items"][0]["reason"], "charged_after_cancellation");
    assert_eq!(refunds["items"][0]["status"], "succeeded");
    assert_eq!(sweep(&app, &s).await, Default::default(), "once");
    app.stop().await;
}

/// Many checkouts against a processor that answers, hangs after charging,
/// fails after charging, declines, or loses the request and charges later;
/// shoppers retry some of them; then every hold runs out and housekeeping
/// runs. Afterwards the money and the orders agree: every paid order was
/// charged exactly its total, no charge is kept for an order that is not
/// paid, no key was reused with another amount, and the stock ledger is
/// whole.
#[e2e]
async fn under_every_processor_fault_paid_orders_equal_kept_charges() {
    let (processor, url) = Processor::start();
    let app = app_with(&url, 300).await;
    let s = Shop::stocked(&app, 200).await;
    let tee = s.variant("tee").to_owned();
    let tokens = ["tok_ok", "tok_hang", "tok_500", "tok_decline", "tok_lost"];
    let mut orders: Vec<(String, &str)> = Vec::new();
    for round in 0..8 {
        let batch: Vec<_> = tokens
            .iter()
            .map(|token| {
                let (app, s, tee) = (&app, &s, tee.clone());
                async move {
                    let c = cart(app, s, &tee, 1 + round % 3).await;
                    let key = unique("k");
                    let body = json!({ "payment_token": token });
                    let mut reply = checkout(app, s, &c, Some(&key), body.clone()).await;
                    // Every other unknown outcome is retried by the shopper.
                    if reply.status == 503 && round % 2 == 0 {
                        reply = checkout(app, s, &c, Some(&key), body).await;
                    }
                    let id = match reply.status {
                        201 => reply.body["id"].as_str().expect("id").to_owned(),
                        503 => crate::checkout::unconfirmed_order(&reply).to_string(),
                        other => panic!("{token}: unexpected {other}: {}", reply.body),
                    };
                    (id, *token)
                }
            })
            .collect();
        orders.extend(futures_util::future::join_all(batch).await);
    }
    assert_eq!(orders.len(), 40);

    // Some lost requests land before the holds run out, the rest after.
    let early = processor.land_in_flight();
    assert!(early > 0);
    for (id, _) in &orders {
        let id = Uuid::parse_str(id).expect("uuid");
        let status = order(&app, &s, &id.to_string()).await["status"].clone();
        if status == "pending_payment" {
            crate::checkout::reconcile_after_hold(&app, &s, id).await;
        }
    }
    // Lost again: requests of the later rounds that had not landed yet are
    // simulated by a second batch of lost checkouts that land only after
    // their orders were cancelled.
    let mut late = Vec::new();
    for _ in 0..4 {
        let c = cart(&app, &s, &tee, 1).await;
        let reply = checkout(
            &app,
            &s,
            &c,
            Some(&unique("k")),
            json!({ "payment_token": "tok_lost" }),
        )
        .await;
        late.push(crate::checkout::unconfirmed_order(&reply));
    }
    processor.set_lookups_down(true);
    for id in &late {
        expire_unknown(&app, &s, *id).await;
    }
    processor.set_lookups_down(false);
    assert_eq!(processor.land_in_flight(), late.len());
    sweep(&app, &s).await;
    app.db()
        .tenant_tx(&schema(&s), |conn| {
            bazaar_store::tenant::housekeeping::run(conn, chrono::Utc::now()).boxed()
        })
        .await
        .expect("housekeeping");
    orders.extend(late.iter().map(|id| (id.to_string(), "tok_lost (late)")));

    let mut paid_units = 0;
    let mut paid_orders = 0;
    for (id, token) in &orders {
        let o = order(&app, &s, id).await;
        let status = o["status"].as_str().expect("status");
        let kept = processor.kept(id);
        match status {
            "paid" => {
                paid_orders += 1;
                assert_eq!(
                    kept,
                    dec(&o["total"]),
                    "{token} {id}: paid orders keep exactly their total"
                );
                paid_units += o["lines"][0]["quantity"].as_i64().expect("quantity");
            }
            "cancelled" | "payment_failed" => {
                assert_eq!(
                    kept,
                    Decimal::ZERO,
                    "{token} {id}: {status} but the processor keeps {kept}"
                );
            }
            other => panic!("{token} {id}: left {other}"),
        }
        if *token == "tok_decline" {
            assert_eq!(status, "payment_failed");
        }
        if *token == "tok_ok" {
            assert_eq!(status, "paid");
        }
    }
    let effective = orders
        .iter()
        .filter(|(id, _)| processor.kept(id) > Decimal::ZERO)
        .count();
    assert_eq!(
        paid_orders, effective,
        "paid orders = charges the processor keeps"
    );
    let kept: Decimal = orders.iter().map(|(id, _)| processor.kept(id)).sum();
    assert_eq!(
        ledger_and_payouts(&app, &s).await,
        (kept, Decimal::ZERO),
        "the money ledger holds exactly what the processor kept"
    );
    let charged_keys: Vec<String> = processor
        .charges
        .lock()
        .expect("lock")
        .keys()
        .cloned()
        .collect();
    for key in &charged_keys {
        assert!(
            orders.iter().any(|(id, _)| id == key),
            "a charge under an unknown key {key}"
        );
    }
    assert!(
        processor.mismatches.lock().expect("lock").is_empty(),
        "a key reused with another amount"
    );
    assert!(
        paid_orders >= 16,
        "ok and hang (and found) orders are paid: {paid_orders}"
    );
    assert_eq!(
        stock(&app, &s, &tee).await,
        (200 - paid_units, 0),
        "sold exactly what was paid"
    );
    ledger_balances(&app, &s.slug).await;
    app.stop().await;
}

/// Σ of the tenant's money ledger and of its payouts.
pub(crate) async fn ledger_and_payouts(app: &TestApp, s: &Shop) -> (Decimal, Decimal) {
    #[derive(diesel::QueryableByName)]
    struct Sums {
        #[diesel(sql_type = diesel::sql_types::Numeric)]
        ledger: Decimal,
        #[diesel(sql_type = diesel::sql_types::Numeric)]
        payouts: Decimal,
    }
    let sums: Sums = app
        .db()
        .tenant_tx(&schema(s), |conn| {
            async move {
                Ok(diesel_async::RunQueryDsl::get_result(
                    diesel::sql_query(
                        "SELECT COALESCE((SELECT sum(amount) FROM money_ledger), 0) AS ledger, \
                         COALESCE((SELECT sum(amount) FROM payouts), 0) AS payouts",
                    ),
                    conn.pg(),
                )
                .await?)
            }
            .boxed()
        })
        .await
        .expect("sums");
    (sums.ledger, sums.payouts)
}

async fn payout(app: &TestApp, s: &Shop, key: &str, body: Value) -> Reply {
    app.send_with_headers(
        reqwest::Method::POST,
        &format!("/v1/vendors/{}/payouts", s.vendor()),
        Some(&s.admin),
        &[("Idempotency-Key", key)],
        Some(body),
    )
    .await
}

#[e2e]
async fn commission_balances_and_payouts_follow_the_money() {
    let (processor, url) = Processor::start();
    let app = app_with(&url, 2000).await;
    let s = Shop::stocked(&app, 10).await;
    let vendor = s.vendor().to_owned();

    let set = app
        .put("/v1/commission", &s.admin, json!({ "rate": "0.10" }))
        .await
        .expect(200);
    assert_eq!(set["rate"], "0.1");
    for (body, code) in [
        (json!({ "rate": "1.5" }), "invalid_commission_rate"),
        (json!({ "rate": "0.1234567" }), "invalid_commission_rate"),
        (
            json!({ "vendor_id": Uuid::nil(), "rate": "0.2" }),
            "unknown_vendor",
        ),
        (json!({ "rate": null }), "commission_rate_required"),
    ] {
        app.put("/v1/commission", &s.admin, body)
            .await
            .expect_problem(422, code);
    }
    let own = app
        .put(
            "/v1/commission",
            &s.admin,
            json!({ "vendor_id": vendor, "rate": "0.20" }),
        )
        .await
        .expect(200);
    assert_eq!(own["vendors"][0]["rate"], "0.2");

    let c = cart(&app, &s, s.variant("tee"), 2).await;
    let paid = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_ok" }),
    )
    .await
    .expect(201);
    let id = paid["id"].as_str().expect("id").to_owned();
    let total = dec(&paid["total"]);
    let goods = dec(&paid["subtotal"]);
    let commission = (goods * Decimal::new(20, 2)).round_dp(2);
    let balance_path = format!("/v1/vendors/{vendor}/balance");
    let balance = app.get(&balance_path, &s.admin).await.expect(200)["items"][0].clone();
    assert_eq!(balance["currency"], "USD");
    assert_eq!(dec(&balance["sales"]), total, "{balance}");
    assert_eq!(
        dec(&balance["commission"]),
        commission,
        "the vendor's own rate"
    );
    assert_eq!(dec(&balance["available"]), total - commission);
    assert_eq!(ledger_and_payouts(&app, &s).await, (total, Decimal::ZERO));

    // A refund of one of the two tees takes back its share, and the
    // commission on it.
    let detail = order(&app, &s, &id).await;
    let line = detail["lines"][0]["id"].as_str().expect("line").to_owned();
    let refunded = refund(
        &app,
        &s,
        &id,
        &unique("r"),
        json!({ "lines": [{ "line_id": line, "quantity": 1 }], "reason": "damaged" }),
    )
    .await
    .expect(201);
    let share = dec(&refunded["amount"]);
    let balance = app.get(&balance_path, &s.admin).await.expect(200)["items"][0].clone();
    assert_eq!(dec(&balance["refunds"]), share);
    let commission_back = (share * commission / total).round_dp(2);
    assert_eq!(dec(&balance["commission"]), commission - commission_back);
    let available = total - share - (commission - commission_back);
    assert_eq!(dec(&balance["available"]), available);
    assert_eq!(
        ledger_and_payouts(&app, &s).await.0,
        processor.kept(&id),
        "the ledger holds exactly what the processor kept"
    );

    // Payouts: never more than is available; once per key.
    let over = payout(
        &app,
        &s,
        &unique("p"),
        json!({ "currency": "USD", "amount": "100000.00" }),
    )
    .await
    .expect_problem(409, "payout_exceeds_balance");
    assert_eq!(dec(&over["details"]["available"]), available);
    let key = unique("p");
    let all = payout(
        &app,
        &s,
        &key,
        json!({ "currency": "USD", "reference": "TRF-1" }),
    )
    .await
    .expect(201);
    assert_eq!(dec(&all["amount"]), available);
    let again = payout(
        &app,
        &s,
        &key,
        json!({ "currency": "USD", "reference": "TRF-1" }),
    )
    .await
    .expect(201);
    assert_eq!(again["id"], all["id"], "the same payout");
    payout(
        &app,
        &s,
        &key,
        json!({ "currency": "USD", "reference": "TRF-2" }),
    )
    .await
    .expect_problem(422, "idempotency_key_reused");
    payout(&app, &s, &unique("p"), json!({ "currency": "USD" }))
        .await
        .expect_problem(409, "nothing_to_pay_out");
    let balance = app.get(&balance_path, &s.admin).await.expect(200)["items"][0].clone();
    assert_eq!(dec(&balance["available"]), Decimal::ZERO);
    assert_eq!(dec(&balance["payouts"]), available);
    let listed = app
        .get(&format!("/v1/vendors/{vendor}/payouts"), &s.admin)
        .await
        .expect(200);
    assert_eq!(listed["items"][0]["reference"], "TRF-1");

    // captures − refunds = Σ vendor balances + Σ payouts + commission.
    let (ledger, paid_out) = ledger_and_payouts(&app, &s).await;
    assert_eq!(ledger + paid_out, processor.kept(&id));
    app.get(&balance_path, &s.storefront)
        .await
        .expect_problem(403, "insufficient_scope");
    app.stop().await;
}

/// The provider each of the tenant's payments is recorded with.
async fn providers(app: &TestApp, s: &Shop) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct P {
        #[diesel(sql_type = diesel::sql_types::Text)]
        gateway: String,
    }
    let found: Vec<P> = app
        .db()
        .tenant_tx(&schema(s), |conn| {
            async move {
                Ok(diesel_async::RunQueryDsl::load(
                    diesel::sql_query("SELECT gateway FROM payments ORDER BY created_at"),
                    conn.pg(),
                )
                .await?)
            }
            .boxed()
        })
        .await
        .expect("payments");
    found.into_iter().map(|p| p.gateway).collect()
}

#[e2e]
async fn an_unreachable_provider_fails_over_and_its_breaker_opens() {
    let (fallback, url) = Processor::start();
    // A primary nobody listens on: every connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let regions = regions_with_hours("[\"00:00-24:00\"]");
    let app = Processor::configure(
        TestApp::builder().regions_dir(&regions),
        &format!("http://{closed}"),
        300,
    )
    .env("BAZAAR_PAYMENT_FALLBACK_URL", &url)
    .env("BAZAAR_PAYMENT_FALLBACK_KEY", "sk_fallback")
    .start()
    .await;
    let s = Shop::stocked(&app, 20).await;
    let tee = s.variant("tee").to_owned();
    let ready = |app: &TestApp| {
        let url = format!("{}/readyz", app.base);
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .expect("readyz")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    assert_eq!(ready(&app).await["payments"][0]["breaker"], "closed");

    let mut ids = Vec::new();
    for _ in 0..6 {
        let c = cart(&app, &s, &tee, 1).await;
        let paid = checkout(
            &app,
            &s,
            &c,
            Some(&unique("k")),
            json!({ "payment_token": "tok_ok" }),
        )
        .await
        .expect(201);
        assert_eq!(paid["status"], "paid", "{paid}");
        let id = paid["id"].as_str().expect("id").to_owned();
        assert!(fallback.charge(&id).is_some(), "charged by the fallback");
        ids.push(id);
    }
    // Five orders that could not reach the primary opened its breaker:
    // the sixth was placed with the fallback straight away.
    let state = ready(&app).await;
    assert_eq!(state["status"], "degraded", "{state}");
    assert_eq!(state["payments"][0]["provider"], "http");
    assert_eq!(state["payments"][0]["breaker"], "open");
    assert_eq!(state["payments"][1]["breaker"], "closed");
    assert_eq!(providers(&app, &s).await, vec!["http_fallback"; 6]);
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("bazaar_payment_breaker_open{provider=\"http\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("bazaar_payment_breaker_open{provider=\"http_fallback\"} 0"));

    // Everything after payment goes to the provider that charged.
    let made = refund(
        &app,
        &s,
        &ids[0],
        &unique("r"),
        json!({ "reason": "damaged" }),
    )
    .await
    .expect(201);
    assert_eq!(made["status"], "succeeded", "{made}");
    assert_eq!(fallback.kept(&ids[0]), Decimal::ZERO);
    assert_eq!(stock(&app, &s, &tee).await, (14, 0));
    app.stop().await;
}

/// With no provider to fail over to, an order none of whose attempts
/// reached the provider was certainly not charged: it fails at once and
/// its stock is released, instead of being held for reconciliation.
#[e2e]
async fn an_order_that_reached_no_provider_fails_and_releases_its_stock() {
    let app = crate::checkout::open_all_day().await;
    let s = Shop::stocked(&app, 5).await;
    let tee = s.variant("tee").to_owned();
    let c = cart(&app, &s, &tee, 2).await;
    let failed = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_unreachable" }),
    )
    .await
    .expect(201);
    assert_eq!(failed["status"], "payment_failed", "{failed}");
    assert_eq!(failed["payment_failure"], "payment_provider_unreachable");
    assert_eq!(stock(&app, &s, &tee).await, (5, 0));
    app.stop().await;
}

const WEBHOOK_SECRET: &str = "whsec_test_secret";

/// Send a provider event, signed as the provider signs it (`age` seconds
/// ago, with `secret`).
async fn deliver(app: &TestApp, event: &Value, secret: &str, age: i64) -> Reply {
    let body = event.to_string();
    let signed_at = chrono::Utc::now().timestamp() - age;
    let signature = bazaar_payments::webhook::sign(secret, signed_at, body.as_bytes());
    deliver_signed(
        app,
        "http",
        ("webhook-signature", &signature),
        body.into_bytes(),
    )
    .await
}

/// Post a provider's signed event to Bazaar, the signature in `header`.
pub(crate) async fn deliver_signed(
    app: &TestApp,
    provider: &str,
    (header, signature): (&str, &str),
    body: Vec<u8>,
) -> Reply {
    let response = app
        .client
        .post(format!("{}/v1/payments/events/{provider}", app.base))
        .header("content-type", "application/json")
        .header(header, signature)
        .body(body)
        .send()
        .await
        .expect("delivered");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    Reply {
        status,
        body,
        headers,
    }
}

fn event(id: &str, kind: &str, object: &str, key: &str, amount: &str, s: &Shop) -> Value {
    json!({ "id": id, "type": kind, "data": {
        "id": object, "idempotency_key": key, "amount": amount, "currency": "USD",
        "metadata": { "tenant": format!("t_{}", s.slug) } } })
}

#[e2e]
async fn provider_events_settle_charges_and_refunds_once_in_any_order() {
    let (processor, url) = Processor::start();
    let regions = regions_with_hours("[\"00:00-24:00\"]");
    let app = Processor::configure(TestApp::builder().regions_dir(&regions), &url, 300)
        .env("BAZAAR_PAYMENT_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .start()
        .await;
    let s = Shop::stocked(&app, 10).await;
    let tee = s.variant("tee").to_owned();

    // The processor charged but every answer was a 500: the order waits.
    let c = cart(&app, &s, &tee, 2).await;
    let unknown = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_500" }),
    )
    .await;
    let id = crate::checkout::unconfirmed_order(&unknown).to_string();
    let charge = processor.charge(&id).expect("charged");
    let amount = charge.amount.to_string();

    // Its event settles it: paid, once.
    let paid = event("evt_1", "charge.succeeded", &charge.id, &id, &amount, &s);
    let first = deliver(&app, &paid, WEBHOOK_SECRET, 0).await.expect(200);
    assert_eq!(first["outcome"], "paid", "{first}");
    assert_eq!(order(&app, &s, &id).await["status"], "paid");
    assert_eq!(stock(&app, &s, &tee).await, (8, 0));
    let again = deliver(&app, &paid, WEBHOOK_SECRET, 0).await.expect(200);
    assert_eq!(again["outcome"], "duplicate");
    // A failure reported late changes nothing.
    let failed = event("evt_0", "charge.failed", &charge.id, &id, &amount, &s);
    let late = deliver(&app, &failed, WEBHOOK_SECRET, 0).await.expect(200);
    assert!(
        late["outcome"]
            .as_str()
            .is_some_and(|o| o.starts_with("ignored")),
        "{late}"
    );
    assert_eq!(order(&app, &s, &id).await["status"], "paid");
    // Nor does the checkout's own retry: the order is paid, not refunded.
    let retried = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k2")),
        json!({ "payment_token": "tok_ok" }),
    )
    .await;
    assert_eq!(retried.status, 409, "{}", retried.body);
    assert_eq!(processor.refunded(&id), Decimal::ZERO);

    // A refund whose answer was lost is settled by its event.
    processor.set_refunds_down(true);
    let pending = refund(&app, &s, &id, &unique("r"), json!({ "reason": "damaged" }))
        .await
        .expect(201);
    assert_eq!(pending["status"], "pending");
    let refund_id = pending["id"].as_str().expect("id");
    let made = event("evt_2", "refund.succeeded", "re_1", refund_id, &amount, &s);
    let settled = deliver(&app, &made, WEBHOOK_SECRET, 0).await.expect(200);
    assert_eq!(settled["outcome"], "refund succeeded", "{settled}");
    assert_eq!(order(&app, &s, &id).await["status"], "refunded");

    // Refused: a wrong secret, an old signature, no signature, an unknown
    // provider, a body that is not an event.
    deliver(&app, &paid, "not_the_secret", 0)
        .await
        .expect_problem(401, "invalid_signature");
    deliver(
        &app,
        &event("evt_3", "charge.succeeded", "x", &id, "1.00", &s),
        WEBHOOK_SECRET,
        3600,
    )
    .await
    .expect_problem(401, "stale_signature");
    let unsigned = app
        .client
        .post(format!("{}/v1/payments/events/http", app.base))
        .body(paid.to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(unsigned.status().as_u16(), 401);
    let unknown_provider = app
        .client
        .post(format!("{}/v1/payments/events/nope", app.base))
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown_provider.status().as_u16(), 404);
    deliver(&app, &json!({ "id": "evt_4" }), WEBHOOK_SECRET, 0)
        .await
        .expect_problem(400, "invalid_event");
    app.stop().await;
}

#[e2e]
async fn a_charge_event_for_a_cancelled_order_gives_the_money_back() {
    let (processor, url) = Processor::start();
    let regions = regions_with_hours("[\"00:00-24:00\"]");
    let app = Processor::configure(TestApp::builder().regions_dir(&regions), &url, 300)
        .env("BAZAAR_PAYMENT_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .start()
        .await;
    let s = Shop::stocked(&app, 10).await;
    let c = cart(&app, &s, s.variant("tee"), 1).await;
    let unknown = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_lost" }),
    )
    .await;
    let id = crate::checkout::unconfirmed_order(&unknown);
    processor.set_lookups_down(true);
    expire_unknown(&app, &s, id).await;
    assert_eq!(
        order(&app, &s, &id.to_string()).await["status"],
        "cancelled"
    );
    processor.land_in_flight();
    let charge = processor.charge(&id.to_string()).expect("landed");
    let landed = event(
        "evt_9",
        "charge.succeeded",
        &charge.id,
        &id.to_string(),
        &charge.amount.to_string(),
        &s,
    );
    let reply = deliver(&app, &landed, WEBHOOK_SECRET, 0).await.expect(200);
    assert!(
        reply["outcome"]
            .as_str()
            .is_some_and(|o| o.contains("giving it back")),
        "{reply}"
    );
    assert_eq!(
        processor.kept(&id.to_string()),
        Decimal::ZERO,
        "given back in full"
    );
    assert_eq!(
        order(&app, &s, &id.to_string()).await["status"],
        "cancelled"
    );
    app.stop().await;
}

#[e2e]
async fn a_vendor_part_is_refunded_from_that_vendor_alone() {
    let app = crate::checkout::open_all_day().await;
    let (s, vendor_keys, variants) = crate::checkout::two_vendor_shop(&app).await;
    let c = cart(&app, &s, &variants[0], 1).await;
    crate::checkout::add_line(&app, &s, &c, &variants[1], 2).await;
    let paid = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    let id = paid["id"].as_str().expect("id").to_owned();
    let parts = app
        .get("/v1/vendor-orders", &vendor_keys[1])
        .await
        .expect(200);
    let south_part = parts["items"][0]["id"].as_str().expect("part").to_owned();
    let south_total = dec(&parts["items"][0]["total"]);
    let south = parts["items"][0]["vendor_id"]
        .as_str()
        .expect("vendor")
        .to_owned();
    let north = app
        .get("/v1/vendor-orders", &vendor_keys[0])
        .await
        .expect(200)["items"][0]["vendor_id"]
        .as_str()
        .expect("vendor")
        .to_owned();
    let available = |vendor: String| {
        let app = &app;
        let admin = s.admin.clone();
        async move {
            dec(&app
                .get(&format!("/v1/vendors/{vendor}/balance"), &admin)
                .await
                .expect(200)["items"][0]["available"])
        }
    };
    let north_before = available(north.clone()).await;

    let body =
        json!({ "vendor_order_id": south_part, "restock": true, "reason": "lost in transit" });
    let made = refund(&app, &s, &id, &unique("r"), body.clone())
        .await
        .expect(201);
    assert_eq!(made["status"], "succeeded", "{made}");
    assert_eq!(dec(&made["amount"]), south_total, "all of the part");
    assert_eq!(made["vendor_order_id"], south_part.as_str());
    assert_eq!(made["lines"][0]["quantity"], 2);
    assert_eq!(
        available(south).await,
        Decimal::ZERO,
        "the vendor gave it all back"
    );
    assert_eq!(
        available(north).await,
        north_before,
        "the other vendor is untouched"
    );
    assert_eq!(order(&app, &s, &id).await["status"], "partially_refunded");
    // Nothing is left of the part.
    refund(&app, &s, &id, &unique("r"), body)
        .await
        .expect_problem(409, "nothing_left_to_refund");
    app.stop().await;
}

#[e2e]
async fn commission_is_taken_at_the_vendors_the_categorys_or_the_tenants_rate() {
    let app = crate::checkout::open_all_day().await;
    let s = Shop::stocked(&app, 20).await;
    let tee = s.variant("tee").to_owned();
    let apparel = app
        .post(
            "/v1/categories",
            &s.admin,
            json!({ "slug": "apparel", "name": "Apparel" }),
        )
        .await
        .expect(201);
    let tees = app
        .post(
            "/v1/categories",
            &s.admin,
            json!({ "slug": "tees", "name": "Tees", "parent_id": apparel["id"] }),
        )
        .await
        .expect(201);
    let products = app.get("/v1/products", &s.admin).await.expect(200);
    let product = products["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["variants"][0]["id"] == tee.as_str())
        .expect("the tee")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.patch(
        &format!("/v1/products/{product}"),
        &s.admin,
        json!({ "category_id": tees["id"] }),
    )
    .await
    .expect(200);

    // The tenant's rate, set twice (the second replaces the first), and a
    // rate for the tees' parent category.
    for rate in ["0.30", "0.10"] {
        app.put("/v1/commission", &s.admin, json!({ "rate": rate }))
            .await
            .expect(200);
    }
    let rates = app
        .put(
            "/v1/commission",
            &s.admin,
            json!({ "category_id": apparel["id"], "rate": "0.05" }),
        )
        .await
        .expect(200);
    assert_eq!(rates["rate"], "0.1");
    assert_eq!(rates["categories"][0]["rate"], "0.05");
    app.put(
        "/v1/commission",
        &s.admin,
        json!({ "category_id": apparel["id"], "vendor_id": s.vendor(), "rate": "0.2" }),
    )
    .await
    .expect_problem(422, "commission_rate_target");
    app.put(
        "/v1/commission",
        &s.admin,
        json!({ "category_id": Uuid::nil(), "rate": "0.2" }),
    )
    .await
    .expect_problem(422, "unknown_category");

    let commission = || {
        let app = &app;
        let path = format!("/v1/vendors/{}/balance", s.vendor());
        let admin = s.admin.clone();
        async move { dec(&app.get(&path, &admin).await.expect(200)["items"][0]["commission"]) }
    };
    let buy = || {
        let (app, s, tee) = (&app, &s, tee.clone());
        async move {
            let c = cart(app, s, &tee, 1).await;
            let paid = checkout(
                app,
                s,
                &c,
                Some(&unique("k")),
                json!({ "payment_token": "tok_success" }),
            )
            .await
            .expect(201);
            dec(&paid["subtotal"])
        }
    };
    // The nearest category up the tee's path with a rate: apparel's 5%.
    let net = buy().await;
    let at_category = (net * Decimal::new(5, 2)).round_dp(2);
    assert_eq!(commission().await, at_category);
    // The vendor's own rate wins over the category's.
    app.put(
        "/v1/commission",
        &s.admin,
        json!({ "vendor_id": s.vendor(), "rate": "0.2" }),
    )
    .await
    .expect(200);
    let net2 = buy().await;
    let at_vendor = (net2 * Decimal::new(20, 2)).round_dp(2);
    assert_eq!(commission().await, at_category + at_vendor);
    // Without the vendor's and the category's, the tenant's.
    app.put(
        "/v1/commission",
        &s.admin,
        json!({ "vendor_id": s.vendor(), "rate": null }),
    )
    .await
    .expect(200);
    let cleared = app
        .put(
            "/v1/commission",
            &s.admin,
            json!({ "category_id": apparel["id"], "rate": null }),
        )
        .await
        .expect(200);
    assert_eq!(cleared["vendors"], json!([]));
    assert_eq!(cleared["categories"], json!([]));
    let net3 = buy().await;
    let at_tenant = (net3 * Decimal::new(10, 2)).round_dp(2);
    assert_eq!(commission().await, at_category + at_vendor + at_tenant);
    app.stop().await;
}
