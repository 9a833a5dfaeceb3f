//! Orders beyond the basic checkout: backorders filled as stock arrives,
//! vendors' shipping rates along the region chain, lines split across
//! warehouses, one order per cart under concurrent checkouts, and a
//! checkout whose server died mid-payment resumed by its Idempotency-Key.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use poem::web::{Data, Json};
use poem::{EndpointExt, Request, Route, handler, post};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::carts::call;
use crate::checkout::{cart, checkout, ledger_balances, open_all_day, stock};
use crate::support::shop::Shop;
use crate::support::{TestApp, e2e, unique};

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().expect("decimal string")).expect("decimal")
}

/// (product id, vendor id, warehouse id) of the shop's `variant`.
async fn owner_of(app: &TestApp, s: &Shop, variant: &str) -> (String, String, String) {
    let products = app.get("/v1/products", &s.admin).await.expect(200);
    let product = products["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["variants"][0]["id"] == variant)
        .expect("the variant's product")
        .clone();
    let warehouses = app.get("/v1/warehouses", &s.admin).await.expect(200);
    (
        product["id"].as_str().expect("id").to_owned(),
        product["vendor_id"].as_str().expect("vendor").to_owned(),
        warehouses["items"][0]["id"]
            .as_str()
            .expect("warehouse")
            .to_owned(),
    )
}

async fn receive(app: &TestApp, s: &Shop, variant: &str, warehouse: &str, quantity: i32) {
    app.post(
        "/v1/inventory/movements",
        &s.admin,
        json!({ "variant_id": variant, "warehouse_id": warehouse, "kind": "receive", "quantity": quantity }),
    )
    .await
    .expect(201);
}

/// The vendor part of `order` as the tenant admin sees it.
async fn part_of(app: &TestApp, s: &Shop, vendor: &str, order: &str) -> Value {
    let parts = app
        .get(&format!("/v1/vendor-orders?vendor_id={vendor}"), &s.admin)
        .await
        .expect(200);
    parts["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["order_id"] == order)
        .expect("the order's part")
        .clone()
}

/// Check out `c` with a fresh key and a card that pays.
async fn pay_cart(app: &TestApp, s: &Shop, c: &(String, String)) -> crate::support::Reply {
    checkout(
        app,
        s,
        c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
}

/// Buy `quantity` of `variant` in a new cart.
async fn pay(app: &TestApp, s: &Shop, variant: &str, quantity: i32) -> crate::support::Reply {
    let c = cart(app, s, variant, quantity).await;
    pay_cart(app, s, &c).await
}

async fn pack(app: &TestApp, s: &Shop, part: &Value) -> crate::support::Reply {
    app.post(
        &format!(
            "/v1/vendor-orders/{}/pack",
            part["id"].as_str().expect("id")
        ),
        &s.admin,
        json!({}),
    )
    .await
}

#[e2e]
async fn backorders_sell_past_stock_within_the_limit_and_fill_on_receipt() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 2).await;
    let (product, vendor, warehouse) = owner_of(&app, &s, s.variant("tee")).await;
    app.patch(
        &format!("/v1/products/{product}/variants/{}", s.variant("tee")),
        &s.admin,
        json!({ "backorder_limit": 3 }),
    )
    .await
    .expect(200);

    // Six is one too many: refused, with nothing kept, so the same cart and
    // key go through once the shopper takes four.
    let c = cart(&app, &s, s.variant("tee"), 6).await;
    let key = unique("k");
    let paying = json!({ "payment_token": "tok_success" });
    let over = checkout(&app, &s, &c, Some(&key), paying.clone())
        .await
        .expect_problem(409, "out_of_stock");
    assert!(
        over["detail"]
            .as_str()
            .is_some_and(|d| d.contains("only 5 of `tee` available")),
        "2 in stock plus 3 on backorder: {over}"
    );
    let view = call(
        &app,
        reqwest::Method::GET,
        &format!("/v1/carts/{}", c.0),
        &s.storefront,
        &c.1,
        None,
    )
    .await
    .expect(200);
    let line = format!(
        "/v1/carts/{}/lines/{}",
        c.0,
        view["lines"][0]["id"].as_str().expect("line")
    );
    let set = |quantity: i32| {
        call(
            &app,
            reqwest::Method::PATCH,
            &line,
            &s.storefront,
            &c.1,
            Some(json!({ "quantity": quantity })),
        )
    };
    set(4).await.expect(200);
    let first = checkout(&app, &s, &c, Some(&key), paying).await.expect(201);
    set(1).await.expect_problem(409, "cart_checked_out");
    assert_eq!(
        (first["status"].as_str(), first["backordered"].as_i64()),
        (Some("paid"), Some(2))
    );
    assert_eq!(
        stock(&app, &s, s.variant("tee")).await,
        (0, 0),
        "the 2 in stock are sold"
    );
    pay(&app, &s, s.variant("tee"), 2)
        .await
        .expect_problem(409, "out_of_stock");
    let second = pay(&app, &s, s.variant("tee"), 1).await.expect(201);
    assert_eq!(second["backordered"], 1);

    // The first order's part waits for stock and cannot be packed yet.
    let first_id = first["id"].as_str().expect("id");
    let part = part_of(&app, &s, &vendor, first_id).await;
    assert_eq!(part["awaiting_stock"], 2);
    pack(&app, &s, &part)
        .await
        .expect_problem(409, "awaiting_stock");

    // Two arrive: the oldest backorder (2) is filled, the next (1) waits;
    // nothing is left over for sale.
    receive(&app, &s, s.variant("tee"), &warehouse, 2).await;
    assert_eq!(
        part_of(&app, &s, &vendor, first_id).await["awaiting_stock"],
        0
    );
    let second_id = second["id"].as_str().expect("id");
    assert_eq!(
        part_of(&app, &s, &vendor, second_id).await["awaiting_stock"],
        1
    );
    assert_eq!(stock(&app, &s, s.variant("tee")).await, (0, 0));
    pack(&app, &s, &part).await.expect(200);

    // Five more: the second backorder takes one, four are for sale, and the
    // whole limit is free again.
    receive(&app, &s, s.variant("tee"), &warehouse, 5).await;
    assert_eq!(
        part_of(&app, &s, &vendor, second_id).await["awaiting_stock"],
        0
    );
    assert_eq!(stock(&app, &s, s.variant("tee")).await, (4, 0));
    let third = pay(&app, &s, s.variant("tee"), 7).await.expect(201);
    assert_eq!(third["backordered"], 3);
    ledger_balances(&app, &s.slug).await;
    app.stop().await;
}

#[e2e]
async fn shipping_rates_follow_the_region_chain_into_carts_and_orders() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 50).await;
    let (_, vendor, _) = owner_of(&app, &s, s.variant("tee")).await;
    let rate = app
        .send(
            reqwest::Method::PUT,
            "/v1/shipping-rates/US/USD",
            Some(&s.admin),
            Some(json!({ "vendor_id": vendor, "flat": "5.00", "per_item": "1.00", "free_over": "100.00" })),
        )
        .await
        .expect(200);
    assert_eq!(
        (rate["flat"].as_str(), rate["free_over"].as_str()),
        (Some("5.00"), Some("100.00"))
    );
    for (path, body, code) in [
        (
            "/v1/shipping-rates/FR/USD",
            json!({ "vendor_id": vendor, "flat": "5.00" }),
            "region_not_enabled",
        ),
        (
            "/v1/shipping-rates/US/USD",
            json!({ "vendor_id": vendor, "flat": "-1.00" }),
            "invalid_price",
        ),
        (
            "/v1/shipping-rates/US/USD",
            json!({ "vendor_id": vendor, "flat": "1.001" }),
            "invalid_price",
        ),
        (
            "/v1/shipping-rates/US/XXX",
            json!({ "vendor_id": vendor, "flat": "1.00" }),
            "invalid_currency",
        ),
    ] {
        app.send(reqwest::Method::PUT, path, Some(&s.admin), Some(body))
            .await
            .expect_problem(422, code);
    }

    // Three tees (90.00) in California: the US rate applies, 5 + 3 x 1,
    // and California does not tax separately stated shipping.
    let c = cart(&app, &s, s.variant("tee"), 3).await;
    let view = call(
        &app,
        reqwest::Method::GET,
        &format!("/v1/carts/{}", c.0),
        &s.storefront,
        &c.1,
        None,
    )
    .await
    .expect(200);
    assert_eq!(view["shipping"][0]["rate_region"], "US");
    assert_eq!(view["shipping"][0]["net"], "8.00");
    assert_eq!(view["shipping"][0]["tax"], "0.00");
    assert_eq!(view["totals"]["shipping_total"], "8.00");
    let totals = &view["totals"];
    assert_eq!(
        dec(&totals["total"]),
        dec(&totals["subtotal"])
            + dec(&totals["shipping_total"])
            + dec(&totals["tax_total"])
            + dec(&totals["excise_total"])
    );

    // A rate for California itself wins over the US one.
    app.send(
        reqwest::Method::PUT,
        "/v1/shipping-rates/US-CA/USD",
        Some(&s.admin),
        Some(json!({ "vendor_id": vendor, "flat": "3.00" })),
    )
    .await
    .expect(200);
    let order = pay_cart(&app, &s, &c).await.expect(201);
    assert_eq!(order["shipping_total"], "3.00");
    assert_eq!(
        dec(&order["total"]),
        dec(&order["subtotal"])
            + dec(&order["shipping_total"])
            + dec(&order["tax_total"])
            + dec(&order["excise_total"])
    );
    let part = part_of(&app, &s, &vendor, order["id"].as_str().expect("id")).await;
    assert_eq!(part["shipping"], "3.00");
    assert_eq!(
        part["total"], order["total"],
        "one vendor: its part is the order"
    );

    // Back to the US rate: four tees (120.00) pass its free-shipping line.
    let removed = app
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/shipping-rates/US-CA/USD?vendor_id={vendor}"),
            Some(&s.admin),
            None,
        )
        .await
        .expect(200);
    assert_eq!(removed["region"], "US-CA");
    app.send(
        reqwest::Method::DELETE,
        &format!("/v1/shipping-rates/US-CA/USD?vendor_id={vendor}"),
        Some(&s.admin),
        None,
    )
    .await
    .expect_problem(404, "shipping_rate_not_found");
    let free = pay(&app, &s, s.variant("tee"), 4).await.expect(201);
    assert_eq!(free["shipping_total"], "0.00");
    let listed = app
        .get(&format!("/v1/shipping-rates?vendor_id={vendor}"), &s.admin)
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    app.stop().await;
}

