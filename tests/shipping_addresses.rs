//! Where it goes decides the rules: a cart's shipping address (typed in,
//! or one of the signed-in customer's) sets its region to the most
//! specific pack covering the address, whatever region it was opened
//! with; the region then follows the address only; the order keeps the
//! address.

use reqwest::Method;
use serde_json::{Value, json};

use crate::checkout::{cart, checkout, open_all_day};
use crate::customers::{as_shopper, customer_cart, verified_shopper};
use crate::support::shop::Shop;
use crate::support::{Reply, TestApp, e2e, unique};

fn address(country: &str, subdivision: Option<&str>) -> Value {
    json!({ "name": "Sam Shopper", "line1": "1600 Glenarm Pl", "city": "Denver",
            "postal_code": "80202", "country": country, "subdivision": subdivision })
}

async fn ship_to(app: &TestApp, s: &Shop, cart: &(String, String), body: Value) -> Reply {
    app.send_with_headers(
        Method::PUT,
        &format!("/v1/carts/{}/shipping-address", cart.0),
        Some(&s.storefront),
        &[(crate::checkout::opener(&cart.1), &cart.1)],
        Some(body),
    )
    .await
}

async fn patch_region(app: &TestApp, s: &Shop, cart: &(String, String), region: &str) -> Reply {
    app.send_with_headers(
        Method::PATCH,
        &format!("/v1/carts/{}", cart.0),
        Some(&s.storefront),
        &[(crate::checkout::opener(&cart.1), &cart.1)],
        Some(json!({ "region": region })),
    )
    .await
}

#[e2e]
async fn an_address_in_colorado_prices_the_cart_with_us_co_whatever_it_was_opened_with() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let tee = s.variant("tee").to_owned();
    // Opened in California (the brand's default), before any address.
    let c = cart(&app, &s, &tee, 3).await;
    let opened = crate::carts::call(
        &app,
        Method::GET,
        &format!("/v1/carts/{}", c.0),
        &s.storefront,
        &c.1,
        None,
    )
    .await
    .expect(200);
    assert_eq!(opened["region"], "US-CA");
    assert_eq!(opened["priced_for_address"], false, "an estimate");
    assert_eq!(opened["shipping_address"], Value::Null);

    // The same goods in a cart opened in Colorado: what Colorado charges.
    let colorado = cart(&app, &s, &tee, 3).await;
    let co_priced = patch_region(&app, &s, &colorado, "US-CO").await.expect(200);
    assert_ne!(
        co_priced["totals"]["total"], opened["totals"]["total"],
        "the two packs price the goods differently"
    );

    // A Colorado address moves the California cart to US-CO, priced as
    // Colorado prices it.
    let shipped = ship_to(
        &app,
        &s,
        &c,
        json!({ "address": address("us", Some("co")) }),
    )
    .await
    .expect(200);
    assert_eq!(shipped["region"], "US-CO");
    assert_eq!(shipped["priced_for_address"], true);
    assert_eq!(shipped["shipping_address"]["country"], "US");
    assert_eq!(shipped["shipping_address"]["subdivision"], "CO");
    assert_eq!(shipped["region_version"], co_priced["region_version"]);
    assert_eq!(shipped["totals"], co_priced["totals"]);
    // The shopper cannot pick a cheaper region than the destination.
    patch_region(&app, &s, &c, "US-CA")
        .await
        .expect_problem(409, "region_set_by_address");
    patch_region(&app, &s, &c, "US-CO").await.expect(200);

    // Texas has no pack of its own, and the tenant does not sell under
    // the country's: not served, naming what was tried.
    let refused = ship_to(
        &app,
        &s,
        &c,
        json!({ "address": address("US", Some("TX")) }),
    )
    .await
    .expect_problem(422, "address_not_served");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("US-TX, US")),
        "{refused}"
    );
    ship_to(&app, &s, &c, json!({ "address": address("USA", None) }))
        .await
        .expect_problem(422, "invalid_country");
    let mut nameless = address("US", Some("CO"));
    nameless["name"] = json!("  ");
    ship_to(&app, &s, &c, json!({ "address": nameless }))
        .await
        .expect_problem(422, "invalid_name");
    ship_to(&app, &s, &c, json!({}))
        .await
        .expect_problem(400, "address_required");
    ship_to(
        &app,
        &s,
        &c,
        json!({ "customer_address_id": uuid::Uuid::nil() }),
    )
    .await
    .expect_problem(422, "customer_cart_required");
    app.stop().await;
}

