//! `/v1/products`: vendors' products and their variants, the edge of
//! `bazaar_commerce::catalog::{products, variants}`. A vendor key manages
//! its own vendor's products only (another's is 404); a tenant admin
//! manages any vendor's. Every write refreshes the product's listings and
//! invalidates the tenant's cached storefront pages.

use std::collections::BTreeMap;

use bazaar_commerce::catalog::products::{self, ProductDraft, ProductEdit, Status};
use bazaar_commerce::catalog::variants::{self, VariantDraft, VariantEdit};
use bazaar_store::tenant::products::ProductWithVariants;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, next_cursor, page_request};
use crate::auth::ApiKey;
use crate::decimal::DecimalString;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Settings};
use crate::timestamp::Timestamp;
use crate::types::Variant;

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

impl From<ProductStatus> for Status {
    fn from(s: ProductStatus) -> Self {
        match s {
            ProductStatus::Draft => Status::Draft,
            ProductStatus::Active => Status::Active,
            ProductStatus::Archived => Status::Archived,
        }
    }
}

impl ProductStatus {
    fn parse(raw: &str) -> ApiResult<Self> {
        [
            ProductStatus::Draft,
            ProductStatus::Active,
            ProductStatus::Archived,
        ]
        .into_iter()
        .find(|s| Status::from(*s).as_str() == raw)
        .ok_or_else(|| ApiError::internal(format!("unknown product status `{raw}`")))
    }
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
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn product_out(p: ProductWithVariants, settings: &Settings) -> ApiResult<Product> {
    let ProductWithVariants { product, variants } = p;
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
        variants: variants.into_iter().map(Variant::from).collect(),
        created_at: product.created_at.into(),
        updated_at: product.updated_at.into(),
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

impl From<VariantInput> for VariantDraft {
    fn from(v: VariantInput) -> Self {
        Self {
            sku: v.sku,
            title: v.title,
            options: v.options,
            price: v.price.0,
            currency: v.currency,
            compare_at_price: v.compare_at_price.map(|p| p.0),
            weight_grams: v.weight_grams.map(|w| w.0),
            tax_category: v.tax_category,
            age_restricted: v.age_restricted,
            backorder_limit: v.backorder_limit,
            low_stock_threshold: v.low_stock_threshold,
        }
    }
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

impl From<CreateProduct> for ProductDraft {
    fn from(p: CreateProduct) -> Self {
        Self {
            vendor_id: p.vendor_id,
            category_id: p.category_id,
            slug: p.slug,
            title: p.title,
            description: p.description,
            attributes: p.attributes,
            images: p.images,
            status: p.status.map(Status::from),
            variants: p.variants.into_iter().map(VariantDraft::from).collect(),
        }
    }
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

impl From<UpdateProduct> for ProductEdit {
    fn from(p: UpdateProduct) -> Self {
        Self {
            category_id: change(p.category_id),
            slug: p.slug,
            title: p.title,
            description: p.description,
            attributes: p.attributes,
            images: p.images,
            status: p.status.map(Status::from),
        }
    }
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

impl From<UpdateVariant> for VariantEdit {
    fn from(v: UpdateVariant) -> Self {
        Self {
            sku: v.sku,
            title: v.title,
            options: v.options,
            price: v.price.map(|p| p.0),
            currency: v.currency,
            compare_at_price: change(v.compare_at_price.map_value(|p| p.0)),
            weight_grams: change(v.weight_grams.map_value(|w| w.0)),
            tax_category: v.tax_category,
            age_restricted: v.age_restricted,
            backorder_limit: v.backorder_limit,
            low_stock_threshold: change(v.low_stock_threshold),
        }
    }
}

/// An optional field of a change: absent (`None`), `null` (`Some(None)`) or
/// a value.
fn change<T>(field: MaybeUndefined<T>) -> Option<Option<T>> {
    match field {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

pub struct ProductsApi {
    pub state: AppState,
}

impl ProductsApi {
    fn out(&self, product: ProductWithVariants) -> ApiResult<Product> {
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
        let created = products::create(&self.state, key, body.0.into()).await?;
        Ok(Created::Created(Json(self.out(created)?)))
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
        let page = products::list(
            &self.state,
            key,
            vendor_id.0,
            page_request(limit.0, cursor.0),
        )
        .await?;
        Ok(Json(ProductPage {
            next_cursor: next_cursor(page.next_after),
            items: page
                .items
                .into_iter()
                .map(|p| self.out(p))
                .collect::<ApiResult<Vec<_>>>()?,
        }))
    }

    /// Get a product
    #[oai(path = "/:product_id", method = "get", operation_id = "get_product")]
    async fn get(&self, auth: ApiKey, product_id: Path<Uuid>) -> ApiResult<Json<Product>> {
        let key = auth.0.tenant()?;
        let product = products::get(&self.state, key, product_id.0).await?;
        Ok(Json(self.out(product)?))
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
        let product = products::update(&self.state, key, product_id.0, body.0.into()).await?;
        Ok(Json(self.out(product)?))
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
        let product = variants::add(&self.state, key, product_id.0, body.0.into()).await?;
        Ok(Created::Created(Json(self.out(product)?)))
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
        let product =
            variants::update(&self.state, key, product_id.0, variant_id.0, body.0.into()).await?;
        Ok(Json(self.out(product)?))
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
        let product = variants::delete(&self.state, key, product_id.0, variant_id.0).await?;
        Ok(Json(self.out(product)?))
    }
}
