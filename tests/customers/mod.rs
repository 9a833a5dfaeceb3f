//! Customers: accounts, sign-in safety and sessions, brand isolation,
//! buying while signed in, loyalty points, and a customer's own data. This
//! module holds what those share: registering and verifying shoppers, their
//! carts and calls, and the tenant's outbox events.

mod accounts;
mod brands;
mod loyalty;
mod privacy;
mod sessions;
mod shopping;

use futures_util::FutureExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::checkout::add_line;
use crate::support::shop::Shop;
use crate::support::{TestApp, unique};

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
