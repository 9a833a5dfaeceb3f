//! Stock sync from a vendor's ERP: absolute on-hand quantities per SKU and
//! warehouse, idempotent by the sender's `sync_id`. Each row gets a result;
//! bad rows are skipped, good rows applied (each in its own savepoint).
//! The result is recorded under the `sync_id` as the edge renders it, so
//! sending the same sync again replays it exactly, applying nothing.

use bazaar_domain::Scope;
use bazaar_store::StoreError;
use bazaar_store::db::savepoint;
use bazaar_store::tenant::inventory::{self as store, Movement};
use bazaar_store::tenant::listings::{self, Refresh};
use bazaar_store::tenant::products;
use futures_util::FutureExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::InventoryRefusal;
use crate::{Failure, Outcome, Services, TenantKey, acting, catalog_cache};

/// One line of a sync: the absolute quantity on hand.
#[derive(Debug, Clone)]
pub struct SyncRow {
    pub sku: String,
    pub warehouse_code: String,
    /// Units on hand now (absolute, not a change).
    pub on_hand: i32,
}

/// A vendor's stock levels as its ERP sends them.
#[derive(Debug, Clone)]
pub struct StockSync {
    /// Required with a tenant admin key.
    pub vendor_id: Option<Uuid>,
    /// The sender's id for this sync run, 1-128 characters.
    pub sync_id: String,
    /// 1 to 10,000 rows.
    pub rows: Vec<SyncRow>,
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    Updated,
    Unchanged,
    Failed,
}

impl RowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Updated => "updated",
            RowStatus::Unchanged => "unchanged",
            RowStatus::Failed => "failed",
        }
    }
}