#[e2e]
async fn a_line_splits_across_the_vendors_warehouses() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let (_, vendor, _) = owner_of(&app, &s, s.variant("tee")).await;
    let second = app
        .post(
            "/v1/warehouses",
            &s.admin,
            json!({ "vendor_id": vendor, "code": "W2", "name": "W2", "region": "US-CA" }),
        )
        .await
        .expect(201);
    let w2 = second["id"].as_str().expect("id").to_owned();
    receive(&app, &s, s.variant("tee"), &w2, 5).await;
    let order = pay(&app, &s, s.variant("tee"), 13).await.expect(201);
    assert_eq!(
        (order["status"].as_str(), order["backordered"].as_i64()),
        (Some("paid"), Some(0))
    );
    let levels = app
        .get(
            &format!("/v1/inventory?variant_id={}", s.variant("tee")),
            &s.admin,
        )
        .await
        .expect(200);
    let mut on_hand: Vec<i64> = levels["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|l| l["on_hand"].as_i64().expect("on_hand"))
        .collect();
    on_hand.sort_unstable();
    assert_eq!(on_hand, [0, 2], "13 of 15 taken from two warehouses");
    ledger_balances(&app, &s.slug).await;
    app.stop().await;
}

#[e2e]
async fn one_cart_checked_out_twice_at_once_makes_one_order() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let c = cart(&app, &s, s.variant("tee"), 3).await;
    let (ka, kb) = (unique("a"), unique("b"));
    let (a, b) = tokio::join!(
        checkout(
            &app,
            &s,
            &c,
            Some(&ka),
            json!({ "payment_token": "tok_success" })
        ),
        checkout(
            &app,
            &s,
            &c,
            Some(&kb),
            json!({ "payment_token": "tok_success" })
        ),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    let refused = if a.status == 409 { a } else { b };
    refused.expect_problem(409, "cart_checked_out");
    assert_eq!(stock(&app, &s, s.variant("tee")).await, (7, 0), "sold once");
    app.stop().await;
}

