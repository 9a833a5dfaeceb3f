//! Checkout: reservation without oversell, payments with retries and
//! idempotency, region refusals, and reservation expiry.

use std::collections::BTreeMap;

use futures_util::FutureExt;
use serde_json::{Value, json};

use crate::support::shop::Shop;
use crate::support::{TestApp, e2e, unique};

/// The shipped packs with California's delivery hours replaced by `hours`
/// (a YAML list), so checkout tests do not depend on the time of day.
pub(crate) fn regions_with_hours(hours: &str) -> std::path::PathBuf {
    let dir = crate::support::scratch_dir("regions-");
    for entry in std::fs::read_dir(crate::support::shipped_regions()).expect("read") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let mut text = std::fs::read_to_string(&path).expect("read pack");
            if path.file_name().is_some_and(|n| n == "US-CA.yaml") {
                text = text.replace("[\"08:00-22:00\"]", hours);
            }
            std::fs::write(dir.join(path.file_name().expect("name")), text).expect("write");
        }
    }
    dir
}

/// A server whose US-CA pack delivers around the clock.
pub(crate) async fn open_all_day() -> TestApp {
    TestApp::builder()
        .regions_dir(&regions_with_hours("[\"00:00-24:00\"]"))
        .start()
        .await
}

/// A cart holding `quantity` of `variant`; returns (cart id, token).
pub(crate) async fn cart(
    app: &TestApp,
    s: &Shop,
    variant: &str,
    quantity: i32,
) -> (String, String) {
    let c = app
        .post(
            "/v1/carts",
            &s.storefront,
            json!({ "contact_email": "buyer@x.example" }),
        )
        .await
        .expect(201);
    let (id, token) = (
        c["cart"]["id"].as_str().expect("id").to_owned(),
        c["token"].as_str().expect("token").to_owned(),
    );
    add_line(app, s, &(id.clone(), token.clone()), variant, quantity).await;
    (id, token)
}

/// The header a cart's opener goes in: a guest cart's token, or (for a
/// signed-in shopper's cart, which the tests carry as (id, session)) the
/// customer's session.
pub(crate) fn opener(secret: &str) -> &'static str {
    if secret.starts_with("cs_") {
        "X-Customer-Token"
    } else {
        "X-Cart-Token"
    }
}

/// Add `quantity` of `variant` to a cart.
pub(crate) async fn add_line(
    app: &TestApp,
    s: &Shop,
    cart: &(String, String),
    variant: &str,
    quantity: i32,
) {
    app.send_with_headers(
        reqwest::Method::POST,
        &format!("/v1/carts/{}/lines", cart.0),
        Some(&s.storefront),
        &[(opener(&cart.1), &cart.1)],
        Some(json!({ "variant_id": variant, "quantity": quantity })),
    )
    .await
    .expect(200);
}

pub(crate) async fn checkout(
    app: &TestApp,
    s: &Shop,
    cart: &(String, String),
    key: Option<&str>,
    body: Value,
) -> crate::support::Reply {
    let mut headers = vec![(opener(&cart.1), cart.1.as_str())];
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key));
    }
    app.send_with_headers(
        reqwest::Method::POST,
        &format!("/v1/carts/{}/checkout", cart.0),
        Some(&s.storefront),
        &headers,
        Some(body),
    )
    .await
}

pub(crate) async fn stock(app: &TestApp, s: &Shop, variant: &str) -> (i64, i64) {
    let levels = app
        .get(&format!("/v1/inventory?variant_id={variant}"), &s.admin)
        .await
        .expect(200);
    (
        levels["items"][0]["on_hand"].as_i64().expect("on_hand"),
        levels["items"][0]["reserved"].as_i64().expect("reserved"),
    )
}

pub(crate) async fn ledger_balances(app: &TestApp, slug: &str) {
    let schema = bazaar_store::TenantSchema::new(&format!("t_{slug}")).expect("schema");
    let n = app
        .db()
        .tenant_read(&schema, |conn| {
            async move { bazaar_store::tenant::inventory::ledger_mismatches(conn).await }.boxed()
        })
        .await
        .expect("ledger");
    assert_eq!(n, 0, "stock levels equal the ledger");
}

