//! Customers: accounts and sessions, enumeration-safe and throttled login,
//! one-time tokens, brand isolation and shared accounts, addresses, age
//! verification at checkout, order history, wishlists, loyalty points,
//! guest cart merge, export and deletion.

use futures_util::FutureExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::checkout::{add_line, checkout, open_all_day};
use crate::support::shop::Shop;
use crate::support::{TestApp, e2e, unique};

const PASSWORD: &str = "correct horse battery";

/// A call with the shopper's session.
pub(crate) async fn as_shopper(
    app: &TestApp,
    method: Method,
    path: &str,
    storefront: &str,
    session: &str,
    body: Option<Value>,
) -> crate::support::Reply {
    app.send_with_headers(
        method,
        path,
        Some(storefront),
        &[("X-Customer-Token", session)],
        body,
    )
    .await
}

/// Register a shopper; returns the session view.
pub(crate) async fn register(app: &TestApp, storefront: &str, email: &str) -> Value {
    app.post(
        "/v1/customers",
        storefront,
        json!({ "email": email, "password": PASSWORD, "name": "Sam Shopper" }),
    )
    .await
    .expect(201)
}

fn session(view: &Value) -> String {
    view["token"].as_str().expect("token").to_owned()
}

fn customer_id(view: &Value) -> String {
    view["customer"]["id"].as_str().expect("id").to_owned()
}

/// A signed-in shopper whose age the shop verified (born on `born`);
/// returns (customer id, session).
pub(crate) async fn verified_shopper(app: &TestApp, s: &Shop, born: &str) -> (String, String) {
    let view = register(
        app,
        &s.storefront,
        &format!("{}@shoppers.example", unique("v")),
    )
    .await;
    let id = customer_id(&view);
    app.post(
        &format!("/v1/customers/{id}/age-verification"),
        &s.admin,
        json!({ "date_of_birth": born, "method": "id_document", "reference": "DL-123" }),
    )
    .await
    .expect(201);
    (id, session(&view))
}

/// A cart of the signed-in shopper holding `quantity` of `variant`;
/// returns (cart id, the session that opens it): a customer's cart has no
/// token of its own.
pub(crate) async fn customer_cart(
    app: &TestApp,
    s: &Shop,
    session: &str,
    variant: &str,
    quantity: i32,
) -> (String, String) {
    let c = app
        .send_with_headers(
            Method::POST,
            "/v1/carts",
            Some(&s.storefront),
            &[("X-Customer-Token", session)],
            Some(json!({})),
        )
        .await
        .expect(201);
    assert!(c["token"].is_null(), "a customer's cart has no token: {c}");
    let cart = (
        c["cart"]["id"].as_str().expect("id").to_owned(),
        session.to_owned(),
    );
    add_line(app, s, &cart, variant, quantity).await;
    cart
}

fn schema(s: &Shop) -> bazaar_store::TenantSchema {
    bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema")
}

/// The payloads of the tenant's outbox events of `topic`.
async fn events(app: &TestApp, s: &Shop, topic: &'static str) -> Vec<Value> {
    app.db()
        .tenant_read(&schema(s), move |conn| {
            async move { bazaar_store::tenant::outbox::of_topic(conn, topic).await }.boxed()
        })
        .await
        .expect("outbox")
}

/// The token of the newest `topic` event for `customer`.
async fn emailed_token(app: &TestApp, s: &Shop, topic: &'static str, customer: &str) -> String {
    events(app, s, topic)
        .await
        .iter()
        .rev()
        .find(|e| e["customer_id"] == customer)
        .and_then(|e| e["token"].as_str())
        .expect("a token event for the customer")
        .to_owned()
}

