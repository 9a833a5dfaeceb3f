//! Vendors in the catalog: onboarding through its states with a history,
//! and each vendor seeing and changing only its own products.

use serde_json::{Value, json};

use super::{product, shop};
use crate::support::{TestApp, e2e};

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
    .expect_problem(422, "unknown_product");
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
