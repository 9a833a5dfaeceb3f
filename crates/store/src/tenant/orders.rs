//! Orders: placing one (stock reserved in the same short transaction, rows
//! locked in a fixed order, no oversell possible), settling it after the
//! payment (reservation committed or released), and expiring reservations
//! whose checkout never finished.

use chrono::{DateTime, Utc};
use diesel::dsl;
use diesel::pg::sql_types::Record;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, Int4, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::prepared::{cached, prepared};
use crate::schema::tenant::backorders as backorder_rows;
use crate::schema::tenant::{
    carts, order_events, order_lines, orders, payments, products, refunds, reservations, variants,
    vendor_orders,
};
use crate::sql::{coalesce_bigint, coalesce_numeric, sum_int4, sum_numeric};
use crate::tenant::stock::{self, Available, Movement};
use crate::tenant::{backorders, captures, customers, loyalty, money, outbox};
use crate::{StoreError, TenantConn};
use bazaar_domain::{CaptureMode, Currency, OrderStatus, PaymentStatus, VendorOrderStatus};

#[derive(Debug, Clone)]
pub struct NewOrderLine {
    pub variant_id: Uuid,
    pub vendor_id: Uuid,
    pub sku: String,
    pub title: String,
    pub tax_category: String,
    pub quantity: i32,
    pub unit_price: Decimal,
    pub net: Decimal,
    pub tax: Decimal,
    pub excise: Decimal,
    pub gross: Decimal,
}

/// Shipping charged for one vendor's part.
#[derive(Debug, Clone)]
pub struct NewShipping {
    pub vendor_id: Uuid,
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub id: Uuid,
    pub cart_id: Uuid,
    pub brand_id: Uuid,
    pub region: String,
    pub region_version: String,
    pub currency: Currency,
    pub contact_email: Option<String>,
    pub subtotal: Decimal,
    pub tax_total: Decimal,
    pub excise_total: Decimal,
    /// Shipping before tax (its tax is in `tax_total` and `shipping_tax`).
    pub shipping_total: Decimal,
    pub shipping_tax: Decimal,
    /// What the shopper pays: lines, shipping and tax, less `discount`.
    pub total: Decimal,
    pub lines: Vec<NewOrderLine>,
    pub shipping: Vec<NewShipping>,
    pub gateway: String,
    /// When the money is taken.
    pub capture: CaptureMode,
    /// The signed-in customer the order belongs to.
    pub customer_id: Option<Uuid>,
    /// Loyalty points redeemed, and what they take off the total.
    pub loyalty_points: i64,
    pub discount: Decimal,
}

/// Why an order could not be placed.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceError {
    /// The cart was checked out meanwhile (by a concurrent checkout).
    CartClosed,
    OutOfStock {
        sku: String,
        wanted: i32,
        available: i64,
    },
    /// The customer has fewer loyalty points than the order redeems.
    NotEnoughPoints { balance: i64 },
}

