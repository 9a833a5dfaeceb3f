//! One builder for the world a test shops in: a tenant with its brands (each
//! with a storefront key), a vendor, single-variant products listed in the
//! first brand, a warehouse and stock.
//!
//! ```ignore
//! let s = Shop::builder(&app)
//!     .brand("shop")
//!     .vendor("seller")
//!     .product(Product::new("tee", "30.00"))
//!     .warehouse("W1", "US-CA")
//!     .stock(10)
//!     .build()
//!     .await;
//! cart(&app, &s, s.variant("tee"), 1).await;
//! ```
//!
//! Everything is created through the API with the tenant admin key, in this
//! order: tenant, brands, vendor, products (each listed as it is made),
//! warehouse, stock, storefront keys.

use serde_json::json;

use super::TestApp;

/// A single-variant product of the shop's vendor; its slug is also its SKU
/// and its title.
pub struct Product {
    slug: String,
    price: String,
    tax_category: String,
    weight_grams: Option<String>,
    listed: bool,
}

impl Product {
    /// A `general` product listed in the shop's first brand.
    pub fn new(slug: &str, price: &str) -> Self {
        Product {
            slug: slug.to_owned(),
            price: price.to_owned(),
            tax_category: "general".to_owned(),
            weight_grams: None,
            listed: true,
        }
    }

    pub fn tax_category(mut self, category: &str) -> Self {
        self.tax_category = category.to_owned();
        self
    }

    pub fn weight_grams(mut self, grams: &str) -> Self {
        self.weight_grams = Some(grams.to_owned());
        self
    }

    /// Made but listed in no brand.
    pub fn unlisted(mut self) -> Self {
        self.listed = false;
        self
    }
}

enum Vendor {
    /// Created directly by the tenant admin.
    Created(String),
    /// Applied for and approved, which issues the vendor's own key.
    Approved(String),
}

/// How a [`Shop`] is set up; see the module's example.
pub struct ShopBuilder<'a> {
    app: &'a TestApp,
    brands: Vec<String>,
    vendor: Option<Vendor>,
    products: Vec<Product>,
    warehouse: Option<(String, String)>,
    stock: Option<i32>,
}

impl<'a> ShopBuilder<'a> {
    /// A brand and a storefront key for it; the first brand is the shop's
    /// own ([`Shop::brand`], [`Shop::storefront`]).
    pub fn brand(mut self, slug: &str) -> Self {
        self.brands.push(slug.to_owned());
        self
    }

    /// A vendor the tenant admin creates.
    pub fn vendor(mut self, slug: &str) -> Self {
        self.vendor = Some(Vendor::Created(slug.to_owned()));
        self
    }

    /// A vendor that applies and is approved, with its own key
    /// ([`Shop::vendor_key`]).
    pub fn approved_vendor(mut self, slug: &str) -> Self {
        self.vendor = Some(Vendor::Approved(slug.to_owned()));
        self
    }

    /// A product of the vendor.
    pub fn product(mut self, product: Product) -> Self {
        self.products.push(product);
        self
    }

    /// A warehouse of the vendor in `region`.
    pub fn warehouse(mut self, code: &str, region: &str) -> Self {
        self.warehouse = Some((code.to_owned(), region.to_owned()));
        self
    }

    /// `quantity` of every product received into the warehouse.
    pub fn stock(mut self, quantity: i32) -> Self {
        self.stock = Some(quantity);
        self
    }

