//! `GET /v1/storefront/search`: product search over this node's tantivy
//! index. The index answers which listings match, in what order and with
//! which facet counts, always within the key's tenant and brand; the page's
//! products are then read from the database, so what a shopper sees is
//! current even in the moment before the index catches up.

use std::collections::HashMap;

use bazaar_search::{SearchRequest, SearchResult, Sort};
use bazaar_store::tenant::{brands, listings};
use futures_util::FutureExt;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

use super::storefront::{ProductCard, attribute_pairs, browsing_brand, card, filter_price};
use super::{Tag, money};
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The longest query text taken; longer text is cut (and says so nowhere:
/// no shopper types this much on purpose).
const MAX_QUERY_CHARS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SearchSort {
    /// Best match first (default).
    Relevance,
    /// Lowest price first.
    PriceAsc,
    /// Highest price first.
    PriceDesc,
    /// Most recently listed first.
    Newest,
}

/// One product found, with the matching words highlighted.
#[derive(Debug, Object)]
pub struct SearchHit {
    pub product: ProductCard,
    /// The title with matching words in `<b>`...`</b>` (HTML-escaped).
    pub title_snippet: String,
    /// A passage of the description with matching words in `<b>`...`</b>`.
    pub description_snippet: String,
}

#[derive(Debug, Object)]
pub struct CategoryCount {
    /// A category path, e.g. `clothing/shirts`.
    pub path: String,
    pub count: u64,
}

#[derive(Debug, Object)]
pub struct VendorCount {
    pub vendor_id: Uuid,
    pub count: u64,
}

#[derive(Debug, Object)]
pub struct PriceBucketCount {
    /// Lowest price in the bucket.
    pub from: String,
    /// Where the next bucket starts; absent for the last.
    pub to: Option<String>,
    pub count: u64,
}

#[derive(Debug, Object)]
pub struct SearchFacets {
    /// The categories directly below the one searched (top level without
    /// a category filter), with how many results fall in each.
    pub categories: Vec<CategoryCount>,
    pub vendors: Vec<VendorCount>,
    pub price_buckets: Vec<PriceBucketCount>,
}

#[derive(Debug, Object)]
pub struct SearchPage {
    /// How many products match in all.
    pub total: u64,
    pub items: Vec<SearchHit>,
    pub facets: SearchFacets,
}

pub struct SearchApi {
    pub state: AppState,
}

/// A decimal price filter in minor units of a currency with `dp` decimals.
fn minor(raw: Option<String>, field: &str, dp: u32) -> ApiResult<Option<i64>> {
    filter_price(raw, field)?
        .map(|d| {
            d.checked_mul(Decimal::from(10i64.pow(dp)))
                .and_then(|m| m.floor().to_i64())
                .ok_or_else(|| {
                    ApiError::bad_request("invalid_parameter", format!("`{field}` is too large"))
                })
        })
        .transpose()
}

#[OpenApi(prefix_path = "/v1/storefront", tag = "Tag::Storefront")]
impl SearchApi {
    /// Search products
    ///
    /// Full-text search over the brand's visible products: title matches
    /// rank above description matches, misspellings of longer words and
    /// the beginning of the last word (search-as-you-type) match too. With
    /// no text, everything the filters allow. Returns facet counts for the
    /// whole result (categories, vendors, price buckets).
    #[oai(path = "/search", method = "get", operation_id = "search_products")]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        auth: ApiKey,
        /// What the shopper typed (any text; at most 256 characters are used).
        q: Query<Option<String>>,
        /// The brand to preview (tenant admin keys only).
        brand_id: Query<Option<Uuid>>,
        /// A category path; includes everything below it.
        category: Query<Option<String>>,
        /// Only these vendors' products (repeatable).
        vendor_id: Query<Vec<Uuid>>,
        /// Lowest price, a decimal such as `10.00`.
        min_price: Query<Option<String>>,
        /// Highest price, a decimal such as `99.99`.
        max_price: Query<Option<String>>,
        /// Attribute filters, `name:value`, repeatable; values of one name
        /// are alternatives (`attr=colour:red&attr=colour:blue`).
        attr: Query<Vec<String>>,
        /// Only products with stock available (`true`).
        in_stock: Query<Option<bool>>,
        /// Order of results (default `relevance`).
        sort: Query<Option<SearchSort>>,
        /// How many products to return (1-100, default 24).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// How many results to skip (at most 10,000).
        #[oai(validator(maximum(value = "10000")))]
        offset: Query<Option<u32>>,
    ) -> ApiResult<Json<SearchPage>> {
        let key = auth.0.tenant()?;
        let brand = browsing_brand(key, brand_id.0)?;
        let index = self.state.search.clone().ok_or_else(|| {
            ApiError::new(
                poem::http::StatusCode::SERVICE_UNAVAILABLE,
                "search_unavailable",
                "this server does not serve search; send searches to a node with search enabled",
            )
        })?;
        let brand_row = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| brands::get(conn, brand).boxed())
            .await
            .map_err(|e| ApiError::from_store(e, "brand"))?;
        let currency = brand_row.currency.trim().to_owned();
        let dp = bazaar_domain::Currency::parse(&currency)
            .map(bazaar_domain::Currency::minor_units)
            .unwrap_or(2);
        let mut request = SearchRequest::new(key.tenant_id);
        request.brand_id = Some(brand);
        request.text =
            q.0.unwrap_or_default()
                .chars()
                .take(MAX_QUERY_CHARS)
                .collect();
        request.category = category
            .0
            .map(|c| c.trim_matches('/').to_owned())
            .filter(|c| !c.is_empty());
        request.vendor_ids = vendor_id.0;
        request.price_min_minor = minor(min_price.0, "min_price", dp)?;
        request.price_max_minor = minor(max_price.0, "max_price", dp)?;
        request.attributes = attribute_pairs(attr.0)?;
        request.in_stock_only = in_stock.0.unwrap_or(false);
        request.sort = match sort.0.unwrap_or(SearchSort::Relevance) {
            SearchSort::Relevance => Sort::Relevance,
            SearchSort::PriceAsc => Sort::PriceAsc,
            SearchSort::PriceDesc => Sort::PriceDesc,
            SearchSort::Newest => Sort::Newest,
        };
        request.limit = limit.0.unwrap_or(24) as usize;
        request.offset = offset.0.unwrap_or(0) as usize;
        // The default edges are in hundredths (10.00, 25.00, ...): the same
        // amounts in this currency's minor units.
        request.price_bucket_edges_minor = bazaar_search::DEFAULT_PRICE_BUCKET_EDGES_MINOR
            .iter()
            .map(|edge| edge * 10i64.pow(dp) / 100)
            .collect();
        let found: SearchResult = index.search(request).await.map_err(ApiError::internal)?;

        // The page's products, read now: a listing hidden since it was
        // indexed is left out.
        let ids: Vec<Uuid> = found.hits.iter().map(|h| h.listing_id).collect();
        let rows = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                async move { listings::cards(conn, brand, &ids).await }.boxed()
            })
            .await?;
        let mut rows: HashMap<Uuid, listings::BrowseRow> =
            rows.into_iter().map(|r| (r.listing_id, r)).collect();
        let items = found
            .hits
            .into_iter()
            .filter_map(|hit| {
                rows.remove(&hit.listing_id).map(|row| SearchHit {
                    product: card(&self.state, row, &currency),
                    title_snippet: hit.title_snippet,
                    description_snippet: hit.description_snippet,
                })
            })
            .collect();
        let price = |minor: i64| money(Decimal::new(minor, dp), &currency);
        Ok(Json(SearchPage {
            total: found.total as u64,
            items,
            facets: SearchFacets {
                categories: found
                    .facets
                    .categories
                    .into_iter()
                    .map(|(path, count)| CategoryCount { path, count })
                    .collect(),
                vendors: found
                    .facets
                    .vendors
                    .into_iter()
                    .map(|(vendor_id, count)| VendorCount { vendor_id, count })
                    .collect(),
                price_buckets: found
                    .facets
                    .price_buckets
                    .into_iter()
                    .map(|b| PriceBucketCount {
                        from: price(b.from_minor),
                        to: b.to_minor.map(price),
                        count: b.count,
                    })
                    .collect(),
            },
        }))
    }
}
