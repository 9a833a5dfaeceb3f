//! What a shopper asks for and gets back, and the one place a request is
//! turned into a tantivy query. Every query is scoped to one tenant (and one
//! brand when given): a [`SearchRequest`] can only be made from a tenant id,
//! and [`build`] starts from that filter before anything else.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use tantivy::Term;
use tantivy::query::{
    AutomatonWeight, BooleanQuery, BoostQuery, ConstScoreQuery, DfaWrapper, EmptyQuery,
    EnableScoring, FuzzyTermQuery, Occur, PhrasePrefixQuery, Query, RangeQuery, TermQuery,
    TermSetQuery, Weight,
};
use tantivy::schema::{Facet, Field, IndexRecordOption};
use uuid::Uuid;

use crate::doc::{Fields, attribute_facet, category_facet};
use crate::text::{QueryTerm, query_terms};

/// Most hits one page can hold.
pub const MAX_LIMIT: usize = 100;

/// Deepest a shopper can page; beyond it a page is empty (totals and facets
/// are still counted).
pub const MAX_OFFSET: usize = 10_000;

/// Default price bucket edges in minor units of a two-decimal currency:
/// below 10, 10-25, 25-50, 50-100, 100-250 and 250 and up (major units).
pub const DEFAULT_PRICE_BUCKET_EDGES_MINOR: [i64; 5] = [1_000, 2_500, 5_000, 10_000, 25_000];

/// How hits are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best text match first; newest first among equals (so also with no text).
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

/// A product search within one tenant.
///
/// Built with [`SearchRequest::new`], which takes the tenant: the tenant
/// cannot be left out, and the query builder always filters on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    tenant_id: Uuid,
    /// Only listings shown in this brand.
    pub brand_id: Option<Uuid>,
    /// What the shopper typed, as typed; never parsed as query syntax.
    pub text: String,
    /// A category path ("clothing/shirts"); matches it and its subcategories.
    pub category: Option<String>,
    /// Only listings of these vendors (any of them); empty = all vendors.
    pub vendor_ids: Vec<Uuid>,
    pub price_min_minor: Option<i64>,
    pub price_max_minor: Option<i64>,
    /// Attribute filters: values of one name are alternatives
    /// (color red or blue), different names must all match.
    pub attributes: Vec<(String, String)>,
    pub in_stock_only: bool,
    pub sort: Sort,
    pub offset: usize,
    /// Capped at [`MAX_LIMIT`]; 0 returns only the total and the facets.
    pub limit: usize,
    /// Upper edges of the price buckets in minor units, ascending; the last
    /// bucket is open-ended. Scale these for currencies whose minor unit is
    /// not a hundredth.
    pub price_bucket_edges_minor: Vec<i64>,
}

impl SearchRequest {
    /// Everything of `tenant_id`, relevance order, first 20 hits.
    pub fn new(tenant_id: Uuid) -> Self {
        Self {
            tenant_id,
            brand_id: None,
            text: String::new(),
            category: None,
            vendor_ids: Vec::new(),
            price_min_minor: None,
            price_max_minor: None,
            attributes: Vec::new(),
            in_stock_only: false,
            sort: Sort::Relevance,
            offset: 0,
            limit: 20,
            price_bucket_edges_minor: DEFAULT_PRICE_BUCKET_EDGES_MINOR.to_vec(),
        }
    }

    pub fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }
}

/// One page of hits with the total and the facet counts of all matches.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// Number of listings matching, across all pages.
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub listing_id: Uuid,
    pub product_id: Uuid,
    pub score: f32,
    /// HTML-escaped title with matched words in `<b>..</b>`.
    pub title_snippet: String,
    /// HTML-escaped extract of the description with matched words in `<b>..</b>`.
    pub description_snippet: String,
}