/// One row's result.
#[derive(Debug, Clone)]
pub struct SyncRowResult {
    /// 1-based position in the rows.
    pub row: u32,
    pub sku: String,
    pub warehouse_code: String,
    pub status: RowStatus,
    /// Units on hand after the sync, when the row applied.
    pub on_hand: Option<i32>,
    /// Why the row failed: a stable code and a reason.
    pub failure: Option<(&'static str, String)>,
}

/// An applied sync: every row's result, and how many ended each way.
#[derive(Debug, Clone)]
pub struct SyncReport {
    pub sync_id: String,
    pub updated: u32,
    pub unchanged: u32,
    pub failed: u32,
    pub rows: Vec<SyncRowResult>,
}

/// What a sync answers.
#[derive(Debug)]
pub enum Synced {
    /// Applied now.
    Applied(SyncReport),
    /// The same sync was applied before: its result, exactly as recorded.
    Replayed(serde_json::Value),
}

/// How the edge renders a report: what is recorded under the `sync_id`.
pub type Render = fn(&SyncReport) -> serde_json::Value;

fn sync_hash(sync: &StockSync) -> String {
    let mut hash = Sha256::new();
    for row in &sync.rows {
        hash.update(
            format!(
                "{}\u{0}{}\u{0}{}\n",
                row.sku, row.warehouse_code, row.on_hand
            )
            .as_bytes(),
        );
    }
    hex::encode(hash.finalize())
}

/// Set the vendor's on-hand quantities. The same `sync_id` with the same
/// rows replays the first result; with other rows it is refused.
#[tracing::instrument(skip_all, fields(sync.id = %sync.sync_id))]
pub async fn sync(
    services: &Services,
    key: &TenantKey,
    sync: StockSync,
    render: Render,
) -> Outcome<Synced, InventoryRefusal> {
    let vendor_id = acting::vendor_for(key, sync.vendor_id)?;
    if sync.sync_id.trim().is_empty() || sync.sync_id.len() > 128 {
        return Err(InventoryRefusal::InvalidSyncId.into());
    }
    if sync.rows.is_empty() || sync.rows.len() > 10_000 {
        return Err(InventoryRefusal::InvalidRows.into());
    }
    let hash = sync_hash(&sync);
    let (actor, is_vendor_key) = (key.key_id.to_string(), key.scope == Scope::Vendor);
    let synced = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                if let Err(e) = acting::check_vendor(conn, vendor_id, is_vendor_key).await? {
                    return Ok(Err(e.into()));
                }
                if let Some((seen_hash, stored)) =
                    store::sync_record(conn, vendor_id, &sync.sync_id).await?
                {
                    if seen_hash != hash {
                        return Ok(Err(InventoryRefusal::SyncIdReused));
                    }
                    return Ok(Ok(Synced::Replayed(stored)));
                }
                let reference = format!("sync:{}", sync.sync_id);
                let mut rows = Vec::with_capacity(sync.rows.len());
                let mut touched = Vec::new();
                for (i, row) in sync.rows.iter().enumerate() {
                    let result =
                        |status: RowStatus,
                         on_hand: Option<i32>,
                         failure: Option<(&'static str, String)>| {
                            SyncRowResult {
                                row: i as u32 + 1,
                                sku: row.sku.clone(),
                                warehouse_code: row.warehouse_code.clone(),
                                status,
                                on_hand,
                                failure,
                            }
                        };
                    if row.on_hand < 0 {
                        rows.push(result(
                            RowStatus::Failed,
                            None,
                            Some(("invalid_quantity", "`on_hand` cannot be negative".into())),
                        ));
                        continue;
                    }
                    let Some(variant) =
                        products::find_variant_by_sku(conn, vendor_id, &row.sku).await?
                    else {
                        rows.push(result(
                            RowStatus::Failed,
                            None,
                            Some((
                                "unknown_sku",
                                format!("the vendor has no variant with SKU `{}`", row.sku),
                            )),
                        ));
                        continue;
                    };
                    let Some(warehouse) =
                        store::warehouse_by_code(conn, vendor_id, &row.warehouse_code).await?
                    else {
                        rows.push(result(
                            RowStatus::Failed,
                            None,
                            Some((
                                "unknown_warehouse",
                                format!("the vendor has no warehouse `{}`", row.warehouse_code),
                            )),
                        ));
                        continue;
                    };
                    savepoint::begin(conn).await?;
                    let current = store::level_for_update(conn, variant.id, warehouse.id).await?;
                    let delta = row.on_hand - current;
                    if delta == 0 {
                        savepoint::release(conn).await?;
                        rows.push(result(RowStatus::Unchanged, Some(current), None));
                        continue;
                    }
                    let changed = store::change(
                        conn,
                        variant.id,
                        warehouse.id,
                        Movement::Adjust,
                        delta,
                        0,
                        Some(&reference),
                        &actor,
                    )
                    .await;
                    match changed {
                        Ok(level) => {
                            savepoint::release(conn).await?;
                            touched.push(variant.product_id);
                            rows.push(result(RowStatus::Updated, Some(level.on_hand), None));
                        }
                        Err(StoreError::Constraint { .. }) => {
                            savepoint::rollback(conn).await?;
                            rows.push(result(
                                RowStatus::Failed,
                                Some(current),
                                Some((
                                    "insufficient_stock",
                                    "the quantity is below what checkouts have reserved".into(),
                                )),
                            ));
                        }
                        Err(e) => return Err(e),
                    }
                }
                touched.sort();
                touched.dedup();
                listings::refresh(conn, Refresh::Products(&touched)).await?;
                let count = |s: RowStatus| rows.iter().filter(|r| r.status == s).count() as u32;
                let report = SyncReport {
                    sync_id: sync.sync_id.clone(),
                    updated: count(RowStatus::Updated),
                    unchanged: count(RowStatus::Unchanged),
                    failed: count(RowStatus::Failed),
                    rows,
                };
                store::save_sync(conn, vendor_id, &sync.sync_id, &hash, render(&report)).await?;
                Ok(Ok(Synced::Applied(report)))
            }
            .boxed()
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => InventoryRefusal::SyncInProgress.into(),
            other => Failure::Store(other),
        })?
        .map_err(Failure::Refused)?;
    if matches!(synced, Synced::Applied(_)) {
        catalog_cache::bump(services, key.tenant_id).await;
    }
    Ok(synced)
}
