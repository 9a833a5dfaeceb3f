//! `/v1/products`: vendors' products and their variants. A vendor key
//! manages its own vendor's products only (another's is 404); a tenant admin
//! manages any vendor's. Every write refreshes the product's listings and
//! invalidates the tenant's cached storefront pages.

use std::collections::BTreeMap;

use bazaar_domain::{Currency, Scope, Slug, ids, validate};
use bazaar_regions::TaxCategory;
use bazaar_store::StoreError;
use bazaar_store::TenantConn;
use bazaar_store::tenant::listings::{self, Refresh};
use bazaar_store::tenant::products::{
    self as store, NewProduct, NewVariant, ProductChanges, VariantChanges,
};
use bazaar_store::tenant::{brands, categories, vendors};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Created, Tag, money, page_request};
use crate::auth::{ApiKey, TenantKey};
use crate::decimal::DecimalString;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Settings};

/// At most this many variants per product.
pub const MAX_VARIANTS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ProductStatus {
    /// Being prepared; never shown to shoppers.
    Draft,
    /// Shown in the brands it is listed in.
    Active,
    /// Withdrawn; kept for order history.
    Archived,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }

    fn parse(raw: &str) -> ApiResult<Self> {
        [
            ProductStatus::Draft,
            ProductStatus::Active,
            ProductStatus::Archived,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
        .ok_or_else(|| ApiError::internal(format!("unknown product status `{raw}`")))
    }
}

/// One purchasable version of a product (a size, a colour...).
#[derive(Debug, Object)]
pub struct Variant {
    pub id: Uuid,
    /// Stock-keeping unit, unique per vendor.
    pub sku: String,
    pub title: String,
    /// Option values, e.g. `{"size": "M", "colour": "blue"}`.
    pub options: BTreeMap<String, String>,
    /// Price as a decimal string in `currency`.
    pub price: String,
    /// ISO 4217.
    pub currency: String,
    /// The "was" price shown struck through, if any.
    pub compare_at_price: Option<String>,
    pub weight_grams: Option<String>,
    /// The tax category the region packs use.
    pub tax_category: String,
    /// Whether buying it needs a verified age.
    pub age_restricted: bool,
    /// Units that may be sold beyond stock; 0 denies backorders.
    pub backorder_limit: i32,
    /// Total available stock at or below which a low-stock event is sent.
    pub low_stock_threshold: Option<i32>,
}

