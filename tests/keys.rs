//! API keys: issued once, stored as a hash, bound to a vendor or brand,
//! revoked with immediate effect.

use diesel::QueryableByName;
use diesel::sql_types::{Bytea, Text};
use diesel_async::RunQueryDsl;
use serde_json::json;

use crate::support::{PLATFORM_KEY, TestApp, e2e};

#[e2e]
async fn revocation_takes_effect_on_the_next_request() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let vendor = app.vendor(&t.admin_key, "rv").await;
    let (key_id, secret) = app
        .key(
            &t.admin_key,
            json!({ "name": "erp", "scope": "vendor", "vendor_id": vendor }),
        )
        .await;
    app.get(&format!("/v1/vendors/{vendor}"), &secret)
        .await
        .expect(200);

    let revoked = app
        .post(
            &format!("/v1/keys/{key_id}/revoke"),
            &t.admin_key,
            json!({}),
        )
        .await
        .expect(200);
    assert!(revoked["revoked_at"].is_string());
    app.get(&format!("/v1/vendors/{vendor}"), &secret)
        .await
        .expect_problem(401, "invalid_api_key");

    // Revoking again keeps the first revocation time.
    let again = app
        .post(
            &format!("/v1/keys/{key_id}/revoke"),
            &t.admin_key,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(again["revoked_at"], revoked["revoked_at"]);

    // The listing shows the revocation and never a secret.
    let listed = app.get("/v1/keys", &t.admin_key).await.expect(200);
    let entry = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|k| k["id"] == key_id.as_str())
        .expect("listed")
        .clone();
    assert_eq!(entry["revoked_at"], revoked["revoked_at"]);
    assert!(entry.get("secret").is_none());
    assert!(!listed.to_string().contains(&secret));

    // Another tenant cannot revoke this tenant's keys.
    let other = app.tenant().await;
    let (admin_id, _) = app
        .key(
            &t.admin_key,
            json!({ "name": "second admin", "scope": "tenant_admin" }),
        )
        .await;
    app.post(
        &format!("/v1/keys/{admin_id}/revoke"),
        &other.admin_key,
        json!({}),
    )
    .await
    .expect_problem(404, "key_not_found");
    app.stop().await;
}

#[e2e]
async fn only_a_hash_of_the_secret_is_stored() {
    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = Bytea)]
        secret_hash: Vec<u8>,
        #[diesel(sql_type = Text)]
        display_prefix: String,
    }
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let (key_id, secret) = app
        .key(
            &t.admin_key,
            json!({ "name": "h", "scope": "tenant_admin" }),
        )
        .await;
    let mut conn = app.db().primary().await.expect("conn");
    let stored: Stored = diesel::sql_query(
        "SELECT secret_hash, display_prefix FROM control.api_keys WHERE id = $1::uuid",
    )
    .bind::<Text, _>(&key_id)
    .get_result(&mut *conn)
    .await
    .expect("row");
    assert_eq!(stored.secret_hash.len(), 32, "a SHA-256 digest");
    assert!(
        !stored
            .secret_hash
            .windows(8)
            .any(|w| secret.as_bytes().windows(8).any(|s| s == w))
    );
    assert!(secret.starts_with(&stored.display_prefix));
    assert!(stored.display_prefix.len() < secret.len() / 2);
    app.stop().await;
}

#[e2e]
async fn key_bindings_are_checked() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let vendor = app.vendor(&t.admin_key, "kb").await;
    let brand = app.brand(&t.admin_key, "kb-brand").await;
    let other = app.tenant().await;
    let foreign_vendor = app.vendor(&other.admin_key, "foreign").await;
    let cases = [
        (
            json!({ "name": "x", "scope": "vendor" }),
            "vendor_id_required",
        ),
        (
            json!({ "name": "x", "scope": "storefront" }),
            "brand_id_required",
        ),
        (json!({ "name": "x", "scope": "platform" }), "invalid_scope"),
        (
            json!({ "name": "x", "scope": "tenant_admin", "vendor_id": vendor }),
            "unexpected_binding",
        ),
        (
            json!({ "name": "x", "scope": "vendor", "vendor_id": vendor, "brand_id": brand }),
            "unexpected_binding",
        ),
        (
            json!({ "name": "x", "scope": "vendor", "vendor_id": foreign_vendor }),
            "unknown_vendor",
        ),
        (
            json!({ "name": "x", "scope": "storefront", "brand_id": vendor }),
            "unknown_brand",
        ),
        (
            json!({ "name": " ", "scope": "tenant_admin" }),
            "invalid_name",
        ),
    ];
    for (body, code) in cases {
        app.post("/v1/keys", &t.admin_key, body)
            .await
            .expect_problem(422, code);
    }
    app.post(
        "/v1/keys",
        &t.admin_key,
        json!({ "name": "x", "scope": "owner" }),
    )
    .await
    .expect_problem(422, "invalid_field");
    app.stop().await;
}

