//! The node's search index: a handle to the generation being served, written
//! through one long-lived writer, and replaced whole by a rebuild that is
//! built aside and swapped in atomically.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arc_swap::ArcSwap;
use tracing::{info, warn};
use uuid::Uuid;

use crate::SearchError;
use crate::doc::ListingDoc;
use crate::generation::{Generation, Opened};
use crate::layout;
use crate::query::{SearchRequest, SearchResult};

/// Times a write is retried when a rebuild retires its generation under it.
const MAX_WRITE_ATTEMPTS: usize = 4;

/// One change from the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Adds the listing or replaces its earlier version.
    Upsert(Box<ListingDoc>),
    DeleteListing {
        listing_id: Uuid,
    },
    /// Deletes every listing of the product.
    DeleteProduct {
        tenant_id: Uuid,
        product_id: Uuid,
    },
    DeleteTenant {
        tenant_id: Uuid,
    },
}

/// The search index of this node, holding every tenant's listings.
///
/// Cheap to clone; clones share the index. Writes go to one writer and are
/// seen by searches after [`SearchIndex::commit`] (or [`SearchIndex::apply`],
/// which commits). The methods without `async` block: call them from
/// `spawn_blocking` or a blocking thread.
#[derive(Clone)]
pub struct SearchIndex {
    shared: Arc<Shared>,
}

struct Shared {
    serving: ArcSwap<Generation>,
    /// Where generations live; `None` for an in-memory index.
    root: Option<PathBuf>,
    next_generation: AtomicU64,
    rebuilding: AtomicBool,
    /// Set when `open` found an index of an older schema and started an
    /// empty one: whatever fed the old index must fill this one anew.
    schema_replaced: bool,
}

impl SearchIndex {
    /// Opens the index under `root`, creating it when absent. The generation
    /// named by `root/CURRENT` is served; leftovers of other generations
    /// (an interrupted rebuild) are removed. An index written with an older
    /// schema is replaced by an empty one, to be filled by a rebuild.
    pub fn open(root: &Path) -> Result<Self, SearchError> {
        let io_error = |source| SearchError::Io {
            path: root.to_owned(),
            source,
        };
        std::fs::create_dir_all(root).map_err(io_error)?;
        let current = layout::read_current(root).map_err(io_error)?;
        let existing = layout::generations(root).map_err(io_error)?;
        let mut number = current.unwrap_or(1);
        let mut replaced = false;
        let generation = loop {
            match Generation::open_or_create(&layout::generation_dir(root, number), number)? {
                Opened::Ready(generation) => break *generation,
                Opened::SchemaChanged => {
                    warn!(
                        search.generation = number,
                        "search index schema changed; serving an empty index until it is rebuilt"
                    );
                    number = existing.iter().copied().max().unwrap_or(number).max(number) + 1;
                    replaced = true;
                }
            }
        };
        if current != Some(number) {
            layout::write_current(root, number).map_err(io_error)?;
        }
        for stale in existing.into_iter().filter(|stale| *stale != number) {
            remove_generation_dir(&layout::generation_dir(root, stale));
        }
        info!(
            search.generation = number,
            search.docs = generation.num_docs(),
            "search index opened"
        );
        let mut index = Self::new(generation, Some(root.to_owned()));
        if let Some(shared) = Arc::get_mut(&mut index.shared) {
            shared.schema_replaced = replaced;
        }
        Ok(index)
    }

    /// Whether `open` replaced an index of an older schema with an empty
    /// one (which then needs a full rebuild, whatever a feed cursor says).
    pub fn schema_replaced(&self) -> bool {
        self.shared.schema_replaced
    }

    /// An index held in memory, for tests and tools.
    pub fn in_memory() -> Result<Self, SearchError> {
        Ok(Self::new(Generation::in_memory(1)?, None))
    }

    fn new(generation: Generation, root: Option<PathBuf>) -> Self {
        let next = generation.number + 1;
        Self {
            shared: Arc::new(Shared {
                serving: ArcSwap::from_pointee(generation),
                root,
                next_generation: AtomicU64::new(next),
                rebuilding: AtomicBool::new(false),
                schema_replaced: false,
            }),
        }
    }

    /// Searches the committed listings (blocking).
    pub fn search_blocking(&self, request: &SearchRequest) -> Result<SearchResult, SearchError> {
        self.shared.serving.load().search(request)
    }

    /// Searches the committed listings on the blocking pool.
    pub async fn search(&self, request: SearchRequest) -> Result<SearchResult, SearchError> {
        let index = self.clone();
        tokio::task::spawn_blocking(move || index.search_blocking(&request)).await?
    }

    /// Number of committed listings.
    pub fn num_docs(&self) -> u64 {
        self.shared.serving.load().num_docs()
    }

    /// Adds or replaces listings; seen by searches after the next commit.
    pub fn upsert(&self, docs: Vec<ListingDoc>) -> Result<(), SearchError> {
        self.write(|generation| generation.upsert(&docs))
    }

    pub fn delete_listing(&self, listing_id: Uuid) -> Result<(), SearchError> {
        self.write(|generation| generation.delete_listing(listing_id))
    }

    /// Deletes all listings of a product.
    pub fn delete_product(&self, tenant_id: Uuid, product_id: Uuid) -> Result<(), SearchError> {
        self.write(|generation| generation.delete_product(tenant_id, product_id))
    }

    pub fn delete_tenant(&self, tenant_id: Uuid) -> Result<(), SearchError> {
        self.write(|generation| generation.delete_tenant(tenant_id))
    }

    /// Makes all writes durable and visible to searches.
    pub fn commit(&self) -> Result<(), SearchError> {
        self.write(Generation::commit)
    }