/// A product with its variants.
#[derive(Debug, Object)]
pub struct Product {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub category_id: Option<Uuid>,
    pub slug: String,
    pub title: String,
    pub description: String,
    /// Typed attributes: strings, numbers or booleans by name.
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Image URLs (relative paths are served under the configured CDN).
    pub images: Vec<String>,
    pub status: ProductStatus,
    pub variants: Vec<Variant>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn variant_out(v: store::Variant) -> Variant {
    let options = match v.options {
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    Variant {
        id: v.id,
        price: money(v.price, &v.currency),
        compare_at_price: v.compare_at_price.map(|p| money(p, &v.currency)),
        weight_grams: v.weight_grams.map(|w| w.normalize().to_string()),
        sku: v.sku,
        title: v.title,
        options,
        currency: v.currency,
        tax_category: v.tax_category,
        age_restricted: v.age_restricted,
        backorder_limit: v.backorder_limit,
        low_stock_threshold: v.low_stock_threshold,
    }
}

pub fn product_out(p: store::ProductWithVariants, settings: &Settings) -> ApiResult<Product> {
    let store::ProductWithVariants { product, variants } = p;
    let attributes = match product.attributes {
        serde_json::Value::Object(map) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    };
    Ok(Product {
        id: product.id,
        vendor_id: product.vendor_id,
        category_id: product.category_id,
        status: ProductStatus::parse(&product.status)?,
        slug: product.slug,
        title: product.title,
        description: product.description,
        attributes,
        images: product
            .images
            .iter()
            .map(|i| settings.image_url(i))
            .collect(),
        variants: variants.into_iter().map(variant_out).collect(),
        created_at: product.created_at,
        updated_at: product.updated_at,
    })
}

/// A page of products, oldest first.
#[derive(Debug, Object)]
pub struct ProductPage {
    pub items: Vec<Product>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct VariantInput {
    /// 1-64 characters of letters, digits, `.`, `_` and `-`; unique per vendor.
    pub sku: String,
    /// Defaults to the option values joined, or the SKU.
    pub title: Option<String>,
    #[oai(default)]
    pub options: BTreeMap<String, String>,
    /// A decimal string with at most the currency's minor units.
    pub price: DecimalString,
    /// A currency one of the tenant's brands sells in.
    pub currency: String,
    pub compare_at_price: Option<DecimalString>,
    pub weight_grams: Option<DecimalString>,
    /// Default `general`.
    pub tax_category: Option<String>,
    #[oai(default)]
    pub age_restricted: bool,
    /// Units that may be sold beyond stock (default 0: no backorders).
    #[oai(default, validator(minimum(value = "0"), maximum(value = "1000000")))]
    pub backorder_limit: i32,
    /// Send `inventory.low_stock` when total available stock falls to this.
    #[oai(validator(minimum(value = "0")))]
    pub low_stock_threshold: Option<i32>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateProduct {
    /// Required with a tenant admin key; a vendor key creates for itself.
    pub vendor_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    /// Unique per vendor.
    pub slug: String,
    pub title: String,
    #[oai(default)]
    pub description: String,
    #[oai(default)]
    pub attributes: BTreeMap<String, serde_json::Value>,
    #[oai(default)]
    pub images: Vec<String>,
    /// Default `draft`.
    pub status: Option<ProductStatus>,
    /// 1 to 100 variants.
    pub variants: Vec<VariantInput>,
}

/// Changes to a product; absent fields stay. `category_id: null` removes it
/// from its category.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateProduct {
    pub category_id: MaybeUndefined<Uuid>,
    pub slug: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub attributes: Option<BTreeMap<String, serde_json::Value>>,
    pub images: Option<Vec<String>>,
    pub status: Option<ProductStatus>,
}

/// Changes to a variant; absent fields stay.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateVariant {
    pub sku: Option<String>,
    pub title: Option<String>,
    pub options: Option<BTreeMap<String, String>>,
    pub price: Option<DecimalString>,
    pub currency: Option<String>,
    pub compare_at_price: MaybeUndefined<DecimalString>,
    pub weight_grams: MaybeUndefined<DecimalString>,
    pub tax_category: Option<String>,
    pub age_restricted: Option<bool>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))]
    pub backorder_limit: Option<i32>,
    /// `null` turns low-stock events off.
    pub low_stock_threshold: MaybeUndefined<i32>,
}

fn sku(raw: &str) -> ApiResult<String> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::unprocessable(
            "invalid_sku",
            format!("`{raw}` is not a SKU: use 1-64 letters, digits, `.`, `_` or `-`"),
        ))
    }
}

/// An amount in `currency`: not negative, no finer than its minor unit.
pub fn price(value: DecimalString, currency: &str, field: &str) -> ApiResult<Decimal> {
    let dp = Currency::parse(currency)?.minor_units();
    let value = value.0.normalize();
    if value.is_sign_negative() {
        return Err(ApiError::unprocessable(
            "invalid_price",
            format!("`{field}` cannot be negative"),
        ));
    }
    if value.scale() > dp {
        return Err(ApiError::unprocessable(
            "invalid_price",
            format!("`{field}` has more decimals than {currency} allows ({dp})"),
        ));
    }
    if value >= Decimal::from(1_000_000_000_000_000i64) {
        return Err(ApiError::unprocessable(
            "invalid_price",
            format!("`{field}` is too large"),
        ));
    }
    Ok(value)
}

fn tax_category(raw: Option<String>) -> ApiResult<String> {
    let raw = raw.unwrap_or_else(|| "general".to_owned());
    TaxCategory::for_product(&raw)
        .map(|c| c.as_str().to_owned())
        .ok_or_else(|| {
            ApiError::unprocessable(
                "unknown_tax_category",
                format!(
                    "`{raw}` is not a tax category; use one of {}",
                    TaxCategory::product_names()
                ),
            )
        })
}

fn attributes(raw: BTreeMap<String, serde_json::Value>) -> ApiResult<serde_json::Value> {
    if raw.len() > 50 {
        return Err(ApiError::unprocessable(
            "too_many_attributes",
            "a product has at most 50 attributes",
        ));
    }
    for (name, value) in &raw {
        if name.is_empty() || name.len() > 64 {
            return Err(ApiError::unprocessable(
                "invalid_attribute",
                "attribute names are 1-64 characters",
            ));
        }
        if !(value.is_string() || value.is_number() || value.is_boolean()) {
            return Err(ApiError::unprocessable(
                "invalid_attribute",
                format!("attribute `{name}` must be a string, number or boolean"),
            ));
        }
    }
    Ok(serde_json::Value::Object(raw.into_iter().collect()))
}

