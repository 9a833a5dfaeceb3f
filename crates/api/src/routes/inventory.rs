//! `/v1/warehouses` and `/v1/inventory`: where vendors keep stock and how
//! much, the edge of `bazaar_commerce::inventory`. Manual changes are
//! receipts, returns and adjustments (reservations and commits belong to
//! checkout); each is a ledger row, and stock can never go negative. A
//! vendor key works on its own warehouses and variants only; storefronts
//! see availability through `in_stock` browsing.

use bazaar_commerce::inventory::stock::{self, StockChange as Change};
use bazaar_commerce::inventory::sync::{self, StockSync as ErpSync, SyncReport, Synced};
use bazaar_commerce::inventory::warehouses::{self, NewWarehouse};
use bazaar_store::tenant::inventory as store;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag};
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::timestamp::Timestamp;

#[derive(Debug, Object)]
pub struct Warehouse {
    pub id: Uuid,
    pub vendor_id: Uuid,
    /// Unique per vendor, e.g. `LA-1`.
    pub code: String,
    pub name: String,
    /// The region it ships under.
    pub region: String,
    pub address: String,
    pub created_at: Timestamp,
}

impl From<store::Warehouse> for Warehouse {
    fn from(w: store::Warehouse) -> Self {
        Self {
            id: w.id,
            vendor_id: w.vendor_id,
            code: w.code,
            name: w.name,
            region: w.region,
            address: w.address,
            created_at: w.created_at.into(),
        }
    }
}

