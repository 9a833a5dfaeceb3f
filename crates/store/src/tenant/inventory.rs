//! Warehouses, stock levels and the inventory ledger. Every change to a
//! stock level is one statement on `stock_levels` (whose checks refuse
//! negative stock and over-reservation) plus one ledger row, in the
//! caller's transaction; the level always equals the ledger's sum.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int4, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::prepared::prepared;
use crate::schema::tenant::{stock_levels, stock_syncs, warehouses};
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = warehouses)]
pub struct Warehouse {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub code: String,
    pub name: String,
    pub region: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = stock_levels)]
pub struct StockLevel {
    pub variant_id: Uuid,
    pub warehouse_id: Uuid,
    pub on_hand: i32,
    pub reserved: i32,
    pub updated_at: DateTime<Utc>,
}

/// Kinds of ledger entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    Receive,
    Adjust,
    Reserve,
    Release,
    Commit,
    Return,
}

impl Movement {
    pub fn as_str(self) -> &'static str {
        match self {
            Movement::Receive => "receive",
            Movement::Adjust => "adjust",
            Movement::Reserve => "reserve",
            Movement::Release => "release",
            Movement::Commit => "commit",
            Movement::Return => "return",
        }
    }
}

pub async fn create_warehouse(
    conn: &mut TenantConn,
    vendor_id: Uuid,
    code: &str,
    name: &str,
    region: &str,
    address: &str,
) -> Result<Warehouse, StoreError> {
    Ok(diesel::insert_into(warehouses::table)
        .values((
            warehouses::id.eq(bazaar_domain::ids::new_id()),
            warehouses::vendor_id.eq(vendor_id),
            warehouses::code.eq(code),
            warehouses::name.eq(name),
            warehouses::region.eq(region),
            warehouses::address.eq(address),
        ))
        .returning(Warehouse::as_returning())
        .get_result(conn.pg())
        .await?)
}

pub async fn warehouse(
    conn: &mut TenantConn,
    id: Uuid,
    vendor: Option<Uuid>,
) -> Result<Warehouse, StoreError> {
    let mut q = warehouses::table
        .find(id)
        .select(Warehouse::as_select())
        .into_boxed();
    if let Some(v) = vendor {
        q = q.filter(warehouses::vendor_id.eq(v));
    }
    Ok(q.get_result(conn.pg()).await?)
}

pub async fn warehouses_of(
    conn: &mut TenantConn,
    vendor: Option<Uuid>,
) -> Result<Vec<Warehouse>, StoreError> {
    let mut q = warehouses::table
        .select(Warehouse::as_select())
        .order(warehouses::id)
        .into_boxed();
    if let Some(v) = vendor {
        q = q.filter(warehouses::vendor_id.eq(v));
    }
    Ok(q.load(conn.pg()).await?)
}

/// Apply a change to a stock level and record it in the ledger. Refused
/// (as a constraint error) when it would make stock negative or reserve
/// more than is on hand.
#[expect(
    clippy::too_many_arguments,
    reason = "one ledger row's fields, all required"
)]
pub async fn change(
    conn: &mut TenantConn,
    variant_id: Uuid,
    warehouse_id: Uuid,
    kind: Movement,
    on_hand_delta: i32,
    reserved_delta: i32,
    reference: Option<&str>,
    actor: &str,
) -> Result<StockLevel, StoreError> {
    let level = apply(
        conn,
        variant_id,
        warehouse_id,
        kind,
        on_hand_delta,
        reserved_delta,
        reference,
        actor,
    )
    .await?;
    if on_hand_delta > reserved_delta
        && matches!(
            kind,
            Movement::Receive | Movement::Adjust | Movement::Return
        )
    {
        // New stock goes to paid backorders first, from this warehouse
        // (whose row this transaction already holds).
        if crate::tenant::backorders::fill(conn, variant_id, Some(warehouse_id)).await? > 0 {
            return Ok(stock_levels::table
                .find((variant_id, warehouse_id))
                .select(StockLevel::as_select())
                .get_result(conn.pg())
                .await?);
        }
    }
    Ok(level)
}

/// [`change`] without filling backorders: one stock statement and one
/// ledger row.
#[expect(
    clippy::too_many_arguments,
    reason = "one ledger row's fields, all required"
)]
pub(crate) async fn apply(
    conn: &mut TenantConn,
    variant_id: Uuid,
    warehouse_id: Uuid,
    kind: Movement,
    on_hand_delta: i32,
    reserved_delta: i32,
    reference: Option<&str>,
    actor: &str,
) -> Result<StockLevel, StoreError> {
    // Make sure the row exists, then change it in place: a CHECK on the
    // row an INSERT ... ON CONFLICT proposes would see the bare delta.
    // Reservations and their commits and releases move stock on a row the
    // checkout has already read and locked.
    if !matches!(
        kind,
        Movement::Reserve | Movement::Commit | Movement::Release
    ) {
        diesel::insert_into(stock_levels::table)
            .values((
                stock_levels::variant_id.eq(variant_id),
                stock_levels::warehouse_id.eq(warehouse_id),
            ))
            .on_conflict_do_nothing()
            .execute(conn.pg())
            .await?;
    }
    // One round trip: the change, its ledger row, and what the low-stock
    // check needs (the variant's available stock after the change: this
    // row as changed plus the others).
    let changed: Changed = prepared(
        "WITH level AS (UPDATE stock_levels SET on_hand = on_hand + $3, reserved = reserved + $4, updated_at = now() \
         WHERE variant_id = $1 AND warehouse_id = $2 \
         RETURNING variant_id, warehouse_id, on_hand, reserved, updated_at), \
         moved AS (INSERT INTO inventory_movements (id, variant_id, warehouse_id, kind, on_hand_delta, reserved_delta, reference, actor) \
         SELECT $5, variant_id, warehouse_id, $6, $3, $4, $7, $8 FROM level) \
         SELECT l.variant_id, l.warehouse_id, l.on_hand, l.reserved, l.updated_at, \
         (l.on_hand - l.reserved + COALESCE((SELECT sum(s.on_hand - s.reserved) FROM stock_levels s \
         WHERE s.variant_id = $1 AND s.warehouse_id <> $2), 0))::bigint AS available, \
         v.low_stock_threshold AS threshold, v.sku, v.product_id \
         FROM level l JOIN variants v ON v.id = l.variant_id",
    )
    .bind::<SqlUuid, _>(variant_id)
    .bind::<SqlUuid, _>(warehouse_id)
    .bind::<Int4, _>(on_hand_delta)
    .bind::<Int4, _>(reserved_delta)
    .bind::<SqlUuid, _>(bazaar_domain::ids::new_id())
    .bind::<Text, _>(kind.as_str())
    .bind::<Nullable<Text>, _>(reference)
    .bind::<Text, _>(actor)
    .get_result(conn.pg())
    .await?;
    // Only a fall in available stock can cross the threshold.
    if on_hand_delta < reserved_delta {
        low_stock_check(conn, &changed, on_hand_delta - reserved_delta).await?;
    }
    Ok(changed.level)
}