async fn event(
    conn: &mut TenantConn,
    order: Uuid,
    from: Option<&str>,
    to: &str,
    note: Option<&str>,
) -> Result<(), StoreError> {
    diesel::insert_into(order_events::table)
        .values((
            order_events::order_id.eq(order),
            order_events::from_status.eq(from),
            order_events::to_status.eq(to),
            order_events::note.eq(note),
        ))
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// Lock the stock of every line (variants in id order, warehouses in id
/// order, so concurrent checkouts never deadlock), allocate each line
/// across the vendor's warehouses, put what stock cannot cover on
/// backorder within the variant's limit, and, only if every line fits,
/// write the order, its reservations, backorders and pending payment.
/// Nothing is written when a line does not fit.
pub async fn place(
    conn: &mut TenantConn,
    order: &NewOrder,
    hold_until: DateTime<Utc>,
) -> Result<Result<(), PlaceError>, StoreError> {
    // Close the cart first: its row lock makes concurrent checkouts of one
    // cart (under different keys) wait, and all but the first find it
    // closed. (Closing it after the stock locks instead doubles the time a
    // hot item's checkouts take under contention.) A refusal below reopens
    // it, so the shopper can fix the cart.
    let closed = cached(
        diesel::update(
            carts::table
                .find(order.cart_id)
                .filter(carts::status.eq("open")),
        )
        .set((
            carts::status.eq("checked_out"),
            carts::updated_at.eq(dsl::now),
        )),
    )
    .execute(conn.pg())
    .await?;
    if closed == 0 {
        return Ok(Err(PlaceError::CartClosed));
    }
    let mut lines: Vec<&NewOrderLine> = order.lines.iter().collect();
    lines.sort_by_key(|l| l.variant_id);
    let mut allocations: Vec<(Uuid, Uuid, i32)> = Vec::new();
    let mut backordered: Vec<(Uuid, i32)> = Vec::new();
    for line in &lines {
        let stock: Vec<Available> = stock::lock_available(conn, line.variant_id, None).await?;
        let mut wanted = line.quantity;
        for s in stock.iter().filter(|s| s.available > 0) {
            let take = wanted.min(s.available);
            allocations.push((line.variant_id, s.warehouse_id, take));
            wanted -= take;
            if wanted == 0 {
                break;
            }
        }
        if wanted > 0 {
            let room = backorders::room(conn, line.variant_id).await?;
            if room < i64::from(wanted) {
                reopen(conn, order.cart_id).await?;
                return Ok(Err(PlaceError::OutOfStock {
                    sku: line.sku.clone(),
                    wanted: line.quantity,
                    available: stock
                        .iter()
                        .map(|s| i64::from(s.available.max(0)))
                        .sum::<i64>()
                        + room,
                }));
            }
            backordered.push((line.variant_id, wanted));
        }
    }

    // Points are taken after the stock locks: the customer's row is locked
    // after stock everywhere, so the two never wait on each other in
    // opposite orders.
    if let (Some(customer), points @ 1..) = (order.customer_id, order.loyalty_points)
        && let Err(balance) = loyalty::redeem(conn, customer, order.id, points).await?
    {
        reopen(conn, order.cart_id).await?;
        return Ok(Err(PlaceError::NotEnoughPoints { balance }));
    }
    // Stock first, each row already locked above, in the same order; then
    // the order and everything written with it in one statement.
    let reference = format!("order:{}", order.id);
    for &(variant, warehouse, quantity) in &allocations {
        stock::apply(
            conn,
            variant,
            warehouse,
            Movement::Reserve,
            0,
            quantity,
            Some(&reference),
            "checkout",
        )
        .await?;
    }
    let line_ids: Vec<Uuid> = order
        .lines
        .iter()
        .map(|_| bazaar_domain::ids::new_id())
        .collect();
    let on_backorder: Vec<i32> = order
        .lines
        .iter()
        .map(|line| {
            backordered
                .iter()
                .filter(|(v, _)| *v == line.variant_id)
                .map(|(_, n)| *n)
                .sum::<i32>()
                .min(line.quantity)
        })
        .collect();
    let lines = |f: fn(&NewOrderLine) -> Decimal| order.lines.iter().map(f).collect::<Vec<_>>();
    let shipping =
        |f: fn(&NewShipping) -> Decimal| order.shipping.iter().map(f).collect::<Vec<_>>();
    let backorder_ids: Vec<Uuid> = backordered
        .iter()
        .map(|_| bazaar_domain::ids::new_id())
        .collect();
    let reservation_ids: Vec<Uuid> = allocations
        .iter()
        .map(|_| bazaar_domain::ids::new_id())
        .collect();
    prepared(
        "WITH o AS (INSERT INTO orders (id, cart_id, brand_id, region, region_version, currency, contact_email, status, \
         subtotal, tax_total, excise_total, shipping_total, shipping_tax, total, hold_until, customer_id, \
         loyalty_points, discount_total, shipping_address) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending_payment', $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         (SELECT shipping_address FROM carts WHERE id = $2))), \
         l AS (INSERT INTO order_lines (id, order_id, variant_id, vendor_id, sku, title, tax_category, quantity, \
         unit_price, net, tax, excise, gross, backordered) \
         SELECT id, $1, variant_id, vendor_id, sku, title, tax_category, quantity, unit_price, net, tax, excise, gross, backordered \
         FROM unnest($18::uuid[], $19::uuid[], $20::uuid[], $21::text[], $22::text[], $23::text[], $24::int4[], \
         $25::numeric[], $26::numeric[], $27::numeric[], $28::numeric[], $29::numeric[], $30::int4[]) \
         AS t (id, variant_id, vendor_id, sku, title, tax_category, quantity, unit_price, net, tax, excise, gross, backordered)), \
         s AS (INSERT INTO order_shipping (order_id, vendor_id, net, tax, gross) \
         SELECT $1, vendor_id, net, tax, gross FROM unnest($31::uuid[], $32::numeric[], $33::numeric[], $34::numeric[]) \
         AS t (vendor_id, net, tax, gross)), \
         b AS (INSERT INTO backorders (id, order_id, variant_id, quantity) \
         SELECT id, $1, variant_id, quantity FROM unnest($35::uuid[], $36::uuid[], $37::int4[]) AS t (id, variant_id, quantity)), \
         r AS (INSERT INTO reservations (id, order_id, variant_id, warehouse_id, quantity, expires_at) \
         SELECT id, $1, variant_id, warehouse_id, quantity, $14 \
         FROM unnest($38::uuid[], $39::uuid[], $40::uuid[], $41::int4[]) AS t (id, variant_id, warehouse_id, quantity)), \
         p AS (INSERT INTO payments (id, order_id, gateway, status, amount, currency, capture) VALUES ($42, $1, $43, 'pending', $13, $6, $45)), \
         e AS (INSERT INTO order_events (order_id, from_status, to_status, note) VALUES ($1, NULL, 'pending_payment', 'stock reserved')) \
         INSERT INTO outbox (topic, payload) VALUES ('order.placed', $44)",
    )
    .bind::<SqlUuid, _>(order.id)
    .bind::<SqlUuid, _>(order.cart_id)
    .bind::<SqlUuid, _>(order.brand_id)
    .bind::<Text, _>(&order.region)
    .bind::<Text, _>(&order.region_version)
    .bind::<Text, _>(&order.currency)
    .bind::<Nullable<Text>, _>(order.contact_email.as_deref())
    .bind::<Numeric, _>(order.subtotal)
    .bind::<Numeric, _>(order.tax_total)
    .bind::<Numeric, _>(order.excise_total)
    .bind::<Numeric, _>(order.shipping_total)
    .bind::<Numeric, _>(order.shipping_tax)
    .bind::<Numeric, _>(order.total)
    .bind::<Timestamptz, _>(hold_until)
    .bind::<Nullable<SqlUuid>, _>(order.customer_id)
    .bind::<Int4, _>(i32::try_from(order.loyalty_points).unwrap_or(i32::MAX))
    .bind::<Numeric, _>(order.discount)
    .bind::<Array<SqlUuid>, _>(line_ids)
    .bind::<Array<SqlUuid>, _>(order.lines.iter().map(|l| l.variant_id).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(order.lines.iter().map(|l| l.vendor_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(order.lines.iter().map(|l| l.sku.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(order.lines.iter().map(|l| l.title.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(order.lines.iter().map(|l| l.tax_category.as_str()).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(order.lines.iter().map(|l| l.quantity).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(lines(|l| l.unit_price))
    .bind::<Array<Numeric>, _>(lines(|l| l.net))
    .bind::<Array<Numeric>, _>(lines(|l| l.tax))
    .bind::<Array<Numeric>, _>(lines(|l| l.excise))
    .bind::<Array<Numeric>, _>(lines(|l| l.gross))
    .bind::<Array<Int4>, _>(on_backorder)
    .bind::<Array<SqlUuid>, _>(order.shipping.iter().map(|s| s.vendor_id).collect::<Vec<_>>())
    .bind::<Array<Numeric>, _>(shipping(|s| s.net))
    .bind::<Array<Numeric>, _>(shipping(|s| s.tax))
    .bind::<Array<Numeric>, _>(shipping(|s| s.gross))
    .bind::<Array<SqlUuid>, _>(backorder_ids)
    .bind::<Array<SqlUuid>, _>(backordered.iter().map(|b| b.0).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(backordered.iter().map(|b| b.1).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(reservation_ids)
    .bind::<Array<SqlUuid>, _>(allocations.iter().map(|a| a.0).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(allocations.iter().map(|a| a.1).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(allocations.iter().map(|a| a.2).collect::<Vec<_>>())
    .bind::<SqlUuid, _>(bazaar_domain::ids::new_id())
    .bind::<Text, _>(&order.gateway)
    .bind::<Jsonb, _>(serde_json::json!({ "order_id": order.id }))
    .bind::<Text, _>(order.capture)
    .execute(conn.pg())
    .await?;
    Ok(Ok(()))
}

/// Open the cart again: the order was refused and the shopper may fix it.
async fn reopen(conn: &mut TenantConn, cart: Uuid) -> Result<(), StoreError> {
    cached(diesel::update(carts::table.find(cart)).set(carts::status.eq("open")))
        .execute(conn.pg())
        .await?;
    Ok(())
}

#[derive(Queryable)]
pub(crate) struct Held {
    pub(crate) variant_id: Uuid,
    pub(crate) warehouse_id: Uuid,
    pub(crate) quantity: i32,
}

/// The order's status, locked for the rest of the transaction.
pub(crate) async fn lock_status(
    conn: &mut TenantConn,
    order: Uuid,
) -> Result<OrderStatus, StoreError> {
    Ok(orders::table
        .find(order)
        .select(orders::status)
        .for_update()
        .get_result(conn.pg())
        .await?)
}

/// Move the order's reservations from status `from` to `to`, returning
/// them in lock order (variant, warehouse) for the stock they move.
pub(crate) async fn move_reservations(
    conn: &mut TenantConn,
    order: Uuid,
    from: &'static str,
    to: &'static str,
) -> Result<Vec<Held>, StoreError> {
    let mut moved: Vec<Held> = cached(
        diesel::update(
            reservations::table
                .filter(reservations::order_id.eq(order))
                .filter(reservations::status.eq(from)),
        )
        .set(reservations::status.eq(to))
        .returning((
            reservations::variant_id,
            reservations::warehouse_id,
            reservations::quantity,
        )),
    )
    .load(conn.pg())
    .await?;
    moved.sort_by_key(|h| (h.variant_id, h.warehouse_id));
    Ok(moved)
}

/// Turn the order's held reservations into `kind` (commit or release).
async fn settle_reservations(
    conn: &mut TenantConn,
    order: Uuid,
    commit: bool,
) -> Result<(), StoreError> {
    let (status, kind) = if commit {
        ("committed", Movement::Commit)
    } else {
        ("released", Movement::Release)
    };
    let held = move_reservations(conn, order, "held", status).await?;
    let reference = format!("order:{order}");
    for h in held {
        let on_hand = if commit { -h.quantity } else { 0 };
        stock::apply(
            conn,
            h.variant_id,
            h.warehouse_id,
            kind,
            on_hand,
            -h.quantity,
            Some(&reference),
            "checkout",
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn set_status(
    conn: &mut TenantConn,
    order: Uuid,
    from: OrderStatus,
    to: OrderStatus,
    note: Option<&str>,
) -> Result<(), StoreError> {
    // The domain's state machine decides; an illegal move here is a bug.
    let to = from.transition(to).map_err(|e| StoreError::Constraint {
        constraint: "order_status_transition".to_owned(),
        message: e.message,
    })?;
    cached(
        diesel::update(orders::table.find(order))
            .set((orders::status.eq(to), orders::updated_at.eq(dsl::now))),
    )
    .execute(conn.pg())
    .await?;
    event(conn, order, Some(from.as_str()), to.as_str(), note).await
}

/// The payment went through: commit the stock, mark the order paid, split
/// it into vendor orders and, for money taken now, record where it goes
/// (an authorisation's money is recorded part by part as each is
/// captured). Returns false when the order was no longer pending (its
/// reservation expired first).
pub async fn settle_paid(
    conn: &mut TenantConn,
    order: Uuid,
    charge_id: &str,
    attempts: i32,
) -> Result<bool, StoreError> {
    if lock_status(conn, order).await? != OrderStatus::PendingPayment {
        return Ok(false);
    }
    settle_reservations(conn, order, true).await?;
    // One statement for the rest: the order paid (and its event), the
    // payment, its backorders opened (as `backorders::settle` does), the
    // vendor orders, and the event; it returns what earning points needs.
    let basis: Basis = prepared(
        "WITH o AS (UPDATE orders SET status = 'paid', updated_at = now() WHERE id = $1 \
         RETURNING customer_id, subtotal, discount_total), \
         p AS (UPDATE payments SET status = CASE capture WHEN 'immediate' THEN 'succeeded' ELSE 'authorized' END, \
         captured = CASE capture WHEN 'immediate' THEN amount ELSE 0 END, \
         charge_id = $2, attempts = $3, next_action = NULL, updated_at = now() WHERE order_id = $1 RETURNING capture), \
         e AS (INSERT INTO order_events (order_id, from_status, to_status, note) \
         SELECT $1, 'pending_payment', 'paid', CASE capture WHEN 'immediate' THEN 'payment captured' \
         ELSE 'payment authorised; each part is captured when it ships' END FROM p), \
         b AS (UPDATE backorders SET status = 'open' WHERE order_id = $1 AND status = 'held'), \
         v AS (INSERT INTO vendor_orders (id, order_id, vendor_id, status, total, shipping) \
         SELECT gen_random_uuid(), $1, l.vendor_id, 'pending', sum(l.gross) + COALESCE(s.gross, 0), COALESCE(s.gross, 0) \
         FROM order_lines l LEFT JOIN order_shipping s ON s.order_id = l.order_id AND s.vendor_id = l.vendor_id \
         WHERE l.order_id = $1 GROUP BY l.vendor_id, s.gross), \
         x AS (INSERT INTO outbox (topic, payload) VALUES ('order.paid', $4)) \
         SELECT customer_id, subtotal, discount_total, (SELECT capture FROM p) AS capture FROM o",
    )
    .bind::<SqlUuid, _>(order)
    .bind::<Text, _>(charge_id)
    .bind::<Int4, _>(attempts)
    .bind::<Jsonb, _>(serde_json::json!({ "order_id": order }))
    .get_result(conn.pg())
    .await?;
    let capture = basis.capture;
    earn_points(conn, order, basis).await?;
    if capture == CaptureMode::Immediate {
        money::record_sale(conn, order, None).await?;
    }
    Ok(true)
}

/// What a paid order earns points on.
#[derive(diesel::QueryableByName)]
struct Basis {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    customer_id: Option<Uuid>,
    #[diesel(sql_type = Numeric)]
    subtotal: Decimal,
    #[diesel(sql_type = Numeric)]
    discount_total: Decimal,
    #[diesel(sql_type = Text)]
    capture: CaptureMode,
}

/// A paid order of a customer earns points by the tenant's rule: so many
/// per unit of its goods' value, net of tax and of what points paid for.
async fn earn_points(conn: &mut TenantConn, order: Uuid, basis: Basis) -> Result<(), StoreError> {
    let Some(customer) = basis.customer_id else {
        return Ok(());
    };
    let rule = customers::settings(conn).await?;
    let base = (basis.subtotal - basis.discount_total).max(Decimal::ZERO);
    let points = base
        .checked_mul(rule.loyalty_points_per_unit)
        .map(|p| p.floor())
        .and_then(|p| i64::try_from(p).ok())
        .unwrap_or(0);
    let expires = rule
        .loyalty_expiry_days
        .map(|days| Utc::now() + chrono::Duration::days(i64::from(days)));
    loyalty::earn(conn, customer, order, points, expires).await
}

/// The payment failed: release the stock and mark the order payment_failed.
pub async fn settle_failed(
    conn: &mut TenantConn,
    order: Uuid,
    code: &str,
    attempts: i32,
) -> Result<bool, StoreError> {
    if lock_status(conn, order).await? != OrderStatus::PendingPayment {
        return Ok(false);
    }
    settle_reservations(conn, order, false).await?;
    backorders::settle(conn, order, false).await?;
    loyalty::restore(conn, order).await?;
    set_status(
        conn,
        order,
        OrderStatus::PendingPayment,
        OrderStatus::PaymentFailed,
        Some(code),
    )
    .await?;
    cached(
        diesel::update(payments::table.filter(payments::order_id.eq(order))).set((
            payments::status.eq("failed"),
            payments::failure_code.eq(code),
            payments::attempts.eq(attempts),
            payments::next_action.eq(None::<serde_json::Value>),
            payments::updated_at.eq(dsl::now),
        )),
    )
    .execute(conn.pg())
    .await?;
    outbox::publish(
        conn,
        "order.payment_failed",
        serde_json::json!({ "order_id": order, "code": code }),
    )
    .await?;
    Ok(true)
}

/// Record that the provider needs the shopper before it can charge
/// `order` (a 3-D Secure challenge, approving a wallet payment): the
/// payment waits as `requires_action` with the provider's id for the
/// charge and what the storefront must do; the order stays pending with
/// its stock held until its hold runs out. Returns false (and changes
/// nothing) when the order is no longer pending.
pub async fn await_action(
    conn: &mut TenantConn,
    order: Uuid,
    charge_id: &str,
    action: &serde_json::Value,
    attempts: i32,
) -> Result<bool, StoreError> {
    if lock_status(conn, order).await? != OrderStatus::PendingPayment {
        return Ok(false);
    }
    diesel::update(payments::table.filter(payments::order_id.eq(order)))
        .set((
            payments::status.eq(PaymentStatus::RequiresAction),
            payments::charge_id.eq(charge_id),
            payments::next_action.eq(action),
            payments::attempts.eq(attempts),
            payments::updated_at.eq(dsl::now),
        ))
        .execute(conn.pg())
        .await?;
    outbox::publish(
        conn,
        "order.payment_action_required",
        serde_json::json!({ "order_id": order, "charge_id": charge_id }),
    )
    .await?;
    Ok(true)
}

/// A payment as its provider knows it: what asking the provider about an
/// order needs.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct ProviderRef {
    pub gateway: String,
    pub status: PaymentStatus,
    pub charge_id: Option<String>,
}

/// The provider, status and provider charge id of `order`'s payment.
pub async fn provider_ref(conn: &mut TenantConn, order: Uuid) -> Result<ProviderRef, StoreError> {
    Ok(payments::table
        .filter(payments::order_id.eq(order))
        .select((payments::gateway, payments::status, payments::charge_id))
        .get_result(conn.pg())
        .await?)
}

/// Release the reservations of pending orders held past `now`, cancelling
/// those orders. Returns the orders expired; the caller gives back the
/// points they redeemed ([`loyalty::restore`]) once it has done all its
/// stock work, because a customer's row is locked after stock rows.
/// Pending orders whose hold has run out (`hold_until < now`), with when
/// each was placed and the provider it is charged with: what [`expire`]
/// would cancel.
pub async fn due_for_expiry(
    conn: &mut TenantConn,
    now: DateTime<Utc>,
) -> Result<Vec<Due>, StoreError> {
    // Raw SQL: `orders_pending_hold_idx` is partial on this status, which
    // the DSL would bind and a cached plan could then not use.
    Ok(prepared(
        "SELECT o.id AS order_id, o.created_at, p.gateway FROM orders o \
         JOIN payments p ON p.order_id = o.id \
         WHERE o.status = 'pending_payment' AND o.hold_until < $1",
    )
    .bind::<Timestamptz, _>(now)
    .load(conn.pg())
    .await?)
}

/// A pending order whose hold has run out.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Due {
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub gateway: String,
}

/// Move a pending payment to another provider (nothing reached the one it
/// was placed with).
pub async fn switch_gateway(
    conn: &mut TenantConn,
    order: Uuid,
    gateway: &str,
) -> Result<(), StoreError> {
    diesel::update(
        payments::table
            .filter(payments::order_id.eq(order))
            .filter(payments::status.eq(PaymentStatus::Pending)),
    )
    .set((
        payments::gateway.eq(gateway),
        payments::updated_at.eq(dsl::now),
    ))
    .execute(conn.pg())
    .await?;
    Ok(())
}

/// Hold a pending order's stock until `until` (its payment's outcome is
/// not known yet).
pub async fn extend_hold(
    conn: &mut TenantConn,
    order: Uuid,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    if lock_status(conn, order).await? != OrderStatus::PendingPayment {
        return Ok(());
    }
    diesel::update(orders::table.filter(orders::id.eq(order)))
        .set(orders::hold_until.eq(until))
        .execute(conn.pg())
        .await?;
    diesel::update(reservations::table.filter(reservations::order_id.eq(order)))
        .set(reservations::expires_at.eq(until))
        .execute(conn.pg())
        .await?;
    Ok(())
}

pub async fn expire(conn: &mut TenantConn, now: DateTime<Utc>) -> Result<Vec<Uuid>, StoreError> {
    let mut expired = Vec::new();
    for Due { order_id, .. } in due_for_expiry(conn, now).await? {
        if lock_status(conn, order_id).await? != OrderStatus::PendingPayment {
            continue;
        }
        settle_reservations(conn, order_id, false).await?;
        backorders::settle(conn, order_id, false).await?;
        set_status(
            conn,
            order_id,
            OrderStatus::PendingPayment,
            OrderStatus::Cancelled,
            Some("reservation expired before payment"),
        )
        .await?;
        outbox::publish(
            conn,
            "order.cancelled",
            serde_json::json!({ "order_id": order_id, "reason": "reservation_expired" }),
        )
        .await?;
        expired.push(order_id);
    }
    Ok(expired)
}

/// An order as the API shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orders, check_for_backend(diesel::pg::Pg))]
pub struct OrderRow {
    pub id: Uuid,
    pub status: OrderStatus,
    pub region: String,
    pub region_version: String,
    pub currency: Currency,
    pub subtotal: Decimal,
    pub tax_total: Decimal,
    pub excise_total: Decimal,
    pub shipping_total: Decimal,
    pub total: Decimal,
    pub discount_total: Decimal,
    pub loyalty_points: i32,
    pub customer_id: Option<Uuid>,
    /// Units of the order's lines still waiting for stock.
    #[diesel(select_expression = order_backordered(), select_expression_type = order_backordered)]
    pub backordered: i64,
    #[diesel(select_expression = payments::status.nullable(), select_expression_type = dsl::Nullable<payments::status>)]
    pub payment_status: Option<PaymentStatus>,
    #[diesel(select_expression = payments::failure_code.nullable(), select_expression_type = dsl::Nullable<payments::failure_code>)]
    pub failure_code: Option<String>,
    /// Where it goes, as the cart had it at checkout.
    pub shipping_address: Option<serde_json::Value>,
    /// What the shopper must do before the provider can charge (while the
    /// payment `requires_action`): `{kind, url, client_secret}`.
    #[diesel(select_expression = payments::next_action.nullable(), select_expression_type = dsl::Nullable<payments::next_action>)]
    pub payment_action: Option<serde_json::Value>,
    /// The provider the order is charged with.
    #[diesel(select_expression = payments::gateway.nullable(), select_expression_type = dsl::Nullable<payments::gateway>)]
    pub payment_gateway: Option<String>,
    /// When its money is taken.
    #[diesel(select_expression = payments::capture.nullable(), select_expression_type = dsl::Nullable<payments::capture>)]
    pub payment_capture: Option<CaptureMode>,
    /// What has been taken so far (all of it once paid, when captured at
    /// once; part by part as vendors ship, when authorised).
    #[diesel(select_expression = payments::captured.nullable(), select_expression_type = dsl::Nullable<payments::captured>)]
    pub captured: Option<Decimal>,
    /// What refunds have given back so far.
    #[diesel(select_expression = order_refunded(), select_expression_type = order_refunded)]
    pub refunded: Decimal,
    pub created_at: DateTime<Utc>,
}

/// Units of the order's lines on backorder still to come (held or open).
#[dsl::auto_type]
fn order_backordered() -> _ {
    let outstanding: [&'static str; 2] = OUTSTANDING;
    coalesce_bigint(
        backorder_rows::table
            .filter(backorder_rows::order_id.eq(orders::id))
            .filter(backorder_rows::status.eq_any(outstanding))
            .select(sum_int4(backorder_rows::quantity))
            .single_value(),
        0_i64,
    )
}

/// What the order's refunds have given back.
#[dsl::auto_type]
fn order_refunded() -> _ {
    let made: &'static str = "succeeded";
    let none: Decimal = Decimal::ZERO;
    coalesce_numeric(
        refunds::table
            .filter(refunds::order_id.eq(orders::id))
            .filter(refunds::status.eq(made))
            .select(sum_numeric(refunds::amount))
            .single_value(),
        none,
    )
}

/// The statuses of a backorder still waiting for stock.
pub(crate) const OUTSTANDING: [&str; 2] = ["held", "open"];

pub async fn get(
    conn: &mut TenantConn,
    id: Uuid,
    brand: Option<Uuid>,
) -> Result<OrderRow, StoreError> {
    let query = orders::table
        .left_join(payments::table)
        .filter(orders::id.eq(id))
        .select(OrderRow::as_select());
    Ok(match brand {
        Some(brand) => {
            query
                .filter(orders::brand_id.eq(brand))
                .get_result(conn.pg())
                .await?
        }
        None => query.get_result(conn.pg()).await?,
    })
}

/// Whether `access` opens the order: the customer it belongs to, or, for
/// a guest's order, the token of the cart it was placed from.
pub async fn opened_by(
    conn: &mut TenantConn,
    order: Uuid,
    access: &crate::tenant::carts::Access,
) -> Result<bool, StoreError> {
    use crate::tenant::carts::Access;
    Ok(match access {
        Access::Token(token) => {
            diesel::select(dsl::exists(
                orders::table
                    .inner_join(carts::table.on(carts::id.eq(orders::cart_id)))
                    .filter(orders::id.eq(order))
                    .filter(orders::customer_id.is_null())
                    .filter(carts::token_hash.eq(crate::secret::hash(token))),
            ))
            .get_result(conn.pg())
            .await?
        }
        Access::Customer(customer) => {
            diesel::select(dsl::exists(
                orders::table
                    .filter(orders::id.eq(order))
                    .filter(orders::customer_id.eq(customer)),
            ))
            .get_result(conn.pg())
            .await?
        }
    })
}

/// Which orders a customer's history shows.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    pub status: Option<OrderStatus>,
    pub placed_from: Option<DateTime<Utc>>,
    pub placed_to: Option<DateTime<Utc>>,
    /// Keyset: orders placed before this one (newest first).
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// A customer's orders, newest first (served by `orders_customer_idx`).
pub async fn of_customer(
    conn: &mut TenantConn,
    customer: Uuid,
    filter: &HistoryFilter,
) -> Result<Vec<OrderRow>, StoreError> {
    let mut query = orders::table
        .left_join(payments::table)
        .filter(orders::customer_id.eq(customer))
        .select(OrderRow::as_select())
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(filter.limit)
        .into_boxed();
    if let Some(status) = &filter.status {
        query = query.filter(orders::status.eq(*status));
    }
    if let Some(from) = filter.placed_from {
        query = query.filter(orders::created_at.ge(from));
    }
    if let Some(to) = filter.placed_to {
        query = query.filter(orders::created_at.lt(to));
    }
    if let Some((at, id)) = filter.before {
        query = query.filter(
            (orders::created_at, orders::id)
                .into_sql::<Record<(Timestamptz, SqlUuid)>>()
                .lt((at, id)),
        );
    }
    Ok(query.load(conn.pg()).await?)
}

/// An order's lines as the customer bought them.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_lines, check_for_backend(diesel::pg::Pg))]
pub struct LineRow {
    pub id: Uuid,
    pub variant_id: Uuid,
    pub vendor_id: Uuid,
    pub sku: String,
    pub title: String,
    pub quantity: i32,
    pub unit_price: Decimal,
    pub gross: Decimal,
}

pub async fn lines(conn: &mut TenantConn, order: Uuid) -> Result<Vec<LineRow>, StoreError> {
    Ok(order_lines::table
        .filter(order_lines::order_id.eq(order))
        .order((order_lines::sku, order_lines::id))
        .select(LineRow::as_select())
        .load(conn.pg())
        .await?)
}

/// The lines of `order` that `vendor` ships.
pub async fn vendor_lines(
    conn: &mut TenantConn,
    order: Uuid,
    vendor: Uuid,
) -> Result<Vec<LineRow>, StoreError> {
    Ok(order_lines::table
        .filter(order_lines::order_id.eq(order))
        .filter(order_lines::vendor_id.eq(vendor))
        .order((order_lines::sku, order_lines::id))
        .select(LineRow::as_select())
        .load(conn.pg())
        .await?)
}

/// A transition of an order's status, as it happened.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = order_events, check_for_backend(diesel::pg::Pg))]
pub struct Transition {
    pub from_status: Option<String>,
    pub to_status: String,
    /// Why, in words (the refusal code, the cancellation's reason, ...).
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An order's lines and status timeline: what an order's reader sees
/// besides its row.
#[derive(Debug, Clone)]
pub struct Contents {
    pub lines: Vec<LineRow>,
    pub timeline: Vec<Transition>,
    /// Where its shipped parts are, as their vendors (or carriers) report.
    pub tracking: Vec<crate::tenant::tracking::TrackingEvent>,
}

pub async fn contents(conn: &mut TenantConn, order: Uuid) -> Result<Contents, StoreError> {
    Ok(Contents {
        lines: lines(conn, order).await?,
        timeline: timeline(conn, order).await?,
        tracking: crate::tenant::tracking::of_order(conn, order).await?,
    })
}

/// An order's status timeline, oldest first.
pub async fn timeline(conn: &mut TenantConn, order: Uuid) -> Result<Vec<Transition>, StoreError> {
    Ok(order_events::table
        .filter(order_events::order_id.eq(order))
        .order(order_events::id)
        .select(Transition::as_select())
        .load(conn.pg())
        .await?)
}

/// One vendor order; `vendor` limits it to that vendor's.
pub async fn vendor_order(
    conn: &mut TenantConn,
    id: Uuid,
    vendor: Option<Uuid>,
) -> Result<VendorOrderRow, StoreError> {
    let query = vendor_orders::table
        .find(id)
        .select(VendorOrderRow::as_select());
    Ok(match vendor {
        Some(vendor) => {
            query
                .filter(vendor_orders::vendor_id.eq(vendor))
                .get_result(conn.pg())
                .await?
        }
        None => query.get_result(conn.pg()).await?,
    })
}

/// One vendor's part of an order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = vendor_orders, check_for_backend(diesel::pg::Pg))]
pub struct VendorOrderRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub vendor_id: Uuid,
    pub status: VendorOrderStatus,
    pub total: Decimal,
    /// The shipping included in `total`.
    pub shipping: Decimal,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub created_at: DateTime<Utc>,
    #[diesel(select_expression = vendor_order_currency(), select_expression_type = vendor_order_currency)]
    pub currency: Currency,
    /// Units of this part still waiting for stock (backordered).
    #[diesel(select_expression = vendor_order_awaiting(), select_expression_type = vendor_order_awaiting)]
    pub awaiting_stock: i64,
}

/// The currency of the part's order.
#[dsl::auto_type]
fn vendor_order_currency() -> _ {
    orders::table
        .filter(orders::id.eq(vendor_orders::order_id))
        .select(orders::currency)
        .single_value()
        .assume_not_null()
}

/// Units of the part's vendor's products on backorder still to come.
#[dsl::auto_type]
fn vendor_order_awaiting() -> _ {
    let outstanding: [&'static str; 2] = OUTSTANDING;
    coalesce_bigint(
        backorder_rows::table
            .inner_join(variants::table.inner_join(products::table))
            .filter(backorder_rows::order_id.eq(vendor_orders::order_id))
            .filter(products::vendor_id.eq(vendor_orders::vendor_id))
            .filter(backorder_rows::status.eq_any(outstanding))
            .select(sum_int4(backorder_rows::quantity))
            .single_value(),
        0_i64,
    )
}

/// A vendor's orders in a status, newest first, keyset-paginated (served
/// by `vendor_orders_vendor_status_idx`).
pub async fn vendor_orders(
    conn: &mut TenantConn,
    vendor: Uuid,
    status: &str,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<VendorOrderRow>, StoreError> {
    let query = vendor_orders::table
        .filter(vendor_orders::vendor_id.eq(vendor))
        .filter(vendor_orders::status.eq(status))
        .order((vendor_orders::created_at.desc(), vendor_orders::id.desc()))
        .limit(limit)
        .select(VendorOrderRow::as_select());
    Ok(match before {
        Some((at, id)) => {
            query
                .filter(
                    (vendor_orders::created_at, vendor_orders::id)
                        .into_sql::<Record<(Timestamptz, SqlUuid)>>()
                        .lt((at, id)),
                )
                .load(conn.pg())
                .await?
        }
        None => query.load(conn.pg()).await?,
    })
}

/// Why a vendor's part cannot move.
#[derive(Debug, Clone, PartialEq)]
pub enum AdvanceRefused {
    /// Not from the status it is in.
    From(VendorOrderStatus),
    /// Units of it are still on backorder.
    AwaitingStock(i64),
}

/// Move a vendor's part forward (`packed`, then `shipped` with a carrier and
/// tracking number), and the order with it: `fulfilling` once any part is
/// packed, `partially_shipped` or `shipped` as parts ship. A part with
/// units still on backorder cannot be packed or shipped.
pub async fn advance_vendor_order(
    conn: &mut TenantConn,
    id: Uuid,
    vendor: Option<Uuid>,
    to: VendorOrderStatus,
    carrier: Option<&str>,
    tracking: Option<&str>,
    note: Option<&str>,
) -> Result<Result<Advanced, AdvanceRefused>, StoreError> {
    // The order first, then the part, as every path that moves both locks
    // them (cancelling, refunding).
    let order_id: Uuid = vendor_orders::table
        .find(id)
        .select(vendor_orders::order_id)
        .get_result(conn.pg())
        .await?;
    let order_status = lock_status(conn, order_id).await?;
    let part = vendor_orders::table
        .find(id)
        .select(VendorOrderRow::as_select())
        .for_update();
    let current: VendorOrderRow = match vendor {
        Some(vendor) => {
            part.filter(vendor_orders::vendor_id.eq(vendor))
                .get_result(conn.pg())
                .await?
        }
        None => part.get_result(conn.pg()).await?,
    };
    if !current.status.can_become(to) {
        return Ok(Err(AdvanceRefused::From(current.status)));
    }
    if current.awaiting_stock > 0 {
        return Ok(Err(AdvanceRefused::AwaitingStock(current.awaiting_stock)));
    }
    let updated: VendorOrderRow = diesel::update(vendor_orders::table.find(id))
        .set((
            vendor_orders::status.eq(to),
            carrier.map(|c| vendor_orders::carrier.eq(c)),
            tracking.map(|t| vendor_orders::tracking_number.eq(t)),
            vendor_orders::updated_at.eq(dsl::now),
        ))
        .returning(VendorOrderRow::as_returning())
        .get_result(conn.pg())
        .await?;
    let parts: Vec<VendorOrderStatus> = vendor_orders::table
        .filter(vendor_orders::order_id.eq(current.order_id))
        .select(vendor_orders::status)
        .load(conn.pg())
        .await?;
    let live: Vec<&VendorOrderStatus> = parts
        .iter()
        .filter(|s| **s != VendorOrderStatus::Cancelled)
        .collect();
    let shipped = live.iter().filter(|s| s.has_left()).count();
    let delivered = live
        .iter()
        .filter(|s| ***s == VendorOrderStatus::Delivered)
        .count();
    let next = OrderStatus::of_parts(live.len() as u64, shipped as u64, delivered as u64);
    // Every move of a part is on the order's timeline, with its reason;
    // the order's status follows its parts, except that an order being
    // refunded keeps its refund status.
    let what = match note {
        Some(note) => format!("vendor part {id} {to}: {note}"),
        None => format!("vendor part {id} {to}"),
    };
    if next != order_status && order_status.can_become(next) {
        set_status(conn, current.order_id, order_status, next, Some(&what)).await?;
    } else {
        let status = order_status.as_str();
        event(conn, current.order_id, Some(status), status, Some(&what)).await?;
    }
    // An authorised order's part is captured as it ships.
    let capture = if to == VendorOrderStatus::Shipped {
        captures::open(conn, current.order_id, id)
            .await?
            .map(|c| c.id)
    } else {
        None
    };
    Ok(Ok(Advanced {
        part: updated,
        capture,
    }))
}

/// A part moved forward.
#[derive(Debug, Clone)]
pub struct Advanced {
    pub part: VendorOrderRow,
    /// The capture its shipping opened (an authorised order's part), to
    /// ask the provider for.
    pub capture: Option<Uuid>,
}
