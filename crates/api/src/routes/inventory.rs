//! `/v1/warehouses` and `/v1/inventory`: where vendors keep stock and how
//! much. Manual changes are receipts, returns and adjustments (reservations
//! and commits belong to checkout); each is a ledger row, and stock can
//! never go negative. A vendor key works on its own warehouses and variants
//! only; storefronts see availability through `in_stock` browsing.

use bazaar_domain::{Scope, validate};
use bazaar_store::StoreError;
use bazaar_store::tenant::inventory::{self as store, Movement};
use bazaar_store::tenant::listings::{self, Refresh};
use bazaar_store::tenant::products;
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag};
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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
    pub created_at: DateTime<Utc>,
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
            created_at: w.created_at,
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
    pub updated_at: DateTime<Utc>,
}

impl From<store::StockLevel> for StockLevel {
    fn from(l: store::StockLevel) -> Self {
        Self {
            variant_id: l.variant_id,
            warehouse_id: l.warehouse_id,
            on_hand: l.on_hand,
            reserved: l.reserved,
            available: l.on_hand - l.reserved,
            updated_at: l.updated_at,
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

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct StockChange {
    pub variant_id: Uuid,
    pub warehouse_id: Uuid,
    pub kind: ManualMovement,
    /// Units added (negative for an adjustment that removes stock).
    pub quantity: i32,
    /// Your reference: a delivery note, a count sheet...
    pub reference: Option<String>,
}

/// One line of an ERP stock sync: the absolute quantity on hand.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SyncRow {
    pub sku: String,
    pub warehouse_code: String,
    /// Units on hand now (absolute, not a change).
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

fn sync_hash(sync: &StockSync) -> String {
    use sha2::{Digest, Sha256};
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
        let body = body.0;
        let vendor_id = super::products::acting_vendor(key, body.vendor_id)?;
        let code = body.code.trim().to_owned();
        if code.is_empty()
            || code.len() > 32
            || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ApiError::unprocessable(
                "invalid_code",
                format!("`{code}` is not a warehouse code: use 1-32 letters, digits or `-`"),
            ));
        }
        let name = validate::display_name("name", &body.name)?;
        validate::region_code(&body.region)?;
        let tenant = bazaar_store::control::tenants::get(&self.state.db, key.tenant_id).await?;
        if !tenant.regions.contains(&body.region) {
            return Err(ApiError::unprocessable(
                "region_not_enabled",
                format!(
                    "the tenant does not sell in `{}`; its regions are [{}]",
                    body.region,
                    tenant.regions.join(", ")
                ),
            ));
        }
        let (region, address) = (body.region, body.address);
        let is_vendor_key = key.scope == Scope::Vendor;
        let warehouse = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    if let Err(e) =
                        super::products::check_vendor(conn, vendor_id, is_vendor_key).await?
                    {
                        return Ok(Err(e));
                    }
                    match store::create_warehouse(conn, vendor_id, &code, &name, &region, &address)
                        .await
                    {
                        Ok(w) => Ok(Ok(w)),
                        Err(StoreError::Conflict { .. }) => Ok(Err(ApiError::conflict(
                            "code_taken",
                            "the vendor already has a warehouse with this code",
                        ))),
                        Err(e) => Err(e),
                    }
                }
                .boxed()
            })
            .await??;
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
        key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
        let only = key.vendor_id;
        let all = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                store::warehouses_of(conn, only).boxed()
            })
            .await?;
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
        key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
        let body = body.0;
        let kind = match body.kind {
            ManualMovement::Receive if body.quantity > 0 => Movement::Receive,
            ManualMovement::Return if body.quantity > 0 => Movement::Return,
            ManualMovement::Adjust if body.quantity != 0 => Movement::Adjust,
            _ => {
                return Err(ApiError::unprocessable(
                    "invalid_quantity",
                    "receipts and returns add a positive quantity; an adjustment is any non-zero quantity",
                ));
            }
        };
        let (only, actor) = (key.vendor_id, key.key_id.to_string());
        let level = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let warehouse = match store::warehouse(conn, body.warehouse_id, only).await {
                        Ok(w) => w,
                        Err(StoreError::NotFound) => return Ok(Err(ApiError::unprocessable("warehouse_not_found", "no warehouse with that `warehouse_id` visible to this key"))),
                        Err(e) => return Err(e),
                    };
                    let variant = products::variants_by_id(conn, body.variant_id).await?;
                    let Some(variant) = variant.filter(|v| v.vendor_id == warehouse.vendor_id) else {
                        return Ok(Err(ApiError::unprocessable("variant_not_found", "no variant with that `variant_id` belongs to the warehouse's vendor")));
                    };
                    match store::change(conn, variant.id, warehouse.id, kind, body.quantity, 0, body.reference.as_deref(), &actor).await {
                        Ok(level) => {
                            listings::refresh(conn, Refresh::Products(&[variant.product_id])).await?;
                            Ok(Ok(level))
                        }
                        Err(StoreError::Constraint { .. }) => Ok(Err(ApiError::conflict(
                            "insufficient_stock",
                            "the change would take stock below zero or below what checkouts have reserved",
                        ))),
                        Err(e) => Err(e),
                    }
                }
                .boxed()
            })
            .await??;
        bazaar_commerce::catalog_cache::bump(&self.state, key.tenant_id).await;
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
        use poem_openapi::types::{ParseFromJSON, ToJSON};
        let key = auth.0.tenant()?;
        let sync = body.0;
        let vendor_id = super::products::acting_vendor(key, sync.vendor_id)?;
        if sync.sync_id.trim().is_empty() || sync.sync_id.len() > 128 {
            return Err(ApiError::unprocessable(
                "invalid_sync_id",
                "`sync_id` must be 1-128 characters",
            ));
        }
        if sync.rows.is_empty() || sync.rows.len() > 10_000 {
            return Err(ApiError::unprocessable(
                "invalid_rows",
                "a sync has 1 to 10,000 rows",
            ));
        }
        let hash = sync_hash(&sync);
        let (actor, is_vendor_key) = (key.key_id.to_string(), key.scope == Scope::Vendor);
        let result = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    if let Err(e) = super::products::check_vendor(conn, vendor_id, is_vendor_key).await? {
                        return Ok(Err(e));
                    }
                    if let Some((seen_hash, stored)) = store::sync_record(conn, vendor_id, &sync.sync_id).await? {
                        if seen_hash != hash {
                            return Ok(Err(ApiError::unprocessable(
                                "sync_id_reused",
                                "this `sync_id` was already used with different rows; use a new id for a new sync",
                            )));
                        }
                        return Ok(SyncResult::parse_from_json(Some(stored))
                            .map(|mut r| {
                                r.replayed = true;
                                r
                            })
                            .map_err(|e| ApiError::internal(e.into_message())));
                    }
                    let reference = format!("sync:{}", sync.sync_id);
                    let mut rows = Vec::with_capacity(sync.rows.len());
                    let mut touched = Vec::new();
                    for (i, row) in sync.rows.iter().enumerate() {
                        let result = |status: &str, on_hand: Option<i32>, failure: Option<(&str, String)>| SyncRowResult {
                            row: i as u32 + 1,
                            sku: row.sku.clone(),
                            warehouse_code: row.warehouse_code.clone(),
                            status: status.to_owned(),
                            on_hand,
                            code: failure.as_ref().map(|f| f.0.to_owned()),
                            message: failure.map(|f| f.1),
                        };
                        if row.on_hand < 0 {
                            rows.push(result("failed", None, Some(("invalid_quantity", "`on_hand` cannot be negative".into()))));
                            continue;
                        }
                        let Some(variant) = products::find_variant_by_sku(conn, vendor_id, &row.sku).await? else {
                            rows.push(result("failed", None, Some(("unknown_sku", format!("the vendor has no variant with SKU `{}`", row.sku)))));
                            continue;
                        };
                        let Some(warehouse) = store::warehouse_by_code(conn, vendor_id, &row.warehouse_code).await? else {
                            rows.push(result("failed", None, Some(("unknown_warehouse", format!("the vendor has no warehouse `{}`", row.warehouse_code)))));
                            continue;
                        };
                        bazaar_store::db::savepoint::begin(conn).await?;
                        let current = store::level_for_update(conn, variant.id, warehouse.id).await?;
                        let delta = row.on_hand - current;
                        if delta == 0 {
                            bazaar_store::db::savepoint::release(conn).await?;
                            rows.push(result("unchanged", Some(current), None));
                            continue;
                        }
                        match store::change(conn, variant.id, warehouse.id, Movement::Adjust, delta, 0, Some(&reference), &actor).await {
                            Ok(level) => {
                                bazaar_store::db::savepoint::release(conn).await?;
                                touched.push(variant.product_id);
                                rows.push(result("updated", Some(level.on_hand), None));
                            }
                            Err(StoreError::Constraint { .. }) => {
                                bazaar_store::db::savepoint::rollback(conn).await?;
                                rows.push(result("failed", Some(current), Some(("insufficient_stock", "the quantity is below what checkouts have reserved".into()))));
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    touched.sort();
                    touched.dedup();
                    listings::refresh(conn, Refresh::Products(&touched)).await?;
                    let count = |s: &str| rows.iter().filter(|r| r.status == s).count() as u32;
                    let result = SyncResult {
                        sync_id: sync.sync_id.clone(),
                        replayed: false,
                        updated: count("updated"),
                        unchanged: count("unchanged"),
                        failed: count("failed"),
                        rows,
                    };
                    store::save_sync(conn, vendor_id, &sync.sync_id, &hash, result.to_json().unwrap_or_default()).await?;
                    Ok(Ok(result))
                }
                .boxed()
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ApiError::conflict("sync_in_progress", "a sync with this `sync_id` is being applied; retry to get its result"),
                other => other.into(),
            })??;
        if !result.replayed {
            bazaar_commerce::catalog_cache::bump(&self.state, key.tenant_id).await;
        }
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
        key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
        let (id, only) = (variant_id.0, key.vendor_id);
        let levels = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                async move {
                    match products::variants_by_id(conn, id).await? {
                        Some(v) if only.is_none_or(|o| o == v.vendor_id) => {
                            store::levels(conn, &[id]).await
                        }
                        _ => Err(StoreError::NotFound),
                    }
                }
                .boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "variant"))?;
        Ok(Json(StockList {
            items: levels.into_iter().map(StockLevel::from).collect(),
        }))
    }
}
