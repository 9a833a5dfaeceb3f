//! Product search for Bazaar: one tantivy index per server node holding every
//! tenant's listings, queried with a tenant filter that every query carries.
//! This crate knows nothing of PostgreSQL: the follower that keeps the index
//! up to date from the change feed is `bazaar_commerce::search_feed`, started
//! by the binary.
//!
//! `doc` maps listings to documents (and alone knows the field names),
//! `query` turns a [`SearchRequest`] into a query, and [`SearchIndex`] owns
//! the index: writes, commits, searches and rebuild-and-swap.

mod doc;
mod generation;
mod highlight;
mod index;
mod layout;
mod price_buckets;
mod query;
mod search;
mod text;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use doc::ListingDoc;
pub use index::{Change, Rebuild, SearchIndex};
pub use query::{
    DEFAULT_PRICE_BUCKET_EDGES_MINOR, Facets, Hit, MAX_LIMIT, MAX_OFFSET, PriceBucket,
    SearchRequest, SearchResult, Sort,
};

/// Why a search index operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("search index directory {}: {source}", path.display())]
    Directory {
        path: PathBuf,
        #[source]
        source: tantivy::directory::error::OpenDirectoryError,
    },
    #[error("a search index rebuild is already in progress")]
    RebuildInProgress,
    /// The generation written to was replaced by a rebuild; writes retry on
    /// the new one, so callers only see this if that keeps happening.
    #[error("search index generation was retired while writing")]
    Retired,
    #[error("stored search document has no valid {0}")]
    CorruptDocument(&'static str),
    #[error("search task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}
