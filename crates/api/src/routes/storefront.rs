//! `/v1/storefront`: what shoppers browse. A storefront key sees the active
//! listings of its own brand and nothing else; a tenant admin may preview
//! any brand with `brand_id`. Pages are cached per tenant catalog version
//! (see `bazaar_commerce::catalog_cache`), so repeated browses do not reach the database.

use std::str::FromStr;

use bazaar_domain::Scope;
use bazaar_store::StoreError;
use bazaar_store::tenant::listings::{self as store, After, Browse, Sort};
use bazaar_store::tenant::{brands, products};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Path, Query};
use poem_openapi::types::ToJSON;
use poem_openapi::{Enum, Object, OpenApi};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Tag, money};
use crate::auth::{ApiKey, TenantKey};
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBytes;
use crate::state::AppState;
use crate::types::Variant;

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

/// A product as a browse page shows it.
#[derive(Debug, Object)]
pub struct ProductCard {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub vendor_id: Uuid,
    /// The category's path, e.g. `electronics/phones`.
    pub category_path: Option<String>,
    /// The "from" price in the brand's currency.
    pub price: String,
    pub currency: String,
    /// The first image, if any.
    pub image: Option<String>,
    /// Whether any variant has stock available.
    pub in_stock: bool,
    pub attributes: std::collections::BTreeMap<String, serde_json::Value>,
    pub listed_at: DateTime<Utc>,
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

fn encode_cursor(after: &After) -> String {
    let raw = match after {
        After::Newest(at, id) => format!("n|{}|{id}", at.to_rfc3339()),
        After::Price(p, id) => format!("p|{p}|{id}"),
        After::Title(t, id) => format!("t|{t}|{id}"),
    };
    hex::encode(raw)
}

fn decode_cursor(raw: &str, sort: Sort) -> ApiResult<After> {
    let invalid = || {
        ApiError::bad_request(
            "invalid_cursor",
            "the cursor is not one this endpoint gave out for this sort; start again without it",
        )
    };
    let text =
        String::from_utf8(hex::decode(raw).map_err(|_| invalid())?).map_err(|_| invalid())?;
    let (kind, rest) = text.split_once('|').ok_or_else(invalid)?;
    let (value, id) = rest.rsplit_once('|').ok_or_else(invalid)?;
    let id = Uuid::from_str(id).map_err(|_| invalid())?;
    match (kind, sort) {
        ("n", Sort::Newest) => Ok(After::Newest(
            DateTime::parse_from_rfc3339(value)
                .map_err(|_| invalid())?
                .with_timezone(&Utc),
            id,
        )),
        ("p", Sort::PriceAsc | Sort::PriceDesc) => Ok(After::Price(
            Decimal::from_str(value).map_err(|_| invalid())?,
            id,
        )),
        ("t", Sort::Title) => Ok(After::Title(value.to_owned(), id)),
        _ => Err(invalid()),
    }
}

pub(crate) fn filter_price(raw: Option<String>, field: &str) -> ApiResult<Option<Decimal>> {
    raw.map(|r| {
        Decimal::from_str(r.trim())
            .ok()
            .filter(|d| !d.is_sign_negative())
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_parameter",
                    format!("`{field}` must be a non-negative decimal such as 10.00"),
                )
            })
    })
    .transpose()
}

/// `attr=colour:red` parameters as a JSON object to match.
fn attribute_filter(raw: Vec<String>) -> ApiResult<Option<serde_json::Value>> {
    if raw.is_empty() {
        return Ok(None);
    }
    let mut map = serde_json::Map::new();
    for (name, value) in attribute_pairs(raw)? {
        let value = match value.as_str() {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            v => v
                .parse::<serde_json::Number>()
                .map(serde_json::Value::Number)
                .unwrap_or_else(|_| serde_json::Value::String(v.to_owned())),
        };
        map.insert(name, value);
    }
    Ok(Some(serde_json::Value::Object(map)))
}

/// `attr=colour:red` parameters as (name, value) pairs.
pub(crate) fn attribute_pairs(raw: Vec<String>) -> ApiResult<Vec<(String, String)>> {
    raw.into_iter()
        .map(|pair| {
            pair.split_once(':')
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_parameter",
                        format!("`attr={pair}` must be name:value, e.g. attr=colour:red"),
                    )
                })
        })
        .collect()
}

/// The brand a key browses: its own for storefront keys; the requested one
/// for tenant admins.
pub(crate) fn browsing_brand(key: &TenantKey, requested: Option<Uuid>) -> ApiResult<Uuid> {
    key.require(&[Scope::Storefront, Scope::TenantAdmin])?;
    match (key.brand_id, requested) {
        (Some(own), None) => Ok(own),
        (Some(own), Some(asked)) if own == asked => Ok(own),
        (Some(_), Some(_)) => Err(ApiError::not_found(
            "brand_not_found",
            "a storefront key browses its own brand only",
        )),
        (None, Some(asked)) => Ok(asked),
        (None, None) => Err(ApiError::bad_request(
            "brand_id_required",
            "a tenant admin key must name the brand to preview (`brand_id`)",
        )),
    }
}