#[e2e]
async fn a_saved_address_routes_the_cart_and_the_order_keeps_it() {
    let app = open_all_day().await;
    let s = Shop::stocked(&app, 10).await;
    let tee = s.variant("tee").to_owned();
    let (_, session) = verified_shopper(&app, &s, "1990-01-01").await;
    let saved = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/addresses",
        &s.storefront,
        &session,
        Some(
            json!({ "name": "Sam", "line1": "1 Market St", "city": "San Francisco",
                     "postal_code": "94105", "region": "US-CA", "default_shipping": true }),
        ),
    )
    .await
    .expect(201);
    let c = customer_cart(&app, &s, &session, &tee, 2).await;
    // Someone else's address is not in this customer's book.
    let (_, other) = verified_shopper(&app, &s, "1990-01-01").await;
    let theirs = as_shopper(
        &app,
        Method::POST,
        "/v1/customers/me/addresses",
        &s.storefront,
        &other,
        Some(
            json!({ "name": "Alex", "line1": "2 Elm St", "city": "Boulder",
                     "postal_code": "80301", "region": "US-CO" }),
        ),
    )
    .await
    .expect(201);
    ship_to(&app, &s, &c, json!({ "customer_address_id": theirs["id"] }))
        .await
        .expect_problem(404, "address_not_found");
    let shipped = ship_to(&app, &s, &c, json!({ "customer_address_id": saved["id"] }))
        .await
        .expect(200);
    assert_eq!(shipped["region"], "US-CA");
    assert_eq!(shipped["shipping_address"]["city"], "San Francisco");
    assert_eq!(shipped["shipping_address"]["subdivision"], "CA");

    // The order is placed with the address, and shows it.
    let paid = checkout(
        &app,
        &s,
        &c,
        Some(&unique("k")),
        json!({ "payment_token": "tok_success" }),
    )
    .await
    .expect(201);
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["shipping_address"]["postal_code"], "94105");
    let id = paid["id"].as_str().expect("id");
    let read = app
        .get(&format!("/v1/orders/{id}"), &s.admin)
        .await
        .expect(200);
    assert_eq!(read["shipping_address"], paid["shipping_address"]);
    // Its timeline: placed, then paid.
    let steps: Vec<(&str, &str)> = read["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|t| {
            (
                t["from_status"].as_str().unwrap_or("-"),
                t["to_status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [("-", "pending_payment"), ("pending_payment", "paid")]
    );
    // The vendor sees what to pack and where it goes.
    let parts = app
        .get(
            &format!("/v1/vendor-orders?vendor_id={}", s.vendor()),
            &s.admin,
        )
        .await
        .expect(200);
    let part_id = parts["items"][0]["id"].as_str().expect("part");
    let part = app
        .get(&format!("/v1/vendor-orders/{part_id}"), &s.admin)
        .await
        .expect(200);
    assert_eq!(part["order_id"], paid["id"]);
    assert_eq!(part["lines"][0]["sku"], "tee");
    assert_eq!(part["lines"][0]["quantity"], 2);
    assert_eq!(part["shipping_address"]["city"], "San Francisco");
    assert_eq!(part["region"], "US-CA");
    assert_eq!(part["region_version"], paid["region_version"]);
    assert_eq!(part["timeline"], read["timeline"]);
    app.get(
        &format!("/v1/vendor-orders/{}", uuid::Uuid::nil()),
        &s.admin,
    )
    .await
    .expect_problem(404, "vendor_order_not_found");
    app.stop().await;
}