    /// Applies a batch of changes in order and commits (blocking).
    pub fn apply_blocking(&self, batch: &[Change]) -> Result<(), SearchError> {
        self.write(|generation| generation.apply(batch))
    }

    /// Applies a batch of changes in order and commits, on the blocking pool.
    pub async fn apply(&self, batch: Vec<Change>) -> Result<(), SearchError> {
        let index = self.clone();
        tokio::task::spawn_blocking(move || index.apply_blocking(&batch)).await?
    }

    /// Starts building a new generation beside the one being served, which
    /// keeps serving (and taking writes) until [`Rebuild::finish`].
    ///
    /// Writes to this index after this call do not reach the rebuild: the
    /// caller (the change-feed follower) notes the feed position before
    /// reading its snapshot, and replays the feed from there into the
    /// rebuild before finishing it. One rebuild at a time.
    pub fn begin_rebuild(&self) -> Result<Rebuild, SearchError> {
        if self.shared.rebuilding.swap(true, Ordering::SeqCst) {
            return Err(SearchError::RebuildInProgress);
        }
        let number = self.shared.next_generation.fetch_add(1, Ordering::SeqCst);
        let generation = match &self.shared.root {
            Some(root) => {
                let dir = layout::generation_dir(root, number);
                remove_generation_dir(&dir);
                match Generation::open_or_create(&dir, number) {
                    Ok(Opened::Ready(generation)) => Ok(*generation),
                    Ok(Opened::SchemaChanged) => Err(SearchError::Io {
                        path: dir,
                        source: std::io::Error::other("rebuild directory was not empty"),
                    }),
                    Err(error) => Err(error),
                }
            }
            None => Generation::in_memory(number),
        };
        match generation {
            Ok(generation) => {
                info!(search.generation = number, "search index rebuild started");
                Ok(Rebuild {
                    target: self.clone(),
                    generation: Arc::new(generation),
                    finished: false,
                })
            }
            Err(error) => {
                self.shared.rebuilding.store(false, Ordering::SeqCst);
                Err(error)
            }
        }
    }

    /// Runs a write against the generation being served, again against the
    /// new one if a rebuild swapped it in meanwhile.
    fn write<R>(
        &self,
        write: impl Fn(&Generation) -> Result<R, SearchError>,
    ) -> Result<R, SearchError> {
        // A generation is retired only after its successor is served, so a
        // retry finds the successor; the bound only guards against a bug.
        for _ in 0..MAX_WRITE_ATTEMPTS {
            match write(&self.shared.serving.load()) {
                Err(SearchError::Retired) => continue,
                result => return result,
            }
        }
        Err(SearchError::Retired)
    }
}

/// A new generation being filled while the old one serves. Dropping it
/// without [`Rebuild::finish`] discards it.
pub struct Rebuild {
    target: SearchIndex,
    generation: Arc<Generation>,
    finished: bool,
}

impl Rebuild {
    /// Adds or replaces listings in the new generation.
    pub fn upsert(&self, docs: Vec<ListingDoc>) -> Result<(), SearchError> {
        self.generation.upsert(&docs)
    }

    /// Applies a batch of changes to the new generation and commits
    /// (blocking); for replaying the feed before finishing.
    pub fn apply_blocking(&self, batch: &[Change]) -> Result<(), SearchError> {
        self.generation.apply(batch)
    }

    /// Applies a batch of changes to the new generation and commits, on the
    /// blocking pool.
    pub async fn apply(&self, batch: Vec<Change>) -> Result<(), SearchError> {
        let generation = Arc::clone(&self.generation);
        tokio::task::spawn_blocking(move || generation.apply(&batch)).await?
    }

    /// Commits the new generation, to bound the memory a long rebuild holds.
    pub fn commit(&self) -> Result<(), SearchError> {
        self.generation.commit()
    }

    /// Number of committed listings in the new generation.
    pub fn num_docs(&self) -> u64 {
        self.generation.num_docs()
    }

    /// Commits the new generation, makes it the one served (and, on disk,
    /// the one opened after a restart), then retires and removes the old one.
    /// Blocking.
    pub fn finish(mut self) -> Result<(), SearchError> {
        self.generation.commit()?;
        let shared = &self.target.shared;
        if let Some(root) = &shared.root {
            layout::write_current(root, self.generation.number).map_err(|source| {
                SearchError::Io {
                    path: root.clone(),
                    source,
                }
            })?;
        }
        let old = shared.serving.swap(Arc::clone(&self.generation));
        self.finished = true;
        info!(
            search.generation = self.generation.number,
            search.docs = self.generation.num_docs(),
            "search index rebuild swapped in"
        );
        discard(&old);
        Ok(())
    }
}

impl Drop for Rebuild {
    fn drop(&mut self) {
        if !self.finished {
            warn!(
                search.generation = self.generation.number,
                "search index rebuild abandoned"
            );
            discard(&self.generation);
        }
        self.target.shared.rebuilding.store(false, Ordering::SeqCst);
    }
}

/// Retires a generation no longer served and removes its directory. Searches
/// still running on it keep their open files; failures only leave garbage,
/// which the next [`SearchIndex::open`] removes.
fn discard(generation: &Generation) {
    if let Err(error) = generation.retire() {
        warn!(search.generation = generation.number, %error, "retiring search index generation failed");
    }
    if let Some(dir) = &generation.dir {
        remove_generation_dir(dir);
    }
}

fn remove_generation_dir(dir: &Path) {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            warn!(path = %dir.display(), %error, "removing search index generation failed")
        }
    }
}
