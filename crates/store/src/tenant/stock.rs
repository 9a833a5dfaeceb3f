//! The stock-change primitives that inventory, orders and backorders all
//! build on, kept apart so none of those needs another for them: the
//! ledger kinds, locking a variant's stock rows, and the one statement that
//! changes a stock level and writes its ledger row (the hot path of every
//! checkout and settlement, so fixed raw SQL through `prepared`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int4, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::prepared::prepared;
use crate::schema::tenant::stock_levels;
use crate::tenant::outbox;
use crate::{StoreError, TenantConn};

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

/// What one warehouse can give of a variant (`on_hand - reserved`).
#[derive(Queryable)]
pub(crate) struct Available {
    pub warehouse_id: Uuid,
    pub available: i32,
}

/// The variant's stock rows (in one warehouse, or in all of them), locked
/// for the rest of the transaction in warehouse id order: every path that
/// takes stock locks in this order, so concurrent ones never deadlock.
pub(crate) async fn lock_available(
    conn: &mut TenantConn,
    variant: Uuid,
    warehouse: Option<Uuid>,
) -> Result<Vec<Available>, StoreError> {
    let levels = stock_levels::table
        .filter(stock_levels::variant_id.eq(variant))
        .order(stock_levels::warehouse_id)
        .select((
            stock_levels::warehouse_id,
            stock_levels::on_hand - stock_levels::reserved,
        ))
        .for_update();
    Ok(match warehouse {
        Some(warehouse) => {
            levels
                .filter(stock_levels::warehouse_id.eq(warehouse))
                .load(conn.pg())
                .await?
        }
        None => levels.load(conn.pg()).await?,
    })
}

/// Change a stock level by `on_hand_delta` and `reserved_delta` and write
/// its ledger row: one statement (and, when the variant's available stock
/// falls to its low-stock threshold, an outbox event). Refused (as a
/// constraint error) when it would make stock negative or reserve more than
/// is on hand. Filling backorders from new stock is the caller's business
/// ([`crate::tenant::inventory::change`]).
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
        outbox::publish(
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
