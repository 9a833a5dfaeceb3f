//! `/v1/storefront`: what shoppers browse, the edge of
//! `bazaar_commerce::catalog::browse`. A storefront key sees the active
//! listings of its own brand and nothing else; a tenant admin may preview
//! any brand with `brand_id`. Pages are cached per tenant catalog version
//! (see `bazaar_commerce::catalog_cache`) as the bytes rendered here, so
//! repeated browses do not reach the database.

use bazaar_commerce::catalog::browse::{self, BrowsePage, BrowseRequest, ProductPage};
use bazaar_store::tenant::listings::Sort;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Tag, money};
use crate::auth::ApiKey;
use crate::error::ApiResult;
use crate::payload::JsonBytes;
use crate::state::{AppState, Settings};
use crate::types::{ProductCard, Variant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum BrowseSort {
    /// Most recently listed first (default).
    Newest,
    /// Lowest price first.
    PriceAsc,
    /// Highest price first.
    PriceDesc,
    /// By title, A to Z.
    Title,
}

impl From<BrowseSort> for Sort {
    fn from(s: BrowseSort) -> Self {
        match s {
            BrowseSort::Newest => Sort::Newest,
            BrowseSort::PriceAsc => Sort::PriceAsc,
            BrowseSort::PriceDesc => Sort::PriceDesc,
            BrowseSort::Title => Sort::Title,
        }
    }
}

/// One page of a browse.
#[derive(Debug, Object)]
pub struct ProductCardPage {
    pub items: Vec<ProductCard>,
    /// Pass as `cursor` (with the same filters and sort) for the next page.
    pub next_cursor: Option<String>,
}

/// A product's page in a storefront.
#[derive(Debug, Object)]
pub struct StorefrontProduct {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub vendor_id: Uuid,
    pub category_path: Option<String>,
    /// The "from" price in the brand's currency (the brand's own price when set).
    pub price: String,
    pub currency: String,
    pub images: Vec<String>,
    pub attributes: std::collections::BTreeMap<String, serde_json::Value>,
    pub variants: Vec<Variant>,
}

/// The bytes a browse page answers with (and the cache keeps).
fn render_page(settings: &Settings, page: BrowsePage) -> Vec<u8> {
    let currency = page.currency;
    let page = ProductCardPage {
        next_cursor: page.next_cursor,
        items: page
            .rows
            .into_iter()
            .map(|r| ProductCard::new(settings, r, currency))
            .collect(),
    };
    JsonBytes::from_value(&page).bytes().to_vec()
}

/// The bytes a product page answers with (and the cache keeps).
fn render_product(settings: &Settings, page: ProductPage) -> Vec<u8> {
    let ProductPage {
        listing,
        product,
        currency,
    } = page;
    let p = product.product;
    let page = StorefrontProduct {
        id: p.id,
        slug: p.slug,
        title: p.title,
        description: p.description,
        vendor_id: p.vendor_id,
        category_path: listing.category_path,
        price: money(listing.price.unwrap_or_default(), currency),
        currency: currency.code().to_owned(),
        images: p.images.iter().map(|i| settings.image_url(i)).collect(),
        attributes: match p.attributes {
            serde_json::Value::Object(m) => m.into_iter().collect(),
            _ => Default::default(),
        },
        variants: product.variants.into_iter().map(Variant::from).collect(),
    };
    JsonBytes::from_value(&page).bytes().to_vec()
}

pub struct StorefrontApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/storefront", tag = "Tag::Storefront")]
impl StorefrontApi {
    /// Browse products
    ///
    /// The brand's visible products, filtered by category subtree, vendor,
    /// price range and attributes, sorted, keyset-paginated.
    #[oai(path = "/products", method = "get", operation_id = "browse_products")]
    #[allow(clippy::too_many_arguments)]
    async fn browse(
        &self,
        auth: ApiKey,
        /// The brand to preview (tenant admin keys only).
        brand_id: Query<Option<Uuid>>,
        /// A category path; includes everything below it (`electronics` covers `electronics/phones`).
        category: Query<Option<String>>,
        /// Only this vendor's products.
        vendor_id: Query<Option<Uuid>>,
        /// Lowest price, a decimal such as `10.00`.
        min_price: Query<Option<String>>,
        /// Highest price, a decimal such as `99.99`.
        max_price: Query<Option<String>>,
        /// Attribute filters, `name:value`, repeatable (`attr=colour:red&attr=organic:true`).
        attr: Query<Option<Vec<String>>>,
        /// Only products with stock available (`true`).
        in_stock: Query<Option<bool>>,
        /// Order of results (default `newest`).
        sort: Query<Option<BrowseSort>>,
        /// How many products to return (1-100, default 24).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<JsonBytes<ProductCardPage>> {
        let key = auth.0.tenant()?;
        let request = BrowseRequest {
            brand_id: brand_id.0,
            category: category.0,
            vendor_id: vendor_id.0,
            min_price: min_price.0,
            max_price: max_price.0,
            attributes: attr.0.unwrap_or_default(),
            in_stock: in_stock.0.unwrap_or(false),
            sort: sort.0.unwrap_or(BrowseSort::Newest).into(),
            limit: limit.0.unwrap_or(24),
            cursor: cursor.0,
        };
        let bytes = browse::browse(&self.state, key, request, render_page).await?;
        Ok(JsonBytes::from_cached(bytes))
    }

    /// Get a product
    ///
    /// By id or slug, with its variants, as the brand shows it.
    #[oai(
        path = "/products/:id_or_slug",
        method = "get",
        operation_id = "storefront_product"
    )]
    async fn product(
        &self,
        auth: ApiKey,
        id_or_slug: Path<String>,
        /// The brand to preview (tenant admin keys only).
        brand_id: Query<Option<Uuid>>,
    ) -> ApiResult<JsonBytes<StorefrontProduct>> {
        let key = auth.0.tenant()?;
        let bytes =
            browse::product(&self.state, key, brand_id.0, id_or_slug.0, render_product).await?;
        Ok(JsonBytes::from_cached(bytes))
    }
}