fn images(raw: Vec<String>) -> ApiResult<Vec<String>> {
    if raw.len() > 20 {
        return Err(ApiError::unprocessable(
            "too_many_images",
            "a product has at most 20 images",
        ));
    }
    for image in &raw {
        let absolute = image.starts_with("https://") || image.starts_with("http://");
        let relative = !image.contains("://") && !image.is_empty();
        if !(absolute || relative) || image.len() > 2048 || image.chars().any(char::is_whitespace) {
            return Err(ApiError::unprocessable(
                "invalid_image",
                format!("`{image}` is not an image URL: use https://... or a path under the CDN"),
            ));
        }
    }
    Ok(raw)
}

fn options_json(options: &BTreeMap<String, String>) -> serde_json::Value {
    serde_json::Value::Object(
        options
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

/// A checked variant ready to insert (product id filled in later).
fn new_variant(
    input: VariantInput,
    vendor_id: Uuid,
    position: i32,
    currencies: &[String],
) -> ApiResult<NewVariant> {
    let currency = Currency::parse(&input.currency)?.code().to_owned();
    if !currencies.contains(&currency) {
        return Err(ApiError::unprocessable(
            "currency_not_sold",
            format!(
                "the tenant does not sell in {currency}; its brands sell in [{}]",
                currencies.join(", ")
            ),
        ));
    }
    let sku = sku(&input.sku)?;
    let title = match input.title {
        Some(t) => validate::display_name("title", &t)?,
        None if !input.options.is_empty() => input
            .options
            .values()
            .cloned()
            .collect::<Vec<_>>()
            .join(" / "),
        None => sku.clone(),
    };
    Ok(NewVariant {
        id: ids::new_id(),
        product_id: Uuid::nil(),
        vendor_id,
        options: options_json(&input.options),
        price: price(input.price, &currency, "price")?,
        compare_at_price: input
            .compare_at_price
            .map(|p| price(p, &currency, "compare_at_price"))
            .transpose()?,
        weight_grams: input
            .weight_grams
            .map(|w| {
                if w.0.is_sign_negative() {
                    Err(ApiError::unprocessable(
                        "invalid_weight",
                        "`weight_grams` cannot be negative",
                    ))
                } else {
                    Ok(w.0)
                }
            })
            .transpose()?,
        tax_category: tax_category(input.tax_category)?,
        age_restricted: input.age_restricted,
        backorder_limit: input.backorder_limit,
        low_stock_threshold: input.low_stock_threshold,
        position,
        currency,
        sku,
        title,
    })
}

/// Map a store error of a catalog write to what the caller can act on.
fn write_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict { constraint } if constraint.contains("sku") => ApiError::conflict(
            "sku_taken",
            "the vendor already has a variant with this SKU",
        ),
        StoreError::Conflict { constraint } if constraint.contains("slug") => ApiError::conflict(
            "slug_taken",
            "the vendor already has a product with this slug",
        ),
        other => ApiError::from_store(other, "product"),
    }
}

/// The vendor a write acts for, and a check that it may write.
pub(crate) fn acting_vendor(key: &TenantKey, requested: Option<Uuid>) -> ApiResult<Uuid> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    match (key.vendor_id, requested) {
        (Some(own), None) => Ok(own),
        (Some(own), Some(asked)) if asked == own => Ok(own),
        (Some(_), Some(_)) => Err(ApiError::forbidden(
            "insufficient_scope",
            "a vendor key creates products for its own vendor only; leave `vendor_id` out",
        )),
        (None, Some(asked)) => Ok(asked),
        (None, None) => Err(ApiError::unprocessable(
            "vendor_id_required",
            "a tenant admin key must say which vendor the product belongs to (`vendor_id`)",
        )),
    }
}

/// Inside a write: the vendor exists (and may sell, for vendor keys).
pub(crate) async fn check_vendor(
    conn: &mut TenantConn,
    vendor_id: Uuid,
    is_vendor_key: bool,
) -> Result<Result<(), ApiError>, StoreError> {
    let vendor = match vendors::get(conn, vendor_id).await {
        Ok(v) => v,
        Err(StoreError::NotFound) => {
            return Ok(Err(ApiError::unprocessable(
                "vendor_not_found",
                "no vendor with that `vendor_id`",
            )));
        }
        Err(e) => return Err(e),
    };
    if is_vendor_key && vendor.status != "approved" {
        return Ok(Err(ApiError::forbidden(
            "vendor_not_approved",
            format!(
                "the vendor is {}; only approved vendors manage products",
                vendor.status
            ),
        )));
    }
    Ok(Ok(()))
}

