//! Tenant, vendor and brand isolation: what each kind of key can see and
//! change.

use serde_json::json;

use crate::support::{PLATFORM_KEY, TestApp, e2e};

#[e2e]
async fn another_tenants_brand_is_not_found() {
    let app = TestApp::start().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    let b_brand = app.brand(&b.admin_key, "b-only").await;
    let a_brand = app.brand(&a.admin_key, "a-only").await;

    let refused = app
        .get(&format!("/v1/brands/{b_brand}"), &a.admin_key)
        .await
        .expect_problem(404, "brand_not_found");
    assert!(
        !refused.to_string().contains("b-only"),
        "no trace of B's data: {refused}"
    );
    app.patch(
        &format!("/v1/brands/{b_brand}"),
        &a.admin_key,
        json!({ "name": "stolen" }),
    )
    .await
    .expect_problem(404, "brand_not_found");

    let a_list = app.get("/v1/brands", &a.admin_key).await.expect(200);
    let ids: Vec<&str> = a_list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|b| b["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [a_brand.as_str()]);

    // B's brand is untouched and the same slug is free in A (schemas are separate).
    let b_view = app
        .get(&format!("/v1/brands/{b_brand}"), &b.admin_key)
        .await
        .expect(200);
    assert_eq!(b_view["name"], "Brand b-only");
    app.brand(&a.admin_key, "b-only").await;
    app.stop().await;
}

#[e2e]
async fn vendor_key_cannot_change_another_vendor_or_any_brand() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let mine = app.vendor(&t.admin_key, "mine").await;
    let theirs = app.vendor(&t.admin_key, "theirs").await;
    let brand = app.brand(&t.admin_key, "shop").await;
    let (_, vendor_key) = app
        .key(
            &t.admin_key,
            json!({ "name": "v", "scope": "vendor", "vendor_id": mine }),
        )
        .await;

    let own = app
        .patch(
            &format!("/v1/vendors/{mine}"),
            &vendor_key,
            json!({ "name": "Mine Renamed" }),
        )
        .await
        .expect(200);
    assert_eq!(own["name"], "Mine Renamed");

    app.patch(
        &format!("/v1/vendors/{theirs}"),
        &vendor_key,
        json!({ "name": "hijacked" }),
    )
    .await
    .expect_problem(404, "vendor_not_found");
    app.get(&format!("/v1/vendors/{theirs}"), &vendor_key)
        .await
        .expect_problem(404, "vendor_not_found");
    let listed = app.get("/v1/vendors", &vendor_key).await.expect(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["items"][0]["id"], mine.as_str());

    app.post(
        &format!("/v1/vendors/{mine}/suspend"),
        &vendor_key,
        json!({ "reason": "self" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    app.patch(
        &format!("/v1/vendors/{mine}"),
        &vendor_key,
        json!({ "slug": "renamed" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    app.post(
        "/v1/vendors",
        &vendor_key,
        json!({ "slug": "new-v", "name": "N", "contact_email": "n@x.example" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    app.patch(
        &format!("/v1/brands/{brand}"),
        &vendor_key,
        json!({ "name": "x" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    app.post(
        "/v1/brands",
        &vendor_key,
        json!({ "slug": "vb", "name": "x", "currency": "USD" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    app.post(
        "/v1/keys",
        &vendor_key,
        json!({ "name": "x", "scope": "tenant_admin" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");

    let theirs_after = app
        .get(&format!("/v1/vendors/{theirs}"), &t.admin_key)
        .await
        .expect(200);
    assert_eq!(theirs_after["name"], "Vendor theirs");
    let brand_after = app
        .get(&format!("/v1/brands/{brand}"), &t.admin_key)
        .await
        .expect(200);
    assert_eq!(brand_after["name"], "Brand shop");
    // Vendors may read brands (they list products into them).
    app.get(&format!("/v1/brands/{brand}"), &vendor_key)
        .await
        .expect(200);
    app.stop().await;
}

#[e2e]
async fn storefront_key_reads_its_brand_and_cannot_write() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let own = app.brand(&t.admin_key, "front").await;
    let other = app.brand(&t.admin_key, "other-front").await;
    let (_, sf) = app
        .key(
            &t.admin_key,
            json!({ "name": "web", "scope": "storefront", "brand_id": own }),
        )
        .await;
    assert!(sf.starts_with("bz_sf_"));

    app.get(&format!("/v1/brands/{own}"), &sf).await.expect(200);
    app.get(&format!("/v1/brands/{other}"), &sf)
        .await
        .expect_problem(404, "brand_not_found");
    let listed = app.get("/v1/brands", &sf).await.expect(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["items"][0]["id"], own.as_str());

    app.post(
        "/v1/brands",
        &sf,
        json!({ "slug": "sfb", "name": "x", "currency": "USD" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    app.patch(
        &format!("/v1/brands/{own}"),
        &sf,
        json!({ "name": "defaced" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    app.get("/v1/vendors", &sf)
        .await
        .expect_problem(403, "insufficient_scope");
    app.post(
        "/v1/vendors",
        &sf,
        json!({ "slug": "sv", "name": "x", "contact_email": "a@b.example" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    app.post(
        "/v1/keys",
        &sf,
        json!({ "name": "x", "scope": "tenant_admin" }),
    )
    .await
    .expect_problem(403, "insufficient_scope");
    let still = app
        .get(&format!("/v1/brands/{own}"), &t.admin_key)
        .await
        .expect(200);
    assert_eq!(still["name"], "Brand front");
    app.stop().await;
}

#[e2e]
async fn platform_and_tenant_keys_stay_in_their_lanes() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    app.get("/v1/brands", PLATFORM_KEY)
        .await
        .expect_problem(403, "tenant_key_required");
    app.get("/v1/platform/tenants", &t.admin_key)
        .await
        .expect_problem(403, "platform_key_required");
    app.post(
        &format!("/v1/platform/tenants/{}/suspend", t.id),
        &t.admin_key,
        json!({}),
    )
    .await
    .expect_problem(403, "platform_key_required");
    app.stop().await;
}
