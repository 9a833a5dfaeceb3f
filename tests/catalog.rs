//! Vendors, categories, products, listings and storefront browsing.

use serde_json::{Value, json};

use crate::support::shop::Shop;
use crate::support::{TestApp, e2e, unique};

/// A product body with `n` variants.
fn product(slug: &str, category: Option<&str>, prices: &[&str], attrs: Value) -> Value {
    let variants: Vec<Value> = prices
        .iter()
        .enumerate()
        .map(|(i, p)| json!({ "sku": format!("{slug}-{i}"), "price": p, "currency": "USD", "options": { "size": format!("S{i}") } }))
        .collect();
    json!({ "slug": slug, "title": format!("Title {slug}"), "category_id": category, "status": "active",
            "attributes": attrs, "images": [format!("img/{slug}.jpg")], "variants": variants })
}

/// Brands `main` and `other`, and an approved vendor `acme` with its key.
async fn shop(app: &TestApp) -> Shop {
    Shop::builder(app)
        .brand("main")
        .brand("other")
        .approved_vendor("acme")
        .build()
        .await
}

async fn create_and_list(app: &TestApp, s: &Shop, body: Value) -> String {
    let p = app
        .post("/v1/products", s.vendor_key(), body)
        .await
        .expect(201);
    let id = p["id"].as_str().expect("id").to_owned();
    app.post(
        "/v1/listings",
        s.vendor_key(),
        json!({ "brand_id": s.brand, "product_id": id }),
    )
    .await
    .expect(201);
    id
}

async fn browse(app: &TestApp, key: &str, query: &str) -> Vec<String> {
    let page = app
        .get(&format!("/v1/storefront/products?{query}"), key)
        .await
        .expect(200);
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["slug"].as_str().expect("slug").to_owned())
        .collect()
}

