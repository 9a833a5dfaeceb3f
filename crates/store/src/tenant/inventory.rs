//! Warehouses, stock levels and the inventory ledger. Every change to a
//! stock level is one statement on `stock_levels` (whose checks refuse
//! negative stock and over-reservation) plus one ledger row, in the
//! caller's transaction; the level always equals the ledger's sum.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::prepared::prepared;
use crate::schema::tenant::{stock_levels, stock_syncs, warehouses};
use crate::tenant::{backorders, stock};
use crate::{StoreError, TenantConn};

pub use crate::tenant::stock::{Movement, StockLevel};

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
    let level = stock::apply(
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
        if backorders::fill(conn, variant_id, Some(warehouse_id)).await? > 0 {
            return Ok(stock_levels::table
                .find((variant_id, warehouse_id))
                .select(StockLevel::as_select())
                .get_result(conn.pg())
                .await?);
        }
    }
    Ok(level)
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
