//! `bazaar serve --demo`: the demo tenant is seeded once from its catalog
//! file, and every start hands the page fresh keys, revoking the last ones.

use std::path::Path;

use bazaar::demo;

use crate::support::{TestApp, e2e};

#[e2e]
async fn the_demo_seeds_once_and_reissues_its_keys() {
    let app = TestApp::start().await;
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/demo/greenleaf.yaml");
    let listed = demo::DemoCatalog::load(&catalog).expect("the shipped demo catalog is valid");

    let first = demo::prepare(&app.state, app.db(), &catalog)
        .await
        .expect("first start");
    assert_eq!(first.tenant, "Greenleaf Delivery");
    let storefront = &first.storefronts[0];
    assert_eq!(
        (storefront.name.as_str(), storefront.region.as_str()),
        ("Greenleaf Los Angeles", "US-CA")
    );
    let page = app
        .get(
            "/v1/storefront/products?limit=100",
            &storefront.publishable_key,
        )
        .await
        .expect(200);
    let items = page["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        listed.products.len(),
        "every demo product is listed"
    );
    assert_eq!(
        items.iter().filter(|i| i["in_stock"] == true).count(),
        listed.products.iter().filter(|p| p.stock > 0).count(),
        "stock as the file says"
    );
    let vendor_names: Vec<&str> = first.vendors.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(vendor_names, ["Sunset Dispensary", "Golden Gate Greens"]);
    let me = app
        .get("/v1/whoami", &first.vendors[0].key)
        .await
        .expect(200);
    assert_eq!(me["scope"], "vendor");
    let checker = app
        .get("/v1/whoami", &first.age_checker.key)
        .await
        .expect(200);
    assert_eq!(checker["scope"], "tenant_admin");

    // A second start does not seed again, and the first start's keys stop
    // working (they were handed to a page).
    let second = demo::prepare(&app.state, app.db(), &catalog)
        .await
        .expect("second start");
    for old in [
        &first.storefronts[0].publishable_key,
        &first.vendors[0].key,
        &first.age_checker.key,
    ] {
        app.get("/v1/whoami", old)
            .await
            .expect_problem(401, "invalid_api_key");
    }
    let again = app
        .get(
            "/v1/storefront/products?limit=100",
            &second.storefronts[0].publishable_key,
        )
        .await
        .expect(200);
    assert_eq!(
        again["items"].as_array().map(Vec::len),
        Some(listed.products.len())
    );
    app.stop().await;
}
