//! Stock: movements kept in a ledger that drives in-stock browsing, and
//! ERP stock sync that is idempotent and announces low stock once.

use serde_json::json;

use super::{browse, create_and_list, product, shop};
use crate::support::{TestApp, e2e};

#[e2e]
async fn stock_changes_are_ledgered_and_drive_in_stock_browsing() {
    let app = TestApp::start().await;
    let s = shop(&app).await;
    let sf = s.storefront.as_str();
    let lamp = create_and_list(
        &app,
        &s,
        product("lamp", None, &["30.00", "35.00"], json!({})),
    )
    .await;
    create_and_list(&app, &s, product("rug", None, &["80.00"], json!({}))).await;
    let p = app
        .get(&format!("/v1/products/{lamp}"), s.vendor_key())
        .await
        .expect(200);
    let variant = p["variants"][1]["id"].as_str().expect("variant").to_owned();

    let wh = app
        .post(
            "/v1/warehouses",
            s.vendor_key(),
            json!({ "code": "LA-1", "name": "Los Angeles", "region": "US-CA" }),
        )
        .await
        .expect(201);
    let wh = wh["id"].as_str().expect("id").to_owned();
    app.post(
        "/v1/warehouses",
        s.vendor_key(),
        json!({ "code": "LA-1", "name": "Again", "region": "US-CA" }),
    )
    .await
    .expect_problem(409, "code_taken");
    app.post(
        "/v1/warehouses",
        s.vendor_key(),
        json!({ "code": "BER", "name": "Berlin", "region": "DE" }),
    )
    .await
    .expect_problem(422, "region_not_enabled");

    assert!(
        browse(&app, sf, "in_stock=true").await.is_empty(),
        "nothing in stock yet"
    );
    let change = |kind: &str, quantity: i32| json!({ "variant_id": variant, "warehouse_id": wh, "kind": kind, "quantity": quantity, "reference": "test" });
    let level = app
        .post(
            "/v1/inventory/movements",
            s.vendor_key(),
            change("receive", 10),
        )
        .await
        .expect(201);
    assert_eq!(
        (level["on_hand"].as_i64(), level["available"].as_i64()),
        (Some(10), Some(10))
    );
    assert_eq!(browse(&app, sf, "in_stock=true").await, ["lamp"]);
    let page = app
        .get("/v1/storefront/products?in_stock=true", sf)
        .await
        .expect(200);
    assert_eq!(page["items"][0]["in_stock"], true);

    app.post(
        "/v1/inventory/movements",
        s.vendor_key(),
        change("adjust", -4),
    )
    .await
    .expect(201);
    app.post(
        "/v1/inventory/movements",
        s.vendor_key(),
        change("adjust", -7),
    )
    .await
    .expect_problem(409, "insufficient_stock");
    app.post(
        "/v1/inventory/movements",
        s.vendor_key(),
        change("receive", -1),
    )
    .await
    .expect_problem(422, "invalid_quantity");
    app.post(
        "/v1/inventory/movements",
        s.vendor_key(),
        change("return", 1),
    )
    .await
    .expect(201);
    let stock = app
        .get(
            &format!("/v1/inventory?variant_id={variant}"),
            s.vendor_key(),
        )
        .await
        .expect(200);
    assert_eq!(stock["items"][0]["on_hand"], 7);

    app.post(
        "/v1/inventory/movements",
        s.vendor_key(),
        change("adjust", -7),
    )
    .await
    .expect(201);
    assert!(
        browse(&app, sf, "in_stock=true").await.is_empty(),
        "sold out"
    );

    // Another vendor cannot touch this vendor's warehouse or stock.
    let rival = app.vendor(&s.admin, "rival").await;
    let (_, rival_key) = app
        .key(
            &s.admin,
            json!({ "name": "r", "scope": "vendor", "vendor_id": rival }),
        )
        .await;
    app.post("/v1/inventory/movements", &rival_key, change("receive", 5))
        .await
        .expect_problem(422, "warehouse_not_found");
    app.get(&format!("/v1/inventory?variant_id={variant}"), &rival_key)
        .await
        .expect_problem(404, "variant_not_found");

    // The stock table equals the ledger's sum.
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema");
    let mismatches = app
        .db()
        .tenant_read(&schema, |conn| {
            use futures_util::FutureExt;
            async move { bazaar_store::tenant::inventory::ledger_mismatches(conn).await }.boxed()
        })
        .await
        .expect("ledger");
    assert_eq!(mismatches, 0);
    app.stop().await;
}

