//! The catalog's read cache: invalidated across instances by writes, and
//! bypassed for the database when Redis is down.

use serde_json::json;

use super::{browse, create_and_list, product, shop};
use crate::support::{TestApp, e2e, unique};

#[e2e]
async fn cache_is_invalidated_across_instances() {
    let namespace = unique("bazaar-e2e-");
    let a = TestApp::builder()
        .redis()
        .cache_namespace(&namespace)
        .start()
        .await;
    let b = TestApp::builder()
        .redis()
        .cache_namespace(&namespace)
        .start()
        .await;
    let s = shop(&a).await;
    let id = create_and_list(&a, &s, product("lamp", None, &["40.00"], json!({}))).await;
    let sf = s.storefront.as_str();

    let first = b.get("/v1/storefront/products", sf).await.expect(200);
    assert_eq!(first["items"][0]["price"], "40.00");
    let detail = b
        .get(&format!("/v1/storefront/products/{id}"), sf)
        .await
        .expect(200);
    assert_eq!(detail["title"], "Title lamp");
    // The page is now cached on B: prove reads come from the cache by
    // changing the database behind the API's back.
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", s.slug)).expect("schema");
    b.db()
        .tenant_tx(&schema, |conn| {
            use futures_util::FutureExt;
            async move {
                diesel_async::SimpleAsyncConnection::batch_execute(
                    conn.pg(),
                    "UPDATE products SET title = 'Sneaky'",
                )
                .await?;
                Ok(())
            }
            .boxed()
        })
        .await
        .expect("sneak");
    let cached = b
        .get(&format!("/v1/storefront/products/{id}"), sf)
        .await
        .expect(200);
    assert_eq!(cached["title"], "Title lamp", "served from the cache");

    // A write through A invalidates B's cached pages on B's next read.
    let p = a
        .get(&format!("/v1/products/{id}"), s.vendor_key())
        .await
        .expect(200);
    let vid = p["variants"][0]["id"].as_str().expect("vid");
    a.patch(
        &format!("/v1/products/{id}/variants/{vid}"),
        s.vendor_key(),
        json!({ "price": "35.00" }),
    )
    .await
    .expect(200);
    let after = b.get("/v1/storefront/products", sf).await.expect(200);
    assert_eq!(after["items"][0]["price"], "35.00");
    let detail = b
        .get(&format!("/v1/storefront/products/{id}"), sf)
        .await
        .expect(200);
    assert_eq!(
        detail["title"], "Sneaky",
        "the new version reads the database again"
    );
    a.stop().await;
    b.stop().await;
}

#[e2e]
async fn reads_fall_back_to_the_database_when_redis_is_down() {
    let app = TestApp::builder()
        .redis_url("redis://127.0.0.1:1")
        .start()
        .await;
    let s = shop(&app).await;
    let id = create_and_list(&app, &s, product("sturdy", None, &["12.00"], json!({}))).await;
    let sf = s.storefront.as_str();
    assert_eq!(browse(&app, sf, "").await, ["sturdy"]);
    app.get(&format!("/v1/storefront/products/{id}"), sf)
        .await
        .expect(200);
    let p = app
        .get(&format!("/v1/products/{id}"), s.vendor_key())
        .await
        .expect(200);
    let vid = p["variants"][0]["id"].as_str().expect("vid");
    app.patch(
        &format!("/v1/products/{id}/variants/{vid}"),
        s.vendor_key(),
        json!({ "price": "11.00" }),
    )
    .await
    .expect(200);
    let page = app.get("/v1/storefront/products", sf).await.expect(200);
    assert_eq!(page["items"][0]["price"], "11.00");
    app.stop().await;
}