/// Serve a fake card processor on a free loopback port.
fn fake_processor(
    app: impl poem::Endpoint + 'static,
) -> (
    std::net::SocketAddr,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let server = tokio::spawn(poem::Server::new(poem::listener::TcpListener::bind(addr)).run(app));
    (addr, server)
}

/// A card processor that charges once per idempotency key and, for the
/// first request, takes the charge and then never answers (as if the
/// caller died waiting).
#[derive(Default)]
struct Processor {
    charges: Mutex<HashMap<String, Value>>,
    calls: Mutex<usize>,
}

#[handler]
async fn charge(req: &Request, body: Json<Value>, p: Data<&Arc<Processor>>) -> poem::Response {
    let key = req.header("idempotency-key").unwrap_or_default().to_owned();
    let first = {
        let mut calls = p.calls.lock().expect("lock");
        *calls += 1;
        *calls == 1
    };
    let made = p
        .charges
        .lock()
        .expect("lock")
        .entry(key.clone())
        .or_insert_with(|| json!({ "id": format!("ch_{key}"), "amount": body["amount"], "currency": body["currency"] }))
        .clone();
    if first {
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
    poem::Response::builder()
        .status(poem::http::StatusCode::OK)
        .body(made.to_string())
}

#[e2e]
async fn a_checkout_cut_off_mid_payment_is_resumed_by_its_key() {
    let processor = Arc::new(Processor::default());
    let (addr, fake) = fake_processor(
        Route::new()
            .at("/v1/charges", post(charge))
            .data(processor.clone()),
    );
    let regions = crate::checkout::regions_with_hours("[\"00:00-24:00\"]");
    let builder = move || {
        TestApp::builder()
            .regions_dir(&regions)
            .env("BAZAAR_PAYMENT_PROVIDER", "http")
            .env("BAZAAR_PAYMENT_PROVIDER_URL", &format!("http://{addr}"))
            .env("BAZAAR_PAYMENT_PROVIDER_KEY", "sk_test")
            .env("BAZAAR_PAYMENT_TIMEOUT_MS", "250")
            .env("BAZAAR_CHECKOUT_RESUME_AFTER_SECONDS", "3")
    };
    let survivor = builder().start().await;
    let s = Shop::stocked(&survivor, 10).await;
    let c = cart(&survivor, &s, s.variant("tee"), 2).await;

    // Another server, on its own runtime so it can die mid-request: it
    // places the order, the processor takes the charge, and the server is
    // gone before the answer comes.
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let (kill_tx, kill_rx) = std::sync::mpsc::channel::<()>();
    let doomed = builder();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let app = rt.block_on(doomed.start());
        url_tx.send(app.base.clone()).expect("send");
        kill_rx.recv().ok();
        // No shutdown, no cleanup: the process "dies".
        std::mem::forget(app);
        rt.shutdown_background();
    });
    let doomed_url = url_rx.recv().expect("doomed server url");
    let key = unique("k");
    let request = {
        let (client, key, c, storefront) = (
            reqwest::Client::new(),
            key.clone(),
            c.clone(),
            s.storefront.clone(),
        );
        let url = format!("{doomed_url}/v1/carts/{}/checkout", c.0);
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(storefront)
                .header("X-Cart-Token", c.1)
                .header("Idempotency-Key", key)
                .json(&json!({ "payment_token": "tok_visa" }))
                .send()
                .await
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while processor.charges.lock().expect("lock").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the charge reached the processor"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    kill_tx.send(()).expect("kill");
    thread.join().expect("the doomed server stopped");
    assert!(
        request.await.expect("task").is_err(),
        "the caller got no answer"
    );

    // Retrying at once: the claim is fresh, so it is still in progress.
    let body = json!({ "payment_token": "tok_visa" });
    checkout(&survivor, &s, &c, Some(&key), body.clone())
        .await
        .expect_problem(409, "request_in_progress");
    assert_eq!(
        stock(&survivor, &s, s.variant("tee")).await,
        (10, 2),
        "held for the order"
    );

    // Once the claim is stale, the retry resumes the placed order: the
    // processor sees the same idempotency key and returns the one charge.
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let order = checkout(&survivor, &s, &c, Some(&key), body.clone())
        .await
        .expect(201);
    assert_eq!(order["status"], "paid");
    assert_eq!(order["payment_status"], "succeeded");
    let charges = processor.charges.lock().expect("lock").clone();
    assert_eq!(charges.len(), 1, "charged once");
    assert_eq!(
        charges.keys().next().map(String::as_str),
        order["id"].as_str(),
        "under the order id"
    );
    assert_eq!(*processor.calls.lock().expect("lock"), 2);
    assert_eq!(stock(&survivor, &s, s.variant("tee")).await, (8, 0));
    let replay = checkout(&survivor, &s, &c, Some(&key), body)
        .await
        .expect(201);
    assert_eq!(replay, order, "then the key replays");
    ledger_balances(&survivor, &s.slug).await;
    survivor.stop().await;
    fake.abort();
}

