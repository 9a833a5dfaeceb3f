//! Product search over this node's tantivy index. The index answers which
//! listings match, in what order and with which facet counts, always within
//! the key's tenant and brand; the page's products are then read from the
//! database, so what a shopper sees is current even in the moment before
//! the index catches up.

use std::collections::HashMap;

use bazaar_domain::Currency;
use bazaar_search::{SearchError, SearchRequest, Sort};
use bazaar_store::StoreError;
use bazaar_store::tenant::brands;
use bazaar_store::tenant::listings::{self, BrowseRow};
use futures_util::FutureExt;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

use crate::catalog::browse::{self, BrowseRefusal};
use crate::{Failure, Outcome, Services, TenantKey, refusals};

/// The longest query text taken; longer text is cut (and says so nowhere:
/// no shopper types this much on purpose).
const MAX_QUERY_CHARS: usize = 256;

refusals! {
    /// Why a search is refused.
    pub enum SearchRefusal {
        /// Who may browse which brand, and the filters' form, as for a
        /// browse.
        Browse(BrowseRefusal) => delegate;
        /// This node keeps no search index.
        NotServed => Unavailable, "search_unavailable",
            "this server does not serve search; send searches to a node with search enabled";
        /// A price filter beyond what the index holds in minor units.
        PriceTooLarge { field: String } => Invalid, "invalid_parameter", "`{field}` is too large";
        /// Not a `next_cursor` this search gave out.
        InvalidCursor => Invalid, "invalid_cursor",
            "`cursor` must be the `next_cursor` of an earlier page of this search";
    }
}

/// A search as the shopper asked for it; filters are as sent, checked
/// here.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// What the shopper typed (at most 256 characters are used).
    pub text: Option<String>,
    /// The brand to preview (tenant admin keys only).
    pub brand_id: Option<Uuid>,
    /// A category path; includes everything below it.
    pub category: Option<String>,
    pub vendor_ids: Vec<Uuid>,
    /// A decimal such as `10.00`.
    pub min_price: Option<String>,
    pub max_price: Option<String>,
    /// `name:value` each; values of one name are alternatives.
    pub attributes: Vec<String>,
    pub in_stock: bool,
    pub sort: Sort,
    pub limit: usize,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
}

/// How deep a search pages: results past this many are not served (ask a
/// narrower question instead).
pub const MAX_DEPTH: usize = 10_000;

/// A cursor is the position of the next page's first result. Results are
/// ranked by relevance, which has no stable key to page after as a browse
/// does, so the position is what a cursor can carry; it is opaque so the
/// API can change what it holds.
fn encode_cursor(position: usize) -> String {
    hex::encode(format!("s|{position}"))
}

fn decode_cursor(raw: &str) -> Result<usize, SearchRefusal> {
    let text = hex::decode(raw)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(SearchRefusal::InvalidCursor)?;
    text.strip_prefix("s|")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n <= MAX_DEPTH)
        .ok_or(SearchRefusal::InvalidCursor)
}

/// One product found, with the matching words highlighted.
#[derive(Debug, Clone)]
pub struct FoundProduct {
    pub row: BrowseRow,
    /// The title with matching words in `<b>`...`</b>` (HTML-escaped).
    pub title_snippet: String,
    /// A passage of the description with matching words in `<b>`...`</b>`.
    pub description_snippet: String,
}

/// Listings priced from `from` up to `to` (open-ended when `None`).
#[derive(Debug, Clone, Copy)]
pub struct PriceRange {
    pub from: Decimal,
    pub to: Option<Decimal>,
    pub count: u64,
}

/// Counts over the whole result.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    /// The categories directly below the one searched, as paths.
    pub categories: Vec<(String, u64)>,
    pub vendors: Vec<(Uuid, u64)>,
    pub price_buckets: Vec<PriceRange>,
}

/// What a search found, priced in the brand's currency.
#[derive(Debug, Clone)]
pub struct Found {
    /// How many products match in all.
    pub total: u64,
    /// The cursor of the next page, when there is one.
    pub next_cursor: Option<String>,
    pub products: Vec<FoundProduct>,
    pub facets: Facets,
    pub currency: Currency,
}

