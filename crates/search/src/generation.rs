//! One generation of the index: a tantivy index with its single writer and a
//! reader reloaded after each commit. All calls here block; the async entry
//! points move them onto the blocking pool.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{
    Index, IndexReader, IndexSettings, IndexSortByField, IndexWriter, Order, ReloadPolicy,
    TantivyError,
};
use uuid::Uuid;

use crate::doc::{Fields, ListingDoc, TENANT_KEY};
use crate::query::{SearchRequest, SearchResult};
use crate::text::{ANALYZER, analyzer};
use crate::{Change, SearchError, search};

/// Indexing memory of one writer; one thread is plenty for a change feed.
const WRITER_MEMORY_BYTES: usize = 50_000_000;
const WRITER_THREADS: usize = 1;

pub(crate) struct Generation {
    pub(crate) number: u64,
    /// `None` for an in-memory index.
    pub(crate) dir: Option<PathBuf>,
    fields: Fields,
    reader: IndexReader,
    /// `None` once retired: a newer generation took over.
    writer: Mutex<Option<Writer>>,
}

struct Writer {
    writer: IndexWriter,
    /// Whether anything was written since the last commit.
    dirty: bool,
}

/// What opening an existing directory found.
pub(crate) enum Opened {
    Ready(Box<Generation>),
    /// The directory holds an index of an older schema: it must be rebuilt.
    SchemaChanged,
}

impl Generation {
    pub(crate) fn in_memory(number: u64) -> Result<Self, SearchError> {
        let (schema, fields) = Fields::schema();
        let index = Index::builder()
            .schema(schema)
            .settings(settings())
            .create_in_ram()?;
        Self::from_index(index, fields, number, None)
    }

