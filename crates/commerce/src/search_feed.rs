//! The node's search follower: keeps this node's tantivy index in step with
//! the catalog by following the search feed (`control.search_changes`)
//! from its own cursor, stored beside the index so a node that was down
//! catches up from where it stopped. Each poll reads the changes of
//! transactions below the current horizon, re-reads the changed products'
//! visible listings and applies them in one commit. A change naming no
//! product re-reads the whole tenant; the `*` schema rebuilds the index
//! aside (the old one keeps answering) and swaps it in.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bazaar_search::{Change, ListingDoc, SearchIndex};
use bazaar_store::control::tenants;
use bazaar_store::search_feed::{self, ALL_TENANTS, SearchRow};
use bazaar_store::{Db, StoreError, TenantSchema};
use futures_util::FutureExt;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

/// Feed rows read per query.
const FEED_PAGE: i64 = 2_000;
/// Listings read per query in a rebuild.
const REBUILD_PAGE: i64 = 2_000;
/// A node reports where it stands at least this often.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// Feed rows are kept this long; a node whose cursor is older rebuilds.
pub const FEED_RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// Why a step of the follower failed (it retries on the next poll).
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] bazaar_search::SearchError),
    #[error("search cursor file {}: {source}", path.display())]
    Cursor {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("search task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Follows the feed into `index` on behalf of node `node`.
pub struct Follower {
    db: Db,
    index: SearchIndex,
    node: String,
    /// Where the cursor is kept (`None`: in memory only).
    cursor_file: Option<PathBuf>,
    cursor: Option<i64>,
    /// Tenant ids by schema name, reloaded when a schema is unknown.
    tenants: HashMap<String, Uuid>,
    reported: Option<Instant>,
}

impl Follower {
    /// A follower for `index`, whose cursor lives in `dir/feed.cursor`
    /// when `dir` is given.
    pub fn new(db: Db, index: SearchIndex, node: String, dir: Option<&Path>) -> Self {
        let cursor_file = dir.map(|d| d.join("feed.cursor"));
        // An index started afresh after a schema change holds nothing the
        // cursor speaks for: rebuild it from the database.
        let cursor = if index.schema_replaced() {
            tracing::warn!("search index schema changed; rebuilding it from the database");
            None
        } else {
            cursor_file.as_deref().and_then(read_cursor)
        };
        Self {
            db,
            index,
            node,
            cursor_file,
            cursor,
            tenants: HashMap::new(),
            reported: None,
        }
    }

    /// Follow the feed every `every` until the task is dropped.
    pub fn spawn(mut self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(err) = self.step().await {
                    tracing::warn!(error = %err, "search follower step failed; retrying");
                }
            }
        })
    }

    /// One poll: rebuild when the index has no cursor, otherwise apply the
    /// changes that became final since the cursor. Returns the number of
    /// feed rows applied.
    pub async fn step(&mut self) -> Result<usize, FollowError> {
        let Some(from) = self.cursor else {
            self.rebuild_all().await?;
            return Ok(0);
        };
        let to = self.horizon().await?;
        if to <= from {
            self.heartbeat(false).await?;
            return Ok(0);
        }
        let mut products: BTreeMap<String, BTreeSet<Uuid>> = BTreeMap::new();
        let mut whole: BTreeSet<String> = BTreeSet::new();
        let mut rebuild = false;
        let mut after = 0;
        let mut read = 0;
        loop {
            let page = self
                .db
                .control_tx(move |conn| {
                    search_feed::changes(conn, from, to, after, FEED_PAGE).boxed()
                })
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            read += page.len();
            let full = page.len() as i64 == FEED_PAGE;
            for change in page {
                match change.product_id {
                    _ if change.schema_name == ALL_TENANTS => rebuild = true,
                    None => {
                        whole.insert(change.schema_name);
                    }
                    Some(product) => {
                        products
                            .entry(change.schema_name)
                            .or_default()
                            .insert(product);
                    }
                }
            }
            if !full {
                break;
            }
        }
        if rebuild {
            // Everything is re-read from a later horizon.
            self.rebuild_all().await?;
            return Ok(read);
        }
        let mut batch = Vec::new();
        for schema in &whole {
            products.remove(schema);
            batch.extend(self.tenant_changes(schema).await?);
        }
        for (schema, ids) in products {
            batch.extend(self.product_changes(&schema, ids).await?);
        }
        if !batch.is_empty() {
            self.index.apply(batch).await?;
        }
        self.advance(to)?;
        self.heartbeat(true).await?;
        Ok(read)
    }

    async fn horizon(&self) -> Result<i64, FollowError> {
        Ok(self
            .db
            .control_tx(|conn| search_feed::horizon(conn).boxed())
            .await?)
    }

    /// The tenant of a schema, or `None` for a schema that is no tenant's
    /// (a spare being built, or a tenant since removed).
    async fn tenant_of(&mut self, schema: &str) -> Result<Option<Uuid>, FollowError> {
        if !self.tenants.contains_key(schema) {
            self.tenants = tenants::all(&self.db)
                .await?
                .into_iter()
                .map(|t| (t.schema_name, t.id))
                .collect();
        }
        Ok(self.tenants.get(schema).copied())
    }

    /// Replace the listings of `ids` with what the database holds now.
    async fn product_changes(
        &mut self,
        schema: &str,
        ids: BTreeSet<Uuid>,
    ) -> Result<Vec<Change>, FollowError> {
        let Some(tenant) = self.tenant_of(schema).await? else {
            return Ok(Vec::new());
        };
        let ids: Vec<Uuid> = ids.into_iter().collect();
        let schema = TenantSchema::new(schema)?;
        let rows = {
            let ids = ids.clone();
            self.db
                .tenant_tx(&schema, move |conn| {
                    async move { search_feed::rows_of_products(conn, &ids).await }.boxed()
                })
                .await?
        };
        let mut changes: Vec<Change> = ids
            .into_iter()
            .map(|product_id| Change::DeleteProduct {
                tenant_id: tenant,
                product_id,
            })
            .collect();
        changes.extend(
            rows.into_iter()
                .map(|row| Change::Upsert(Box::new(document(tenant, row)))),
        );
        Ok(changes)
    }

    /// A page of a schema's visible listings after `after`, and where the
    /// next page starts (`None` after the last).
    async fn page(
        &self,
        schema: &TenantSchema,
        after: Option<Uuid>,
    ) -> Result<(Vec<SearchRow>, Option<Uuid>), FollowError> {
        let page = self
            .db
            .tenant_tx(schema, move |conn| {
                search_feed::rows_page(conn, after, REBUILD_PAGE).boxed()
            })
            .await?;
        let next = if page.len() as i64 == REBUILD_PAGE {
            page.last().map(|r| r.listing_id)
        } else {
            None
        };
        Ok((page, next))
    }

    /// Replace all of a tenant's listings (in the same commit as the rest
    /// of the batch, so searches never see the tenant half-indexed).
    async fn tenant_changes(&mut self, schema: &str) -> Result<Vec<Change>, FollowError> {
        let Some(tenant) = self.tenant_of(schema).await? else {
            return Ok(Vec::new());
        };
        let mut changes = vec![Change::DeleteTenant { tenant_id: tenant }];
        let schema = TenantSchema::new(schema)?;
        let mut after = None;
        loop {
            let (page, next) = self.page(&schema, after).await?;
            changes.extend(
                page.into_iter()
                    .map(|row| Change::Upsert(Box::new(document(tenant, row)))),
            );
            match next {
                Some(_) => after = next,
                None => break,
            }
        }
        Ok(changes)
    }

    /// Build a new generation from every active tenant while the current
    /// one keeps answering, then swap it in. The cursor becomes the horizon
    /// taken before the first read, so changes made during the rebuild are
    /// applied after it.
    async fn rebuild_all(&mut self) -> Result<(), FollowError> {
        let started = Instant::now();
        let horizon = self.horizon().await?;
        let all: Vec<_> = tenants::all(&self.db)
            .await?
            .into_iter()
            .filter(|t| t.is_active())
            .collect();
        self.tenants = all.iter().map(|t| (t.schema_name.clone(), t.id)).collect();
        let mut total = 0i64;
        for t in &all {
            let schema = t.schema()?;
            total += self
                .db
                .tenant_tx(&schema, |conn| search_feed::count_rows(conn).boxed())
                .await?;
        }
        let mut rebuild = self.index.begin_rebuild()?;
        let mut done = 0i64;
        for t in &all {
            let schema = t.schema()?;
            let mut after = None;
            loop {
                let (page, next) = self.page(&schema, after).await?;
                done += page.len() as i64;
                let docs: Vec<ListingDoc> =
                    page.into_iter().map(|row| document(t.id, row)).collect();
                // Writing may block on the writer: off the async threads,
                // handing the rebuild there and back.
                rebuild =
                    tokio::task::spawn_blocking(move || rebuild.upsert(docs).map(|()| rebuild))
                        .await??;
                self.report(horizon, Some((done, total))).await?;
                match next {
                    Some(_) => after = next,
                    None => break,
                }
            }
        }
        tokio::task::spawn_blocking(move || rebuild.finish()).await??;
        self.advance(horizon)?;
        self.heartbeat(true).await?;
        tracing::info!(
            search.listings = done,
            search.tenants = all.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index rebuilt"
        );
        Ok(())
    }

    /// Move the cursor and keep it on disk (written aside, then renamed).
    fn advance(&mut self, to: i64) -> Result<(), FollowError> {
        self.cursor = Some(to);
        if let Some(path) = &self.cursor_file {
            let aside = path.with_extension("next");
            std::fs::write(&aside, to.to_string())
                .and_then(|()| std::fs::rename(&aside, path))
                .map_err(|source| FollowError::Cursor {
                    path: path.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    async fn heartbeat(&mut self, changed: bool) -> Result<(), FollowError> {
        let due = self.reported.is_none_or(|at| at.elapsed() >= HEARTBEAT);
        if let (true, Some(cursor)) = (changed || due, self.cursor) {
            self.report(cursor, None).await?;
        }
        Ok(())
    }

    async fn report(
        &mut self,
        cursor: i64,
        rebuild: Option<(i64, i64)>,
    ) -> Result<(), FollowError> {
        let (node, docs) = (self.node.clone(), self.index.num_docs() as i64);
        self.db
            .control_tx(move |conn| {
                async move { search_feed::report(conn, &node, cursor, docs, rebuild).await }.boxed()
            })
            .await?;
        self.reported = Some(Instant::now());
        Ok(())
    }
}

/// The cursor kept in `path`, unless missing, unreadable or older than the
/// feed keeps changes (then the index is rebuilt).
fn read_cursor(path: &Path) -> Option<i64> {
    let meta = std::fs::metadata(path).ok()?;
    let age = meta.modified().ok()?.elapsed().unwrap_or_default();
    if age > FEED_RETENTION.to_std().unwrap_or(Duration::MAX) {
        tracing::warn!(path = %path.display(), "search cursor older than the feed; rebuilding");
        return None;
    }
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The search document of a listing row.
pub fn document(tenant_id: Uuid, row: SearchRow) -> ListingDoc {
    let dp = row.currency.minor_units();
    let price_minor = row
        .price
        .map(|p| (p * rust_decimal::Decimal::from(10i64.pow(dp))).round())
        .and_then(|p| p.to_i64())
        .unwrap_or(0);
    let mut attributes: BTreeSet<(String, String)> = BTreeSet::new();
    let mut add = |name: &str, value: &serde_json::Value| {
        let value = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => return,
        };
        attributes.insert((name.to_owned(), value));
    };
    if let serde_json::Value::Object(map) = &row.attributes {
        map.iter().for_each(|(k, v)| add(k, v));
    }
    if let serde_json::Value::Array(variants) = &row.options {
        for options in variants {
            if let serde_json::Value::Object(map) = options {
                map.iter().for_each(|(k, v)| add(k, v));
            }
        }
    }
    ListingDoc {
        tenant_id,
        brand_id: row.brand_id,
        listing_id: row.listing_id,
        product_id: row.product_id,
        vendor_id: row.vendor_id,
        vendor_name: row.vendor_name,
        title: row.title,
        description: row.description,
        category_path: row.category_path,
        attributes: attributes.into_iter().collect(),
        price_minor,
        currency: row.currency.code().to_owned(),
        in_stock: row.in_stock,
        created_at: row.created_at,
    }
}
