//! `GET /v1/storefront/search`: product search over this node's tantivy
//! index, the edge of `bazaar_commerce::search`.

use bazaar_commerce::search::{self, Found, SearchQuery};
use bazaar_search::Sort;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Tag, money};
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Settings};
use crate::types::ProductCard;

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

impl From<SearchSort> for Sort {
    fn from(s: SearchSort) -> Self {
        match s {
            SearchSort::Relevance => Sort::Relevance,
            SearchSort::PriceAsc => Sort::PriceAsc,
            SearchSort::PriceDesc => Sort::PriceDesc,
            SearchSort::Newest => Sort::Newest,
        }
    }
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
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

impl SearchPage {
    fn new(settings: &Settings, found: Found) -> Self {
        let Found {
            total,
            next_cursor,
            products,
            facets,
            currency,
        } = found;
        Self {
            total,
            next_cursor,
            items: products
                .into_iter()
                .map(|p| SearchHit {
                    product: ProductCard::new(settings, p.row, currency),
                    title_snippet: p.title_snippet,
                    description_snippet: p.description_snippet,
                })
                .collect(),
            facets: SearchFacets {
                categories: facets
                    .categories
                    .into_iter()
                    .map(|(path, count)| CategoryCount { path, count })
                    .collect(),
                vendors: facets
                    .vendors
                    .into_iter()
                    .map(|(vendor_id, count)| VendorCount { vendor_id, count })
                    .collect(),
                price_buckets: facets
                    .price_buckets
                    .into_iter()
                    .map(|b| PriceBucketCount {
                        from: money(b.from, currency),
                        to: b.to.map(|to| money(to, currency)),
                        count: b.count,
                    })
                    .collect(),
            },
        }
    }
}

pub struct SearchApi {
    pub state: AppState,
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
        vendor_id: Query<Option<Vec<Uuid>>>,
        /// Lowest price, a decimal such as `10.00`.
        min_price: Query<Option<String>>,
        /// Highest price, a decimal such as `99.99`.
        max_price: Query<Option<String>>,
        /// Attribute filters, `name:value`, repeatable; values of one name
        /// are alternatives (`attr=colour:red&attr=colour:blue`).
        attr: Query<Option<Vec<String>>>,
        /// Only products with stock available (`true`).
        in_stock: Query<Option<bool>>,
        /// Order of results (default `relevance`).
        sort: Query<Option<SearchSort>>,
        /// How many products to return (1-100, default 24).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page (search pages as deep as
        /// 10,000 results).
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<SearchPage>> {
        let key = auth.0.tenant()?;
        let query = SearchQuery {
            text: q.0,
            brand_id: brand_id.0,
            category: category.0,
            vendor_ids: vendor_id.0.unwrap_or_default(),
            min_price: min_price.0,
            max_price: max_price.0,
            attributes: attr.0.unwrap_or_default(),
            in_stock: in_stock.0.unwrap_or(false),
            sort: sort.0.unwrap_or(SearchSort::Relevance).into(),
            limit: limit.0.unwrap_or(24) as usize,
            cursor: cursor.0,
        };
        let found = search::search(&self.state, key, query)
            .await?
            .map_err(ApiError::internal)?;
        Ok(Json(SearchPage::new(&self.state.settings, found)))
    }
}