pub struct ProductsApi {
    pub state: AppState,
}

impl ProductsApi {
    /// Run a product write for `key` on product `id` (visible to the key),
    /// then refresh its listings and invalidate the cache.
    async fn write<T, F>(&self, key: &TenantKey, id: Uuid, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: for<'r> FnOnce(
                &'r mut TenantConn,
            ) -> futures_util::future::BoxFuture<
                'r,
                Result<Result<T, ApiError>, StoreError>,
            > + Send
            + 'static,
    {
        key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
        let only = key.vendor_id;
        let is_vendor_key = key.scope == Scope::Vendor;
        let result = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let product = store::get(conn, id, only).await?;
                    if let Err(e) =
                        check_vendor(conn, product.product.vendor_id, is_vendor_key).await?
                    {
                        return Ok(Err(e));
                    }
                    let out = work(conn).await?;
                    if out.is_ok() {
                        listings::refresh(conn, Refresh::Products(&[id])).await?;
                    }
                    Ok(out)
                }
                .boxed()
            })
            .await
            .map_err(write_error)??;
        bazaar_commerce::catalog_cache::bump(&self.state, key.tenant_id).await;
        Ok(result)
    }

    async fn load(&self, key: &TenantKey, id: Uuid) -> ApiResult<Product> {
        let only = key.vendor_id;
        let product = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| store::get(conn, id, only).boxed())
            .await
            .map_err(|e| ApiError::from_store(e, "product"))?;
        product_out(product, &self.state.settings)
    }
}