/// A decimal price filter in minor units of a currency with `dp` decimals.
fn minor(raw: Option<String>, field: &str, dp: u32) -> Result<Option<i64>, SearchRefusal> {
    browse::price_filter(raw, field)?
        .map(|d| {
            d.checked_mul(Decimal::from(10i64.pow(dp)))
                .and_then(|m| m.floor().to_i64())
                .ok_or_else(|| SearchRefusal::PriceTooLarge {
                    field: field.to_owned(),
                })
        })
        .transpose()
}

/// Search the brand's visible products: title matches rank above
/// description matches, misspellings of longer words and the beginning of
/// the last word match too; with no text, everything the filters allow.
///
/// The inner `Err` is the index failing: a fault of this node, not the
/// caller's to fix.
#[tracing::instrument(skip_all)]
pub async fn search(
    services: &Services,
    key: &TenantKey,
    query: SearchQuery,
) -> Outcome<Result<Found, SearchError>, SearchRefusal> {
    let brand = browse::browsing_brand(key, query.brand_id)?;
    let index = services.search.clone().ok_or(SearchRefusal::NotServed)?;
    let brand_row = services
        .db
        .tenant_read(&key.schema, move |conn| brands::get(conn, brand).boxed())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                Failure::Refused(SearchRefusal::from(BrowseRefusal::BrandNotFound))
            }
            other => Failure::Store(other),
        })?;
    let currency = brand_row.currency;
    let dp = currency.minor_units();
    let mut request = SearchRequest::new(key.tenant_id);
    request.brand_id = Some(brand);
    request.text = query
        .text
        .unwrap_or_default()
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect();
    request.category = query
        .category
        .map(|c| c.trim_matches('/').to_owned())
        .filter(|c| !c.is_empty());
    request.vendor_ids = query.vendor_ids;
    request.price_min_minor = minor(query.min_price, "min_price", dp)?;
    request.price_max_minor = minor(query.max_price, "max_price", dp)?;
    request.attributes = browse::attribute_pairs(query.attributes).map_err(SearchRefusal::from)?;
    request.in_stock_only = query.in_stock;
    request.sort = query.sort;
    request.limit = query.limit;
    request.offset = match &query.cursor {
        Some(cursor) => decode_cursor(cursor)?,
        None => 0,
    };
    let (offset, limit) = (request.offset, request.limit);
    // The default edges are in hundredths (10.00, 25.00, ...): the same
    // amounts in this currency's minor units.
    request.price_bucket_edges_minor = bazaar_search::DEFAULT_PRICE_BUCKET_EDGES_MINOR
        .iter()
        .map(|edge| edge * 10i64.pow(dp) / 100)
        .collect();
    let found = match index.search(request).await {
        Ok(found) => found,
        Err(e) => return Ok(Err(e)),
    };

    // The page's products, read now: a listing hidden since it was indexed
    // is left out.
    let ids: Vec<Uuid> = found.hits.iter().map(|h| h.listing_id).collect();
    let rows = services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move { listings::cards(conn, brand, &ids).await }.boxed()
        })
        .await?;
    let mut rows: HashMap<Uuid, BrowseRow> = rows.into_iter().map(|r| (r.listing_id, r)).collect();
    let products = found
        .hits
        .into_iter()
        .filter_map(|hit| {
            rows.remove(&hit.listing_id).map(|row| FoundProduct {
                row,
                title_snippet: hit.title_snippet,
                description_snippet: hit.description_snippet,
            })
        })
        .collect();
    let price = |minor: i64| Decimal::new(minor, dp);
    let next = offset + limit;
    let next_cursor = (next < found.total && next < MAX_DEPTH).then(|| encode_cursor(next));
    Ok(Ok(Found {
        next_cursor,
        total: found.total as u64,
        products,
        facets: Facets {
            categories: found.facets.categories,
            vendors: found.facets.vendors,
            price_buckets: found
                .facets
                .price_buckets
                .into_iter()
                .map(|b| PriceRange {
                    from: price(b.from_minor),
                    to: b.to_minor.map(price),
                    count: b.count,
                })
                .collect(),
        },
        currency,
    }))
}

#[cfg(test)]
mod cursor_tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        assert_eq!(decode_cursor(&encode_cursor(24)).ok(), Some(24));
        for bad in [
            String::new(),
            "zz".to_owned(),
            hex::encode("s|x"),
            hex::encode("n|24"),
            encode_cursor(MAX_DEPTH + 1),
        ] {
            assert!(
                matches!(decode_cursor(&bad), Err(SearchRefusal::InvalidCursor)),
                "{bad}"
            );
        }
    }
}