#[e2e]
async fn accounts_sign_in_out_and_everywhere() {
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 5).await;
    let email = format!("{}@shoppers.example", unique("a"));
    let registered = register(&app, &s.storefront, &email).await;
    assert_eq!(registered["customer"]["email"], email.to_lowercase());
    assert_eq!(registered["customer"]["email_verified"], false);
    let first = session(&registered);

    // Email is case-insensitive; the second session is independent.
    let login = app
        .post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": email.to_uppercase(), "password": PASSWORD }),
        )
        .await
        .expect(200);
    let second = session(&login);
    assert_ne!(first, second);
    let me = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &second,
        None,
    )
    .await
    .expect(200);
    assert_eq!(me["id"], registered["customer"]["id"]);
    assert_eq!(me["name"], "Sam Shopper");

    // The same email cannot open a second account in the brand.
    app.post(
        "/v1/customers",
        &s.storefront,
        json!({ "email": email, "password": "another password" }),
    )
    .await
    .expect_problem(409, "email_taken");
    app.post(
        "/v1/customers",
        &s.storefront,
        json!({ "email": "short@x.example", "password": "short" }),
    )
    .await
    .expect_problem(422, "weak_password");

    // Logging out ends one session only.
    as_shopper(
        &app,
        Method::POST,
        "/v1/customers/logout",
        &s.storefront,
        &first,
        None,
    )
    .await
    .expect(204);
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &first,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &second,
        None,
    )
    .await
    .expect(200);

    // Changing the password keeps this session and ends the others.
    let third = session(
        &app.post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": email, "password": PASSWORD }),
        )
        .await
        .expect(200),
    );
    as_shopper(
        &app,
        Method::PUT,
        "/v1/customers/me/password",
        &s.storefront,
        &second,
        Some(json!({ "current_password": "wrong one!", "new_password": "a brand new secret" })),
    )
    .await
    .expect_problem(422, "wrong_password");
    as_shopper(
        &app,
        Method::PUT,
        "/v1/customers/me/password",
        &s.storefront,
        &second,
        Some(json!({ "current_password": PASSWORD, "new_password": "a brand new secret" })),
    )
    .await
    .expect(204);
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &third,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &second,
        None,
    )
    .await
    .expect(200);

    // Log out everywhere ends even the session that asked.
    as_shopper(
        &app,
        Method::DELETE,
        "/v1/customers/me/sessions",
        &s.storefront,
        &second,
        None,
    )
    .await
    .expect(204);
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &second,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    // A made-up session is refused the same way.
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        "cs_nope",
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    app.stop().await;
}

#[e2e]
async fn login_does_not_reveal_which_emails_have_accounts() {
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 5).await;
    let email = format!("{}@shoppers.example", unique("e"));
    register(&app, &s.storefront, &email).await;
    let wrong_password = app
        .post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": email, "password": "not the password" }),
        )
        .await
        .expect_problem(401, "invalid_credentials");
    let started = std::time::Instant::now();
    let unknown = app
        .post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": format!("nobody-{}", email), "password": "not the password" }),
        )
        .await
        .expect_problem(401, "invalid_credentials");
    let unknown_took = started.elapsed();
    assert_eq!(
        wrong_password, unknown,
        "an unknown email and a wrong password answer alike"
    );
    // The unknown email still costs a password hash (no fast path to time).
    assert!(
        unknown_took >= std::time::Duration::from_millis(5),
        "unknown email answered in {unknown_took:?}: no hashing work was done"
    );
    // A reset request is accepted either way, and only a real account gets
    // a token (to the tenant, never in the response).
    for who in [email.clone(), format!("nobody-{email}")] {
        let reply = app
            .post(
                "/v1/customers/password-reset",
                &s.storefront,
                json!({ "email": who }),
            )
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
        assert_eq!(reply.body, Value::Null, "no body, no token");
    }
    let resets = events(&app, &s, "customer.password_reset_requested").await;
    assert_eq!(
        resets.len(),
        1,
        "one token, for the real account: {resets:?}"
    );
    assert_eq!(resets[0]["email"], email);
    app.stop().await;
}

#[e2e]
async fn logins_are_throttled_per_account_and_per_address() {
    let app = TestApp::builder()
        .env("BAZAAR_LOGIN_FAILURES_PER_ACCOUNT", "3")
        .env("BAZAAR_LOGIN_ATTEMPTS_PER_ADDRESS", "8")
        .start()
        .await;
    let s = Shop::stocked(&app, 5).await;
    let email = format!("{}@shoppers.example", unique("r"));
    register(&app, &s.storefront, &email).await; // 1 attempt from this address
    let login = |password: &'static str, email: String| {
        let app = &app;
        let key = s.storefront.clone();
        async move {
            app.post(
                "/v1/customers/login",
                &key,
                json!({ "email": email, "password": password }),
            )
            .await
        }
    };
    for _ in 0..3 {
        login("wrong password", email.clone())
            .await
            .expect_problem(401, "invalid_credentials");
    }
    // The account is locked for the window: even the right password waits.
    let locked = login(PASSWORD, email.clone()).await;
    let retry_after: u64 = locked
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After header");
    assert!(
        (1..=900).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    locked.expect_problem(429, "too_many_attempts");
    // Unknown accounts lock the same way (no telling them apart by 429s).
    let ghost = format!("ghost-{email}");
    for _ in 0..3 {
        login("wrong password", ghost.clone())
            .await
            .expect_problem(401, "invalid_credentials");
    }
    // That was attempt 8 from this address; the 9th is refused whatever it is.
    login("wrong password", ghost.clone())
        .await
        .expect_problem(429, "too_many_attempts");
    app.post(
        "/v1/customers/login",
        &s.storefront,
        json!({ "email": format!("fresh-{email}"), "password": PASSWORD }),
    )
    .await
    .expect_problem(429, "too_many_attempts");
    app.stop().await;
}