/// The product id of a shop's variant.
async fn product_of(app: &TestApp, s: &Shop, variant: &str) -> String {
    let page = app
        .get("/v1/products?limit=200", &s.admin)
        .await
        .expect(200);
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| {
            p["variants"]
                .as_array()
                .is_some_and(|vs| vs.iter().any(|v| v["id"] == variant))
        })
        .and_then(|p| p["id"].as_str())
        .expect("the variant's product")
        .to_owned()
}

/// Deleting a variant others depend on is a rule, not a foreign-key 500:
/// one in carts only leaves those carts; one that was ordered stays.
#[e2e]
async fn deleting_a_variant_in_carts_or_orders() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;

    // Ordered: it stays, and the refusal says what to do instead.
    let tee = s.variant("tee").to_owned();
    let tee_product = product_of(&app, &s, &tee).await;
    let bought = cart(&app, &s, &tee, 2).await;
    checkout(
        &app,
        &s,
        &bought,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    let refused = app
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/products/{tee_product}/variants/{tee}"),
            Some(&s.admin),
            None,
        )
        .await
        .expect_problem(409, "variant_ordered");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("archive")),
        "{refused}"
    );

    // In an open cart only: the variant goes, and so does the cart's line.
    let flower = s.variant("flower").to_owned();
    let flower_product = product_of(&app, &s, &flower).await;
    let c = cart(&app, &s, &flower, 1).await;
    app.send(
        reqwest::Method::DELETE,
        &format!("/v1/products/{flower_product}/variants/{flower}"),
        Some(&s.admin),
        None,
    )
    .await
    .expect(200);
    let after = app
        .send_with_headers(
            reqwest::Method::GET,
            &format!("/v1/carts/{}", c.0),
            Some(&s.storefront),
            &[("X-Cart-Token", &c.1)],
            None,
        )
        .await
        .expect(200);
    assert_eq!(after["lines"], json!([]), "{after}");

    // A movement too large for a count is refused before SQL.
    app.post(
        "/v1/inventory/movements",
        &s.admin,
        json!({ "variant_id": tee, "warehouse_id": s.warehouse(), "kind": "receive", "quantity": 2_147_483_647 }),
    )
    .await
    .expect_problem(400, "invalid_body");
    app.stop().await;
}

