//! Guest carts: tokens, lines, live pricing with the region packs, and
//! abandoned-cart events.

use serde_json::{Value, json};

use crate::support::shop::{Product, Shop};
use crate::support::{TestApp, e2e};

/// Brands `shop` and `other`, vendor `seller`, a `tee` (20.00) and a
/// `flower` (35.00, cannabis_flower, 3.5 g) listed in `shop`, and a `hidden`
/// product listed nowhere.
async fn shop(app: &TestApp) -> Shop {
    Shop::builder(app)
        .brand("shop")
        .brand("other")
        .vendor("seller")
        .product(Product::new("tee", "20.00"))
        .product(
            Product::new("flower", "35.00")
                .tax_category("cannabis_flower")
                .weight_grams("3.5"),
        )
        .product(Product::new("hidden", "5.00").unlisted())
        .build()
        .await
}

/// A cart request: the storefront key and the cart's token.
pub(crate) async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    token: &str,
    body: Option<Value>,
) -> crate::support::Reply {
    let header = crate::checkout::opener(token);
    app.send_with_headers(method, path, Some(key), &[(header, token)], body)
        .await
}

#[e2e]
async fn carts_are_priced_live_with_the_region_pack() {
    let app = TestApp::start().await;
    let s = shop(&app).await;
    let created = app
        .post(
            "/v1/carts",
            &s.storefront,
            json!({ "contact_email": "shopper@x.example" }),
        )
        .await
        .expect(201);
    let (id, token) = (
        created["cart"]["id"].as_str().expect("id").to_owned(),
        created["token"].as_str().expect("token").to_owned(),
    );
    assert_eq!(
        created["cart"]["region"], "US-CA",
        "the brand's default region"
    );
    assert_eq!(created["cart"]["totals"]["total"], "0.00");
    let post = reqwest::Method::POST;

    let cart = call(
        &app,
        post.clone(),
        &format!("/v1/carts/{id}/lines"),
        &s.storefront,
        &token,
        Some(json!({ "variant_id": s.variant("tee"), "quantity": 1 })),
    )
    .await
    .expect(200);
    let cart2 = call(
        &app,
        post.clone(),
        &format!("/v1/carts/{id}/lines"),
        &s.storefront,
        &token,
        Some(json!({ "variant_id": s.variant("tee"), "quantity": 2 })),
    )
    .await
    .expect(200);
    assert_eq!(cart["lines"][0]["quantity"], 1);
    assert_eq!(
        cart2["lines"][0]["quantity"], 3,
        "adding again adds to the line"
    );
    // 60.00 at California's 7.25% = 4.35.
    assert_eq!(cart2["lines"][0]["tax"], "4.35");
    assert_eq!(cart2["totals"]["total"], "64.35");
    assert_eq!(cart2["region_version"].as_str().map(str::len), Some(64));

    // Colorado taxes at 2.9%.
    let co = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/v1/carts/{id}"),
        &s.storefront,
        &token,
        Some(json!({ "region": "US-CO" })),
    )
    .await
    .expect(200);
    assert_eq!(co["lines"][0]["tax"], "1.74");
    call(
        &app,
        reqwest::Method::PATCH,
        &format!("/v1/carts/{id}"),
        &s.storefront,
        &token,
        Some(json!({ "region": "DE" })),
    )
    .await
    .expect_problem(422, "region_not_enabled");
    call(
        &app,
        reqwest::Method::PATCH,
        &format!("/v1/carts/{id}"),
        &s.storefront,
        &token,
        Some(json!({ "region": "US-CA" })),
    )
    .await
    .expect(200);

    // Ten 3.5 g packs of flower break California's 28.5 g daily limit; the cart says which rule.
    let heavy = call(
        &app,
        post.clone(),
        &format!("/v1/carts/{id}/lines"),
        &s.storefront,
        &token,
        Some(json!({ "variant_id": s.variant("flower"), "quantity": 10 })),
    )
    .await
    .expect(200);
    assert_eq!(heavy["age_verification_required"], true);
    let rules: Vec<&str> = heavy["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| v["rule"].as_str().expect("rule"))
        .collect();
    assert_eq!(rules, ["purchase_limits.cannabis_flower.day"]);
    let line = heavy["lines"][1]["id"].as_str().expect("line").to_owned();
    let fixed = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/v1/carts/{id}/lines/{line}"),
        &s.storefront,
        &token,
        Some(json!({ "quantity": 2 })),
    )
    .await
    .expect(200);
    assert_eq!(fixed["violations"], json!([]));
    // 70.00 of flower: 5.08 sales tax and 10.50 excise.
    assert_eq!(
        (
            fixed["lines"][1]["tax"].as_str(),
            fixed["lines"][1]["excise"].as_str()
        ),
        (Some("5.08"), Some("10.50"))
    );
    let removed = call(
        &app,
        reqwest::Method::DELETE,
        &format!("/v1/carts/{id}/lines/{line}"),
        &s.storefront,
        &token,
        None,
    )
    .await
    .expect(200);
    assert_eq!(removed["lines"].as_array().map(Vec::len), Some(1));

    call(
        &app,
        post.clone(),
        &format!("/v1/carts/{id}/lines"),
        &s.storefront,
        &token,
        Some(json!({ "variant_id": s.variant("hidden"), "quantity": 1 })),
    )
    .await
    .expect_problem(422, "variant_not_available");
    call(
        &app,
        post.clone(),
        &format!("/v1/carts/{id}/lines"),
        &s.storefront,
        &token,
        Some(json!({ "variant_id": s.variant("tee"), "quantity": 0 })),
    )
    .await
    .expect_problem(400, "invalid_body");
    call(
        &app,
        post,
        &format!("/v1/carts/{id}/lines"),
        &s.storefront,
        &token,
        Some(json!({ "variant_id": s.variant("tee"), "quantity": 9999 })),
    )
    .await
    .expect_problem(422, "quantity_too_large");
    app.stop().await;
}