/// The order an unconfirmed checkout left pending (its 503 names it).
pub(crate) fn unconfirmed_order(reply: &crate::support::Reply) -> uuid::Uuid {
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.body["code"], "payment_outcome_unknown");
    reply.body["details"]["order_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("the order is named")
}

/// Let `order`'s hold run out, then run reconciliation as housekeeping
/// does.
pub(crate) async fn reconcile_after_hold(
    app: &TestApp,
    s: &Shop,
    order: uuid::Uuid,
) -> bazaar_commerce::checkout::Reconciled {
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema");
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    app.db()
        .tenant_tx(&schema, move |conn| {
            bazaar_store::tenant::orders::extend_hold(conn, order, past).boxed()
        })
        .await
        .expect("hold ran out");
    bazaar_commerce::checkout::reconcile(&app.state, &schema)
        .await
        .expect("reconcile")
}

#[e2e]
async fn checkout_reserves_charges_and_commits() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let c = cart(&app, &s, s.variant("tee"), 3).await;
    let order = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    assert_eq!(order["status"], "paid");
    assert_eq!(order["payment_status"], "succeeded");
    // 90.00 at 7.25% in California: 6.525 rounds half up to 6.53.
    assert_eq!(
        (
            order["subtotal"].as_str(),
            order["tax_total"].as_str(),
            order["total"].as_str()
        ),
        (Some("90.00"), Some("6.53"), Some("96.53"))
    );
    assert_eq!(order["region"], "US-CA");
    assert_eq!(
        stock(&app, &s, s.variant("tee")).await,
        (7, 0),
        "committed: on hand down, nothing held"
    );
    // The shopper reads the order back with its cart's token.
    let fetched = crate::carts::call(
        &app,
        reqwest::Method::GET,
        &format!("/v1/orders/{}", order["id"].as_str().expect("id")),
        &s.storefront,
        &c.1,
        None,
    )
    .await
    .expect(200);
    assert_eq!(fetched["id"], order["id"]);
    checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect_problem(409, "cart_checked_out");

    // A timeout that in fact succeeded: retried with the same gateway key, paid once.
    let c2 = cart(&app, &s, s.variant("tee"), 1).await;
    let timed = checkout(
        &app,
        &s,
        &c2,
        Some(&unique("k")),
        json!({ "payment_token": "tok_timeout" }),
    )
    .await
    .expect(201);
    assert_eq!(timed["status"], "paid");
    // A declined card: the order exists as payment_failed and its stock is back.
    let c3 = cart(&app, &s, s.variant("tee"), 2).await;
    let declined = checkout(
        &app,
        &s,
        &c3,
        Some(&unique("k")),
        json!({ "payment_token": "tok_decline" }),
    )
    .await
    .expect(201);
    assert_eq!(
        (
            declined["status"].as_str(),
            declined["payment_failure"].as_str()
        ),
        (Some("payment_failed"), Some("payment_declined"))
    );
    assert_eq!(stock(&app, &s, s.variant("tee")).await, (6, 0));
    ledger_balances(&app, &s.slug).await;
    app.stop().await;
}

