//! Storefront browsing: only the key's brand's visible listings, filters,
//! sorts and keyset pages, and every browse shape served by an index.

use serde_json::json;

use super::{browse, create_and_list, product, shop};
use crate::support::{TestApp, e2e};

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
                        conn.pg(),
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