/// A card processor that takes every charge and answers 500 (the charge
/// stands; the answer says nothing), and whose charge lookup is down until
/// `lookups_up` is set.
#[derive(Default)]
struct Flaky {
    charges: Mutex<HashMap<String, Value>>,
    lookups_up: std::sync::atomic::AtomicBool,
}

#[handler]
async fn flaky_charge(req: &Request, body: Json<Value>, p: Data<&Arc<Flaky>>) -> poem::Response {
    let key = req.header("idempotency-key").unwrap_or_default().to_owned();
    p.charges.lock().expect("lock").entry(key.clone()).or_insert_with(
        || json!({ "id": format!("ch_{key}"), "amount": body["amount"], "currency": body["currency"] }),
    );
    poem::Response::builder()
        .status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
        .body("upstream hiccup")
}

#[derive(serde::Deserialize)]
struct LookupQuery {
    idempotency_key: String,
}

#[handler]
async fn flaky_lookup(
    query: poem::web::Query<LookupQuery>,
    p: Data<&Arc<Flaky>>,
) -> poem::Response {
    if !p.lookups_up.load(std::sync::atomic::Ordering::SeqCst) {
        return poem::Response::builder()
            .status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
            .body("lookups are down");
    }
    let found: Vec<Value> = p
        .charges
        .lock()
        .expect("lock")
        .get(&query.idempotency_key)
        .cloned()
        .into_iter()
        .collect();
    poem::Response::builder()
        .status(poem::http::StatusCode::OK)
        .body(json!({ "data": found }).to_string())
}