#[e2e]
async fn verification_and_reset_tokens_work_once_and_expire() {
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 5).await;
    let email = format!("{}@shoppers.example", unique("t"));
    let view = register(&app, &s.storefront, &email).await;
    let (id, me) = (customer_id(&view), session(&view));
    assert!(
        !serde_json::to_string(&view).expect("json").contains("ev_"),
        "the verification token is never in a response"
    );

    let verify = emailed_token(&app, &s, "customer.email_verification_requested", &id).await;
    app.post(
        "/v1/customers/verify-email",
        &s.storefront,
        json!({ "token": verify }),
    )
    .await
    .expect(204);
    app.post(
        "/v1/customers/verify-email",
        &s.storefront,
        json!({ "token": verify }),
    )
    .await
    .expect_problem(422, "invalid_token");
    let me_now = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    assert_eq!(me_now["email_verified"], true);

    // A reset token works once and ends every session.
    app.post(
        "/v1/customers/password-reset",
        &s.storefront,
        json!({ "email": email }),
    )
    .await
    .expect(202);
    let reset = emailed_token(&app, &s, "customer.password_reset_requested", &id).await;
    app.post(
        "/v1/customers/password-reset/confirm",
        &s.storefront,
        json!({ "token": reset, "password": "the new password" }),
    )
    .await
    .expect(204);
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    app.post(
        "/v1/customers/password-reset/confirm",
        &s.storefront,
        json!({ "token": reset, "password": "another new password" }),
    )
    .await
    .expect_problem(422, "invalid_token");
    app.post(
        "/v1/customers/login",
        &s.storefront,
        json!({ "email": email, "password": "the new password" }),
    )
    .await
    .expect(200);

    // An expired token is refused (its clock moved past the expiry).
    app.post(
        "/v1/customers/password-reset",
        &s.storefront,
        json!({ "email": email }),
    )
    .await
    .expect(202);
    let late = emailed_token(&app, &s, "customer.password_reset_requested", &id).await;
    app.db()
        .tenant_tx(&schema(&s), |conn| {
            async move {
                use diesel_async::RunQueryDsl;
                diesel::sql_query(
                    "UPDATE customer_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
                )
                .execute(conn)
                .await?;
                Ok(())
            }
            .boxed()
        })
        .await
        .expect("age the token");
    app.post(
        "/v1/customers/password-reset/confirm",
        &s.storefront,
        json!({ "token": late, "password": "too late password" }),
    )
    .await
    .expect_problem(422, "invalid_token");
    // Asking again issues a new token, and the older one stops working.
    app.post(
        "/v1/customers/password-reset",
        &s.storefront,
        json!({ "email": email }),
    )
    .await
    .expect(202);
    let newer = emailed_token(&app, &s, "customer.password_reset_requested", &id).await;
    app.post(
        "/v1/customers/password-reset",
        &s.storefront,
        json!({ "email": email }),
    )
    .await
    .expect(202);
    app.post(
        "/v1/customers/password-reset/confirm",
        &s.storefront,
        json!({ "token": newer, "password": "superseded password" }),
    )
    .await
    .expect_problem(422, "invalid_token");
    app.stop().await;
}

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

#[e2e]
async fn addresses_are_checked_against_the_tenants_regions() {
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 5).await;
    let me = session(&register(&app, &s.storefront, "addr@shoppers.example").await);
    let address = |region: &str, default_shipping: bool| {
        json!({ "name": "Sam", "line1": "1 Main St", "city": "Town", "postal_code": "80202",
                "region": region, "default_shipping": default_shipping })
    };
    let refused = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/addresses",
        &s.storefront,
        &me,
        Some(address("US-NY", false)),
    )
    .await
    .expect_problem(422, "region_not_enabled");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("US-NY") && d.contains("US-CA")),
        "{refused}"
    );
    let first = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/addresses",
        &s.storefront,
        &me,
        Some(address("US-CA", true)),
    )
    .await
    .expect(201);
    assert_eq!(first["default_shipping"], true);
    let second = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/addresses",
        &s.storefront,
        &me,
        Some(address("US-CO", true)),
    )
    .await
    .expect(201);
    let list = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/addresses",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    let defaults: Vec<&Value> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|a| a["default_shipping"] == true)
        .collect();
    assert_eq!(defaults.len(), 1, "one default shipping address: {list}");
    assert_eq!(defaults[0]["id"], second["id"]);
    as_shopper(
        &app,
        Method::PUT,
        &format!(
            "/v1/customers/me/addresses/{}",
            first["id"].as_str().expect("id")
        ),
        &s.storefront,
        &me,
        Some(
            json!({ "name": "", "line1": "x", "city": "y", "postal_code": "1", "region": "US-CA" }),
        ),
    )
    .await
    .expect_problem(422, "invalid_name");
    app.stop().await;
}