#[e2e]
async fn vendor_onboarding_moves_through_its_states_with_history() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let applied = app
        .post(
            "/v1/vendors/apply",
            &t.admin_key,
            json!({ "slug": "green", "name": "Green", "contact_email": "g@green.example",
                    "description": "Organic", "regions_served": ["US-CA"], "payout_reference": "acct_123" }),
        )
        .await
        .expect(201);
    assert_eq!(applied["status"], "pending");
    assert_eq!(applied["regions_served"], json!(["US-CA"]));
    let id = applied["id"].as_str().expect("id");

    app.post(
        &format!("/v1/vendors/{id}/suspend"),
        &t.admin_key,
        json!({ "reason": "x" }),
    )
    .await
    .expect_problem(409, "illegal_transition");
    app.post(&format!("/v1/vendors/{id}/reject"), &t.admin_key, json!({}))
        .await
        .expect_problem(422, "reason_required");
    let rejected = app
        .post(
            &format!("/v1/vendors/{id}/reject"),
            &t.admin_key,
            json!({ "reason": "incomplete licence" }),
        )
        .await
        .expect(200);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["status_reason"], "incomplete licence");

    let approval = app
        .post(
            &format!("/v1/vendors/{id}/approve"),
            &t.admin_key,
            json!({ "reason": "licence received" }),
        )
        .await
        .expect(200);
    assert_eq!(approval["vendor"]["status"], "approved");
    assert_eq!(approval["key"]["key"]["scope"], "vendor");
    assert_eq!(approval["key"]["key"]["vendor_id"], id);
    let vendor_key = approval["key"]["secret"].as_str().expect("secret");
    app.get(&format!("/v1/vendors/{id}"), vendor_key)
        .await
        .expect(200);

    let again = app
        .post(
            &format!("/v1/vendors/{id}/approve"),
            &t.admin_key,
            json!({}),
        )
        .await
        .expect_problem(409, "illegal_transition");
    assert!(
        again["detail"]
            .as_str()
            .is_some_and(|d| d.contains("approved"))
    );
    app.post(
        &format!("/v1/vendors/{id}/suspend"),
        &t.admin_key,
        json!({ "reason": "complaints" }),
    )
    .await
    .expect(200);
    app.post(
        &format!("/v1/vendors/{id}/reinstate"),
        &t.admin_key,
        json!({}),
    )
    .await
    .expect(200);

    let history = app
        .get(&format!("/v1/vendors/{id}/history"), &t.admin_key)
        .await
        .expect(200);
    let moves: Vec<(Value, Value)> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| (e["from_status"].clone(), e["to_status"].clone()))
        .collect();
    assert_eq!(
        moves,
        [
            (Value::Null, json!("pending")),
            (json!("pending"), json!("rejected")),
            (json!("rejected"), json!("approved")),
            (json!("approved"), json!("suspended")),
            (json!("suspended"), json!("approved")),
        ]
    );
    assert_eq!(history["items"][3]["reason"], "complaints");
    // A vendor key cannot approve itself or act on vendors.
    app.post(
        &format!("/v1/vendors/{id}/suspend"),
        vendor_key,
        json!({ "reason": "x" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    app.stop().await;
}

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
            400,
            "invalid_body",
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
async fn vendors_only_see_their_own_products() {
    let app = TestApp::builder()
        .cdn("https://cdn.example.com/")
        .start()
        .await;
    let s = shop(&app).await;
    let rival = app.vendor(&s.admin, "rival").await;
    let (_, rival_key) = app
        .key(
            &s.admin,
            json!({ "name": "r", "scope": "vendor", "vendor_id": rival }),
        )
        .await;
    let mine = app
        .post(
            "/v1/products",
            s.vendor_key(),
            product(
                "mine",
                None,
                &["10.00", "12.50"],
                json!({ "organic": true }),
            ),
        )
        .await
        .expect(201);
    let id = mine["id"].as_str().expect("id");
    assert_eq!(
        mine["images"],
        json!(["https://cdn.example.com/img/mine.jpg"]),
        "relative images go through the CDN"
    );
    assert_eq!(mine["variants"][1]["price"], "12.50");
    assert_eq!(mine["vendor_id"], s.vendor());

    app.get(&format!("/v1/products/{id}"), &rival_key)
        .await
        .expect_problem(404, "product_not_found");
    app.patch(
        &format!("/v1/products/{id}"),
        &rival_key,
        json!({ "title": "stolen" }),
    )
    .await
    .expect_problem(404, "product_not_found");
    app.post(
        "/v1/listings",
        &rival_key,
        json!({ "brand_id": s.brand, "product_id": id }),
    )
    .await
    .expect_problem(422, "product_not_found");
    let listed = app.get("/v1/products", &rival_key).await.expect(200);
    assert_eq!(listed["items"], json!([]));
    let admin_view = app
        .get(&format!("/v1/products?vendor_id={}", s.vendor()), &s.admin)
        .await
        .expect(200);
    assert_eq!(admin_view["items"].as_array().map(Vec::len), Some(1));

    // Variants: add, change, remove.
    let added = app
        .post(
            &format!("/v1/products/{id}/variants"),
            s.vendor_key(),
            json!({ "sku": "mine-x", "price": "7.00", "currency": "USD" }),
        )
        .await
        .expect(201);
    assert_eq!(added["variants"].as_array().map(Vec::len), Some(3));
    let vid = added["variants"][2]["id"].as_str().expect("vid").to_owned();
    let changed = app
        .patch(
            &format!("/v1/products/{id}/variants/{vid}"),
            s.vendor_key(),
            json!({ "price": "6.00", "compare_at_price": "8.00" }),
        )
        .await
        .expect(200);
    assert_eq!(changed["variants"][2]["price"], "6.00");
    assert_eq!(changed["variants"][2]["compare_at_price"], "8.00");
    let removed = app
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/products/{id}/variants/{vid}"),
            Some(s.vendor_key()),
            None,
        )
        .await
        .expect(200);
    assert_eq!(removed["variants"].as_array().map(Vec::len), Some(2));
    app.stop().await;
}

#[e2e]
async fn storefront_sees_only_its_brands_visible_listings() {
    let app = TestApp::start().await;
    let s = shop(&app).await;
    let sf = s.storefront.as_str();
    let shown = create_and_list(&app, &s, product("shown", None, &["10.00"], json!({}))).await;
    // A draft product, a deactivated listing and another brand's listing stay hidden.
    let mut draft = product("draft", None, &["10.00"], json!({}));
    draft["status"] = json!("draft");
    create_and_list(&app, &s, draft).await;
    let off = create_and_list(&app, &s, product("off", None, &["10.00"], json!({}))).await;
    let listings = app
        .get(&format!("/v1/listings?brand_id={}", s.brand), &s.admin)
        .await
        .expect(200);
    let off_listing = listings["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|l| l["product_id"] == off.as_str())
        .expect("listing")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.patch(
        &format!("/v1/listings/{off_listing}"),
        s.vendor_key(),
        json!({ "active": false }),
    )
    .await
    .expect(200);
    let elsewhere = app
        .post(
            "/v1/products",
            s.vendor_key(),
            product("elsewhere", None, &["10.00"], json!({})),
        )
        .await
        .expect(201);
    app.post("/v1/listings", &s.admin, json!({ "brand_id": s.brand_id("other"), "product_id": elsewhere["id"], "price_override": "8.00" })).await.expect(201);
    app.post(
        "/v1/listings",
        &s.admin,
        json!({ "brand_id": s.brand, "product_id": shown }),
    )
    .await
    .expect_problem(409, "already_listed");

    assert_eq!(browse(&app, sf, "").await, ["shown"]);
    let page = app
        .get(&format!("/v1/storefront/products/{shown}"), sf)
        .await
        .expect(200);
    assert_eq!(page["price"], "10.00");
    assert_eq!(page["variants"].as_array().map(Vec::len), Some(1));
    let by_slug = app
        .get("/v1/storefront/products/shown", sf)
        .await
        .expect(200);
    assert_eq!(by_slug["id"], shown.as_str());
    app.get(
        &format!(
            "/v1/storefront/products/{}",
            elsewhere["id"].as_str().expect("id")
        ),
        sf,
    )
    .await
    .expect_problem(404, "product_not_found");
    app.get("/v1/storefront/products/draft", sf)
        .await
        .expect_problem(404, "product_not_found");
    app.get(
        &format!("/v1/storefront/products?brand_id={}", s.brand_id("other")),
        sf,
    )
    .await
    .expect_problem(404, "brand_not_found");

    // The admin previews the other brand, with its own price.
    let other = app
        .get(
            &format!("/v1/storefront/products?brand_id={}", s.brand_id("other")),
            &s.admin,
        )
        .await
        .expect(200);
    assert_eq!(other["items"][0]["price"], "8.00");
    // Storefront keys cannot write the catalog.
    app.post("/v1/products", sf, product("x", None, &["1.00"], json!({})))
        .await
        .expect_problem(403, "insufficient_scope");
    app.post(
        "/v1/listings",
        sf,
        json!({ "brand_id": s.brand, "product_id": shown }),
    )
    .await
    .expect_problem(403, "insufficient_scope");

    // Suspending the vendor hides its listings; reinstating shows them again.
    app.post(
        &format!("/v1/vendors/{}/suspend", s.vendor()),
        &s.admin,
        json!({ "reason": "audit" }),
    )
    .await
    .expect(200);
    assert!(browse(&app, sf, "").await.is_empty());
    app.post(
        &format!("/v1/vendors/{}/reinstate", s.vendor()),
        &s.admin,
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(browse(&app, sf, "").await, ["shown"]);
    app.stop().await;
}

#[e2e]
async fn browse_filters_sorts_and_pages() {
    let app = TestApp::start().await;
    let s = shop(&app).await;
    let sf = s.storefront.as_str();
    let rival = app.vendor(&s.admin, "rival").await;
    create_and_list(
        &app,
        &s,
        product(
            "banana",
            None,
            &["3.00", "1.00"],
            json!({ "colour": "yellow", "organic": true }),
        ),
    )
    .await;
    create_and_list(
        &app,
        &s,
        product(
            "apple",
            None,
            &["2.00"],
            json!({ "colour": "red", "organic": true }),
        ),
    )
    .await;
    create_and_list(
        &app,
        &s,
        product(
            "cherry",
            None,
            &["9.00"],
            json!({ "colour": "red", "organic": false }),
        ),
    )
    .await;
    create_and_list(
        &app,
        &s,
        product("date", None, &["5.00"], json!({ "colour": "brown" })),
    )
    .await;
    let mut rival_product = product("elder", None, &["4.00"], json!({ "colour": "black" }));
    rival_product["vendor_id"] = json!(rival);
    let p = app
        .post("/v1/products", &s.admin, rival_product)
        .await
        .expect(201);
    app.post(
        "/v1/listings",
        &s.admin,
        json!({ "brand_id": s.brand, "product_id": p["id"] }),
    )
    .await
    .expect(201);

    assert_eq!(
        browse(&app, sf, "sort=price_asc").await,
        ["banana", "apple", "elder", "date", "cherry"]
    );
    assert_eq!(
        browse(&app, sf, "sort=price_desc").await,
        ["cherry", "date", "elder", "apple", "banana"]
    );
    assert_eq!(
        browse(&app, sf, "sort=title").await,
        [
            "Title apple",
            "Title banana",
            "Title cherry",
            "Title date",
            "Title elder"
        ]
        .map(|t| t.trim_start_matches("Title ").to_owned())
    );
    assert_eq!(
        browse(&app, sf, "").await,
        ["elder", "date", "cherry", "apple", "banana"],
        "newest first"
    );
    assert_eq!(
        browse(&app, sf, "sort=price_asc&min_price=2.00&max_price=5.00").await,
        ["apple", "elder", "date"]
    );
    assert_eq!(
        browse(&app, sf, &format!("vendor_id={rival}")).await,
        ["elder"]
    );
    assert_eq!(
        browse(&app, sf, "sort=title&attr=colour:red").await,
        ["apple", "cherry"]
    );
    assert_eq!(
        browse(&app, sf, "sort=title&attr=colour:red&attr=organic:true").await,
        ["apple"]
    );

    // Keyset pages: every product exactly once, in order, for each sort.
    for (sort, all) in [
        (
            "price_asc",
            vec!["banana", "apple", "elder", "date", "cherry"],
        ),
        ("title", vec!["apple", "banana", "cherry", "date", "elder"]),
        ("newest", vec!["elder", "date", "cherry", "apple", "banana"]),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor {
                Some(c) => format!("/v1/storefront/products?sort={sort}&limit=2&cursor={c}"),
                None => format!("/v1/storefront/products?sort={sort}&limit=2"),
            };
            let page = app.get(&q, sf).await.expect(200);
            seen.extend(
                page["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|p| p["slug"].as_str().expect("slug").to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, all, "{sort}");
    }
    let page = app
        .get("/v1/storefront/products?sort=price_asc&limit=2", sf)
        .await
        .expect(200);
    let cursor = page["next_cursor"].as_str().expect("cursor");
    app.get(
        &format!("/v1/storefront/products?sort=title&cursor={cursor}"),
        sf,
    )
    .await
    .expect_problem(400, "invalid_cursor");
    app.get("/v1/storefront/products?cursor=zz", sf)
        .await
        .expect_problem(400, "invalid_cursor");
    app.get("/v1/storefront/products?min_price=cheap", sf)
        .await
        .expect_problem(400, "invalid_parameter");
    app.get("/v1/storefront/products?attr=colour", sf)
        .await
        .expect_problem(400, "invalid_parameter");
    app.get("/v1/storefront/products?sort=random", sf)
        .await
        .expect_problem(400, "invalid_parameter");
    app.stop().await;
}

#[e2e]
async fn every_browse_is_served_by_an_index() {
    use bazaar_store::tenant::listings::{After, Browse, Sort, explain_browse};
    use futures_util::FutureExt;
    let app = TestApp::start().await;
    let s = shop(&app).await;
    create_and_list(&app, &s, product("one", None, &["1.00"], json!({}))).await;
    let brand = uuid::Uuid::parse_str(&s.brand).expect("uuid");
    let base = Browse {
        brand_id: brand,
        category_path: None,
        vendor_id: None,
        min_price: None,
        max_price: None,
        attributes: None,
        in_stock: false,
        sort: Sort::Newest,
        after: None,
        limit: 24,
    };
    let shapes = vec![
        ("newest", base.clone(), "listings_newest_idx"),
        (
            "newest, next page",
            Browse {
                after: Some(After::Newest(chrono::Utc::now(), uuid::Uuid::now_v7())),
                ..base.clone()
            },
            "listings_newest_idx",
        ),
        (
            "price",
            Browse {
                sort: Sort::PriceAsc,
                ..base.clone()
            },
            "listings_price_idx",
        ),
        (
            "price desc",
            Browse {
                sort: Sort::PriceDesc,
                ..base.clone()
            },
            "listings_price_idx",
        ),
        (
            "price range",
            Browse {
                sort: Sort::PriceAsc,
                min_price: Some(1.into()),
                max_price: Some(9.into()),
                ..base.clone()
            },
            "listings_price_idx",
        ),
        (
            "title",
            Browse {
                sort: Sort::Title,
                ..base.clone()
            },
            "listings_title_idx",
        ),
        (
            "category",
            Browse {
                category_path: Some("garden".into()),
                ..base.clone()
            },
            "listings_",
        ),
        (
            "vendor",
            Browse {
                vendor_id: Some(uuid::Uuid::now_v7()),
                ..base.clone()
            },
            "listings_",
        ),
        (
            "attributes",
            Browse {
                attributes: Some(json!({ "colour": "red" })),
                ..base.clone()
            },
            "listings_newest_idx",
        ),
    ];
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema");
    for (name, shape, index) in shapes {
        let plan = app
            .db()
            .tenant_tx(&schema, move |conn| {
                async move {
                    diesel_async::SimpleAsyncConnection::batch_execute(
                        conn,
                        "SET LOCAL enable_seqscan = off",
                    )
                    .await?;
                    explain_browse(conn, &shape).await
                }
                .boxed()
            })
            .await
            .expect("explain");
        assert!(
            !plan.contains("Seq Scan on listings"),
            "{name}: a full scan:\n{plan}"
        );
        assert!(plan.contains(index), "{name}: expected {index}:\n{plan}");
        assert!(
            plan.contains("products_pkey"),
            "{name}: products by primary key:\n{plan}"
        );
    }
    app.stop().await;
}

#[e2e]
async fn cache_is_invalidated_across_instances() {
    let namespace = unique("bazaar-e2e-");
    let a = TestApp::builder()
        .redis()
        .cache_namespace(&namespace)
        .start()
        .await;
    let b = TestApp::builder()
        .redis()
        .cache_namespace(&namespace)
        .start()
        .await;
    let s = shop(&a).await;
    let id = create_and_list(&a, &s, product("lamp", None, &["40.00"], json!({}))).await;
    let sf = s.storefront.as_str();

    let first = b.get("/v1/storefront/products", sf).await.expect(200);
    assert_eq!(first["items"][0]["price"], "40.00");
    let detail = b
        .get(&format!("/v1/storefront/products/{id}"), sf)
        .await
        .expect(200);
    assert_eq!(detail["title"], "Title lamp");
    // The page is now cached on B: prove reads come from the cache by
    // changing the database behind the API's back.
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema");
    b.db()
        .tenant_tx(&schema, |conn| {
            use futures_util::FutureExt;
            async move {
                diesel_async::SimpleAsyncConnection::batch_execute(
                    conn,
                    "UPDATE products SET title = 'Sneaky'",
                )
                .await?;
                Ok(())
            }
            .boxed()
        })
        .await
        .expect("sneak");
    let cached = b
        .get(&format!("/v1/storefront/products/{id}"), sf)
        .await
        .expect(200);
    assert_eq!(cached["title"], "Title lamp", "served from the cache");

    // A write through A invalidates B's cached pages on B's next read.
    let p = a
        .get(&format!("/v1/products/{id}"), s.vendor_key())
        .await
        .expect(200);
    let vid = p["variants"][0]["id"].as_str().expect("vid");
    a.patch(
        &format!("/v1/products/{id}/variants/{vid}"),
        s.vendor_key(),
        json!({ "price": "35.00" }),
    )
    .await
    .expect(200);
    let after = b.get("/v1/storefront/products", sf).await.expect(200);
    assert_eq!(after["items"][0]["price"], "35.00");
    let detail = b
        .get(&format!("/v1/storefront/products/{id}"), sf)
        .await
        .expect(200);
    assert_eq!(
        detail["title"], "Sneaky",
        "the new version reads the database again"
    );
    a.stop().await;
    b.stop().await;
}

#[e2e]
async fn reads_fall_back_to_the_database_when_redis_is_down() {
    let app = TestApp::builder()
        .redis_url("redis://127.0.0.1:1")
        .start()
        .await;
    let s = shop(&app).await;
    let id = create_and_list(&app, &s, product("sturdy", None, &["12.00"], json!({}))).await;
    let sf = s.storefront.as_str();
    assert_eq!(browse(&app, sf, "").await, ["sturdy"]);
    app.get(&format!("/v1/storefront/products/{id}"), sf)
        .await
        .expect(200);
    let p = app
        .get(&format!("/v1/products/{id}"), s.vendor_key())
        .await
        .expect(200);
    let vid = p["variants"][0]["id"].as_str().expect("vid");
    app.patch(
        &format!("/v1/products/{id}/variants/{vid}"),
        s.vendor_key(),
        json!({ "price": "11.00" }),
    )
    .await
    .expect(200);
    let page = app.get("/v1/storefront/products", sf).await.expect(200);
    assert_eq!(page["items"][0]["price"], "11.00");
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
        .post(format!("{}/v1/products/import", app.base))
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
        .post(format!("{}/v1/products/import", app.base))
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