/// With a real (HTTP) processor that charged but answered 500 to every
/// attempt, and whose lookup is down for a while: the order stays pending
/// and its stock held while nobody can say (reconciliation extends the
/// hold), then settles paid when the lookup finds the charge.
#[e2e]
async fn reconciliation_waits_out_a_processor_that_cannot_say() {
    let processor = Arc::new(Flaky::default());
    let (addr, fake) = fake_processor(
        Route::new()
            .at("/v1/charges", post(flaky_charge).get(flaky_lookup))
            .data(processor.clone()),
    );
    let regions = crate::checkout::regions_with_hours("[\"00:00-24:00\"]");
    let app = TestApp::builder()
        .regions_dir(&regions)
        .env("BAZAAR_PAYMENT_PROVIDER", "http")
        .env("BAZAAR_PAYMENT_PROVIDER_URL", &format!("http://{addr}"))
        .env("BAZAAR_PAYMENT_PROVIDER_KEY", "sk_test")
        .env("BAZAAR_PAYMENT_TIMEOUT_MS", "500")
        .start()
        .await;
    let s = Shop::stocked(&app, 10).await;
    let tee = s.variant("tee").to_owned();
    let c = cart(&app, &s, &tee, 2).await;
    let unconfirmed = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_visa" }),
    )
    .await;
    let order_id = crate::checkout::unconfirmed_order(&unconfirmed);
    assert_eq!(
        processor.charges.lock().expect("lock").len(),
        1,
        "the processor holds the charge"
    );

    let held = crate::checkout::reconcile_after_hold(&app, &s, order_id).await;
    assert_eq!(
        (held.paid, held.held),
        (0, 1),
        "the lookup is down: hold on"
    );
    let pending = app
        .get(&format!("/v1/orders/{order_id}"), &s.admin)
        .await
        .expect(200);
    assert_eq!(pending["status"], "pending_payment");
    assert_eq!(stock(&app, &s, &tee).await, (10, 2), "still held");

    processor
        .lookups_up
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let settled = crate::checkout::reconcile_after_hold(&app, &s, order_id).await;
    assert_eq!((settled.paid, settled.held), (1, 0));
    let paid = app
        .get(&format!("/v1/orders/{order_id}"), &s.admin)
        .await
        .expect(200);
    assert_eq!(paid["status"], "paid", "{paid}");
    assert_eq!(stock(&app, &s, &tee).await, (8, 0), "sold, once");
    app.stop().await;
    fake.abort();
}

