//! A signed-in shopper's buying: age verification at checkout, the guest
//! cart merged into the account's at login, wishlists shared by link, and
//! order history.

use reqwest::Method;
use serde_json::json;

use super::{PASSWORD, as_shopper, customer_cart, register, session, verified_shopper};
use crate::checkout::{add_line, checkout, open_all_day};
use crate::support::shop::Shop;
use crate::support::{TestApp, e2e, unique};

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
    let removed = as_shopper(&app, Method::DELETE, &path, &s.storefront, &me, None)
        .await
        .expect(200);
    // Removing it again (a retry whose answer was lost) changes nothing.
    let again = as_shopper(&app, Method::DELETE, &path, &s.storefront, &me, None)
        .await
        .expect(200);
    assert_eq!(again, removed);
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