    pub async fn build(self) -> Shop {
        let app = self.app;
        assert!(!self.brands.is_empty(), "a shop needs a brand");
        let t = app.tenant().await;
        let admin = t.admin_key;
        let mut brands = Vec::new();
        for slug in self.brands {
            let id = app.brand(&admin, &slug).await;
            brands.push((slug, id));
        }
        let main_brand = brands[0].1.clone();
        let (vendor, vendor_key) = match self.vendor {
            None => (None, None),
            Some(Vendor::Created(slug)) => (Some(app.vendor(&admin, &slug).await), None),
            Some(Vendor::Approved(slug)) => {
                let applied = app
                    .post(
                        "/v1/vendors/apply",
                        &admin,
                        json!({ "slug": slug, "name": format!("Vendor {slug}"), "contact_email": format!("{slug}@vendors.example") }),
                    )
                    .await
                    .expect(201);
                let id = applied["id"].as_str().expect("id").to_owned();
                let approval = app
                    .post(&format!("/v1/vendors/{id}/approve"), &admin, json!({}))
                    .await
                    .expect(200);
                let key = approval["key"]["secret"]
                    .as_str()
                    .expect("secret")
                    .to_owned();
                (Some(id), Some(key))
            }
        };
        let mut variants = Vec::new();
        for p in self.products {
            let vendor = vendor.as_deref().expect("products need a vendor");
            let made = app
                .post(
                    "/v1/products",
                    &admin,
                    json!({ "vendor_id": vendor, "slug": p.slug, "title": p.slug, "status": "active",
                            "variants": [{ "sku": p.slug, "price": p.price, "currency": "USD", "tax_category": p.tax_category, "weight_grams": p.weight_grams }] }),
                )
                .await
                .expect(201);
            if p.listed {
                app.post(
                    "/v1/listings",
                    &admin,
                    json!({ "brand_id": main_brand, "product_id": made["id"] }),
                )
                .await
                .expect(201);
            }
            let variant = made["variants"][0]["id"]
                .as_str()
                .expect("variant")
                .to_owned();
            variants.push((p.slug, variant));
        }
        let warehouse = match self.warehouse {
            None => None,
            Some((code, region)) => {
                let vendor = vendor.as_deref().expect("a warehouse needs a vendor");
                let made = app
                    .post(
                        "/v1/warehouses",
                        &admin,
                        json!({ "vendor_id": vendor, "code": code, "name": code, "region": region }),
                    )
                    .await
                    .expect(201);
                Some(made["id"].as_str().expect("id").to_owned())
            }
        };
        if let Some(quantity) = self.stock {
            let warehouse = warehouse.as_deref().expect("stock needs a warehouse");
            for (_, variant) in &variants {
                app.post(
                    "/v1/inventory/movements",
                    &admin,
                    json!({ "variant_id": variant, "warehouse_id": warehouse, "kind": "receive", "quantity": quantity }),
                )
                .await
                .expect(201);
            }
        }
        let mut storefronts = Vec::new();
        for (slug, id) in &brands {
            let (_, key) = app
                .key(
                    &admin,
                    json!({ "name": "web", "scope": "storefront", "brand_id": id }),
                )
                .await;
            storefronts.push((slug.clone(), key));
        }
        Shop {
            brand: main_brand,
            storefront: storefronts[0].1.clone(),
            admin,
            slug: t.slug,
            brands,
            storefronts,
            vendor,
            vendor_key,
            warehouse,
            variants,
        }
    }
}

/// A tenant set up to sell; see [`ShopBuilder`].
pub struct Shop {
    /// The tenant admin key.
    pub admin: String,
    /// The tenant's slug (its schema is `t_{slug}`).
    pub slug: String,
    /// The first brand's id.
    pub brand: String,
    /// The first brand's storefront key.
    pub storefront: String,
    brands: Vec<(String, String)>,
    storefronts: Vec<(String, String)>,
    vendor: Option<String>,
    vendor_key: Option<String>,
    warehouse: Option<String>,
    variants: Vec<(String, String)>,
}

impl Shop {
    pub fn builder(app: &TestApp) -> ShopBuilder<'_> {
        ShopBuilder {
            app,
            brands: Vec::new(),
            vendor: None,
            products: Vec::new(),
            warehouse: None,
            stock: None,
        }
    }

    /// The shop the checkout, order and customer tests buy from: brand
    /// `shop`, vendor `seller`, a `tee` (30.00, general) and a `flower`
    /// (35.00, cannabis_flower, 3.5 g), `stock` of each in warehouse `W1`
    /// in US-CA.
    pub async fn stocked(app: &TestApp, stock: i32) -> Shop {
        Shop::builder(app)
            .brand("shop")
            .vendor("seller")
            .product(Product::new("tee", "30.00"))
            .product(
                Product::new("flower", "35.00")
                    .tax_category("cannabis_flower")
                    .weight_grams("3.5"),
            )
            .warehouse("W1", "US-CA")
            .stock(stock)
            .build()
            .await
    }

    /// The id of the brand `slug`.
    #[track_caller]
    pub fn brand_id(&self, slug: &str) -> &str {
        find(&self.brands, slug, "brand")
    }

    /// The storefront key of the brand `slug`.
    #[track_caller]
    pub fn storefront_of(&self, slug: &str) -> &str {
        find(&self.storefronts, slug, "brand")
    }

    /// The variant id of the product `slug`.
    #[track_caller]
    pub fn variant(&self, slug: &str) -> &str {
        find(&self.variants, slug, "product")
    }

    /// The vendor's id.
    #[track_caller]
    pub fn vendor(&self) -> &str {
        self.vendor.as_deref().expect("the shop has no vendor")
    }

    /// The approved vendor's own key.
    #[track_caller]
    pub fn vendor_key(&self) -> &str {
        self.vendor_key
            .as_deref()
            .expect("the shop's vendor was not approved")
    }

    /// The warehouse's id.
    #[track_caller]
    pub fn warehouse(&self) -> &str {
        self.warehouse
            .as_deref()
            .expect("the shop has no warehouse")
    }
}

#[track_caller]
fn find<'a>(pairs: &'a [(String, String)], slug: &str, what: &str) -> &'a str {
    pairs
        .iter()
        .find(|(s, _)| s == slug)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("the shop has no {what} `{slug}`"))
}