#[e2e]
async fn erp_stock_sync_is_idempotent_and_low_stock_is_announced() {
    let app = TestApp::start().await;
    let s = shop(&app).await;
    let body = json!({ "slug": "soap", "title": "Soap", "status": "active", "variants": [
        { "sku": "SOAP-1", "price": "4.00", "currency": "USD", "low_stock_threshold": 5, "backorder_limit": 20 },
        { "sku": "SOAP-2", "price": "5.00", "currency": "USD" }
    ]});
    let p = app
        .post("/v1/products", s.vendor_key(), body)
        .await
        .expect(201);
    assert_eq!(
        (
            p["variants"][0]["backorder_limit"].as_i64(),
            p["variants"][0]["low_stock_threshold"].as_i64()
        ),
        (Some(20), Some(5))
    );
    app.post(
        "/v1/warehouses",
        s.vendor_key(),
        json!({ "code": "MAIN", "name": "Main", "region": "US-CA" }),
    )
    .await
    .expect(201);
    app.post(
        "/v1/warehouses",
        s.vendor_key(),
        json!({ "code": "DEN", "name": "Denver", "region": "US-CO" }),
    )
    .await
    .expect(201);

    let first = json!({ "sync_id": "erp-0001", "rows": [
        { "sku": "SOAP-1", "warehouse_code": "MAIN", "on_hand": 12 },
        { "sku": "SOAP-2", "warehouse_code": "DEN", "on_hand": 3 },
        { "sku": "NOPE", "warehouse_code": "MAIN", "on_hand": 1 },
        { "sku": "SOAP-1", "warehouse_code": "MARS", "on_hand": 1 },
        { "sku": "SOAP-2", "warehouse_code": "MAIN", "on_hand": -2 }
    ]});
    let result = app
        .post("/v1/inventory/sync", s.vendor_key(), first.clone())
        .await
        .expect(200);
    assert_eq!(
        (
            result["updated"].as_u64(),
            result["failed"].as_u64(),
            result["replayed"].as_bool()
        ),
        (Some(2), Some(3), Some(false)),
        "{result}"
    );
    let codes: Vec<&str> = result["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        ["unknown_sku", "unknown_warehouse", "invalid_quantity"]
    );

    let replay = app
        .post("/v1/inventory/sync", s.vendor_key(), first)
        .await
        .expect(200);
    assert_eq!(replay["replayed"], true);
    assert_eq!(replay["rows"], result["rows"]);
    app.post("/v1/inventory/sync", s.vendor_key(), json!({ "sync_id": "erp-0001", "rows": [{ "sku": "SOAP-1", "warehouse_code": "MAIN", "on_hand": 1 }] }))
        .await
        .expect_problem(422, "sync_id_reused");

    // Falling from 12 to 4 crosses the threshold of 5 once; staying low does not repeat it.
    let low = app
        .post(
            "/v1/inventory/sync",
            s.vendor_key(),
            json!({ "sync_id": "erp-0002", "rows": [
                { "sku": "SOAP-1", "warehouse_code": "MAIN", "on_hand": 4 },
                { "sku": "SOAP-2", "warehouse_code": "DEN", "on_hand": 3 }
            ]}),
        )
        .await
        .expect(200);
    assert_eq!(
        (low["updated"].as_u64(), low["unchanged"].as_u64()),
        (Some(1), Some(1))
    );
    app.post(
        "/v1/inventory/sync",
        s.vendor_key(),
        json!({ "sync_id": "erp-0003", "rows": [
            { "sku": "SOAP-1", "warehouse_code": "MAIN", "on_hand": 2 }
        ]}),
    )
    .await
    .expect(200);
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema");
    let (events, mismatches) = app
        .db()
        .tenant_read(&schema, |conn| {
            use futures_util::FutureExt;
            async move {
                let events =
                    bazaar_store::tenant::outbox::of_topic(conn, "inventory.low_stock").await?;
                let mismatches = bazaar_store::tenant::inventory::ledger_mismatches(conn).await?;
                Ok((events, mismatches))
            }
            .boxed()
        })
        .await
        .expect("read");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["sku"], "SOAP-1");
    assert_eq!(events[0]["available"], 4);
    assert_eq!(mismatches, 0, "the levels equal the ledger");
    app.stop().await;
}