#[e2e]
async fn refusals_name_the_rule_and_move_no_stock() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 5).await;
    let c = cart(&app, &s, s.variant("tee"), 1).await;
    checkout(
        &app,
        &s,
        &c,
        None,
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect_problem(400, "idempotency_key_required");
    // Flower needs a shopper whose age the shop verified.
    let (_, adult) = crate::customers::verified_shopper(&app, &s, "1980-01-01").await;
    // One flower (35.00) clears US-CA's 25.00 minimum order.
    let small = crate::customers::customer_cart(&app, &s, &adult, s.variant("flower"), 1).await;
    let below = checkout(
        &app,
        &s,
        &small,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await;
    assert_eq!(
        below.status, 201,
        "35.00 clears the minimum: {}",
        below.body
    );

    let guest_flower = cart(&app, &s, s.variant("flower"), 2).await;
    let refused = checkout(
        &app,
        &s,
        &guest_flower,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect_problem(422, "age_verification_required");
    let flower = crate::customers::customer_cart(&app, &s, &adult, s.variant("flower"), 2).await;
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("US-CA") && d.contains("21")),
        "{refused}"
    );

    let greedy = crate::customers::customer_cart(&app, &s, &adult, s.variant("flower"), 10).await;
    let limit = checkout(
        &app,
        &s,
        &greedy,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect_problem(422, "purchase_limit_exceeded");
    assert!(
        limit["detail"]
            .as_str()
            .is_some_and(|d| d.contains("purchase_limits.cannabis_flower.day")),
        "{limit}"
    );
    // The rule and region are fields, not only prose.
    assert_eq!(
        limit["details"]["rule"],
        "purchase_limits.cannabis_flower.day"
    );
    assert_eq!(limit["details"]["region"], "US-CA");

    let too_many = cart(&app, &s, s.variant("tee"), 6).await;
    let out = checkout(
        &app,
        &s,
        &too_many,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect_problem(409, "out_of_stock");
    assert!(
        out["detail"].as_str().is_some_and(|d| d.contains("only 5")),
        "{out}"
    );
    assert_eq!(
        stock(&app, &s, s.variant("tee")).await,
        (5, 0),
        "refusals move no stock"
    );

    let ok = checkout(
        &app,
        &s,
        &flower,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    assert_eq!(ok["status"], "paid");
    assert_eq!(
        stock(&app, &s, s.variant("flower")).await,
        (2, 0),
        "1 + 2 sold of 5"
    );
    app.stop().await;
}

#[e2e]
async fn idempotency_keys_replay_refuse_and_serialise() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 50).await;
    let c = cart(&app, &s, s.variant("tee"), 1).await;
    let key = unique("k");
    let first = checkout(
        &app,
        &s,
        &c,
        Some(&key),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    let again = checkout(
        &app,
        &s,
        &c,
        Some(&key),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    assert_eq!(
        again["id"], first["id"],
        "the same key and body replay the first response"
    );
    checkout(
        &app,
        &s,
        &c,
        Some(&key),
        json!({ "payment_token": "tok_decline" }),
    )
    .await
    .expect_problem(422, "idempotency_key_reused");

    // Concurrent duplicates: one checkout runs; the others replay it or are told it is running.
    let c2 = cart(&app, &s, s.variant("tee"), 1).await;
    let key2 = unique("k");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, base, sf, cart, key) = (
            app.client.clone(),
            app.base.clone(),
            s.storefront.clone(),
            c2.clone(),
            key2.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(format!("{base}/v1/carts/{}/checkout", cart.0))
                .bearer_auth(&sf)
                .header("X-Cart-Token", &cart.1)
                .header("Idempotency-Key", &key)
                .json(&json!({ "payment_token": "tok_success" }))
                .send()
                .await
                .expect("sent");
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or_default();
            (status, body)
        }));
    }
    let mut ids = BTreeMap::new();
    for task in tasks {
        let (status, body) = task.await.expect("task");
        match status {
            201 => {
                *ids.entry(body["id"].as_str().expect("id").to_owned())
                    .or_insert(0) += 1
            }
            409 => assert_eq!(body["code"], "request_in_progress", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ids.len(), 1, "one order for one key: {ids:?}");
    assert_eq!(
        stock(&app, &s, s.variant("tee")).await,
        (48, 0),
        "two orders in all, each charged and committed once"
    );
    app.stop().await;
}

#[e2e]
async fn expired_reservations_are_released() {
    use bazaar_store::tenant::orders::{self, NewOrder, NewOrderLine};
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 4).await;
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema");
    let variant = uuid::Uuid::parse_str(s.variant("tee")).expect("uuid");
    let product = app.get("/v1/products", &s.admin).await.expect(200);
    let vendor = uuid::Uuid::parse_str(product["items"][0]["vendor_id"].as_str().expect("vendor"))
        .expect("uuid");
    let brand = uuid::Uuid::parse_str(
        app.get("/v1/brands", &s.admin).await.expect(200)["items"][0]["id"]
            .as_str()
            .expect("b"),
    )
    .expect("uuid");
    let (cart_id, _) = cart(&app, &s, s.variant("tee"), 3).await;
    let order = NewOrder {
        id: uuid::Uuid::now_v7(),
        cart_id: uuid::Uuid::parse_str(&cart_id).expect("uuid"),
        brand_id: brand,
        region: "US-CA".into(),
        region_version: "test".into(),
        currency: bazaar_domain::Currency::parse("USD").expect("USD"),
        contact_email: None,
        subtotal: 60.into(),
        tax_total: 0.into(),
        excise_total: 0.into(),
        shipping_total: 0.into(),
        shipping_tax: 0.into(),
        total: 60.into(),
        capture: bazaar_domain::CaptureMode::Immediate,
        lines: vec![NewOrderLine {
            variant_id: variant,
            vendor_id: vendor,
            sku: "tee".into(),
            title: "tee".into(),
            tax_category: "general".into(),
            quantity: 3,
            unit_price: 20.into(),
            net: 60.into(),
            tax: 0.into(),
            excise: 0.into(),
            gross: 60.into(),
        }],
        shipping: Vec::new(),
        gateway: "sandbox".into(),
        customer_id: None,
        loyalty_points: 0,
        discount: 0.into(),
    };
    let id = order.id;
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    app.db()
        .tenant_tx(&schema, move |conn| {
            async move { orders::place(conn, &order, past).await }.boxed()
        })
        .await
        .expect("place")
        .expect("stock fits");
    assert_eq!(
        stock(&app, &s, s.variant("tee")).await,
        (4, 3),
        "held by the pending order"
    );
    let expired = app
        .db()
        .tenant_tx(&schema, |conn| {
            async move { orders::expire(conn, chrono::Utc::now()).await }.boxed()
        })
        .await
        .expect("expire");
    assert_eq!(expired, [id]);
    assert_eq!(stock(&app, &s, s.variant("tee")).await, (4, 0), "released");
    let fetched = app
        .get(&format!("/v1/orders/{id}"), &s.admin)
        .await
        .expect(200);
    assert_eq!(fetched["status"], "cancelled");
    ledger_balances(&app, &s.slug).await;
    app.stop().await;
}

