//! The catalog: vendors, categories, products, listings, storefront
//! browsing, its cache and stock. This module holds what those share: the
//! catalog shop and product bodies, and creating and browsing listings.

mod browsing;
mod caching;
mod products;
mod stock;
mod vendors;

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::shop::Shop;

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