/// A browse row as a product card priced in `currency`.
pub(crate) fn card(state: &AppState, r: store::BrowseRow, currency: &str) -> ProductCard {
    ProductCard {
        id: r.id,
        slug: r.slug,
        title: r.title,
        vendor_id: r.vendor_id,
        category_path: r.category_path,
        price: money(r.price.unwrap_or_default(), currency),
        currency: currency.to_owned(),
        image: r.images.first().map(|i| state.settings.image_url(i)),
        in_stock: r.in_stock,
        attributes: match r.attributes {
            serde_json::Value::Object(m) => m.into_iter().collect(),
            _ => Default::default(),
        },
        listed_at: r.listed_at,
    }
}

/// The cached page for `cache_key`, or `load` it, cache it and return it.
/// A hit is served as the stored bytes, untouched.
async fn cached<T: ToJSON>(
    state: &AppState,
    tenant: Uuid,
    cache_key: &str,
    load: impl Future<Output = ApiResult<T>>,
) -> ApiResult<JsonBytes<T>> {
    let (hit, full_key) = bazaar_commerce::catalog_cache::lookup(state, tenant, cache_key).await;
    if let Some(bytes) = hit {
        return Ok(JsonBytes::from_cached(bytes));
    }
    let fresh = JsonBytes::from_value(&load.await?);
    bazaar_commerce::catalog_cache::store(state, full_key, fresh.bytes()).await;
    Ok(fresh)
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
        attr: Query<Vec<String>>,
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
        let brand = browsing_brand(key, brand_id.0)?;
        let sort: Sort = sort.0.unwrap_or(BrowseSort::Newest).into();
        let after = cursor
            .0
            .as_deref()
            .map(|c| decode_cursor(c, sort))
            .transpose()?;
        let mut attrs = attr.0;
        attrs.sort();
        let browse = Browse {
            brand_id: brand,
            category_path: category
                .0
                .map(|c| c.trim_matches('/').to_owned())
                .filter(|c| !c.is_empty()),
            vendor_id: vendor_id.0,
            min_price: filter_price(min_price.0, "min_price")?,
            max_price: filter_price(max_price.0, "max_price")?,
            attributes: attribute_filter(attrs.clone())?,
            in_stock: in_stock.0.unwrap_or(false),
            sort,
            after,
            limit: i64::from(limit.0.unwrap_or(24)),
        };
        let cache_key = format!(
            "browse:{brand}:{sort:?}:{:?}:{:?}:{:?}:{:?}:{attrs:?}:{}:{:?}",
            browse.category_path,
            browse.vendor_id,
            browse.min_price,
            browse.max_price,
            browse.limit,
            cursor_key(&browse.after)
        );
        let schema = key.schema.clone();
        let state = self.state.clone();
        let page = cached(&self.state, key.tenant_id, &cache_key, async move {
            let (rows, next, currency) = state
                .db
                .tenant_read(&schema, move |conn| {
                    async move {
                        let brand = brands::get(conn, browse.brand_id).await?;
                        let (rows, next) = store::browse(conn, &browse).await?;
                        Ok((rows, next, brand.currency))
                    }
                    .boxed()
                })
                .await
                .map_err(|e| ApiError::from_store(e, "brand"))?;
            let currency = currency.trim().to_owned();
            Ok(ProductCardPage {
                next_cursor: next.as_ref().map(encode_cursor),
                items: rows
                    .into_iter()
                    .map(|r| card(&state, r, &currency))
                    .collect(),
            })
        })
        .await?;
        Ok(page)
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
        let brand = browsing_brand(key, brand_id.0)?;
        let raw = id_or_slug.0;
        let cache_key = format!("product:{brand}:{raw}");
        let schema = key.schema.clone();
        let state = self.state.clone();
        let product = cached(&self.state, key.tenant_id, &cache_key, async move {
            let (id, slug) = match Uuid::from_str(&raw) {
                Ok(id) => (Some(id), None),
                Err(_) => (None, Some(raw)),
            };
            let (listing, product, currency) = state
                .db
                .tenant_read(&schema, move |conn| {
                    async move {
                        let listing =
                            store::storefront_product(conn, brand, id, slug.as_deref()).await?;
                        let product = products::get(conn, listing.product_id, None).await?;
                        let brand = brands::get(conn, brand).await?;
                        Ok((listing, product, brand.currency))
                    }
                    .boxed()
                })
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => ApiError::not_found(
                        "product_not_found",
                        "no product with that id or slug in this storefront",
                    ),
                    other => other.into(),
                })?;
            let currency = currency.trim().to_owned();
            let p = product.product;
            Ok(StorefrontProduct {
                id: p.id,
                slug: p.slug,
                title: p.title,
                description: p.description,
                vendor_id: p.vendor_id,
                category_path: listing.category_path,
                price: money(listing.price.unwrap_or_default(), &currency),
                currency,
                images: p
                    .images
                    .iter()
                    .map(|i| state.settings.image_url(i))
                    .collect(),
                attributes: match p.attributes {
                    serde_json::Value::Object(m) => m.into_iter().collect(),
                    _ => Default::default(),
                },
                variants: product.variants.into_iter().map(Variant::from).collect(),
            })
        })
        .await?;
        Ok(product)
    }
}

fn cursor_key(after: &Option<After>) -> Option<String> {
    after.as_ref().map(encode_cursor)
}