#[e2e]
async fn age_gated_checkout_needs_a_verified_adult() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let pay = json!({ "payment_token": "tok_success" });

    // A guest cannot buy flower in California.
    let guest = crate::checkout::cart(&app, &s, s.variant("flower"), 1).await;
    let refused = checkout(&app, &s, &guest, Some(&unique("k")), pay.clone())
        .await
        .expect_problem(422, "age_verification_required");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("US-CA") && d.contains("21") && d.contains("sign in")),
        "{refused}"
    );
    // Neither can an account nobody verified.
    let unverified = session(&register(&app, &s.storefront, "young@shoppers.example").await);
    let c = customer_cart(&app, &s, &unverified, s.variant("flower"), 1).await;
    let refused = checkout(&app, &s, &c, Some(&unique("k")), pay.clone())
        .await
        .expect_problem(422, "age_verification_required");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not been verified")),
        "{refused}"
    );
    // A verified 19-year-old is refused naming the rule and the age.
    let nineteen =
        (chrono::Utc::now().date_naive() - chrono::Duration::days(19 * 365 + 30)).to_string();
    let (_, teen) = verified_shopper(&app, &s, &nineteen).await;
    let c = customer_cart(&app, &s, &teen, s.variant("flower"), 1).await;
    let refused = checkout(&app, &s, &c, Some(&unique("k")), pay.clone())
        .await
        .expect_problem(422, "age_requirement_not_met");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("age_verification") && d.contains("19")),
        "{refused}"
    );
    assert_eq!(
        crate::checkout::stock(&app, &s, s.variant("flower")).await,
        (10, 0),
        "refusals move no stock"
    );

    // A verified adult buys.
    let (adult_id, adult) = verified_shopper(&app, &s, "1980-04-01").await;
    let c = customer_cart(&app, &s, &adult, s.variant("flower"), 1).await;
    let order = checkout(&app, &s, &c, Some(&unique("k")), pay.clone())
        .await
        .expect(201);
    assert_eq!(order["status"], "paid");
    // The record says who verified, how and when; the shopper sees it.
    let me = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &adult,
        None,
    )
    .await
    .expect(200);
    assert_eq!(me["age_verification"]["method"], "id_document");
    assert_eq!(me["date_of_birth"], "1980-04-01");
    assert!(
        me["age_verification"]["verified_by"]
            .as_str()
            .is_some_and(|b| b.starts_with("key:"))
    );
    // A verified date of birth cannot be edited by the shopper.
    as_shopper(
        &app,
        Method::PATCH,
        "/v1/customers/me",
        &s.storefront,
        &adult,
        Some(json!({ "date_of_birth": "2010-01-01" })),
    )
    .await
    .expect_problem(409, "date_of_birth_verified");

    // Revoked: refused again; the audit trail keeps both states.
    app.send(
        Method::DELETE,
        &format!("/v1/customers/{adult_id}/age-verification"),
        Some(&s.admin),
        None,
    )
    .await
    .expect(204);
    app.send(
        Method::DELETE,
        &format!("/v1/customers/{adult_id}/age-verification"),
        Some(&s.admin),
        None,
    )
    .await
    .expect_problem(404, "age_verification_not_found");
    let c = customer_cart(&app, &s, &adult, s.variant("flower"), 1).await;
    checkout(&app, &s, &c, Some(&unique("k")), pay)
        .await
        .expect_problem(422, "age_verification_required");
    let record = app
        .get(&format!("/v1/customers/{adult_id}"), &s.admin)
        .await
        .expect(200);
    assert!(
        record["age_verifications"][0]["revoked_at"].is_string(),
        "{record}"
    );
    app.stop().await;
}

/// The account's kept balance and its ledger's sum.
async fn balances(app: &TestApp, s: &Shop, customer: &str) -> (i64, i64) {
    let id: uuid::Uuid = customer.parse().expect("uuid");
    app.db()
        .tenant_read(&schema(s), move |conn| {
            async move { bazaar_store::tenant::loyalty::balances(conn, id).await }.boxed()
        })
        .await
        .expect("balances")
}