#[e2e]
async fn two_hundred_buyers_for_a_hundred_units_sell_exactly_a_hundred() {
    let namespace = unique("bazaar-e2e-");
    let regions = regions_with_hours("[\"00:00-24:00\"]");
    // 200 buyers queue for one row on a 2-core machine that also runs the
    // rest of the suite: give them time to get a connection, so the test
    // checks what was sold, not how fast (a 503 here is a timing, not a bug).
    let server = || {
        TestApp::builder()
            .pool_size(16)
            .redis()
            .cache_namespace(&namespace)
            .regions_dir(&regions)
            .env("BAZAAR_DB_ACQUIRE_TIMEOUT_MS", "60000")
    };
    let a = server().start().await;
    let b = server().start().await;
    let s = Shop::stocked(&a, 100).await;
    // Every buyer has a cart first; then all check out at once, across both servers.
    let mut carts = Vec::new();
    for i in 0..200 {
        let app = if i % 2 == 0 { &a } else { &b };
        carts.push((i, cart(app, &s, s.variant("tee"), 1).await));
    }
    let mut tasks = Vec::new();
    for (i, c) in carts {
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let (client, sf) = (a.client.clone(), s.storefront.clone());
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(format!("{base}/v1/carts/{}/checkout", c.0))
                .bearer_auth(&sf)
                .header("X-Cart-Token", &c.1)
                .header("Idempotency-Key", format!("race-{i}"))
                .json(&json!({ "payment_token": "tok_success" }))
                .send()
                .await
                .expect("sent");
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or_default();
            (status, body)
        }));
    }
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        let (status, body) = task.await.expect("task");
        let label = match status {
            201 => format!("201 {}", body["status"].as_str().unwrap_or("?")),
            _ => format!("{status} {}", body["code"].as_str().unwrap_or("?")),
        };
        *outcomes.entry(label).or_default() += 1;
    }
    assert_eq!(
        outcomes,
        BTreeMap::from([
            ("201 paid".to_owned(), 100),
            ("409 out_of_stock".to_owned(), 100)
        ]),
        "exactly the stock was sold"
    );
    assert_eq!(stock(&a, &s, s.variant("tee")).await, (0, 0));
    ledger_balances(&a, &s.slug).await;
    // Payments exist only for orders that got stock.
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema");
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let charged = a
        .db()
        .tenant_read(&schema, |conn| {
            async move {
                let c: Count = diesel_async::RunQueryDsl::get_result(
                    diesel::sql_query(
                        "SELECT count(*) AS n FROM payments WHERE status = 'succeeded'",
                    ),
                    conn.pg(),
                )
                .await?;
                Ok(c.n)
            }
            .boxed()
        })
        .await
        .expect("count");
    assert_eq!(charged, 100);
    a.stop().await;
    b.stop().await;
}

