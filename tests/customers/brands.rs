//! Customers across brands: another brand's or customer's data stays
//! invisible, and shared accounts sign in to every brand of the tenant.

use reqwest::Method;
use serde_json::json;

use super::{PASSWORD, as_shopper, customer_cart, register, session};
use crate::checkout::{checkout, open_all_day};
use crate::support::shop::Shop;
use crate::support::{TestApp, e2e, unique};

/// A second brand in the shop's tenant, listing the tee; returns its
/// storefront key.
async fn second_brand(app: &TestApp, s: &Shop) -> String {
    let brand = app.brand(&s.admin, "second").await;
    let products = app.get("/v1/products?limit=10", &s.admin).await.expect(200);
    for p in products["items"].as_array().expect("items") {
        app.post(
            "/v1/listings",
            &s.admin,
            json!({ "brand_id": brand, "product_id": p["id"] }),
        )
        .await
        .expect(201);
    }
    app.key(
        &s.admin,
        json!({ "name": "web2", "scope": "storefront", "brand_id": brand }),
    )
    .await
    .1
}

#[e2e]
async fn another_brands_or_customers_data_is_invisible() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let other_brand = second_brand(&app, &s).await;
    let alice = register(&app, &s.storefront, "alice@shoppers.example").await;
    let bob = register(&app, &s.storefront, "bob@shoppers.example").await;
    let (alice_s, bob_s) = (session(&alice), session(&bob));

    // Alice's order, cart, address and wishlist.
    let cart = customer_cart(&app, &s, &alice_s, s.variant("tee"), 1).await;
    let order = checkout(
        &app,
        &s,
        &cart,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    let order_id = order["id"].as_str().expect("id");
    let open_cart = customer_cart(&app, &s, &alice_s, s.variant("tee"), 1).await;
    let address = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/addresses",
        &s.storefront,
        &alice_s,
        Some(json!({ "name": "Alice", "line1": "1 Main St", "city": "LA", "postal_code": "90001", "region": "US-CA" })),
    )
    .await
    .expect(201);
    let list = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/wishlists",
        &s.storefront,
        &alice_s,
        Some(json!({ "name": "Birthday" })),
    )
    .await
    .expect(201);

    // Bob sees none of it: each is simply not found.
    for (method, path, code) in [
        (
            Method::GET,
            format!("/v1/customers/me/orders/{order_id}"),
            "order_not_found",
        ),
        (
            Method::GET,
            format!("/v1/carts/{}", open_cart.0),
            "cart_not_found",
        ),
        (
            Method::DELETE,
            format!(
                "/v1/customers/me/addresses/{}",
                address["id"].as_str().expect("id")
            ),
            "address_not_found",
        ),
        (
            Method::GET,
            format!(
                "/v1/customers/me/wishlists/{}",
                list["id"].as_str().expect("id")
            ),
            "wishlist_not_found",
        ),
    ] {
        as_shopper(&app, method, &path, &s.storefront, &bob_s, None)
            .await
            .expect_problem(404, code);
    }
    let bobs_orders = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/orders",
        &s.storefront,
        &bob_s,
        None,
    )
    .await
    .expect(200);
    assert_eq!(bobs_orders["items"], json!([]));
    // The order itself: the publishable key alone does not open it, Bob's
    // session does not, Alice's and the cart token do.
    app.get(&format!("/v1/orders/{order_id}"), &s.storefront)
        .await
        .expect_problem(401, "cart_token_required");
    as_shopper(
        &app,
        Method::GET,
        &format!("/v1/orders/{order_id}"),
        &s.storefront,
        &bob_s,
        None,
    )
    .await
    .expect_problem(404, "order_not_found");
    as_shopper(
        &app,
        Method::GET,
        &format!("/v1/orders/{order_id}"),
        &s.storefront,
        &alice_s,
        None,
    )
    .await
    .expect(200);
    // Alice's own calls work.
    as_shopper(
        &app,
        Method::GET,
        &format!("/v1/customers/me/orders/{order_id}"),
        &s.storefront,
        &alice_s,
        None,
    )
    .await
    .expect(200);
    as_shopper(
        &app,
        Method::GET,
        &format!("/v1/carts/{}", open_cart.0),
        &s.storefront,
        &alice_s,
        None,
    )
    .await
    .expect(200);

    // Another brand: Alice's session means nothing there, and her email is
    // free to register (accounts are per brand by default).
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &other_brand,
        &alice_s,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    app.post(
        "/v1/customers/login",
        &other_brand,
        json!({ "email": "alice@shoppers.example", "password": PASSWORD }),
    )
    .await
    .expect_problem(401, "invalid_credentials");
    register(&app, &other_brand, "alice@shoppers.example").await;

    // Another tenant's storefront cannot use the session either.
    let t2 = Shop::stocked(&app, 1).await;
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &t2.storefront,
        &alice_s,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    // Storefront keys cannot reach the admin side.
    app.get("/v1/customers", &s.storefront)
        .await
        .expect_problem(403, "insufficient_scope");
    app.stop().await;
}

#[e2e]
async fn shared_accounts_sign_in_to_every_brand() {
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 5).await;
    let other = second_brand(&app, &s).await;
    let settings = json!({ "account_scope": "tenant", "loyalty_points_per_unit": "0", "loyalty_point_value": "0.01" });
    // Two brands holding one email stop the switch, clearly.
    register(&app, &s.storefront, "dup@shoppers.example").await;
    register(&app, &other, "dup@shoppers.example").await;
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(settings.clone()),
    )
    .await
    .expect_problem(409, "accounts_conflict");
    let dups = app
        .get("/v1/customers?email=dup@shoppers.example", &s.admin)
        .await
        .expect(200);
    let second_dup = dups["items"][1]["id"].as_str().expect("id").to_owned();
    app.send(
        Method::DELETE,
        &format!("/v1/customers/{second_dup}"),
        Some(&s.admin),
        None,
    )
    .await
    .expect(204);
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(settings),
    )
    .await
    .expect(200);

    let view = register(&app, &s.storefront, "shared@shoppers.example").await;
    assert_eq!(view["customer"]["shared_across_brands"], true);
    let token = session(&view);
    as_shopper(&app, Method::GET, "/v1/customers/me", &other, &token, None)
        .await
        .expect(200);
    app.post(
        "/v1/customers/login",
        &other,
        json!({ "email": "shared@shoppers.example", "password": PASSWORD }),
    )
    .await
    .expect(200);
    app.post(
        "/v1/customers",
        &other,
        json!({ "email": "shared@shoppers.example", "password": PASSWORD }),
    )
    .await
    .expect_problem(409, "email_taken");
    // Another tenant still cannot.
    let t2 = Shop::stocked(&app, 1).await;
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &t2.storefront,
        &token,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    app.stop().await;
}