/// Counts over all matching listings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Subcategories of the requested category (top-level categories when
    /// none was requested) as full paths, most listings first.
    pub categories: Vec<(String, u64)>,
    /// Vendors, most listings first.
    pub vendors: Vec<(Uuid, u64)>,
    /// One bucket per price range, in ascending order, empty ones included.
    pub price_buckets: Vec<PriceBucket>,
}

/// Listings priced from `from_minor` (inclusive) up to `to_minor` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceBucket {
    pub from_minor: i64,
    /// `None` for the open-ended top bucket.
    pub to_minor: Option<i64>,
    pub count: u64,
}

/// Weight of a title match relative to a description match.
const TITLE_BOOST: f32 = 3.0;
const VENDOR_NAME_BOOST: f32 = 1.5;
const DESCRIPTION_BOOST: f32 = 1.0;
/// Typo and prefix matches score a constant, scaled below exact matches.
const FUZZY_WEIGHT: f32 = 0.5;
const PREFIX_WEIGHT: f32 = 0.7;
/// Distinct indexed words a half-typed word may stand for.
const PREFIX_MAX_EXPANSIONS: u32 = 256;

/// A request turned into a tantivy query, with what the result needs of it.
pub(crate) struct CompiledQuery {
    pub(crate) query: Box<dyn Query>,
    pub(crate) words: Vec<Word>,
    pub(crate) category: Option<Facet>,
}

/// One word of the shopper's text with the Levenshtein automata of its typo
/// matches. An automaton depends on the word only, so it is built once and
/// shared by every field's clause and by the highlighter (building them was
/// a tenth of a search when each clause built its own).
pub(crate) struct Word {
    pub(crate) term: QueryTerm,
    /// Words within [`QueryTerm::fuzzy_distance`] of the stemmed word.
    pub(crate) typo: Option<Arc<DfaWrapper>>,
    /// Words starting with a word one edit away from the word as typed.
    pub(crate) typo_prefix: Option<Arc<DfaWrapper>>,
}

impl Word {
    fn new(term: QueryTerm, fields: &Fields) -> tantivy::Result<Self> {
        let distance = term.fuzzy_distance();
        // The field is irrelevant: an automaton matches the word's text.
        let text = |text: &str| Term::from_field_text(fields.title, text);
        let mut typo = None;
        let mut typo_prefix = None;
        if distance > 0 {
            typo = Some(Arc::new(
                FuzzyTermQuery::new(text(&term.stemmed), distance, true).automaton()?,
            ));
            if term.as_prefix() {
                typo_prefix = Some(Arc::new(
                    FuzzyTermQuery::new_prefix(text(&term.typed), 1, true).automaton()?,
                ));
            }
        }
        Ok(Self {
            term,
            typo,
            typo_prefix,
        })
    }
}

/// Builds the query of a request: the tenant filter, then the other
/// filters, then the text.
pub(crate) fn build(request: &SearchRequest, fields: &Fields) -> tantivy::Result<CompiledQuery> {
    let mut filters: Vec<Box<dyn Query>> = vec![term_query(fields.tenant_term(request.tenant_id))];
    if let Some(brand_id) = request.brand_id {
        filters.push(term_query(fields.brand_term(brand_id)));
    }
    let category = request.category.as_deref().and_then(category_facet);
    if let Some(category) = &category {
        filters.push(term_query(fields.category_term(category)));
    }
    if !request.vendor_ids.is_empty() {
        let vendors = request.vendor_ids.iter().map(|id| fields.vendor_term(*id));
        filters.push(Box::new(TermSetQuery::new(vendors)));
    }
    if let Some(price) = price_filter(request, fields) {
        filters.push(price);
    }
    filters.extend(attribute_filters(&request.attributes, fields));
    if request.in_stock_only {
        filters.push(term_query(fields.in_stock_term()));
    }
    // Filters decide what matches, never how well it matches.
    let filter: Box<dyn Query> = Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::intersection(filters)),
        0.0,
    ));

    let words = query_terms(&request.text)
        .into_iter()
        .map(|term| Word::new(term, fields))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let query = if words.is_empty() {
        filter
    } else {
        let clauses = words.iter().map(|word| word_query(word, fields)).collect();
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, filter),
            (Occur::Must, Box::new(BooleanQuery::intersection(clauses))),
        ]))
    };
    Ok(CompiledQuery {
        query,
        words,
        category,
    })
}