/// A brand with two vendors, `north` and `south`, each with a vendor key,
/// one product at 40.00 and 5 units in a US-CA warehouse: (shop, vendor
/// keys, variants), in that order.
pub(crate) async fn two_vendor_shop(app: &TestApp) -> (Shop, Vec<String>, Vec<String>) {
    let s = Shop::builder(app).brand("shop").build().await;
    let mut vendor_keys = Vec::new();
    let mut variants = Vec::new();
    for name in ["north", "south"] {
        let vendor = app.vendor(&s.admin, name).await;
        let (_, vkey) = app
            .key(
                &s.admin,
                json!({ "name": name, "scope": "vendor", "vendor_id": vendor }),
            )
            .await;
        let p = app
            .post(
                "/v1/products",
                &vkey,
                json!({ "slug": name, "title": name, "status": "active",
                  "variants": [{ "sku": name, "price": "40.00", "currency": "USD" }] }),
            )
            .await
            .expect(201);
        app.post(
            "/v1/listings",
            &vkey,
            json!({ "brand_id": s.brand, "product_id": p["id"] }),
        )
        .await
        .expect(201);
        let wh = app
            .post(
                "/v1/warehouses",
                &vkey,
                json!({ "code": "W", "name": "W", "region": "US-CA" }),
            )
            .await
            .expect(201);
        let variant = p["variants"][0]["id"].as_str().expect("variant").to_owned();
        app.post("/v1/inventory/movements", &vkey, json!({ "variant_id": variant, "warehouse_id": wh["id"], "kind": "receive", "quantity": 5 }))
            .await
            .expect(201);
        vendor_keys.push(vkey);
        variants.push(variant);
    }
    (s, vendor_keys, variants)
}

