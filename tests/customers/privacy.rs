//! A customer's own data: exported on request, and deleted with the
//! account (its orders kept for the accounting, their personal fields
//! cleared).

use futures_util::FutureExt;
use reqwest::Method;
use serde_json::json;

use super::{PASSWORD, as_shopper, customer_cart, customer_id, events, register, schema, session};
use crate::checkout::{checkout, open_all_day};
use crate::support::shop::Shop;
use crate::support::{e2e, unique};

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
                .get_result(conn.pg())
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
