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

        let second = manifest.apply(app.db()).await.expect("second apply");
        assert_eq!(second.len(), first.len());
        assert!(
            second.iter().all(|c| c.action == Action::Unchanged),
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