#[e2e]
async fn orders_split_by_vendor_and_follow_fulfilment() {
    let app = open_all_day().await;
    let (s, vendor_keys, variants) = two_vendor_shop(&app).await;
    let c = cart(&app, &s, &variants[0], 1).await;
    add_line(&app, &s, &c, &variants[1], 2).await;
    let order = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    let order_id = order["id"].as_str().expect("id").to_owned();

    let north = app
        .get("/v1/vendor-orders?status=pending", &vendor_keys[0])
        .await
        .expect(200);
    assert_eq!(north["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(north["items"][0]["total"], "42.90", "40.00 plus 7.25% tax");
    let north_part = north["items"][0]["id"].as_str().expect("id").to_owned();
    let south = app
        .get("/v1/vendor-orders", &vendor_keys[1])
        .await
        .expect(200);
    let south_part = south["items"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(south["items"][0]["total"], "85.80");

    app.post(
        &format!("/v1/vendor-orders/{south_part}/pack"),
        &vendor_keys[0],
        json!({}),
    )
    .await
    .expect_problem(404, "vendor_order_not_found");
    app.post(
        &format!("/v1/vendor-orders/{north_part}/pack"),
        &vendor_keys[0],
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&format!("/v1/orders/{order_id}"), &s.admin)
            .await
            .expect(200)["status"],
        "fulfilling"
    );
    app.post(
        &format!("/v1/vendor-orders/{north_part}/ship"),
        &vendor_keys[0],
        json!({ "carrier": "UPS", "tracking_number": "1Z999" }),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&format!("/v1/orders/{order_id}"), &s.admin)
            .await
            .expect(200)["status"],
        "partially_shipped"
    );
    app.post(
        &format!("/v1/vendor-orders/{north_part}/pack"),
        &vendor_keys[0],
        json!({}),
    )
    .await
    .expect_problem(409, "illegal_transition");
    let shipped = app
        .post(
            &format!("/v1/vendor-orders/{south_part}/ship"),
            &vendor_keys[1],
            json!({ "carrier": "USPS", "tracking_number": "94001" }),
        )
        .await
        .expect(200);
    assert_eq!(
        (shipped["carrier"].as_str(), shipped["status"].as_str()),
        (Some("USPS"), Some("shipped"))
    );
    assert_eq!(
        app.get(&format!("/v1/orders/{order_id}"), &s.admin)
            .await
            .expect(200)["status"],
        "shipped"
    );
    let done = app
        .get("/v1/vendor-orders?status=shipped", &vendor_keys[0])
        .await
        .expect(200);
    assert_eq!(done["items"][0]["tracking_number"], "1Z999");

    // Delivery: a failed attempt is recorded with its reason, a later one
    // delivers; the order is delivered when every part is.
    let status_of = |id: String| {
        let (app, admin) = (&app, s.admin.clone());
        async move {
            app.get(&format!("/v1/orders/{id}"), &admin)
                .await
                .expect(200)
        }
    };
    app.post(
        &format!("/v1/vendor-orders/{north_part}/delivery-failed"),
        &vendor_keys[0],
        json!({ "reason": " " }),
    )
    .await
    .expect_problem(422, "invalid_reason");
    let failed = app
        .post(
            &format!("/v1/vendor-orders/{north_part}/delivery-failed"),
            &vendor_keys[0],
            json!({ "reason": "no one home; card left" }),
        )
        .await
        .expect(200);
    assert_eq!(failed["status"], "delivery_failed");
    let after_failure = status_of(order_id.clone()).await;
    assert_eq!(after_failure["status"], "shipped");
    let last = after_failure["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .cloned()
        .expect("a transition");
    assert!(
        last["note"]
            .as_str()
            .is_some_and(|n| n.contains("delivery_failed: no one home")),
        "{last}"
    );
    app.post(
        &format!("/v1/vendor-orders/{north_part}/deliver"),
        &vendor_keys[0],
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(status_of(order_id.clone()).await["status"], "shipped");
    app.post(
        &format!("/v1/vendor-orders/{north_part}/deliver"),
        &vendor_keys[0],
        json!({}),
    )
    .await
    .expect_problem(409, "illegal_transition");
    let delivered = app
        .post(
            &format!("/v1/vendor-orders/{south_part}/deliver"),
            &vendor_keys[1],
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(delivered["status"], "delivered");
    assert_eq!(status_of(order_id.clone()).await["status"], "delivered");
    app.post(
        &format!("/v1/orders/{order_id}/cancel"),
        &s.admin,
        json!({ "reason": "too late" }),
    )
    .await
    .expect_problem(409, "order_part_shipped");
    app.get("/v1/vendor-orders", &s.admin)
        .await
        .expect_problem(422, "vendor_id_required");
    app.stop().await;
}

#[e2e]
async fn checkout_outside_delivery_hours_is_refused() {
    let app = TestApp::builder()
        .regions_dir(&regions_with_hours("[]"))
        .start()
        .await;
    let s = Shop::stocked(&app, 5).await;
    let c = cart(&app, &s, s.variant("tee"), 1).await;
    let refused = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect_problem(422, "delivery_closed");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("US-CA") && d.contains("delivery.hours")),
        "{refused}"
    );
    assert_eq!(refused["details"]["region"], "US-CA");
    assert_eq!(refused["details"]["rule"], "delivery.hours");
    assert_eq!(
        stock(&app, &s, s.variant("tee")).await,
        (5, 0),
        "no stock moved"
    );
    app.stop().await;
}

/// A charge the provider made but never confirmed (every attempt of the
/// request timed out) is not settled as failed: the order stays pending
/// with its stock held, the client is told to retry with the same key, and
/// the retry settles it paid under the same gateway key.
#[e2e]
async fn an_unconfirmed_charge_stays_pending_and_a_retry_settles_it() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 5).await;
    let tee = s.variant("tee").to_owned();
    let c = cart(&app, &s, &tee, 2).await;
    let key = unique("k");
    let body = json!({ "payment_token": "tok_unconfirmed" });

    let first = checkout(&app, &s, &c, Some(&key), body.clone()).await;
    assert_eq!(first.status, 503, "{}", first.body);
    assert_eq!(first.body["code"], "payment_outcome_unknown");
    assert!(first.headers.contains_key("retry-after"));
    let order_id = first.body["details"]["order_id"]
        .as_str()
        .expect("the order is named")
        .to_owned();
    let pending = app
        .get(&format!("/v1/orders/{order_id}"), &s.admin)
        .await
        .expect(200);
    assert_eq!(
        pending["status"], "pending_payment",
        "not failed: {pending}"
    );
    assert_eq!(stock(&app, &s, &tee).await, (5, 2), "the stock stays held");

    // The retry resumes at once (no waiting out the resume window) and
    // finds the charge the provider made.
    let second = checkout(&app, &s, &c, Some(&key), body.clone())
        .await
        .expect(201);
    assert_eq!(second["id"], order_id.as_str());
    assert_eq!(second["status"], "paid");
    assert_eq!(second["payment_status"], "succeeded");
    assert_eq!(stock(&app, &s, &tee).await, (3, 0), "sold once");
    // From now on the key replays the outcome.
    let third = checkout(&app, &s, &c, Some(&key), body).await.expect(201);
    assert_eq!(third["id"], order_id.as_str());
    app.stop().await;
}