/// A stock level as changed, with its variant's total available stock and
/// low-stock threshold.
#[derive(QueryableByName)]
struct Changed {
    #[diesel(embed)]
    level: StockLevel,
    #[diesel(sql_type = BigInt)]
    available: i64,
    #[diesel(sql_type = Nullable<Int4>)]
    threshold: Option<i32>,
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = SqlUuid)]
    product_id: Uuid,
}

/// Publish `inventory.low_stock` when this change took the variant's total
/// available stock from above its threshold to at or below it.
async fn low_stock_check(
    conn: &mut TenantConn,
    row: &Changed,
    available_delta: i32,
) -> Result<(), StoreError> {
    let Some(threshold) = row.threshold.map(i64::from) else {
        return Ok(());
    };
    let before = row.available - i64::from(available_delta);
    if before > threshold && row.available <= threshold {
        crate::tenant::outbox::publish(
            conn,
            "inventory.low_stock",
            serde_json::json!({
                "variant_id": row.level.variant_id,
                "product_id": row.product_id,
                "sku": row.sku,
                "available": row.available,
                "threshold": threshold,
            }),
        )
        .await?;
    }
    Ok(())
}

/// A stock sync already received from a vendor's ERP: its request hash and
/// stored result.
pub async fn sync_record(
    conn: &mut TenantConn,
    vendor_id: Uuid,
    sync_id: &str,
) -> Result<Option<(String, serde_json::Value)>, StoreError> {
    Ok(stock_syncs::table
        .find((vendor_id, sync_id))
        .select((stock_syncs::request_hash, stock_syncs::result))
        .for_update()
        .get_result(conn.pg())
        .await
        .optional()?)
}

pub async fn save_sync(
    conn: &mut TenantConn,
    vendor_id: Uuid,
    sync_id: &str,
    request_hash: &str,
    result: serde_json::Value,
) -> Result<(), StoreError> {
    diesel::insert_into(stock_syncs::table)
        .values((
            stock_syncs::vendor_id.eq(vendor_id),
            stock_syncs::sync_id.eq(sync_id),
            stock_syncs::request_hash.eq(request_hash),
            stock_syncs::result.eq(result),
        ))
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// The vendor's warehouse with this code.
pub async fn warehouse_by_code(
    conn: &mut TenantConn,
    vendor_id: Uuid,
    code: &str,
) -> Result<Option<Warehouse>, StoreError> {
    Ok(warehouses::table
        .filter(warehouses::vendor_id.eq(vendor_id))
        .filter(warehouses::code.eq(code))
        .select(Warehouse::as_select())
        .get_result(conn.pg())
        .await
        .optional()?)
}

/// The current level, locked for the rest of the transaction (0 when none).
pub async fn level_for_update(
    conn: &mut TenantConn,
    variant_id: Uuid,
    warehouse_id: Uuid,
) -> Result<i32, StoreError> {
    Ok(stock_levels::table
        .filter(stock_levels::variant_id.eq(variant_id))
        .filter(stock_levels::warehouse_id.eq(warehouse_id))
        .select(stock_levels::on_hand)
        .for_update()
        .get_result(conn.pg())
        .await
        .optional()?
        .unwrap_or(0))
}

/// Stock of these variants in every warehouse.
pub async fn levels(
    conn: &mut TenantConn,
    variant_ids: &[Uuid],
) -> Result<Vec<StockLevel>, StoreError> {
    Ok(stock_levels::table
        .filter(stock_levels::variant_id.eq_any(variant_ids))
        .order((stock_levels::variant_id, stock_levels::warehouse_id))
        .select(StockLevel::as_select())
        .load(conn.pg())
        .await?)
}

/// How many stock levels differ from the sum of their ledger (0 when the
/// books balance).
pub async fn ledger_mismatches(conn: &mut TenantConn) -> Result<i64, StoreError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let c: Count = prepared(
        "SELECT count(*) AS n FROM stock_levels s FULL JOIN ( \
           SELECT variant_id, warehouse_id, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved \
           FROM inventory_movements GROUP BY variant_id, warehouse_id) m \
         USING (variant_id, warehouse_id) \
         WHERE s.on_hand IS DISTINCT FROM m.on_hand OR s.reserved IS DISTINCT FROM m.reserved",
    )
    .get_result(conn.pg())
    .await?;
    Ok(c.n)
}