#[e2e]
async fn loyalty_points_are_earned_redeemed_restored_and_expire() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 20).await;
    let rule = |value: &str| {
        json!({ "account_scope": "brand", "loyalty_points_per_unit": "10",
                "loyalty_point_value": value, "loyalty_expiry_days": 30 })
    };
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(rule("0.01")),
    )
    .await
    .expect(200);
    let view = register(&app, &s.storefront, "points@shoppers.example").await;
    let (id, me) = (customer_id(&view), session(&view));
    let signed_in = |cart: &(String, String), key: String, body: Value| {
        let app = &app;
        let storefront = s.storefront.clone();
        let me = me.clone();
        let cart = cart.clone();
        async move {
            app.send_with_headers(
                Method::POST,
                &format!("/v1/carts/{}/checkout", cart.0),
                Some(&storefront),
                &[
                    ("X-Customer-Token", me.as_str()),
                    ("Idempotency-Key", key.as_str()),
                ],
                Some(body),
            )
            .await
        }
    };

    // Earned: 10 points per dollar of goods (2 tees, 60.00 net) = 600.
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 2).await;
    checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    assert_eq!(balances(&app, &s, &id).await, (600, 600));
    // A failed payment earns nothing.
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
    checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_decline" }),
    )
    .await
    .expect(201);
    assert_eq!(balances(&app, &s, &id).await, (600, 600));

    // Redeeming needs a signed-in shopper and enough points.
    let guest = crate::checkout::cart(&app, &s, s.variant("tee"), 1).await;
    checkout(
        &app,
        &s,
        &guest,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success", "redeem_points": 100 }),
    )
    .await
    .expect_problem(401, "sign_in_required");
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
    signed_in(
        &c,
        unique("k"),
        json!({ "payment_token": "tok_success", "redeem_points": 601 }),
    )
    .await
    .expect_problem(422, "insufficient_points");
    // 600 points (6.00) off one tee (30.00 + 7.25% = 32.18); the order then
    // earns on 24.00 of goods: 240 points.
    let paid = signed_in(
        &c,
        unique("k"),
        json!({ "payment_token": "tok_success", "redeem_points": 600 }),
    )
    .await
    .expect(201);
    assert_eq!(paid["discount_total"], "6.00");
    assert_eq!(paid["loyalty_points"], 600);
    assert_eq!(paid["total"], "26.18", "{paid}");
    assert_eq!(balances(&app, &s, &id).await, (240, 240));

    // Never below zero: points worth more than the order are refused.
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(rule("1")),
    )
    .await
    .expect(200);
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
    let over = signed_in(
        &c,
        unique("k"),
        json!({ "payment_token": "tok_success", "redeem_points": 40 }),
    )
    .await
    .expect_problem(422, "points_exceed_total");
    assert!(
        over["detail"]
            .as_str()
            .is_some_and(|d| d.contains("at most 32")),
        "{over}"
    );
    // Points worth a fraction of a cent are refused, not rounded away.
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(rule("0.005")),
    )
    .await
    .expect(200);
    signed_in(
        &c,
        unique("k"),
        json!({ "payment_token": "tok_success", "redeem_points": 1 }),
    )
    .await
    .expect_problem(422, "points_not_whole_amount");
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(rule("0.00001")),
    )
    .await
    .expect_problem(422, "invalid_loyalty_rule");
    app.send(
        Method::PUT,
        "/v1/customer-settings",
        Some(&s.admin),
        Some(rule("0.01")),
    )
    .await
    .expect(200);

    // A declined payment gives the redeemed points back.
    let declined = signed_in(
        &c,
        unique("k"),
        json!({ "payment_token": "tok_decline", "redeem_points": 100 }),
    )
    .await
    .expect(201);
    assert_eq!(declined["status"], "payment_failed");
    assert_eq!(balances(&app, &s, &id).await, (240, 240));

    // Idempotent with the checkout: a replay redeems nothing more.
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
    let key = unique("k");
    let body = json!({ "payment_token": "tok_success", "redeem_points": 50 });
    let first = signed_in(&c, key.clone(), body.clone()).await.expect(201);
    // 240 - 50 + 10 x (30.00 - 0.50) = 485.
    assert_eq!(balances(&app, &s, &id).await, (485, 485));
    let replay = signed_in(&c, key, body).await.expect(201);
    assert_eq!(replay["id"], first["id"]);
    assert_eq!(balances(&app, &s, &id).await, (485, 485));

    // Thirty days on, every unspent point expires, and the ledger agrees.
    let later = chrono::Utc::now() + chrono::Duration::days(31);
    let report = app
        .db()
        .tenant_tx(&schema(&s), move |conn| {
            bazaar_store::tenant::housekeeping::run(conn, later).boxed()
        })
        .await
        .expect("housekeeping");
    assert_eq!(report.points_expired, 485);
    assert_eq!(balances(&app, &s, &id).await, (0, 0));
    let ledger = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/loyalty",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    assert_eq!(ledger["balance"], 0);
    let kinds: Vec<&str> = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        vec![
            "expire", "earn", "redeem", "restore", "redeem", "earn", "redeem", "earn"
        ],
        "newest first"
    );
    let sum: i64 = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["points"].as_i64().expect("points"))
        .sum();
    assert_eq!(sum, 0, "the entries sum to the balance");
    app.stop().await;
}