#[e2e]
async fn platform_keys_can_be_issued_and_revoked() {
    let app = TestApp::start().await;
    let issued = app
        .post(
            "/v1/platform/keys",
            PLATFORM_KEY,
            json!({ "name": "ops", "scope": "platform" }),
        )
        .await
        .expect(201);
    let secret = issued["secret"].as_str().expect("secret").to_owned();
    let id = issued["key"]["id"].as_str().expect("id").to_owned();
    assert!(secret.starts_with("bz_pl_"));
    assert!(issued["key"]["tenant_id"].is_null());
    app.get("/v1/platform/tenants", &secret).await.expect(200);
    app.post(
        "/v1/platform/keys",
        PLATFORM_KEY,
        json!({ "name": "t", "scope": "tenant_admin" }),
    )
    .await
    .expect_problem(422, "invalid_scope");
    app.post(
        &format!("/v1/platform/keys/{id}/revoke"),
        PLATFORM_KEY,
        json!({}),
    )
    .await
    .expect(200);
    app.get("/v1/platform/tenants", &secret)
        .await
        .expect_problem(401, "invalid_api_key");
    app.stop().await;
}

#[e2e]
async fn whoami_describes_the_calling_key() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let brand = app.brand(&t.admin_key, "who").await;
    let (key_id, sf) = app
        .key(
            &t.admin_key,
            json!({ "name": "web", "scope": "storefront", "brand_id": brand }),
        )
        .await;
    let me = app.get("/v1/whoami", &sf).await.expect(200);
    assert_eq!(me["scope"], "storefront");
    assert_eq!(me["key_id"], key_id.as_str());
    assert_eq!(me["tenant_id"], t.id.as_str());
    assert_eq!(me["tenant_slug"], t.slug.as_str());
    assert_eq!(me["brand_id"], brand.as_str());
    let platform = app.get("/v1/whoami", PLATFORM_KEY).await.expect(200);
    assert_eq!(platform["scope"], "platform");
    assert!(platform["tenant_id"].is_null());
    app.stop().await;
}

#[e2e]
async fn revocation_and_suspension_reach_every_instance_at_once() {
    // Authenticated keys are cached (in Redis here, shared by both
    // instances); a revocation on A must refuse the key on B at once.
    let namespace = crate::support::unique("bazaar-e2e-");
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
    let t = a.tenant().await;
    let (key_id, secret) = a
        .key(
            &t.admin_key,
            json!({ "name": "edge", "scope": "tenant_admin" }),
        )
        .await;
    b.get("/v1/brands", &secret).await.expect(200);
    b.get("/v1/brands", &secret).await.expect(200);
    a.post(
        &format!("/v1/keys/{key_id}/revoke"),
        &t.admin_key,
        json!({}),
    )
    .await
    .expect(200);
    b.get("/v1/brands", &secret)
        .await
        .expect_problem(401, "invalid_api_key");

    b.get("/v1/brands", &t.admin_key).await.expect(200);
    a.post(
        &format!("/v1/platform/tenants/{}/suspend", t.id),
        PLATFORM_KEY,
        json!({ "reason": "r" }),
    )
    .await
    .expect(200);
    b.get("/v1/brands", &t.admin_key)
        .await
        .expect_problem(403, "tenant_suspended");
    a.post(
        &format!("/v1/platform/tenants/{}/resume", t.id),
        PLATFORM_KEY,
        json!({}),
    )
    .await
    .expect(200);
    b.get("/v1/brands", &t.admin_key).await.expect(200);
    a.stop().await;
    b.stop().await;
}