#[e2e]
async fn a_shopper_cancels_their_own_order_until_a_vendor_packs_it() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let tee = s.variant("tee").to_owned();
    let buy = |quantity: i32| {
        let (app, s, tee) = (&app, &s, tee.clone());
        async move {
            let c = cart(app, s, &tee, quantity).await;
            let paid = checkout(
                app,
                s,
                &c,
                Some(&unique("k")),
                json!({ "payment_token": "tok_success" }),
            )
            .await
            .expect(201);
            (c, paid["id"].as_str().expect("id").to_owned())
        }
    };
    let shopper_cancel = |id: String, token: String| {
        let (app, s) = (&app, &s);
        async move {
            app.send_with_headers(
                reqwest::Method::POST,
                &format!("/v1/orders/{id}/cancel"),
                Some(&s.storefront),
                &[("X-Cart-Token", &token)],
                Some(json!({ "reason": "changed my mind" })),
            )
            .await
        }
    };
    let (c, id) = buy(3).await;
    assert_eq!(stock(&app, &s, &tee).await, (7, 0));
    // Only with the order's own cart token.
    shopper_cancel(id.clone(), "ct_not-the-token".into())
        .await
        .expect_problem(404, "order_not_found");
    let cancelled = shopper_cancel(id.clone(), c.1.clone()).await.expect(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["refunded_total"], cancelled["total"]);
    let last = cancelled["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .cloned()
        .expect("a transition");
    assert_eq!(last["to_status"], "cancelled");
    assert_eq!(stock(&app, &s, &tee).await, (10, 0), "back on hand");
    // Once the vendor has packed it, the shop decides.
    let (c2, id2) = buy(1).await;
    let parts = app
        .get(
            &format!("/v1/vendor-orders?vendor_id={}", s.vendor()),
            &s.admin,
        )
        .await
        .expect(200);
    let part = parts["items"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["order_id"] == id2.as_str()))
        .and_then(|p| p["id"].as_str())
        .expect("its part")
        .to_owned();
    app.post(
        &format!("/v1/vendor-orders/{part}/pack"),
        &s.admin,
        json!({}),
    )
    .await
    .expect(200);
    shopper_cancel(id2.clone(), c2.1.clone())
        .await
        .expect_problem(409, "order_part_packed");
    app.post(
        &format!("/v1/orders/{id2}/cancel"),
        &s.admin,
        json!({ "reason": "customer called" }),
    )
    .await
    .expect(200);
    ledger_balances(&app, &s.slug).await;
    app.stop().await;
}

#[e2e]
async fn a_vendor_reports_where_a_part_is_and_the_shopper_sees_it() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let tee = s.variant("tee").to_owned();
    let c = cart(&app, &s, &tee, 1).await;
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
        .get(
            &format!("/v1/vendor-orders?vendor_id={}", s.vendor()),
            &s.admin,
        )
        .await
        .expect(200);
    let part = parts["items"][0]["id"].as_str().expect("part").to_owned();
    let now = chrono::Utc::now();
    let event = |event_id: &str, kind: &str| {
        json!({ "event_id": event_id, "kind": kind, "description": "Left the Oakland hub",
                "location": "Oakland, CA", "occurred_at": now.to_rfc3339() })
    };
    let track = |body: Value| {
        let (app, admin, part) = (&app, s.admin.clone(), part.clone());
        async move {
            app.post(
                &format!("/v1/vendor-orders/{part}/tracking-events"),
                &admin,
                body,
            )
            .await
        }
    };
    track(event("e1", "in_transit"))
        .await
        .expect_problem(409, "not_shipped");
    app.post(
        &format!("/v1/vendor-orders/{part}/ship"),
        &s.admin,
        json!({ "carrier": "OnTrac", "tracking_number": "C100" }),
    )
    .await
    .expect(200);
    let first = track(event("e1", "in_transit")).await.expect(201);
    assert_eq!(first["tracking"].as_array().map(Vec::len), Some(1));
    assert_eq!(first["tracking"][0]["location"], "Oakland, CA");
    let again = track(event("e1", "in_transit")).await.expect(201);
    assert_eq!(
        again["tracking"].as_array().map(Vec::len),
        Some(1),
        "the same event id is recorded once"
    );
    track(event("e9", "teleported"))
        .await
        .expect_problem(422, "invalid_field");
    let mut blank = event("e3", "info");
    blank["description"] = json!(" ");
    track(blank)
        .await
        .expect_problem(422, "invalid_tracking_event");
    let mut future = event("e4", "info");
    future["occurred_at"] = json!((now + chrono::Duration::days(1)).to_rfc3339());
    track(future)
        .await
        .expect_problem(422, "invalid_tracking_event");
    // A `delivered` event delivers the part, and with it the order.
    let done = track(event("e2", "delivered")).await.expect(201);
    assert_eq!(done["status"], "delivered");
    // The shopper sees where it went, with their cart's token.
    let seen = call(
        &app,
        reqwest::Method::GET,
        &format!("/v1/orders/{id}"),
        &s.storefront,
        &c.1,
        None,
    )
    .await
    .expect(200);
    assert_eq!(seen["status"], "delivered");
    let kinds: Vec<&str> = seen["tracking"]
        .as_array()
        .expect("tracking")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["in_transit", "delivered"]);
    app.stop().await;
}