/// The fields text is searched in, with their weights.
pub(crate) fn text_fields(fields: &Fields) -> [(Field, f32); 3] {
    [
        (fields.title, TITLE_BOOST),
        (fields.vendor_name, VENDOR_NAME_BOOST),
        (fields.description, DESCRIPTION_BOOST),
    ]
}

/// One word must match somewhere: exactly, with a typo, or (when it may be
/// half-typed) as the start of a word.
fn word_query(word: &Word, fields: &Fields) -> Box<dyn Query> {
    let term = &word.term;
    let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
    for (field, boost) in text_fields(fields) {
        let exact = Term::from_field_text(field, &term.stemmed);
        alternatives.push(boosted(
            TermQuery::new(exact, IndexRecordOption::WithFreqs),
            boost,
        ));
        if let Some(typo) = &word.typo {
            alternatives.push(boosted(
                AutomatonQuery::new(field, typo),
                boost * FUZZY_WEIGHT,
            ));
        }
        if term.as_prefix() {
            let typed = Term::from_field_text(field, &term.typed);
            let mut prefix = PhrasePrefixQuery::new(vec![typed]);
            prefix.set_max_expansions(PREFIX_MAX_EXPANSIONS);
            alternatives.push(boosted(prefix, boost * PREFIX_WEIGHT));
            if let Some(typo_prefix) = &word.typo_prefix {
                alternatives.push(boosted(
                    AutomatonQuery::new(field, typo_prefix),
                    boost * FUZZY_WEIGHT * PREFIX_WEIGHT,
                ));
            }
        }
    }
    Box::new(BooleanQuery::union(alternatives))
}

/// The words of a field that a shared automaton accepts, each match scoring
/// 1 as a [`FuzzyTermQuery`]'s does (it is the same weight).
#[derive(Clone)]
struct AutomatonQuery {
    field: Field,
    automaton: Arc<DfaWrapper>,
}

impl AutomatonQuery {
    fn new(field: Field, automaton: &Arc<DfaWrapper>) -> Self {
        Self {
            field,
            automaton: Arc::clone(automaton),
        }
    }
}

impl fmt::Debug for AutomatonQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AutomatonQuery")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl Query for AutomatonQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<DfaWrapper>::new(
            self.field,
            Arc::clone(&self.automaton),
        )))
    }
}

fn price_filter(request: &SearchRequest, fields: &Fields) -> Option<Box<dyn Query>> {
    let (min, max) = (request.price_min_minor, request.price_max_minor);
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        return Some(Box::new(EmptyQuery));
    }
    if min.is_none() && max.is_none() {
        return None;
    }
    let bound = |value: Option<i64>| match value {
        Some(value) => Bound::Included(fields.price_term(value)),
        None => Bound::Unbounded,
    };
    Some(Box::new(RangeQuery::new(bound(min), bound(max))))
}

/// One filter per attribute name, matching any of the values asked for it.
fn attribute_filters(attributes: &[(String, String)], fields: &Fields) -> Vec<Box<dyn Query>> {
    let mut by_name: BTreeMap<String, Vec<Box<dyn Query>>> = BTreeMap::new();
    for (name, value) in attributes {
        let Some(facet) = attribute_facet(name, value) else {
            continue;
        };
        let name = facet
            .to_path()
            .first()
            .copied()
            .unwrap_or_default()
            .to_owned();
        by_name
            .entry(name)
            .or_default()
            .push(term_query(fields.attribute_term(&facet)));
    }
    by_name
        .into_values()
        .map(|values| Box::new(BooleanQuery::union(values)) as Box<dyn Query>)
        .collect()
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}

fn boosted(query: impl Query, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(Box::new(query), boost))
}
