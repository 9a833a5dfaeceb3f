//! `bazaar serve --demo`: a sandbox storefront served from the binary.
//!
//! Before serving, the demo applies a tenant manifest and seeds its
//! catalog from a demo file (`tenants/demo/greenleaf.yaml` by default)
//! through the same use cases the API calls, then issues fresh keys for
//! the page: a publishable key for the storefront, a key per vendor for its
//! back office, and a tenant admin key that stands in for an ID-check
//! provider. Keys from an earlier demo start are revoked first. The page
//! (the built `demo/dist/`, embedded) is served at `/demo/` with those keys
//! at `/demo/config.json`: a local sandbox only, since a real storefront
//! never holds a vendor's or an admin's secret.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use bazaar_commerce::catalog::products::{self, ProductDraft, Status};
use bazaar_commerce::catalog::variants::VariantDraft;
use bazaar_commerce::catalog::{categories, listings};
use bazaar_commerce::inventory::stock::{self, ManualMovement, StockChange};
use bazaar_commerce::inventory::warehouses::{self, NewWarehouse};
use bazaar_commerce::keys::{Caller, KeyRequest, authenticate};
use bazaar_commerce::{Failure, Services, TenantKey, shipping};
use bazaar_domain::Scope;
use bazaar_store::Db;
use bazaar_store::control::keys;
use bazaar_store::control::tenants::find_by_slug;
use bazaar_store::page::PageRequest;
use poem::endpoint::make_sync;
use poem::web::Redirect;
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::manifest::Manifest;

/// Keys the demo issues are named with this prefix, so the next start can
/// revoke them.
const KEY_PREFIX: &str = "demo: ";

