//! `tenant apply`: declarative and idempotent.

use std::path::Path;

use bazaar::manifest::{Action, Manifest};

use crate::support::{TestApp, e2e, unique};

fn shipped(name: &str, slug: &str) -> Manifest {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tenants")
        .join(name);
    let mut manifest = Manifest::load(&path).expect("shipped manifest is valid");
    // Each run applies under its own slug so reruns never meet old data.
    manifest.tenant.slug = slug.to_owned();
    manifest
}

#[e2e]
async fn shipped_manifests_apply_and_reapply_as_no_ops() {
    let app = TestApp::start().await;
    for file in ["greenleaf.yaml", "northwind.yaml"] {
        let manifest = shipped(file, &unique("m"));
        manifest
            .check_regions(&app.state.regions.current())
            .expect("every region the manifests name has a pack");
        let first = manifest.apply(app.db()).await.expect("first apply");
        assert_eq!(
            first.len(),
            1 + manifest.brands.len() + manifest.vendors.len()
        );
        assert!(
            first.iter().all(|c| c.action == Action::Created),
            "{first:?}"
        );

        // The tenant, each brand and each vendor got a key, shown once.
        assert!(first.iter().all(|c| c.key.is_some()), "{first:?}");

        let second = manifest.apply(app.db()).await.expect("second apply");
        assert_eq!(second.len(), first.len());
        assert!(
            second
                .iter()
                .all(|c| c.action == Action::Unchanged && c.key.is_none()),
            "applying twice changes nothing: {second:?}"
        );

        // What was applied is what the API shows.
        let tenant = bazaar_store::control::tenants::find_by_slug(app.db(), &manifest.tenant.slug)
            .await
            .expect("lookup")
            .expect("tenant exists");
        assert_eq!(tenant.regions, manifest.tenant.regions);
    }
    app.stop().await;
}

#[e2e]
async fn a_changed_manifest_updates_only_what_changed() {
    let app = TestApp::start().await;
    let slug = unique("m");
    let mut manifest = shipped("greenleaf.yaml", &slug);
    manifest.apply(app.db()).await.expect("apply");

    manifest.brands[1].name = "Greenleaf SF (Mission)".to_owned();
    manifest.vendors[3].status = "approved".to_owned();
    let mut extra = manifest.vendors[0].clone();
    extra.slug = "new-dispensary".to_owned();
    manifest.vendors.push(extra);

    let changes = manifest.apply(app.db()).await.expect("reapply");
    let changed: Vec<String> = changes
        .iter()
        .filter(|c| c.action != Action::Unchanged)
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        changed,
        [
            "brand greenleaf-sf: updated",
            "vendor rocky-mountain-botanicals: updated",
            "vendor new-dispensary: created"
        ]
    );
    let tenant = bazaar_store::control::tenants::find_by_slug(app.db(), &slug)
        .await
        .expect("lookup")
        .expect("exists");
    let schema = tenant.schema().expect("schema");
    let brand = app
        .db()
        .tenant_read(&schema, |conn| {
            use futures_util::FutureExt;
            async move { bazaar_store::tenant::brands::find_by_slug(conn, "greenleaf-sf").await }
                .boxed()
        })
        .await
        .expect("read")
        .expect("brand");
    assert_eq!(brand.name, "Greenleaf SF (Mission)");
    app.stop().await;
}

#[e2e]
async fn applied_keys_work_and_a_revoked_one_is_reissued() {
    let app = TestApp::start().await;
    let manifest = shipped("greenleaf.yaml", &unique("m"));
    let first = manifest.apply(app.db()).await.expect("apply");
    let key_of = |kind: &str, slug: &str| {
        first
            .iter()
            .find(|c| c.kind == kind && c.slug == slug)
            .and_then(|c| c.key.clone())
            .unwrap_or_else(|| panic!("{kind} {slug} has a key: {first:?}"))
            .secret
    };

    // Each key is what it says: the admin's sees the tenant, the brand's
    // is that brand's storefront, the vendor's acts for that vendor.
    let admin = app
        .get("/v1/whoami", &key_of("tenant", &manifest.tenant.slug))
        .await;
    assert_eq!(admin.status, 200, "{}", admin.body);
    assert_eq!(admin.body["scope"], "tenant_admin");
    assert_eq!(admin.body["tenant_slug"], manifest.tenant.slug.as_str());
    let storefront = app
        .get("/v1/whoami", &key_of("brand", "greenleaf-la"))
        .await;
    assert_eq!(
        storefront.body["scope"], "storefront",
        "{}",
        storefront.body
    );
    let brand = app
        .get(
            &format!(
                "/v1/brands/{}",
                storefront.body["brand_id"].as_str().expect("brand id")
            ),
            &key_of("tenant", &manifest.tenant.slug),
        )
        .await;
    assert_eq!(brand.body["slug"], "greenleaf-la");
    let vendor = app
        .get("/v1/whoami", &key_of("vendor", "sunset-dispensary"))
        .await;
    assert_eq!(vendor.body["scope"], "vendor", "{}", vendor.body);

    // A brand whose storefront key was revoked gets a new one on the next
    // apply, and nothing else does.
    let key_id = storefront.body["key_id"]
        .as_str()
        .expect("key id")
        .to_owned();
    app.post(
        &format!("/v1/keys/{key_id}/revoke"),
        &key_of("tenant", &manifest.tenant.slug),
        serde_json::json!({}),
    )
    .await
    .expect(200);
    let again = manifest.apply(app.db()).await.expect("reapply");
    let issued: Vec<(&str, &str)> = again
        .iter()
        .filter(|c| c.key.is_some())
        .map(|c| (c.kind, c.slug.as_str()))
        .collect();
    assert_eq!(issued, [("brand", "greenleaf-la")]);
    app.stop().await;
}