#[OpenApi(prefix_path = "/v1/products", tag = "Tag::Products")]
impl ProductsApi {
    /// Create a product
    ///
    /// With its variants (1 to 100). Prices are decimal strings in a
    /// currency one of the tenant's brands sells in.
    #[oai(path = "/", method = "post", operation_id = "create_product")]
    async fn create(&self, auth: ApiKey, body: Json<CreateProduct>) -> ApiResult<Created<Product>> {
        let key = auth.0.tenant()?;
        let body = body.0;
        let vendor_id = acting_vendor(key, body.vendor_id)?;
        let is_vendor_key = key.scope == Scope::Vendor;
        if body.variants.is_empty() {
            return Err(ApiError::unprocessable(
                "variants_required",
                "a product needs at least one variant",
            ));
        }
        if body.variants.len() > MAX_VARIANTS {
            return Err(ApiError::unprocessable(
                "too_many_variants",
                format!(
                    "a product has at most {MAX_VARIANTS} variants; this one has {}",
                    body.variants.len()
                ),
            ));
        }
        let product = NewProduct {
            id: ids::new_id(),
            vendor_id,
            category_id: body.category_id,
            slug: Slug::parse(&body.slug)?.to_string(),
            title: validate::display_name("title", &body.title)?,
            description: body.description,
            attributes: attributes(body.attributes)?,
            images: images(body.images)?,
            status: body
                .status
                .unwrap_or(ProductStatus::Draft)
                .as_str()
                .to_owned(),
        };
        let inputs = body.variants;
        let category = body.category_id;
        let created = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    if let Err(e) = check_vendor(conn, vendor_id, is_vendor_key).await? {
                        return Ok(Err(e));
                    }
                    if let Some(c) = category
                        && matches!(categories::get(conn, c).await, Err(StoreError::NotFound))
                    {
                        return Ok(Err(ApiError::unprocessable(
                            "category_not_found",
                            "no category with that `category_id`",
                        )));
                    }
                    let currencies = brands::currencies(conn).await?;
                    let mut variants = Vec::with_capacity(inputs.len());
                    let mut skus = Vec::new();
                    for (i, input) in inputs.into_iter().enumerate() {
                        match new_variant(input, vendor_id, i as i32, &currencies) {
                            Ok(mut v) => {
                                if skus.contains(&v.sku) {
                                    return Ok(Err(ApiError::unprocessable(
                                        "duplicate_sku",
                                        format!("SKU `{}` appears twice in this product", v.sku),
                                    )));
                                }
                                skus.push(v.sku.clone());
                                v.product_id = product.id;
                                variants.push(v);
                            }
                            Err(e) => return Ok(Err(e)),
                        }
                    }
                    let id = product.id;
                    let created = store::create(conn, product, variants).await?;
                    listings::refresh(conn, Refresh::Products(&[id])).await?;
                    Ok(Ok(created))
                }
                .boxed()
            })
            .await
            .map_err(write_error)??;
        bazaar_commerce::catalog_cache::bump(&self.state, key.tenant_id).await;
        Ok(Created::Created(Json(product_out(
            created,
            &self.state.settings,
        )?)))
    }

    /// List products
    ///
    /// A vendor key sees its own products only.
    #[oai(path = "/", method = "get", operation_id = "list_products")]
    async fn list(
        &self,
        auth: ApiKey,
        /// Only this vendor's products (tenant admin keys).
        vendor_id: Query<Option<Uuid>>,
        /// How many products to return (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
    ) -> ApiResult<Json<ProductPage>> {
        let key = auth.0.tenant()?;
        key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
        let vendor = key.vendor_id.or(vendor_id.0);
        let page = page_request(limit.0, cursor.0);
        let page = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                store::list(conn, page, vendor).boxed()
            })
            .await?;
        let next_cursor = super::next_cursor(page.next_after);
        let items = page
            .items
            .into_iter()
            .map(|p| product_out(p, &self.state.settings))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Json(ProductPage { items, next_cursor }))
    }

    /// Get a product
    #[oai(path = "/:product_id", method = "get", operation_id = "get_product")]
    async fn get(&self, auth: ApiKey, product_id: Path<Uuid>) -> ApiResult<Json<Product>> {
        let key = auth.0.tenant()?;
        key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
        Ok(Json(self.load(key, product_id.0).await?))
    }

    /// Update a product
    #[oai(
        path = "/:product_id",
        method = "patch",
        operation_id = "update_product"
    )]
    async fn update(
        &self,
        auth: ApiKey,
        product_id: Path<Uuid>,
        body: Json<UpdateProduct>,
    ) -> ApiResult<Json<Product>> {
        let key = auth.0.tenant()?;
        let body = body.0;
        let category = match body.category_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(id)),
        };
        let changes = ProductChanges {
            category_id: category,
            slug: body
                .slug
                .map(|s| Slug::parse(&s).map(|s| s.to_string()))
                .transpose()?,
            title: body
                .title
                .map(|t| validate::display_name("title", &t))
                .transpose()?,
            description: body.description,
            attributes: body.attributes.map(attributes).transpose()?,
            images: body.images.map(images).transpose()?,
            status: body.status.map(|s| s.as_str().to_owned()),
        };
        let id = product_id.0;
        self.write(key, id, move |conn| {
            async move {
                if let Some(Some(c)) = changes.category_id
                    && matches!(categories::get(conn, c).await, Err(StoreError::NotFound))
                {
                    return Ok(Err(ApiError::unprocessable(
                        "category_not_found",
                        "no category with that `category_id`",
                    )));
                }
                if changes != ProductChanges::default() {
                    store::update(conn, id, changes).await?;
                }
                Ok(Ok(()))
            }
            .boxed()
        })
        .await?;
        Ok(Json(self.load(key, id).await?))
    }

    /// Add a variant
    #[oai(
        path = "/:product_id/variants",
        method = "post",
        operation_id = "add_variant"
    )]
    async fn add_variant(
        &self,
        auth: ApiKey,
        product_id: Path<Uuid>,
        body: Json<VariantInput>,
    ) -> ApiResult<Created<Product>> {
        let key = auth.0.tenant()?;
        let id = product_id.0;
        let input = body.0;
        self.write(key, id, move |conn| {
            async move {
                let count = store::variant_count(conn, id).await?;
                if count as usize >= MAX_VARIANTS {
                    return Ok(Err(ApiError::unprocessable(
                        "too_many_variants",
                        format!("a product has at most {MAX_VARIANTS} variants"),
                    )));
                }
                let product = store::get(conn, id, None).await?;
                let currencies = brands::currencies(conn).await?;
                let mut variant = match new_variant(
                    input,
                    product.product.vendor_id,
                    count as i32,
                    &currencies,
                ) {
                    Ok(v) => v,
                    Err(e) => return Ok(Err(e)),
                };
                variant.product_id = id;
                store::add_variant(conn, variant).await?;
                Ok(Ok(()))
            }
            .boxed()
        })
        .await?;
        Ok(Created::Created(Json(self.load(key, id).await?)))
    }

    /// Update a variant
    #[oai(
        path = "/:product_id/variants/:variant_id",
        method = "patch",
        operation_id = "update_variant"
    )]
    async fn update_variant(
        &self,
        auth: ApiKey,
        product_id: Path<Uuid>,
        variant_id: Path<Uuid>,
        body: Json<UpdateVariant>,
    ) -> ApiResult<Json<Product>> {
        let key = auth.0.tenant()?;
        let (id, vid) = (product_id.0, variant_id.0);
        let body = body.0;
        self.write(key, id, move |conn| {
            async move {
                let product = store::get(conn, id, None).await?;
                let Some(current) = product.variants.iter().find(|v| v.id == vid) else {
                    return Ok(Err(ApiError::not_found(
                        "variant_not_found",
                        "no variant with that id in this product",
                    )));
                };
                let currencies = brands::currencies(conn).await?;
                let checked = (|| -> ApiResult<VariantChanges> {
                    let currency = match &body.currency {
                        Some(c) => {
                            let c = Currency::parse(c)?.code().to_owned();
                            if !currencies.contains(&c) {
                                return Err(ApiError::unprocessable(
                                    "currency_not_sold",
                                    format!(
                                        "the tenant does not sell in {c}; its brands sell in [{}]",
                                        currencies.join(", ")
                                    ),
                                ));
                            }
                            c
                        }
                        None => current.currency.clone(),
                    };
                    let optional = |v: MaybeUndefined<DecimalString>,
                                    field: &str|
                     -> ApiResult<Option<Option<Decimal>>> {
                        Ok(match v {
                            MaybeUndefined::Undefined => None,
                            MaybeUndefined::Null => Some(None),
                            MaybeUndefined::Value(p) => Some(Some(price(p, &currency, field)?)),
                        })
                    };
                    Ok(VariantChanges {
                        sku: body.sku.as_deref().map(sku).transpose()?,
                        title: body
                            .title
                            .as_deref()
                            .map(|t| validate::display_name("title", t))
                            .transpose()?,
                        options: body.options.as_ref().map(options_json),
                        price: body
                            .price
                            .map(|p| price(p, &currency, "price"))
                            .transpose()?,
                        compare_at_price: optional(body.compare_at_price, "compare_at_price")?,
                        weight_grams: optional(body.weight_grams, "weight_grams")?,
                        tax_category: body
                            .tax_category
                            .map(|c| tax_category(Some(c)))
                            .transpose()?,
                        age_restricted: body.age_restricted,
                        backorder_limit: body.backorder_limit,
                        low_stock_threshold: match body.low_stock_threshold {
                            MaybeUndefined::Undefined => None,
                            MaybeUndefined::Null => Some(None),
                            MaybeUndefined::Value(t) if t >= 0 => Some(Some(t)),
                            MaybeUndefined::Value(_) => {
                                return Err(ApiError::unprocessable(
                                    "invalid_threshold",
                                    "`low_stock_threshold` cannot be negative",
                                ));
                            }
                        },
                        currency: body.currency.as_ref().map(|_| currency.clone()),
                    })
                })();
                let changes = match checked {
                    Ok(c) => c,
                    Err(e) => return Ok(Err(e)),
                };
                if changes != VariantChanges::default() {
                    store::update_variant(conn, id, vid, changes).await?;
                }
                Ok(Ok(()))
            }
            .boxed()
        })
        .await?;
        Ok(Json(self.load(key, id).await?))
    }

    /// Remove a variant
    #[oai(
        path = "/:product_id/variants/:variant_id",
        method = "delete",
        operation_id = "delete_variant"
    )]
    async fn delete_variant(
        &self,
        auth: ApiKey,
        product_id: Path<Uuid>,
        variant_id: Path<Uuid>,
    ) -> ApiResult<Json<Product>> {
        let key = auth.0.tenant()?;
        let (id, vid) = (product_id.0, variant_id.0);
        self.write(key, id, move |conn| {
            async move {
                match store::delete_variant(conn, id, vid).await {
                    Ok(()) => Ok(Ok(())),
                    Err(StoreError::NotFound) => Ok(Err(ApiError::not_found(
                        "variant_not_found",
                        "no variant with that id in this product",
                    ))),
                    Err(e) => Err(e),
                }
            }
            .boxed()
        })
        .await?;
        Ok(Json(self.load(key, id).await?))
    }
}