    /// Opens the generation in `dir`, creating an empty one when there is none.
    pub(crate) fn open_or_create(dir: &Path, number: u64) -> Result<Opened, SearchError> {
        std::fs::create_dir_all(dir).map_err(|source| SearchError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let directory = MmapDirectory::open(dir).map_err(|source| SearchError::Directory {
            path: dir.to_owned(),
            source,
        })?;
        let (schema, fields) = Fields::schema();
        let index = if Index::exists(&directory).map_err(TantivyError::from)? {
            let index = Index::open(directory)?;
            if index.schema() != schema {
                return Ok(Opened::SchemaChanged);
            }
            index
        } else {
            Index::create(directory, schema, settings())?
        };
        Self::from_index(index, fields, number, Some(dir.to_owned()))
            .map(|generation| Opened::Ready(Box::new(generation)))
    }

    fn from_index(
        index: Index,
        fields: Fields,
        number: u64,
        dir: Option<PathBuf>,
    ) -> Result<Self, SearchError> {
        // Tokenizers are not persisted with the index: register ours on
        // every index created or opened.
        index.tokenizers().register(ANALYZER, analyzer());
        let writer = index.writer_with_num_threads(WRITER_THREADS, WRITER_MEMORY_BYTES)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            number,
            dir,
            fields,
            reader,
            writer: Mutex::new(Some(Writer {
                writer,
                dirty: false,
            })),
        })
    }

    pub(crate) fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub(crate) fn search(&self, request: &SearchRequest) -> Result<SearchResult, SearchError> {
        search::execute(&self.reader.searcher(), &self.fields, request)
    }

    pub(crate) fn upsert(&self, docs: &[ListingDoc]) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            docs.iter()
                .try_for_each(|doc| writer.upsert(&self.fields, doc))
        })
    }

    /// Applies the changes in order, then commits.
    pub(crate) fn apply(&self, changes: &[Change]) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            for change in changes {
                match change {
                    Change::Upsert(doc) => writer.upsert(&self.fields, doc)?,
                    Change::DeleteListing { listing_id } => {
                        writer.delete_listing(&self.fields, *listing_id);
                    }
                    Change::DeleteProduct {
                        tenant_id,
                        product_id,
                    } => writer.delete_product(&self.fields, *tenant_id, *product_id)?,
                    Change::DeleteTenant { tenant_id } => {
                        writer.delete_tenant(&self.fields, *tenant_id);
                    }
                }
            }
            self.commit_locked(writer)
        })
    }

    pub(crate) fn delete_listing(&self, listing_id: Uuid) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            writer.delete_listing(&self.fields, listing_id);
            Ok(())
        })
    }

    pub(crate) fn delete_product(
        &self,
        tenant_id: Uuid,
        product_id: Uuid,
    ) -> Result<(), SearchError> {
        self.with_writer(|writer| writer.delete_product(&self.fields, tenant_id, product_id))
    }

    pub(crate) fn delete_tenant(&self, tenant_id: Uuid) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            writer.delete_tenant(&self.fields, tenant_id);
            Ok(())
        })
    }

    /// Makes everything written so far durable and visible to searches.
    pub(crate) fn commit(&self) -> Result<(), SearchError> {
        self.with_writer(|writer| self.commit_locked(writer))
    }

    fn commit_locked(&self, writer: &mut Writer) -> Result<(), SearchError> {
        if writer.dirty {
            writer.writer.commit()?;
            writer.dirty = false;
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Stops writing to this generation: uncommitted changes are dropped and
    /// background merges finish, so the directory can then be removed.
    pub(crate) fn retire(&self) -> Result<(), SearchError> {
        let writer = lock(&self.writer).take();
        if let Some(Writer { writer, .. }) = writer {
            writer.wait_merging_threads()?;
        }
        Ok(())
    }

    /// Runs `write` holding the writer, or fails with
    /// [`SearchError::Retired`] once a newer generation took over.
    fn with_writer<R>(
        &self,
        write: impl FnOnce(&mut Writer) -> Result<R, SearchError>,
    ) -> Result<R, SearchError> {
        let mut guard = lock(&self.writer);
        let writer = guard.as_mut().ok_or(SearchError::Retired)?;
        write(writer)
    }
}

/// Settings of a new generation: sorted by tenant (see [`Fields::schema`]),
/// with documents stored in 4 KiB blocks rather than 16 KiB. A page reads 24
/// scattered documents, each from its own block, and decompressing a block
/// per hit was a sixth of a search's instructions; the store is ~10% larger.
fn settings() -> IndexSettings {
    IndexSettings {
        sort_by_field: Some(IndexSortByField {
            field: TENANT_KEY.to_owned(),
            order: Order::Asc,
        }),
        docstore_blocksize: 4_096,
        ..IndexSettings::default()
    }
}

impl Writer {
    /// Replaces the listing: its earlier versions are deleted first.
    fn upsert(&mut self, fields: &Fields, doc: &ListingDoc) -> Result<(), SearchError> {
        self.writer.delete_term(fields.listing_term(doc.listing_id));
        self.writer.add_document(fields.document(doc))?;
        self.dirty = true;
        Ok(())
    }

    fn delete_listing(&mut self, fields: &Fields, listing_id: Uuid) {
        self.writer.delete_term(fields.listing_term(listing_id));
        self.dirty = true;
    }

    fn delete_product(
        &mut self,
        fields: &Fields,
        tenant_id: Uuid,
        product_id: Uuid,
    ) -> Result<(), SearchError> {
        let term =
            |term| Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>;
        let product = BooleanQuery::intersection(vec![
            term(fields.tenant_term(tenant_id)),
            term(fields.product_term(product_id)),
        ]);
        self.writer.delete_query(Box::new(product))?;
        self.dirty = true;
        Ok(())
    }

    fn delete_tenant(&mut self, fields: &Fields, tenant_id: Uuid) {
        self.writer.delete_term(fields.tenant_term(tenant_id));
        self.dirty = true;
    }
}

/// A panic while holding the writer leaves nothing half-done that tantivy
/// would not recover from, so a poisoned lock is still used.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
