//! Cancelling a paid order before anything ships: its parts, its stock,
//! its backorders, its points and its money (an authorisation released, a
//! charge refunded) in one transaction with the status change.

use diesel::dsl;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::schema::tenant::backorders as backorder_rows;
use crate::schema::tenant::{payments, vendor_orders};
use crate::tenant::orders::{OUTSTANDING, lock_status, move_reservations, set_status};
use crate::tenant::refunds as refund_store;
use crate::tenant::stock::Movement;
use crate::tenant::{captures, inventory, loyalty, outbox};
use crate::{StoreError, TenantConn};
use bazaar_domain::{CaptureMode, OrderStatus, PaymentStatus, VendorOrderStatus};

/// Why an order cannot be cancelled.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelRefused {
    /// Not paid (pending, failed) or past cancelling (refunded).
    Status(OrderStatus),
    /// A vendor's part has shipped: refund it instead.
    Shipped,
    /// A vendor's part is packed and the shopper asked: the shop decides.
    Packed,
}

/// What cancelling did with the order's money.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelMoney {
    /// Nothing to give back (nothing was charged, or points paid for it).
    Nothing,
    /// The hold is to be released.
    Void(captures::ToVoid),
    /// The charge is to be given back: this refund, recorded pending.
    Refund(Uuid),
}

/// Cancel a paid order none of whose parts has shipped: every part is
/// cancelled, the units committed to it go back on hand (a `return`
/// movement into the warehouse they came from, which fills waiting
/// backorders first), its open backorders are cancelled, points it
/// redeemed come back and points it earned are taken back. Its money: an
/// authorisation is marked for release, a charge gets a refund of what is
/// left, recorded pending (the caller asks the provider for either). A
/// cancelled order is cancelled again without effect (`Ok(Ok(None))`).
pub async fn cancel(
    conn: &mut TenantConn,
    order: Uuid,
    reason: &str,
    by: &str,
    refund_hash: &str,
    by_shopper: bool,
) -> Result<Result<Option<CancelMoney>, CancelRefused>, StoreError> {
    let status = lock_status(conn, order).await?;
    if status == OrderStatus::Cancelled {
        return Ok(Ok(None));
    }
    if matches!(
        status,
        OrderStatus::PartiallyShipped | OrderStatus::Shipped | OrderStatus::Delivered
    ) {
        return Ok(Err(CancelRefused::Shipped));
    }
    if !matches!(status, OrderStatus::Paid | OrderStatus::Fulfilling) {
        return Ok(Err(CancelRefused::Status(status)));
    }
    let parts: Vec<VendorOrderStatus> = vendor_orders::table
        .filter(vendor_orders::order_id.eq(order))
        .select(vendor_orders::status)
        .for_update()
        .load(conn.pg())
        .await?;
    if parts.iter().any(|p| p.has_left()) {
        return Ok(Err(CancelRefused::Shipped));
    }
    // A shopper may cancel only before any vendor has packed its part.
    if by_shopper && parts.contains(&VendorOrderStatus::Packed) {
        return Ok(Err(CancelRefused::Packed));
    }
    diesel::update(vendor_orders::table.filter(vendor_orders::order_id.eq(order)))
        .set((
            vendor_orders::status.eq(VendorOrderStatus::Cancelled),
            vendor_orders::updated_at.eq(dsl::now),
        ))
        .execute(conn.pg())
        .await?;
    // The units committed to it go back where they came from.
    let committed = move_reservations(conn, order, "committed", "released").await?;
    let reference = format!("order cancelled {order}");
    for h in committed {
        inventory::change(
            conn,
            h.variant_id,
            h.warehouse_id,
            Movement::Return,
            h.quantity,
            0,
            Some(&reference),
            by,
        )
        .await?;
    }
    let outstanding: [&'static str; 2] = OUTSTANDING;
    diesel::update(
        backorder_rows::table
            .filter(backorder_rows::order_id.eq(order))
            .filter(backorder_rows::status.eq_any(outstanding)),
    )
    .set(backorder_rows::status.eq("cancelled"))
    .execute(conn.pg())
    .await?;
    loyalty::restore(conn, order).await?;
    set_status(conn, order, status, OrderStatus::Cancelled, Some(reason)).await?;
    outbox::publish(
        conn,
        "order.cancelled",
        serde_json::json!({ "order_id": order, "reason": reason, "by": by }),
    )
    .await?;
    let (capture, payment_status, amount, captured): (
        CaptureMode,
        PaymentStatus,
        Decimal,
        Decimal,
    ) = payments::table
        .filter(payments::order_id.eq(order))
        .select((
            payments::capture,
            payments::status,
            payments::amount,
            payments::captured,
        ))
        .get_result(conn.pg())
        .await?;
    let money = match (capture, payment_status) {
        (CaptureMode::OnShipment, PaymentStatus::Authorized) => {
            // Nothing was captured: the points it earned go back with it.
            loyalty::reverse(conn, order, order, amount, amount).await?;
            captures::request_void(conn, order)
                .await?
                .map_or(CancelMoney::Nothing, CancelMoney::Void)
        }
        _ if captured > Decimal::ZERO => {
            match refund_store::for_cancellation(conn, order, reason, by, refund_hash).await? {
                Some(refund) => CancelMoney::Refund(refund),
                None => CancelMoney::Nothing,
            }
        }
        _ => CancelMoney::Nothing,
    };
    Ok(Ok(Some(money)))
}