#[e2e]
async fn carts_are_private_to_their_token_and_brand() {
    let app = TestApp::start().await;
    let s = shop(&app).await;
    let created = app
        .post("/v1/carts", &s.storefront, json!({}))
        .await
        .expect(201);
    let id = created["cart"]["id"].as_str().expect("id");
    let token = created["token"].as_str().expect("token");
    call(
        &app,
        reqwest::Method::GET,
        &format!("/v1/carts/{id}"),
        &s.storefront,
        token,
        None,
    )
    .await
    .expect(200);
    call(
        &app,
        reqwest::Method::GET,
        &format!("/v1/carts/{id}"),
        &s.storefront,
        "ct_wrong",
        None,
    )
    .await
    .expect_problem(404, "cart_not_found");
    call(
        &app,
        reqwest::Method::GET,
        &format!("/v1/carts/{id}"),
        s.storefront_of("other"),
        token,
        None,
    )
    .await
    .expect_problem(404, "cart_not_found");
    let missing = app
        .send(
            reqwest::Method::GET,
            &format!("/v1/carts/{id}"),
            Some(&s.storefront),
            None,
        )
        .await;
    assert_eq!(missing.status, 401, "{}", missing.body);
    assert_eq!(missing.body["code"], "cart_token_required");
    app.post("/v1/carts", &s.admin, json!({}))
        .await
        .expect_problem(403, "insufficient_scope");
    app.post(
        "/v1/carts",
        &s.storefront,
        json!({ "contact_email": "nope" }),
    )
    .await
    .expect_problem(422, "invalid_email");
    app.stop().await;
}

#[e2e]
async fn abandoned_carts_are_announced_once() {
    let app = TestApp::start().await;
    let s = shop(&app).await;
    let with_email = app
        .post(
            "/v1/carts",
            &s.storefront,
            json!({ "contact_email": "idle@x.example" }),
        )
        .await
        .expect(201);
    app.post("/v1/carts", &s.storefront, json!({}))
        .await
        .expect(201);
    let fresh = app
        .post(
            "/v1/carts",
            &s.storefront,
            json!({ "contact_email": "busy@x.example" }),
        )
        .await
        .expect(201);
    let idle_id = with_email["cart"]["id"].as_str().expect("id").to_owned();
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema");
    let moved = idle_id.clone();
    app.db()
        .tenant_tx(&schema, move |conn| {
            use futures_util::FutureExt;
            async move {
                diesel_async::SimpleAsyncConnection::batch_execute(
 conn.pg(),
                    &format!("UPDATE carts SET last_activity_at = now() - interval '3 hours' WHERE id = '{moved}'"),
                )
                .await?;
                Ok(())
            }
            .boxed()
        })
        .await
        .expect("age the cart");
    let found = app
        .post("/v1/carts/abandoned", &s.admin, json!({ "idle_hours": 2 }))
        .await
        .expect(200);
    let ids: Vec<&str> = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        [idle_id.as_str()],
        "only idle carts with an email; not {}",
        fresh["cart"]["id"]
    );
    let again = app
        .post("/v1/carts/abandoned", &s.admin, json!({ "idle_hours": 2 }))
        .await
        .expect(200);
    assert_eq!(again["items"], json!([]), "announced once");
    let events = app
        .db()
        .tenant_read(&schema, |conn| {
            use futures_util::FutureExt;
            async move { bazaar_store::tenant::outbox::of_topic(conn, "cart.abandoned").await }
                .boxed()
        })
        .await
        .expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["contact_email"], "idle@x.example");
    app.post(
        "/v1/carts/abandoned",
        &s.storefront,
        json!({ "idle_hours": 2 }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    app.stop().await;
}
