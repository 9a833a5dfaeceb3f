//! Behaviour of the search crate against real in-memory (and, for the
//! generation handling, on-disk) indexes.

mod filters;
mod lifecycle;
mod matching;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use crate::{ListingDoc, SearchIndex, SearchRequest, SearchResult};

/// A listing of `tenant_id` with only a title; everything else is neutral.
fn listing(tenant_id: Uuid, title: &str) -> ListingDoc {
    ListingDoc {
        tenant_id,
        brand_id: Uuid::new_v4(),
        listing_id: Uuid::new_v4(),
        product_id: Uuid::new_v4(),
        vendor_id: Uuid::new_v4(),
        vendor_name: "Acme".to_owned(),
        title: title.to_owned(),
        description: String::new(),
        category_path: None,
        attributes: Vec::new(),
        price_minor: 1_000,
        currency: "USD".to_owned(),
        in_stock: true,
        created_at: at(0),
    }
}

/// A fixed instant plus `seconds`.
fn at(seconds: i64) -> DateTime<Utc> {
    let epoch = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single();
    epoch.expect("valid date") + Duration::seconds(seconds)
}

/// An in-memory index holding `docs`, committed.
fn index_with(docs: Vec<ListingDoc>) -> SearchIndex {
    let index = SearchIndex::in_memory().expect("in-memory index");
    index.upsert(docs).expect("upsert");
    index.commit().expect("commit");
    index
}

fn search(index: &SearchIndex, request: &SearchRequest) -> SearchResult {
    index.search_blocking(request).expect("search")
}

/// A search of `tenant_id` for `text`, with defaults otherwise.
fn text_request(tenant_id: Uuid, text: &str) -> SearchRequest {
    let mut request = SearchRequest::new(tenant_id);
    request.text = text.to_owned();
    request
}

fn ids(result: &SearchResult) -> Vec<Uuid> {
    result.hits.iter().map(|hit| hit.listing_id).collect()
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("bazaar-search-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory in the temp dir harms nothing.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
