//! Backorders: units sold beyond stock, up to each variant's
//! `backorder_limit`. A backorder is `held` while its order awaits payment,
//! `open` once paid, and `filled` when stock arrives and is committed to it
//! (oldest first); a failed or expired payment cancels it.
//!
//! The reads of outstanding backorders stay fixed raw SQL: their partial
//! index is on `status IN ('held', 'open')`, which a statement must spell
//! out (the DSL would bind the statuses) for a cached plan to use it.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int4, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::prepared::{cached, prepared};
use crate::schema::tenant::backorders as backorder_rows;
use crate::tenant::outbox;
use crate::tenant::stock::{self, Available, Movement};
use crate::{StoreError, TenantConn};

/// How many more units of `variant` may be sold on backorder, with the
/// variant row locked so concurrent checkouts count one after another.
pub async fn room(conn: &mut TenantConn, variant: Uuid) -> Result<i64, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Room {
        #[diesel(sql_type = BigInt)]
        room: i64,
    }
    let r: Room = prepared(
        "SELECT (v.backorder_limit - COALESCE((SELECT sum(b.quantity) FROM backorders b \
         WHERE b.variant_id = v.id AND b.status IN ('held', 'open')), 0))::bigint AS room \
         FROM variants v WHERE v.id = $1 FOR UPDATE OF v",
    )
    .bind::<SqlUuid, _>(variant)
    .get_result(conn.pg())
    .await?;
    Ok(r.room.max(0))
}

/// The order was paid (`open`) or not (`cancelled`): move its held
/// backorders on. Returns the variants of the backorders opened.
pub async fn settle(
    conn: &mut TenantConn,
    order: Uuid,
    paid: bool,
) -> Result<Vec<Uuid>, StoreError> {
    let to = if paid { "open" } else { "cancelled" };
    Ok(cached(
        diesel::update(
            backorder_rows::table
                .filter(backorder_rows::order_id.eq(order))
                .filter(backorder_rows::status.eq("held")),
        )
        .set(backorder_rows::status.eq(to))
        .returning(backorder_rows::variant_id),
    )
    .load(conn.pg())
    .await?)
}

#[derive(diesel::QueryableByName)]
struct Open {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    order_id: Uuid,
    #[diesel(sql_type = Int4)]
    quantity: i32,
}

/// Commit available stock of `variant` to its open backorders, oldest
/// first, stopping at the first that does not fit (no queue jumping).
/// `warehouse` limits the stock used to one warehouse (the one a receipt
/// just locked); `None` uses every warehouse, locked in id order. Returns
/// the number of backorders filled.
pub async fn fill(
    conn: &mut TenantConn,
    variant: Uuid,
    warehouse: Option<Uuid>,
) -> Result<usize, StoreError> {
    // Stock rows first, then backorders: the order every path that takes
    // both locks them in, so fills and checkouts never deadlock.
    let mut stock: Vec<Available> = stock::lock_available(conn, variant, warehouse).await?;
    let open: Vec<Open> = prepared(
        "SELECT id, order_id, quantity FROM backorders WHERE variant_id = $1 AND status = 'open' \
         ORDER BY created_at, id FOR UPDATE",
    )
    .bind::<SqlUuid, _>(variant)
    .load(conn.pg())
    .await?;
    if open.is_empty() {
        return Ok(0);
    }
    let mut filled = 0;
    for b in open {
        let total: i64 = stock.iter().map(|s| i64::from(s.available.max(0))).sum();
        if total < i64::from(b.quantity) {
            break;
        }
        let reference = format!("order:{}", b.order_id);
        let mut wanted = b.quantity;
        for s in stock.iter_mut().filter(|s| s.available > 0) {
            let take = wanted.min(s.available);
            stock::apply(
                conn,
                variant,
                s.warehouse_id,
                Movement::Commit,
                -take,
                0,
                Some(&reference),
                "backorder",
            )
            .await?;
            s.available -= take;
            wanted -= take;
            if wanted == 0 {
                break;
            }
        }
        cached(diesel::update(backorder_rows::table.find(b.id)).set((
            backorder_rows::status.eq("filled"),
            backorder_rows::filled_at.eq(diesel::dsl::now),
        )))
        .execute(conn.pg())
        .await?;
        outbox::publish(
            conn,
            "backorder.filled",
            serde_json::json!({ "order_id": b.order_id, "variant_id": variant, "quantity": b.quantity }),
        )
        .await?;
        filled += 1;
    }
    Ok(filled)
}

/// Variants with open backorders and stock available for the oldest of
/// them (for the housekeeping job, which fills each in its own transaction).
pub async fn fillable(conn: &mut TenantConn, limit: i64) -> Result<Vec<Uuid>, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = SqlUuid)]
        variant_id: Uuid,
    }
    let rows: Vec<V> = prepared(
        "SELECT DISTINCT b.variant_id FROM backorders b WHERE b.status = 'open' \
         AND (SELECT COALESCE(sum(on_hand - reserved), 0) FROM stock_levels s WHERE s.variant_id = b.variant_id) \
             >= b.quantity LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn.pg())
    .await?;
    Ok(rows.into_iter().map(|v| v.variant_id).collect())
}
