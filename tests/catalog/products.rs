//! Products and categories: the category tree moved and renamed under its
//! products, product input validated, and bulk import by SKU.

use serde_json::{Value, json};

use super::{browse, create_and_list, product, shop};
use crate::support::{TestApp, e2e, unique};

#[e2e]
async fn category_tree_moves_and_renames_without_breaking_products() {
    let app = TestApp::start().await;
    let s = shop(&app).await;
    let admin = s.admin.as_str();
    let cat = |parent: Option<&str>, slug: &str| json!({ "parent_id": parent, "slug": slug, "name": slug });
    let electronics = app
        .post("/v1/categories", admin, cat(None, "electronics"))
        .await
        .expect(201);
    let e = electronics["id"].as_str().expect("id").to_owned();
    let phones = app
        .post("/v1/categories", admin, cat(Some(&e), "phones"))
        .await
        .expect(201);
    let p = phones["id"].as_str().expect("id").to_owned();
    assert_eq!(phones["path"], "electronics/phones");
    let android = app
        .post("/v1/categories", admin, cat(Some(&p), "android"))
        .await
        .expect(201);
    let a = android["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (android["path"].as_str(), android["depth"].as_i64()),
        (Some("electronics/phones/android"), Some(2))
    );
    let garden = app
        .post("/v1/categories", admin, cat(None, "garden"))
        .await
        .expect(201);
    let g = garden["id"].as_str().expect("id").to_owned();

    create_and_list(&app, &s, product("pixel", Some(&a), &["499.00"], json!({}))).await;
    create_and_list(&app, &s, product("tv", Some(&e), &["899.00"], json!({}))).await;
    create_and_list(&app, &s, product("hose", Some(&g), &["19.99"], json!({}))).await;
    let sf = s.storefront.as_str();
    let mut under = browse(&app, sf, "category=electronics").await;
    under.sort();
    assert_eq!(under, ["pixel", "tv"], "a subtree includes descendants");
    assert_eq!(
        browse(&app, sf, "category=electronics/phones").await,
        ["pixel"]
    );

    // Move phones under garden, rename it: the product follows.
    let moved = app
        .patch(
            &format!("/v1/categories/{p}"),
            admin,
            json!({ "parent_id": g, "slug": "mobiles" }),
        )
        .await
        .expect(200);
    assert_eq!(moved["path"], "garden/mobiles");
    let deep = app
        .get(&format!("/v1/categories/{a}"), admin)
        .await
        .expect(200);
    assert_eq!(deep["path"], "garden/mobiles/android");
    assert_eq!(browse(&app, sf, "category=electronics").await, ["tv"]);
    let mut garden_items = browse(&app, sf, "category=garden").await;
    garden_items.sort();
    assert_eq!(garden_items, ["hose", "pixel"]);

    app.patch(
        &format!("/v1/categories/{g}"),
        admin,
        json!({ "parent_id": a }),
    )
    .await
    .expect_problem(422, "category_cycle");
    let refused = app
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/categories/{a}"),
            Some(admin),
            None,
        )
        .await
        .expect_problem(409, "category_in_use");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("1 product"))
    );
    let tools = app
        .post("/v1/categories", admin, cat(None, "tools"))
        .await
        .expect(201);
    let tools = tools["id"].as_str().expect("id").to_owned();
    let saws = app
        .post("/v1/categories", admin, cat(Some(&tools), "saws"))
        .await
        .expect(201);
    app.send(
        reqwest::Method::DELETE,
        &format!("/v1/categories/{tools}"),
        Some(admin),
        None,
    )
    .await
    .expect_problem(409, "category_has_children");
    let saws = saws["id"].as_str().expect("id");
    app.send(
        reqwest::Method::DELETE,
        &format!("/v1/categories/{saws}"),
        Some(admin),
        None,
    )
    .await
    .expect(200);
    app.post("/v1/categories", admin, cat(Some(&g), "mobiles"))
        .await
        .expect_problem(409, "path_taken");
    app.post("/v1/categories", s.vendor_key(), cat(None, "mine"))
        .await
        .expect_problem(403, "insufficient_scope");
    let tree = app.get("/v1/categories", sf).await.expect(200);
    assert_eq!(tree["items"].as_array().map(Vec::len), Some(5));
    app.stop().await;
}