/// A shopper who never retries an unconfirmed checkout still gets the
/// order they paid for: before the hold runs out, reconciliation asks the
/// provider for the charge made under the order's key and settles it paid
/// (where expiry alone would have cancelled it and kept the money).
#[e2e]
async fn reconciliation_settles_an_unconfirmed_charge_nobody_retried() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 5).await;
    let tee = s.variant("tee").to_owned();
    let c = cart(&app, &s, &tee, 1).await;
    let unconfirmed = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_unconfirmed" }),
    )
    .await;
    let order_id = unconfirmed_order(&unconfirmed);

    // Another order, refused, is the control: nothing to find for it.
    let other = cart(&app, &s, &tee, 1).await;
    checkout(
        &app,
        &s,
        &other,
        Some(&unique("k")),
        json!({ "payment_token": "tok_decline" }),
    )
    .await
    .expect(201);

    // The hold runs out, and housekeeping reconciles before expiring.
    let report = reconcile_after_hold(&app, &s, order_id).await;
    assert_eq!((report.paid, report.held), (1, 0));
    let paid = app
        .get(&format!("/v1/orders/{order_id}"), &s.admin)
        .await
        .expect(200);
    assert_eq!(paid["status"], "paid", "{paid}");
    assert_eq!(
        stock(&app, &s, &tee).await,
        (4, 0),
        "its unit sold, none held"
    );
    // Nothing left to do on the next pass.
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema");
    let again = bazaar_commerce::checkout::reconcile(&app.state, &schema)
        .await
        .expect("reconcile");
    assert_eq!(again, Default::default());
    app.stop().await;
}