#[derive(Debug, Object)]
pub struct WarehouseList {
    pub items: Vec<Warehouse>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateWarehouse {
    /// Required with a tenant admin key.
    pub vendor_id: Option<Uuid>,
    /// 1-32 letters, digits or `-`; unique per vendor.
    pub code: String,
    pub name: String,
    /// One of the tenant's regions.
    pub region: String,
    #[oai(default)]
    pub address: String,
}

impl From<CreateWarehouse> for NewWarehouse {
    fn from(w: CreateWarehouse) -> Self {
        Self {
            vendor_id: w.vendor_id,
            code: w.code,
            name: w.name,
            region: w.region,
            address: w.address,
        }
    }
}

/// Stock of one variant in one warehouse.
#[derive(Debug, Object)]
pub struct StockLevel {
    pub variant_id: Uuid,
    pub warehouse_id: Uuid,
    pub on_hand: i32,
    /// Held by checkouts in progress.
    pub reserved: i32,
    /// `on_hand - reserved`.
    pub available: i32,
    pub updated_at: Timestamp,
}

impl From<store::StockLevel> for StockLevel {
    fn from(l: store::StockLevel) -> Self {
        Self {
            variant_id: l.variant_id,
            warehouse_id: l.warehouse_id,
            on_hand: l.on_hand,
            reserved: l.reserved,
            available: l.on_hand - l.reserved,
            updated_at: l.updated_at.into(),
        }
    }
}

#[derive(Debug, Object)]
pub struct StockList {
    pub items: Vec<StockLevel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ManualMovement {
    /// Goods arrived (quantity > 0).
    Receive,
    /// Goods came back from a customer (quantity > 0).
    Return,
    /// A correction after a count, damage or loss (quantity may be negative).
    Adjust,
}

impl From<ManualMovement> for stock::ManualMovement {
    fn from(m: ManualMovement) -> Self {
        match m {
            ManualMovement::Receive => stock::ManualMovement::Receive,
            ManualMovement::Return => stock::ManualMovement::Return,
            ManualMovement::Adjust => stock::ManualMovement::Adjust,
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct StockChange {
    pub variant_id: Uuid,
    pub warehouse_id: Uuid,
    pub kind: ManualMovement,
    /// Units added (negative for an adjustment that removes stock); one
    /// movement moves at most 1,000,000 units either way.
    #[oai(validator(minimum(value = "-1000000"), maximum(value = "1000000")))]
    pub quantity: i32,
    /// Your reference: a delivery note, a count sheet...
    pub reference: Option<String>,
}

impl From<StockChange> for Change {
    fn from(c: StockChange) -> Self {
        Self {
            variant_id: c.variant_id,
            warehouse_id: c.warehouse_id,
            kind: c.kind.into(),
            quantity: c.quantity,
            reference: c.reference,
        }
    }
}

/// One line of an ERP stock sync: the absolute quantity on hand.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SyncRow {
    pub sku: String,
    pub warehouse_code: String,
    /// Units on hand now (absolute, not a change), at most 1,000,000,000
    /// (a negative count fails its row).
    #[oai(validator(maximum(value = "1000000000")))]
    pub on_hand: i32,
}

/// An ERP's stock levels. Sending the same `sync_id` again replays the
/// first result without applying anything; the same id with different rows
/// is refused.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct StockSync {
    /// Required with a tenant admin key.
    pub vendor_id: Option<Uuid>,
    /// The sender's id for this sync run, 1-128 characters.
    pub sync_id: String,
    /// 1 to 10,000 rows.
    pub rows: Vec<SyncRow>,
}

impl From<StockSync> for ErpSync {
    fn from(s: StockSync) -> Self {
        Self {
            vendor_id: s.vendor_id,
            sync_id: s.sync_id,
            rows: s
                .rows
                .into_iter()
                .map(|r| sync::SyncRow {
                    sku: r.sku,
                    warehouse_code: r.warehouse_code,
                    on_hand: r.on_hand,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct SyncRowResult {
    /// 1-based position in `rows`.
    pub row: u32,
    pub sku: String,
    pub warehouse_code: String,
    /// `updated`, `unchanged` or `failed`.
    pub status: String,
    /// Units on hand after the sync, when the row applied.
    pub on_hand: Option<i32>,
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct SyncResult {
    pub sync_id: String,
    /// True when this is a replay of an earlier identical sync.
    pub replayed: bool,
    pub updated: u32,
    pub unchanged: u32,
    pub failed: u32,
    pub rows: Vec<SyncRowResult>,
}

impl From<&SyncReport> for SyncResult {
    fn from(r: &SyncReport) -> Self {
        Self {
            sync_id: r.sync_id.clone(),
            replayed: false,
            updated: r.updated,
            unchanged: r.unchanged,
            failed: r.failed,
            rows: r
                .rows
                .iter()
                .map(|row| SyncRowResult {
                    row: row.row,
                    sku: row.sku.clone(),
                    warehouse_code: row.warehouse_code.clone(),
                    status: row.status.as_str().to_owned(),
                    on_hand: row.on_hand,
                    code: row.failure.as_ref().map(|f| f.0.to_owned()),
                    message: row.failure.as_ref().map(|f| f.1.clone()),
                })
                .collect(),
        }
    }
}

/// The body recorded under a sync's `sync_id`: the result as answered.
fn render(report: &SyncReport) -> serde_json::Value {
    SyncResult::from(report).to_json().unwrap_or_default()
}

pub struct InventoryApi {
    pub state: AppState,
}

#[OpenApi(tag = "Tag::Inventory")]
impl InventoryApi {
    /// Create a warehouse
    #[oai(
        path = "/v1/warehouses",
        method = "post",
        operation_id = "create_warehouse"
    )]
    async fn create_warehouse(
        &self,
        auth: ApiKey,
        body: Json<CreateWarehouse>,
    ) -> ApiResult<Created<Warehouse>> {
        let key = auth.0.tenant()?;
        let warehouse = warehouses::create(&self.state, key, body.0.into()).await?;
        Ok(Created::Created(Json(warehouse.into())))
    }

    /// List warehouses
    #[oai(
        path = "/v1/warehouses",
        method = "get",
        operation_id = "list_warehouses"
    )]
    async fn list_warehouses(&self, auth: ApiKey) -> ApiResult<Json<WarehouseList>> {
        let key = auth.0.tenant()?;
        let all = warehouses::list(&self.state, key).await?;
        Ok(Json(WarehouseList {
            items: all.into_iter().map(Warehouse::from).collect(),
        }))
    }

    /// Record a stock change
    ///
    /// A receipt, a return or an adjustment, written to the ledger. Stock
    /// cannot go below what is reserved: such a change is refused with 409.
    #[oai(
        path = "/v1/inventory/movements",
        method = "post",
        operation_id = "record_stock_change"
    )]
    async fn record(
        &self,
        auth: ApiKey,
        body: Json<StockChange>,
    ) -> ApiResult<Created<StockLevel>> {
        let key = auth.0.tenant()?;
        let level = stock::record(&self.state, key, body.0.into()).await?;
        Ok(Created::Created(Json(level.into())))
    }

    /// Sync stock from an ERP
    ///
    /// Sets absolute on-hand quantities per SKU and warehouse, idempotent by
    /// `sync_id`. Each row gets a result; bad rows are skipped, good rows
    /// applied.
    #[oai(
        path = "/v1/inventory/sync",
        method = "post",
        operation_id = "sync_stock"
    )]
    async fn sync(&self, auth: ApiKey, body: Json<StockSync>) -> ApiResult<Json<SyncResult>> {
        let key = auth.0.tenant()?;
        let result = match sync::sync(&self.state, key, body.0.into(), render).await? {
            Synced::Applied(report) => SyncResult::from(&report),
            Synced::Replayed(stored) => {
                let mut replayed = SyncResult::parse_from_json(Some(stored))
                    .map_err(|e| ApiError::internal(e.into_message()))?;
                replayed.replayed = true;
                replayed
            }
        };
        Ok(Json(result))
    }

    /// Stock of a variant
    #[oai(path = "/v1/inventory", method = "get", operation_id = "get_stock")]
    async fn levels(
        &self,
        auth: ApiKey,
        /// The variant whose stock to show.
        variant_id: Query<Uuid>,
    ) -> ApiResult<Json<StockList>> {
        let key = auth.0.tenant()?;
        let levels = stock::levels(&self.state, key, variant_id.0).await?;
        Ok(Json(StockList {
            items: levels.into_iter().map(StockLevel::from).collect(),
        }))
    }
}