#[e2e]
async fn product_input_is_validated() {
    let app = TestApp::start().await;
    let s = shop(&app).await;
    let key = s.vendor_key();
    let with_variant =
        |variant: Value| json!({ "slug": unique("p"), "title": "T", "variants": [variant] });
    let v = |sku: &str, price: Value, currency: &str| json!({ "sku": sku, "price": price, "currency": currency });
    let many: Vec<Value> = (0..101)
        .map(|i| v(&format!("s{i}"), json!("1.00"), "USD"))
        .collect();
    let cases = [
        (
            with_variant(v("bad sku!", json!("1.00"), "USD")),
            422,
            "invalid_sku",
        ),
        (
            with_variant(v("ok", json!("-1.00"), "USD")),
            422,
            "invalid_price",
        ),
        (
            with_variant(v("ok", json!("1.001"), "USD")),
            422,
            "invalid_price",
        ),
        (
            with_variant(v("ok", json!(1.5), "USD")),
            422,
            "invalid_field",
        ),
        (
            with_variant(v("ok", json!("1.00"), "EUR")),
            422,
            "currency_not_sold",
        ),
        (
            with_variant(v("ok", json!("1.00"), "DOLLARS")),
            422,
            "invalid_currency",
        ),
        (
            with_variant(
                json!({ "sku": "ok", "price": "1.00", "currency": "USD", "tax_category": "weed" }),
            ),
            422,
            "unknown_tax_category",
        ),
        (
            json!({ "slug": "many", "title": "T", "variants": many }),
            422,
            "too_many_variants",
        ),
        (
            json!({ "slug": "none", "title": "T", "variants": [] }),
            422,
            "variants_required",
        ),
        (
            json!({ "slug": "dup", "title": "T", "variants": [v("same", json!("1.00"), "USD"), v("same", json!("2.00"), "USD")] }),
            422,
            "duplicate_sku",
        ),
        (
            json!({ "slug": "img", "title": "T", "images": ["ftp://x"], "variants": [v("i1", json!("1.00"), "USD")] }),
            422,
            "invalid_image",
        ),
        (
            json!({ "slug": "att", "title": "T", "attributes": { "nested": { "a": 1 } }, "variants": [v("a1", json!("1.00"), "USD")] }),
            422,
            "invalid_attribute",
        ),
        (
            json!({ "slug": "Bad Slug", "title": "T", "variants": [v("b1", json!("1.00"), "USD")] }),
            422,
            "invalid_slug",
        ),
    ];
    for (body, status, code) in cases {
        app.post("/v1/products", key, body)
            .await
            .expect_problem(status, code);
    }
    app.post(
        "/v1/products",
        key,
        product("first", None, &["5.00"], json!({})),
    )
    .await
    .expect(201);
    app.post(
        "/v1/products",
        key,
        json!({ "slug": "second", "title": "T", "variants": [v("first-0", json!("1.00"), "USD")] }),
    )
    .await
    .expect_problem(409, "sku_taken");
    app.post(
        "/v1/products",
        key,
        product("first", None, &["5.00"], json!({}))
            .as_object()
            .map(|o| {
                let mut o = o.clone();
                o.insert(
                    "variants".into(),
                    json!([v("other-sku", json!("1.00"), "USD")]),
                );
                Value::Object(o)
            })
            .expect("body"),
    )
    .await
    .expect_problem(409, "slug_taken");
    // Admins must say which vendor; vendors may not name another.
    app.post(
        "/v1/products",
        &s.admin,
        product("adm", None, &["1.00"], json!({})),
    )
    .await
    .expect_problem(422, "vendor_id_required");
    let mut foreign = product("f", None, &["1.00"], json!({}));
    foreign["vendor_id"] = json!(uuid::Uuid::now_v7());
    app.post("/v1/products", key, foreign)
        .await
        .expect_problem(403, "insufficient_scope");
    app.stop().await;
}