/// The demo catalog file (see `tenants/demo/greenleaf.yaml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoCatalog {
    /// The tenant manifest, relative to this file.
    pub manifest: PathBuf,
    /// The slug of the brand the demo shops in.
    pub storefront: String,
    pub categories: Vec<DemoCategory>,
    pub vendors: Vec<DemoVendor>,
    pub products: Vec<DemoProduct>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoCategory {
    pub slug: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoVendor {
    pub slug: String,
    pub warehouse: DemoWarehouse,
    pub shipping: DemoShipping,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoWarehouse {
    pub code: String,
    pub name: String,
    pub region: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoShipping {
    pub region: String,
    pub flat: Decimal,
    pub free_over: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoProduct {
    pub vendor: String,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub category: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    pub tax_category: String,
    /// Units received per variant (0: shown out of stock).
    pub stock: i32,
    pub variants: Vec<DemoVariant>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoVariant {
    pub sku: String,
    pub title: String,
    pub price: Decimal,
    pub weight_grams: Option<Decimal>,
}

/// What `GET /demo/config.json` answers (the page's `DemoConfig`).
#[derive(Debug, Clone, Serialize)]
pub struct DemoConfig {
    pub tenant: String,
    pub storefronts: Vec<ConfigStorefront>,
    pub vendors: Vec<ConfigVendor>,
    pub age_checker: ConfigAgeChecker,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigStorefront {
    pub brand_id: Uuid,
    pub name: String,
    pub region: String,
    pub publishable_key: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigVendor {
    pub vendor_id: Uuid,
    pub name: String,
    pub key: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigAgeChecker {
    pub name: String,
    pub key: String,
}

impl DemoCatalog {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the demo catalog {}", path.display()))?;
        serde_yaml::from_str(&text).with_context(|| format!("{} is invalid", path.display()))
    }
}

/// Make the demo tenant ready (manifest applied, catalog seeded once) and
/// issue the page's keys.
pub async fn prepare(services: &Services, db: &Db, path: &Path) -> anyhow::Result<DemoConfig> {
    let catalog = DemoCatalog::load(path)?;
    let manifest_path = path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(&catalog.manifest);
    let manifest = Manifest::load(&manifest_path)?;
    manifest.check_regions(&services.regions.current())?;
    manifest.apply(db).await?;
    let tenant = find_by_slug(db, &manifest.tenant.slug)
        .await?
        .context("the demo tenant was just applied")?;

    revoke_earlier_keys(services, db, tenant.id).await?;
    let admin_secret = issue(
        services,
        tenant.id,
        Scope::TenantAdmin,
        None,
        None,
        "ID check",
    )
    .await?;
    let admin = tenant_key(services, &admin_secret).await?;

    let brand = bazaar_commerce::brands::list(
        services,
        &admin,
        PageRequest {
            after: None,
            limit: 200,
        },
    )
    .await
    .map_err(|f| failed("listing brands", f))?
    .items
    .into_iter()
    .find(|b| b.slug == catalog.storefront)
    .with_context(|| format!("the manifest has no brand `{}`", catalog.storefront))?;
    let vendors = bazaar_commerce::vendors::list(
        services,
        &admin,
        None,
        PageRequest {
            after: None,
            limit: 200,
        },
    )
    .await
    .map_err(|f| failed("listing vendors", f))?
    .items;
    let vendor_id = |slug: &str| {
        vendors
            .iter()
            .find(|v| v.slug == slug)
            .map(|v| (v.id, v.name.clone()))
            .with_context(|| format!("the manifest has no vendor `{slug}`"))
    };

    let existing = categories::all(services, &admin)
        .await
        .map_err(|f| failed("reading categories", f))?;
    if existing.is_empty() {
        seed(services, &admin, &catalog, brand.id, &vendor_id).await?;
        tracing::info!(products = catalog.products.len(), "demo catalog seeded");
    }

    let publishable = issue(
        services,
        tenant.id,
        Scope::Storefront,
        None,
        Some(brand.id),
        &brand.slug,
    )
    .await?;
    let mut config_vendors = Vec::new();
    for vendor in &catalog.vendors {
        let (id, name) = vendor_id(&vendor.slug)?;
        let key = issue(
            services,
            tenant.id,
            Scope::Vendor,
            Some(id),
            None,
            &vendor.slug,
        )
        .await?;
        config_vendors.push(ConfigVendor {
            vendor_id: id,
            name,
            key,
        });
    }
    Ok(DemoConfig {
        tenant: tenant.name,
        storefronts: vec![ConfigStorefront {
            brand_id: brand.id,
            name: brand.name,
            region: brand
                .default_region
                .unwrap_or_else(|| manifest.tenant.regions[0].clone()),
            publishable_key: publishable,
        }],
        vendors: config_vendors,
        age_checker: ConfigAgeChecker {
            name: "Sandbox ID check".into(),
            key: admin_secret,
        },
    })
}

/// The catalog: categories, each vendor's warehouse and shipping rate,
/// products listed in the storefront with their stock.
async fn seed(
    services: &Services,
    admin: &TenantKey,
    catalog: &DemoCatalog,
    brand_id: Uuid,
    vendor_id: &(dyn Fn(&str) -> anyhow::Result<(Uuid, String)> + Sync),
) -> anyhow::Result<()> {
    let mut category_ids: BTreeMap<&str, Uuid> = BTreeMap::new();
    for c in &catalog.categories {
        let parent = match &c.parent {
            Some(p) => Some(
                *category_ids
                    .get(p.as_str())
                    .with_context(|| format!("category `{}`: parent `{p}` comes later", c.slug))?,
            ),
            None => None,
        };
        let made = categories::create(services, admin, parent, &c.slug, &c.name)
            .await
            .map_err(|f| failed(&format!("creating category {}", c.slug), f))?;
        category_ids.insert(&c.slug, made.id);
    }
    let mut warehouse_ids: BTreeMap<&str, Uuid> = BTreeMap::new();
    for v in &catalog.vendors {
        let (id, _) = vendor_id(&v.slug)?;
        let warehouse = warehouses::create(
            services,
            admin,
            NewWarehouse {
                vendor_id: Some(id),
                code: v.warehouse.code.clone(),
                name: v.warehouse.name.clone(),
                region: v.warehouse.region.clone(),
                address: String::new(),
            },
        )
        .await
        .map_err(|f| failed(&format!("creating {}'s warehouse", v.slug), f))?;
        warehouse_ids.insert(&v.slug, warehouse.id);
        shipping::set(
            services,
            admin,
            shipping::NewRate {
                vendor_id: Some(id),
                region: v.shipping.region.clone(),
                currency: "USD".into(),
                flat: v.shipping.flat,
                per_item: None,
                free_over: v.shipping.free_over,
            },
        )
        .await
        .map_err(|f| failed(&format!("setting {}'s shipping rate", v.slug), f))?;
    }
    for p in &catalog.products {
        let (vendor, _) = vendor_id(&p.vendor)?;
        let category = *category_ids
            .get(p.category.as_str())
            .with_context(|| format!("product `{}`: no category `{}`", p.slug, p.category))?;
        let warehouse = *warehouse_ids.get(p.vendor.as_str()).with_context(|| {
            format!(
                "product `{}`: vendor `{}` has no warehouse",
                p.slug, p.vendor
            )
        })?;
        let made = products::create(
            services,
            admin,
            ProductDraft {
                vendor_id: Some(vendor),
                category_id: Some(category),
                slug: p.slug.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
                attributes: p
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect(),
                images: Vec::new(),
                status: Some(Status::Active),
                variants: p
                    .variants
                    .iter()
                    .map(|v| VariantDraft {
                        sku: v.sku.clone(),
                        title: Some(v.title.clone()),
                        options: BTreeMap::new(),
                        price: v.price,
                        currency: "USD".into(),
                        compare_at_price: None,
                        weight_grams: v.weight_grams,
                        tax_category: Some(p.tax_category.clone()),
                        age_restricted: false,
                        backorder_limit: 0,
                        low_stock_threshold: None,
                    })
                    .collect(),
            },
        )
        .await
        .map_err(|f| failed(&format!("creating product {}", p.slug), f))?;
        listings::create(
            services,
            admin,
            listings::NewListing {
                brand_id,
                product_id: made.product.id,
                price_override: None,
            },
        )
        .await
        .map_err(|f| failed(&format!("listing product {}", p.slug), f))?;
        if p.stock > 0 {
            for variant in &made.variants {
                stock::record(
                    services,
                    admin,
                    StockChange {
                        variant_id: variant.id,
                        warehouse_id: warehouse,
                        kind: ManualMovement::Receive,
                        quantity: p.stock,
                        reference: Some("demo seed".into()),
                    },
                )
                .await
                .map_err(|f| failed(&format!("receiving stock of {}", variant.sku), f))?;
            }
        }
    }
    Ok(())
}

/// Revoke every key an earlier demo start issued in the tenant.
async fn revoke_earlier_keys(services: &Services, db: &Db, tenant_id: Uuid) -> anyhow::Result<()> {
    let mut page = PageRequest {
        after: None,
        limit: 200,
    };
    loop {
        let keys_page = keys::list(db, Some(tenant_id), page).await?;
        for key in &keys_page.items {
            if key.name.starts_with(KEY_PREFIX) && key.revoked_at.is_none() {
                // Through the use case: it also drops the key from every
                // node's authentication cache (Redis outlives a restart).
                bazaar_commerce::keys::revoke_for_tenant(services, tenant_id, key.id)
                    .await
                    .map_err(|f| failed("revoking an earlier demo key", f))?;
            }
        }
        match keys_page.next_after {
            Some(after) => {
                page = PageRequest {
                    after: Some(after),
                    limit: 200,
                }
            }
            None => return Ok(()),
        }
    }
}

async fn issue(
    services: &Services,
    tenant_id: Uuid,
    scope: Scope,
    vendor_id: Option<Uuid>,
    brand_id: Option<Uuid>,
    label: &str,
) -> anyhow::Result<String> {
    let issued = bazaar_commerce::keys::issue_for_tenant(
        services,
        tenant_id,
        KeyRequest {
            name: format!("{KEY_PREFIX}{label}"),
            scope,
            vendor_id,
            brand_id,
        },
    )
    .await
    .map_err(|f| failed(&format!("issuing the {} key", scope.as_str()), f))?;
    Ok(issued.secret)
}

/// The use cases' view of a key the demo just issued.
async fn tenant_key(services: &Services, secret: &str) -> anyhow::Result<TenantKey> {
    match authenticate(services, secret).await {
        Ok(Caller::Tenant(key)) => Ok(key),
        Ok(Caller::Platform) => bail!("the demo's admin key authenticated as the platform"),
        Err(f) => Err(failed("authenticating the demo's admin key", f)),
    }
}

fn failed<R: Display>(what: &str, failure: Failure<R>) -> anyhow::Error {
    match failure {
        Failure::Refused(r) => anyhow!("demo: {what} was refused: {r}"),
        Failure::Store(e) => anyhow!("demo: {what}: {e}"),
        Failure::Internal(cause) => anyhow!("demo: {what}: {cause}"),
    }
}

const INDEX_HTML: &str = include_str!("../../../demo/dist/index.html");
const APP_JS: &str = include_str!("../../../demo/dist/app.js");
const APP_CSS: &str = include_str!("../../../demo/dist/app.css");

fn asset(content_type: &'static str, body: &'static str) -> impl Endpoint {
    make_sync(move |_| {
        Response::builder()
            .content_type(content_type)
            .header("Cache-Control", "no-cache")
            .body(body)
    })
}

/// The demo page at `/demo/` (nest it at `/demo`), its assets and its
/// config.
pub fn routes(config: DemoConfig) -> impl Endpoint {
    let config = serde_json::to_string(&config).expect("the demo config serializes");
    Route::new()
        .at(
            "/",
            make_sync(|req| {
                // `/demo` without its slash: the page's relative asset
                // paths need it.
                if !req.original_uri().path().ends_with('/') {
                    return Redirect::permanent("/demo/").into_response();
                }
                Response::builder()
                    .content_type("text/html; charset=utf-8")
                    .header("Cache-Control", "no-cache")
                    .body(INDEX_HTML)
            }),
        )
        .at("/app.js", asset("text/javascript; charset=utf-8", APP_JS))
        .at("/app.css", asset("text/css; charset=utf-8", APP_CSS))
        .at(
            "/config.json",
            make_sync(move |_| {
                Response::builder()
                    .content_type("application/json")
                    .header("Cache-Control", "no-store")
                    .body(config.clone())
            }),
        )
        .map_to_response()
}