#[e2e]
async fn a_guest_cart_merges_into_the_account_cart_at_login() {
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 10).await;
    let email = "merge@shoppers.example";
    let me = session(&register(&app, &s.storefront, email).await);
    // The account's working cart: 1 tee.
    let account_cart = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
    // As a guest on another device: 2 tees and a flower.
    let guest = crate::checkout::cart(&app, &s, s.variant("tee"), 2).await;
    add_line(&app, &s, &guest, s.variant("flower"), 1).await;
    let login = app
        .post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": email, "password": PASSWORD,
                    "cart": { "cart_id": guest.0, "token": guest.1 } }),
        )
        .await
        .expect(200);
    assert_eq!(
        login["cart_id"],
        account_cart.0.as_str(),
        "merged into the account's cart"
    );
    let session2 = session(&login);
    let merged = as_shopper(
        &app,
        Method::GET,
        &format!("/v1/carts/{}", account_cart.0),
        &s.storefront,
        &session2,
        None,
    )
    .await
    .expect(200);
    let quantities: Vec<(String, i64)> = merged["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["sku"].as_str().expect("sku").to_owned(),
                l["quantity"].as_i64().expect("q"),
            )
        })
        .collect();
    assert!(
        quantities.contains(&("tee".to_owned(), 3)),
        "{quantities:?}"
    );
    assert!(
        quantities.contains(&("flower".to_owned(), 1)),
        "{quantities:?}"
    );
    // The guest cart is gone (merged), not a second copy.
    crate::carts::call(
        &app,
        Method::GET,
        &format!("/v1/carts/{}", guest.0),
        &s.storefront,
        &guest.1,
        None,
    )
    .await
    .expect_problem(404, "cart_not_found");

    // With no account cart, the guest cart simply becomes the account's.
    let other = session(&register(&app, &s.storefront, "fresh@shoppers.example").await);
    let _ = other;
    let guest2 = crate::checkout::cart(&app, &s, s.variant("tee"), 1).await;
    let login2 = app
        .post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": "fresh@shoppers.example", "password": PASSWORD,
                    "cart": { "cart_id": guest2.0, "token": guest2.1 } }),
        )
        .await
        .expect(200);
    assert_eq!(login2["cart_id"], guest2.0.as_str());
    // Now the account's: its guest token (left on the device) opens nothing.
    crate::carts::call(
        &app,
        Method::GET,
        &format!("/v1/carts/{}", guest2.0),
        &s.storefront,
        &guest2.1,
        None,
    )
    .await
    .expect_problem(404, "cart_not_found");
    // Nor can another shopper bring it into their account with that token;
    // a cart that cannot be brought in does not stop the sign-in.
    let thief = app
        .post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": email, "password": PASSWORD,
                    "cart": { "cart_id": guest2.0, "token": guest2.1 } }),
        )
        .await
        .expect(200);
    assert!(thief["cart_id"].is_null(), "{thief}");
    let carts = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/carts",
        &s.storefront,
        &session(&login2),
        None,
    )
    .await
    .expect(200);
    assert_eq!(carts["items"][0]["id"], guest2.0.as_str());
    assert_eq!(carts["items"][0]["working"], true);

    // Saving a cart for later: the next merge goes to the working cart only.
    as_shopper(
        &app,
        Method::PATCH,
        &format!("/v1/customers/me/carts/{}", account_cart.0),
        &s.storefront,
        &session2,
        Some(json!({ "saved_name": "Party" })),
    )
    .await
    .expect(200);
    let guest3 = crate::checkout::cart(&app, &s, s.variant("tee"), 1).await;
    let login3 = app
        .post(
            "/v1/customers/login",
            &s.storefront,
            json!({ "email": email, "password": PASSWORD,
                    "cart": { "cart_id": guest3.0, "token": guest3.1 } }),
        )
        .await
        .expect(200);
    assert_eq!(
        login3["cart_id"],
        guest3.0.as_str(),
        "saved carts are not merged into"
    );
    let carts = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/carts",
        &s.storefront,
        &session2,
        None,
    )
    .await
    .expect(200);
    let items = carts["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{carts}");
    assert!(
        items
            .iter()
            .any(|c| c["saved_name"] == "Party" && c["working"] == false)
    );
    app.stop().await;
}