#[e2e]
async fn bulk_import_upserts_by_sku_and_reports_bad_rows() {
    let app = TestApp::start().await;
    let s = shop(&app).await;
    let admin = s.admin.as_str();
    app.post(
        "/v1/categories",
        admin,
        json!({ "slug": "apparel", "name": "Apparel" }),
    )
    .await
    .expect(201);
    let rows = json!({ "rows": [
        { "sku": "TEE-S", "product_slug": "tee", "product_title": "Tee", "price": "20.00", "currency": "USD", "category_path": "apparel", "option.size": "S", "status": "active" },
        { "sku": "TEE-M", "product_slug": "tee", "price": "21.00", "currency": "USD", "option.size": "M" },
        { "sku": "MUG", "product_slug": "mug", "product_title": "Mug", "price": "9.50", "currency": "USD" },
        { "sku": "bad sku", "product_slug": "x", "product_title": "X", "price": "1.00", "currency": "USD" },
        { "sku": "NUM", "product_slug": "num", "product_title": "Num", "price": 3.5, "currency": "USD" },
        { "sku": "NOCAT", "product_slug": "nocat", "product_title": "N", "price": "1.00", "currency": "USD", "category_path": "nowhere" },
        { "sku": "NOPRICE", "product_slug": "noprice", "product_title": "N" },
        { "sku": "EURO", "product_slug": "euro", "product_title": "E", "price": "1.00", "currency": "EUR" }
    ]});
    let first = app
        .post("/v1/products/import", s.vendor_key(), rows.clone())
        .await
        .expect(200);
    assert_eq!(
        (first["created"].as_u64(), first["failed"].as_u64()),
        (Some(3), Some(5)),
        "{first}"
    );
    let codes: Vec<&str> = first["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "invalid_sku",
            "invalid_amount",
            "category_not_found",
            "missing_price",
            "currency_not_sold"
        ]
    );
    assert_eq!(first["rows"][4]["row"], 5);
    assert!(
        first["rows"][4]["message"]
            .as_str()
            .is_some_and(|m| m.contains("JSON number"))
    );

    let again = app
        .post("/v1/products/import", s.vendor_key(), rows)
        .await
        .expect(200);
    assert_eq!(
        (
            again["unchanged"].as_u64(),
            again["created"].as_u64(),
            again["updated"].as_u64()
        ),
        (Some(3), Some(0), Some(0)),
        "idempotent: {again}"
    );

    let products = app.get("/v1/products", s.vendor_key()).await.expect(200);
    let tee = products["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["slug"] == "tee")
        .expect("tee")
        .clone();
    assert_eq!(tee["variants"].as_array().map(Vec::len), Some(2));
    assert_eq!(tee["variants"][1]["options"], json!({ "size": "M" }));
    let tee_id = tee["id"].as_str().expect("id").to_owned();
    app.post(
        "/v1/listings",
        s.vendor_key(),
        json!({ "brand_id": s.brand, "product_id": tee_id }),
    )
    .await
    .expect(201);
    assert_eq!(
        browse(&app, &s.storefront, "category=apparel").await,
        ["tee"]
    );

    // A CSV from the vendor's old platform lowers a price.
    let csv = "sku,product_slug,price,currency,option.size\nTEE-S,tee,15.00,USD,S\nTEE-L,tee,22.00,USD,L\n";
    let resp = app
        .client
        .post(format!("{}/v1/products/import/csv", app.base))
        .bearer_auth(s.vendor_key())
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 200);
    let result: Value = resp.json().await.expect("json");
    assert_eq!(
        (result["updated"].as_u64(), result["created"].as_u64()),
        (Some(1), Some(1)),
        "{result}"
    );
    let page = app
        .get("/v1/storefront/products?category=apparel", &s.storefront)
        .await
        .expect(200);
    assert_eq!(
        page["items"][0]["price"], "15.00",
        "listings follow the import"
    );

    let bad_header = app
        .client
        .post(format!("{}/v1/products/import/csv", app.base))
        .bearer_auth(s.vendor_key())
        .header("content-type", "text/csv")
        .body("sku,colour\nA,red\n")
        .send()
        .await
        .expect("sent");
    assert_eq!(bad_header.status().as_u16(), 400);
    let body: Value = bad_header.json().await.expect("json");
    assert_eq!(body["code"], "unknown_column");
    app.post("/v1/products/import", admin, json!({ "rows": [] }))
        .await
        .expect_problem(422, "vendor_id_required");
    app.stop().await;
}
