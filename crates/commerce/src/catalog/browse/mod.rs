//! What shoppers browse: a brand's visible listings, filtered, sorted and
//! keyset-paginated, and one product's page. A storefront key sees its own
//! brand only; a tenant admin may preview any brand by naming it.
//!
//! Pages are cached per tenant catalog version ([`crate::catalog_cache`]):
//! the cache keeps the page exactly as the edge rendered it, so a hit
//! answers byte for byte what the miss did without reaching the database.

mod params;

use std::str::FromStr;

use bazaar_domain::{Currency, Scope};
use bazaar_store::StoreError;
use bazaar_store::tenant::brands;
use bazaar_store::tenant::listings::{self as store, Browse, BrowseRow, Listing, Sort};
use bazaar_store::tenant::products::{self, ProductWithVariants};
use futures_util::FutureExt;
use uuid::Uuid;

pub use params::{attribute_pairs, price_filter};

use crate::context::AccessRefusal;
use crate::{Failure, Outcome, Services, Settings, TenantKey, catalog_cache, refusals};

refusals! {
    /// Why a browse (or a search) is refused.
    pub enum BrowseRefusal {
        Access(AccessRefusal) => delegate;
        /// A storefront key named another brand.
        OtherBrand => NotFound, "brand_not_found", "a storefront key browses its own brand only";
        BrandIdRequired => Unprocessable, "brand_id_required",
            "a tenant admin key must name the brand to preview (`brand_id`)";
        InvalidCursor => Invalid, "invalid_cursor",
            "the cursor is not one this endpoint gave out for this sort; start again without it";
        InvalidPrice { field: String } => Invalid, "invalid_parameter",
            "`{field}` must be a non-negative decimal such as 10.00";
        InvalidAttribute { pair: String } => Invalid, "invalid_parameter",
            "`attr={pair}` must be name:value, e.g. attr=colour:red";
        BrandNotFound => NotFound, "brand_not_found", "no brand with that id is visible to this key";
        ProductNotFound => NotFound, "product_not_found",
            "no product with that id or slug in this storefront";
    }
}

