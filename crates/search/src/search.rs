//! Running a request against one searcher: one pass over the matches
//! collects the page, the total and the facet counts; the page's documents
//! are then read for their ids and snippets.

use std::fmt::Debug;
use std::ops::Range;

use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::{Collector, Count, FacetCollector, FacetCounts, SortKeyComputer, TopDocs};
use tantivy::query::Query;
use tantivy::schema::{Facet, TantivyDocument};
use tantivy::{DocAddress, Order, Score, Searcher};

use crate::SearchError;
use crate::doc::{
    CATEGORY, CREATED_AT_MICROS, Fields, PRICE_MINOR, VENDOR, facet_path, vendor_of_facet,
};
use crate::highlight::Highlighter;
use crate::price_buckets::PriceBucketCollector;
use crate::query::{self, Facets, Hit, MAX_LIMIT, MAX_OFFSET, SearchRequest, SearchResult, Sort};

/// Most facet values returned per facet.
const MAX_FACET_VALUES: usize = 100;

pub(crate) fn execute(
    searcher: &Searcher,
    fields: &Fields,
    request: &SearchRequest,
) -> Result<SearchResult, SearchError> {
    let compiled = query::build(request, fields)?;
    let category_parent = compiled.category.clone().unwrap_or_else(Facet::root);
    let price_buckets = PriceBucketCollector::new(&request.price_bucket_edges_minor);
    let mut categories = FacetCollector::for_field(CATEGORY);
    categories.add_facet(category_parent.clone());
    let mut vendors = FacetCollector::for_field(VENDOR);
    vendors.add_facet(Facet::root());
    let facets = (categories, vendors, price_buckets.clone());

    let query = compiled.query.as_ref();
    let page = page(request);
    let newest = || {
        (
            SortByStaticFastValue::<i64>::for_field(CREATED_AT_MICROS),
            Order::Desc,
        )
    };
    let by_score = || (SortBySimilarityScore, Order::Desc);
    let price = |order| (SortByStaticFastValue::<i64>::for_field(PRICE_MINOR), order);
    let (total, top, (category_counts, vendor_counts, bucket_counts)) = match request.sort {
        Sort::Relevance => collect(
            searcher,
            query,
            page,
            (by_score(), newest()),
            |k| k.0,
            facets,
        ),
        Sort::Newest => collect(
            searcher,
            query,
            page,
            (newest(), by_score()),
            |k| k.1,
            facets,
        ),
        Sort::PriceAsc => collect(
            searcher,
            query,
            page,
            (price(Order::Asc), by_score()),
            |k| k.1,
            facets,
        ),
        Sort::PriceDesc => collect(
            searcher,
            query,
            page,
            (price(Order::Desc), by_score()),
            |k| k.1,
            facets,
        ),
    }?;

    let hits = if top.is_empty() {
        Vec::new()
    } else {
        let highlighter = Highlighter::new(searcher, fields, &compiled.words)?;
        top.into_iter()
            .map(|(score, address)| {
                let doc: TantivyDocument = searcher.doc(address)?;
                let listing = fields.stored(&doc)?;
                Ok(Hit {
                    listing_id: listing.listing_id,
                    product_id: listing.product_id,
                    score,
                    title_snippet: highlighter.title(&listing.title),
                    description_snippet: highlighter.description(&listing.description),
                })
            })
            .collect::<Result<_, SearchError>>()?
    };

    Ok(SearchResult {
        total,
        hits,
        facets: Facets {
            categories: counts(&category_counts, category_parent, |facet| {
                Some(facet_path(facet))
            }),
            vendors: counts(&vendor_counts, Facet::root(), vendor_of_facet),
            price_buckets: price_buckets.buckets(&bucket_counts),
        },
    })
}

/// The window of hits to return, or `None` when no hit is asked for.
fn page(request: &SearchRequest) -> Option<Range<usize>> {
    let limit = request.limit.min(MAX_LIMIT);
    (limit > 0 && request.offset < MAX_OFFSET).then(|| request.offset..request.offset + limit)
}

type Page = Vec<(Score, DocAddress)>;

/// Runs the query once, collecting the count, the page in the order of
/// `sort_key` (with each hit's relevance score, which `score_of` picks out
/// of the sort key), and the facets.
fn collect<S, F>(
    searcher: &Searcher,
    query: &dyn Query,
    page: Option<Range<usize>>,
    sort_key: S,
    score_of: impl Fn(&S::SortKey) -> Score,
    facets: F,
) -> Result<(usize, Page, F::Fruit), SearchError>
where
    S: SortKeyComputer + Send + 'static,
    S::SortKey: 'static + Clone + Send + Sync + Debug,
    F: Collector,
{
    let top = page.map(|range| TopDocs::for_doc_range(range).order_by(sort_key));
    let (total, top, facets) = searcher.search(query, &(Count, top, facets))?;
    let top = top
        .unwrap_or_default()
        .into_iter()
        .map(|(key, address)| (score_of(&key), address))
        .collect();
    Ok((total, top, facets))
}

/// The children of `parent` with their counts, most first, ties by name.
fn counts<T>(
    facet_counts: &FacetCounts,
    parent: Facet,
    value_of: impl Fn(&Facet) -> Option<T>,
) -> Vec<(T, u64)> {
    let mut children: Vec<(&Facet, u64)> = facet_counts.get(parent).collect();
    children.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    children
        .into_iter()
        .filter_map(|(facet, count)| value_of(facet).map(|value| (value, count)))
        .take(MAX_FACET_VALUES)
        .collect()
}