#[e2e]
async fn wishlists_are_shared_read_only_by_link() {
    let app = TestApp::start().await;
    let s = Shop::stocked(&app, 5).await;
    let me = session(&register(&app, &s.storefront, "wish@shoppers.example").await);
    let list = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/wishlists",
        &s.storefront,
        &me,
        Some(json!({ "name": "Gifts" })),
    )
    .await
    .expect(201);
    let list_id = list["id"].as_str().expect("id").to_owned();
    let products = app.get("/v1/products?limit=10", &s.admin).await.expect(200);
    let product = products["items"][0]["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/customers/me/wishlists/{list_id}/products/{product}");
    as_shopper(&app, Method::PUT, &path, &s.storefront, &me, None)
        .await
        .expect(200);
    let again = as_shopper(&app, Method::PUT, &path, &s.storefront, &me, None)
        .await
        .expect(200);
    assert_eq!(
        again["products"].as_array().map(Vec::len),
        Some(1),
        "added once: {again}"
    );
    as_shopper(
        &app,
        Method::PUT,
        &format!(
            "/v1/customers/me/wishlists/{list_id}/products/{}",
            uuid::Uuid::now_v7()
        ),
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect_problem(422, "product_not_available");
    // A second list holds its own products.
    let second = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/wishlists",
        &s.storefront,
        &me,
        Some(json!({ "name": "Me" })),
    )
    .await
    .expect(201);
    assert_eq!(second["items"], 0);

    let shared = as_shopper(
        &app,
        Method::POST,
        &format!("/v1/customers/me/wishlists/{list_id}/share"),
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    let link = shared["share_token"]
        .as_str()
        .expect("share token")
        .to_owned();
    // Anyone with the brand's key and the link reads it; nothing else.
    let public = app
        .get(&format!("/v1/wishlists/shared/{link}"), &s.storefront)
        .await
        .expect(200);
    assert_eq!(public["name"], "Gifts");
    assert_eq!(public["products"][0]["product_id"], product.as_str());
    assert!(
        public.get("share_token").is_none() && public.get("id").is_none(),
        "{public}"
    );
    let other_tenant = Shop::stocked(&app, 1).await;
    app.get(
        &format!("/v1/wishlists/shared/{link}"),
        &other_tenant.storefront,
    )
    .await
    .expect_problem(404, "wishlist_not_found");
    // Withdrawn: the link stops working.
    as_shopper(
        &app,
        Method::DELETE,
        &format!("/v1/customers/me/wishlists/{list_id}/share"),
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    app.get(&format!("/v1/wishlists/shared/{link}"), &s.storefront)
        .await
        .expect_problem(404, "wishlist_not_found");
    as_shopper(&app, Method::DELETE, &path, &s.storefront, &me, None)
        .await
        .expect(200);
    as_shopper(&app, Method::DELETE, &path, &s.storefront, &me, None)
        .await
        .expect_problem(404, "product_not_on_list");
    app.stop().await;
}

#[e2e]
async fn order_history_filters_and_pages() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 20).await;
    let me = session(&register(&app, &s.storefront, "history@shoppers.example").await);
    let mut placed = Vec::new();
    for token in ["tok_success", "tok_decline", "tok_success"] {
        let c = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
        let o = checkout(
            &app,
            &s,
            &c,
            Some(&unique("k")),
            json!({ "payment_token": token }),
        )
        .await
        .expect(201);
        placed.push(o["id"].as_str().expect("id").to_owned());
    }
    let all = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/orders?limit=2",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    let ids: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        vec![placed[2].as_str(), placed[1].as_str()],
        "newest first"
    );
    let cursor = all["next_cursor"].as_str().expect("more").to_owned();
    let rest = as_shopper(
        &app,
        Method::GET,
        &format!(
            "/v1/customers/me/orders?limit=2&cursor={}",
            urlencode(&cursor)
        ),
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    assert_eq!(rest["items"][0]["id"], placed[0].as_str());
    assert!(rest["next_cursor"].is_null());
    let failed = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/orders?status=payment_failed",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    assert_eq!(failed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(failed["items"][0]["id"], placed[1].as_str());
    let future = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/orders?placed_from=2999-01-01T00:00:00Z",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    assert_eq!(future["items"], json!([]));
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/orders?cursor=garbage",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect_problem(400, "invalid_cursor");
    let detail = as_shopper(
        &app,
        Method::GET,
        &format!("/v1/customers/me/orders/{}", placed[0]),
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    assert_eq!(detail["lines"][0]["sku"], "tee");
    assert_eq!(detail["lines"][0]["quantity"], 1);
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[e2e]
async fn a_customer_exports_and_deletes_its_data() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let view = register(&app, &s.storefront, "leaving@shoppers.example").await;
    let (id, me) = (customer_id(&view), session(&view));
    as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/addresses",
        &s.storefront,
        &me,
        Some(json!({ "name": "Lee", "line1": "9 Elm", "city": "Denver", "postal_code": "80202", "region": "US-CO" })),
    )
    .await
    .expect(201);
    as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/wishlists",
        &s.storefront,
        &me,
        Some(json!({ "name": "Later" })),
    )
    .await
    .expect(201);
    let c = customer_cart(&app, &s, &me, s.variant("tee"), 1).await;
    let order = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);

    let export = as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me/export",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(200);
    assert_eq!(export["customer"]["email"], "leaving@shoppers.example");
    assert_eq!(export["addresses"][0]["city"], "Denver");
    assert_eq!(export["wishlists"][0]["name"], "Later");
    assert_eq!(export["orders"][0]["id"], order["id"]);
    assert_eq!(export["orders"][0]["lines"][0]["sku"], "tee");

    as_shopper(
        &app,
        Method::DELETE,
        "/v1/customers/me",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(204);
    // Signed out, unknown to login, the email free again.
    as_shopper(
        &app,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    app.post(
        "/v1/customers/login",
        &s.storefront,
        json!({ "email": "leaving@shoppers.example", "password": PASSWORD }),
    )
    .await
    .expect_problem(401, "invalid_credentials");
    app.get(&format!("/v1/customers/{id}"), &s.admin)
        .await
        .expect_problem(404, "customer_not_found");
    // The order stays for the accounting, its personal fields cleared.
    let kept = app
        .get(
            &format!("/v1/orders/{}", order["id"].as_str().expect("id")),
            &s.admin,
        )
        .await
        .expect(200);
    assert_eq!(kept["total"], order["total"]);
    let id_uuid: uuid::Uuid = id.parse().expect("uuid");
    let leftovers = app
        .db()
        .tenant_read(&schema(&s), move |conn| {
            async move {
                use diesel_async::RunQueryDsl;
                #[derive(diesel::QueryableByName)]
                struct Row {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                let row: Row = diesel::sql_query(
                    "SELECT (SELECT count(*) FROM customers WHERE id = $1 AND (email IS NOT NULL OR name IS NOT NULL OR password_hash IS NOT NULL)) \
                     + (SELECT count(*) FROM customer_addresses WHERE customer_id = $1) \
                     + (SELECT count(*) FROM wishlists WHERE customer_id = $1) \
                     + (SELECT count(*) FROM customer_sessions WHERE customer_id = $1) \
                     + (SELECT count(*) FROM orders WHERE customer_id = $1 AND contact_email IS NOT NULL) \
                     + (SELECT count(*) FROM carts WHERE customer_id = $1 AND contact_email IS NOT NULL) AS n",
                )
                .bind::<diesel::sql_types::Uuid, _>(id_uuid)
                .get_result(conn)
                .await?;
                Ok(row.n)
            }
            .boxed()
        })
        .await
        .expect("count");
    assert_eq!(leftovers, 0, "no personal data left");
    let erased = events(&app, &s, "customer.deleted").await;
    assert_eq!(
        erased.last().map(|e| e["customer_id"].clone()),
        Some(json!(id))
    );
    app.stop().await;
}

#[e2e]
async fn sessions_hold_across_nodes_and_end_everywhere() {
    let a = TestApp::builder().redis().start().await;
    let s = Shop::stocked(&a, 5).await;
    let b = TestApp::builder()
        .redis()
        .cache_namespace(&a.config.cache_namespace)
        .start()
        .await;
    let me = session(&register(&a, &s.storefront, "nodes@shoppers.example").await);
    for app in [&a, &b] {
        as_shopper(
            app,
            Method::GET,
            "/v1/customers/me",
            &s.storefront,
            &me,
            None,
        )
        .await
        .expect(200);
    }
    // Ended on A: refused on B at once (the shared cache forgot it).
    as_shopper(
        &a,
        Method::DELETE,
        "/v1/customers/me/sessions",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect(204);
    as_shopper(
        &b,
        Method::GET,
        "/v1/customers/me",
        &s.storefront,
        &me,
        None,
    )
    .await
    .expect_problem(401, "invalid_session");
    b.stop().await;
    a.stop().await;
}