/// A browse as the shopper asked for it; filters are as sent, checked
/// here.
#[derive(Debug, Clone)]
pub struct BrowseRequest {
    /// The brand to preview (tenant admin keys only).
    pub brand_id: Option<Uuid>,
    /// A category path; includes everything below it.
    pub category: Option<String>,
    pub vendor_id: Option<Uuid>,
    /// A decimal such as `10.00`.
    pub min_price: Option<String>,
    pub max_price: Option<String>,
    /// `name:value` each.
    pub attributes: Vec<String>,
    pub in_stock: bool,
    pub sort: Sort,
    pub limit: u32,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// One page of a browse, in the brand's currency.
#[derive(Debug, Clone)]
pub struct BrowsePage {
    pub rows: Vec<BrowseRow>,
    pub currency: Currency,
    /// The cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

/// A product's page in a storefront.
#[derive(Debug, Clone)]
pub struct ProductPage {
    /// The brand's listing of it (its "from" price and category path).
    pub listing: Listing,
    pub product: ProductWithVariants,
    /// The brand's currency.
    pub currency: Currency,
}

/// How the edge renders a page: the bytes it answers with, which the cache
/// keeps as they are.
pub type Render<P> = fn(&Settings, P) -> Vec<u8>;

/// The brand a key browses: its own for storefront keys; the requested one
/// for tenant admins.
pub fn browsing_brand(key: &TenantKey, requested: Option<Uuid>) -> Result<Uuid, BrowseRefusal> {
    key.require(&[Scope::Storefront, Scope::TenantAdmin])?;
    match (key.brand_id, requested) {
        (Some(own), None) => Ok(own),
        (Some(own), Some(asked)) if own == asked => Ok(own),
        (Some(_), Some(_)) => Err(BrowseRefusal::OtherBrand),
        (None, Some(asked)) => Ok(asked),
        (None, None) => Err(BrowseRefusal::BrandIdRequired),
    }
}

/// The cached page for `cache_key`, or `load` it, render it, cache it and
/// answer it.
async fn cached<P>(
    services: &Services,
    tenant: Uuid,
    cache_key: &str,
    load: impl Future<Output = Outcome<P, BrowseRefusal>>,
    render: Render<P>,
) -> Outcome<Vec<u8>, BrowseRefusal> {
    let (hit, full_key) = catalog_cache::lookup(services, tenant, cache_key).await;
    if let Some(bytes) = hit {
        return Ok(bytes);
    }
    let bytes = render(&services.settings, load.await?);
    catalog_cache::store(services, full_key, &bytes).await;
    Ok(bytes)
}

/// Browse the brand's visible products, filtered by category subtree,
/// vendor, price range and attributes, sorted, keyset-paginated.
pub async fn browse(
    services: &Services,
    key: &TenantKey,
    request: BrowseRequest,
    render: Render<BrowsePage>,
) -> Outcome<Vec<u8>, BrowseRefusal> {
    let brand = browsing_brand(key, request.brand_id)?;
    let sort = request.sort;
    let after = request
        .cursor
        .as_deref()
        .map(|c| params::decode_cursor(c, sort))
        .transpose()?;
    let mut attrs = request.attributes;
    attrs.sort();
    let browse = Browse {
        brand_id: brand,
        category_path: request
            .category
            .map(|c| c.trim_matches('/').to_owned())
            .filter(|c| !c.is_empty()),
        vendor_id: request.vendor_id,
        min_price: price_filter(request.min_price, "min_price")?,
        max_price: price_filter(request.max_price, "max_price")?,
        attributes: params::attribute_filter(attrs.clone())?,
        in_stock: request.in_stock,
        sort,
        after,
        limit: i64::from(request.limit),
    };
    let cache_key = format!(
        "browse:{brand}:{sort:?}:{:?}:{:?}:{:?}:{:?}:{attrs:?}:{}:{:?}",
        browse.category_path,
        browse.vendor_id,
        browse.min_price,
        browse.max_price,
        browse.limit,
        browse.after.as_ref().map(params::encode_cursor)
    );
    let load = async {
        let (rows, next, currency) = services
            .db
            .tenant_read(&key.schema, move |conn| {
                async move {
                    let brand = brands::get(conn, browse.brand_id).await?;
                    let (rows, next) = store::browse(conn, &browse).await?;
                    Ok((rows, next, brand.currency))
                }
                .boxed()
            })
            .await
            .map_err(|e| -> Failure<BrowseRefusal> {
                match e {
                    StoreError::NotFound => BrowseRefusal::BrandNotFound.into(),
                    other => Failure::Store(other),
                }
            })?;
        Ok(BrowsePage {
            rows,
            currency,
            next_cursor: next.as_ref().map(params::encode_cursor),
        })
    };
    cached(services, key.tenant_id, &cache_key, load, render).await
}

/// One product of the brand, by id or slug, with its variants, as the
/// brand shows it.
pub async fn product(
    services: &Services,
    key: &TenantKey,
    brand_id: Option<Uuid>,
    id_or_slug: String,
    render: Render<ProductPage>,
) -> Outcome<Vec<u8>, BrowseRefusal> {
    let brand = browsing_brand(key, brand_id)?;
    let cache_key = format!("product:{brand}:{id_or_slug}");
    let load = async {
        let (id, slug) = match Uuid::from_str(&id_or_slug) {
            Ok(id) => (Some(id), None),
            Err(_) => (None, Some(id_or_slug)),
        };
        let (listing, product, currency) = services
            .db
            .tenant_read(&key.schema, move |conn| {
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
            .map_err(|e| -> Failure<BrowseRefusal> {
                match e {
                    StoreError::NotFound => BrowseRefusal::ProductNotFound.into(),
                    other => Failure::Store(other),
                }
            })?;
        Ok(ProductPage {
            listing,
            product,
            currency,
        })
    };
    cached(services, key.tenant_id, &cache_key, load, render).await
}
