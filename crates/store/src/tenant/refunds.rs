//! Refunds: money given back from an order's charge. A refund is recorded
//! `pending` before its provider is asked (with the refund's id as the
//! provider's idempotency key) and settled once with the answer, so a
//! crash or a timeout between the two leaves a row the sweep asks about
//! again: a refund is never lost and never made twice.
//!
//! Deciding how much is left to refund and recording a refund happen with
//! the order's row locked, so two refunds of one order are decided one
//! after the other and never give back more than was charged.

use chrono::{DateTime, Utc};
use diesel::dsl;
use diesel::prelude::*;
use diesel::sql_types::{Int4, Numeric, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::prepared::prepared;
use crate::schema::tenant::{orders, payments, refund_lines, refunds, reservations};
use crate::tenant::captures::{self, ToVoid};
pub use crate::tenant::money::Answer;
use crate::tenant::orders::{lock_status, set_status};
use crate::tenant::outbox;
use crate::tenant::stock::Movement;
use crate::tenant::{inventory, loyalty, money};
use crate::{StoreError, TenantConn};
use bazaar_domain::{CaptureMode, Currency, OrderStatus, PaymentStatus, RefundStatus};

/// Who asks for the refunds Bazaar makes by itself.
pub const SYSTEM: &str = "system";

/// The reason of a refund made because a charge landed on an order that
/// had already been cancelled.
pub const LATE_CHARGE: &str = "charged_after_cancellation";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = refunds, check_for_backend(diesel::pg::Pg))]
pub struct RefundRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub amount: Decimal,
    pub currency: Currency,
    pub reason: String,
    pub restock: bool,
    pub status: RefundStatus,
    pub provider_refund_id: Option<String>,
    pub failure_code: Option<String>,
    pub attempts: i32,
    pub requested_by: String,
    pub request_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The vendor's part refunded, for a refund of one part.
    pub vendor_order_id: Option<Uuid>,
    /// How much of the amount was that part's shipping.
    pub shipping: Decimal,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = refund_lines, check_for_backend(diesel::pg::Pg))]
pub struct RefundLineRow {
    pub refund_id: Uuid,
    pub order_line_id: Uuid,
    pub quantity: i32,
    pub amount: Decimal,
}

/// An order line and how much of it is already being given back.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct LineLeft {
    #[diesel(sql_type = SqlUuid)]
    pub line_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub vendor_id: Uuid,
    #[diesel(sql_type = Int4)]
    pub quantity: i32,
    #[diesel(sql_type = Numeric)]
    pub gross: Decimal,
    /// Units in refunds pending or made.
    #[diesel(sql_type = Int4)]
    pub refunded_quantity: i32,
    /// Their amount.
    #[diesel(sql_type = Numeric)]
    pub refunded_amount: Decimal,
}

/// One vendor's part of an order and how much of its shipping is already
/// being given back.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct PartLeft {
    #[diesel(sql_type = SqlUuid)]
    pub vendor_order_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub vendor_id: Uuid,
    #[diesel(sql_type = Numeric)]
    pub shipping: Decimal,
    #[diesel(sql_type = Numeric)]
    pub shipping_refunded: Decimal,
    /// Whether its money was taken (at checkout, or captured when it
    /// shipped): only then is there anything of it to give back.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub captured: bool,
}

/// What an order's refunds are decided from, read with its row locked.
#[derive(Debug, Clone, PartialEq)]
pub struct Refundable {
    pub status: OrderStatus,
    pub currency: Currency,
    /// The charge money comes back from, when the payment succeeded.
    pub charge_id: Option<String>,
    /// What the charge took.
    pub charged: Decimal,
    /// What refunds pending or made give back.
    pub committed: Decimal,
    /// The order's shipping charges (refunded with the order's last units).
    pub shipping: Decimal,
    pub lines: Vec<LineLeft>,
    /// Its vendors' parts (none before it is paid).
    pub parts: Vec<PartLeft>,
}

impl Refundable {
    /// What is left to give back.
    pub fn left(&self) -> Decimal {
        (self.charged - self.committed).max(Decimal::ZERO)
    }
}

/// Lock the order and read what is left to refund of it.
pub async fn refundable(conn: &mut TenantConn, order: Uuid) -> Result<Refundable, StoreError> {
    let status = lock_status(conn, order).await?;
    let (currency, shipping): (Currency, Decimal) = orders::table
        .find(order)
        .select((orders::currency, orders::shipping_total))
        .get_result(conn.pg())
        .await?;
    let payment: Option<(PaymentStatus, Decimal, Option<String>)> = payments::table
        .filter(payments::order_id.eq(order))
        .select((payments::status, payments::captured, payments::charge_id))
        .first(conn.pg())
        .await
        .optional()?;
    // Only money taken comes back: an authorised order's captured parts.
    let (charge_id, charged) = match payment {
        Some((PaymentStatus::Succeeded | PaymentStatus::Authorized, captured, charge)) => {
            (charge, captured)
        }
        _ => (None, Decimal::ZERO),
    };
    let committed: Option<Decimal> = refunds::table
        .filter(refunds::order_id.eq(order))
        .filter(refunds::status.ne(RefundStatus::Failed))
        .select(dsl::sum(refunds::amount))
        .get_result(conn.pg())
        .await?;
    let lines: Vec<LineLeft> = prepared(
        "SELECT l.id AS line_id, l.vendor_id, l.quantity, l.gross, \
         COALESCE(sum(rl.quantity), 0)::INT4 AS refunded_quantity, \
         COALESCE(sum(rl.amount), 0) AS refunded_amount \
         FROM order_lines l \
         LEFT JOIN refund_lines rl ON rl.order_line_id = l.id \
         AND EXISTS (SELECT 1 FROM refunds r WHERE r.id = rl.refund_id AND r.status <> 'failed') \
         WHERE l.order_id = $1 GROUP BY l.id ORDER BY l.id",
    )
    .bind::<SqlUuid, _>(order)
    .load(conn.pg())
    .await?;
    let parts: Vec<PartLeft> = prepared(
        "SELECT vo.id AS vendor_order_id, vo.vendor_id, vo.shipping, \
         COALESCE((SELECT sum(r.shipping) FROM refunds r \
                   WHERE r.vendor_order_id = vo.id AND r.status <> 'failed'), 0) AS shipping_refunded, \
         (EXISTS (SELECT 1 FROM payments p WHERE p.order_id = vo.order_id AND p.capture = 'immediate') \
          OR EXISTS (SELECT 1 FROM captures c WHERE c.vendor_order_id = vo.id AND c.status = 'succeeded')) AS captured \
         FROM vendor_orders vo WHERE vo.order_id = $1 ORDER BY vo.id",
    )
    .bind::<SqlUuid, _>(order)
    .load(conn.pg())
    .await?;
    Ok(Refundable {
        status,
        currency,
        charge_id,
        charged,
        committed: committed.unwrap_or_default(),
        shipping,
        lines,
        parts,
    })
}

/// A refund to record.
#[derive(Debug, Clone)]
pub struct NewRefund {
    pub id: Uuid,
    pub order_id: Uuid,
    pub amount: Decimal,
    pub currency: Currency,
    pub reason: String,
    pub restock: bool,
    pub requested_by: String,
    pub request_hash: String,
    /// Order line, units, their share of the amount.
    pub lines: Vec<(Uuid, i32, Decimal)>,
    /// For a refund of one vendor's part: the part, and how much of the
    /// amount is its shipping.
    pub vendor_order: Option<(Uuid, Decimal)>,
}

/// Record a refund, pending (the caller holds the order's lock from
/// [`refundable`]).
pub async fn open(conn: &mut TenantConn, new: &NewRefund) -> Result<RefundRow, StoreError> {
    let row = diesel::insert_into(refunds::table)
        .values((
            refunds::id.eq(new.id),
            refunds::order_id.eq(new.order_id),
            refunds::amount.eq(new.amount),
            refunds::currency.eq(new.currency),
            refunds::reason.eq(&new.reason),
            refunds::restock.eq(new.restock),
            refunds::requested_by.eq(&new.requested_by),
            refunds::request_hash.eq(&new.request_hash),
            refunds::vendor_order_id.eq(new.vendor_order.map(|(part, _)| part)),
            refunds::shipping.eq(new.vendor_order.map_or(Decimal::ZERO, |(_, s)| s)),
        ))
        .returning(RefundRow::as_returning())
        .get_result(conn.pg())
        .await?;
    let lines: Vec<_> = new
        .lines
        .iter()
        .map(|(line, quantity, amount)| {
            (
                refund_lines::refund_id.eq(new.id),
                refund_lines::order_line_id.eq(*line),
                refund_lines::quantity.eq(*quantity),
                refund_lines::amount.eq(*amount),
            )
        })
        .collect();
    if !lines.is_empty() {
        diesel::insert_into(refund_lines::table)
            .values(lines)
            .execute(conn.pg())
            .await?;
    }
    outbox::publish(
        conn,
        "order.refund_requested",
        serde_json::json!({ "order_id": new.order_id, "refund_id": new.id, "amount": new.amount, "currency": new.currency }),
    )
    .await?;
    Ok(row)
}

pub async fn get(conn: &mut TenantConn, id: Uuid) -> Result<RefundRow, StoreError> {
    Ok(refunds::table
        .find(id)
        .select(RefundRow::as_select())
        .get_result(conn.pg())
        .await?)
}

/// An order's refunds, oldest first.
pub async fn of_order(conn: &mut TenantConn, order: Uuid) -> Result<Vec<RefundRow>, StoreError> {
    Ok(refunds::table
        .filter(refunds::order_id.eq(order))
        .order((refunds::created_at, refunds::id))
        .select(RefundRow::as_select())
        .load(conn.pg())
        .await?)
}

/// The lines of these refunds.
pub async fn lines_of(
    conn: &mut TenantConn,
    refund_ids: &[Uuid],
) -> Result<Vec<RefundLineRow>, StoreError> {
    Ok(refund_lines::table
        .filter(refund_lines::refund_id.eq_any(refund_ids))
        .order((refund_lines::refund_id, refund_lines::order_line_id))
        .select(RefundLineRow::as_select())
        .load(conn.pg())
        .await?)
}

/// The charge a refund comes back from, and the provider that made it.
pub async fn charge_of(
    conn: &mut TenantConn,
    order: Uuid,
) -> Result<Option<(String, String)>, StoreError> {
    let found: Option<(Option<String>, String)> = payments::table
        .filter(payments::order_id.eq(order))
        .filter(payments::status.eq(PaymentStatus::Succeeded))
        .select((payments::charge_id, payments::gateway))
        .first(conn.pg())
        .await
        .optional()?;
    Ok(found.and_then(|(charge, gateway)| charge.map(|c| (c, gateway))))
}

/// Count an attempt at the provider (so the sweep waits before asking
/// again).
pub async fn note_attempt(conn: &mut TenantConn, id: Uuid) -> Result<(), StoreError> {
    diesel::update(refunds::table.find(id))
        .set((
            refunds::attempts.eq(refunds::attempts + 1),
            refunds::updated_at.eq(dsl::now),
        ))
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// Settle a pending refund once. A refund made puts restocked units back
/// on hand (a `return` movement into the warehouse the units were
/// committed from), records where its money comes from (the vendors'
/// ledger), takes back its share of the loyalty points the order earned,
/// moves the order to `refunded` (everything charged is back) or
/// `partially_refunded`, and publishes `order.refunded`; a
/// refused one publishes `order.refund_failed`. `None` when the refund
/// was no longer pending.
pub async fn settle(
    conn: &mut TenantConn,
    id: Uuid,
    answer: Answer<'_>,
) -> Result<Option<RefundRow>, StoreError> {
    let order: Uuid = refunds::table
        .find(id)
        .select(refunds::order_id)
        .get_result(conn.pg())
        .await?;
    // The order first, as every refund path locks it.
    let status = lock_status(conn, order).await?;
    let refund: RefundRow = refunds::table
        .find(id)
        .select(RefundRow::as_select())
        .for_update()
        .get_result(conn.pg())
        .await?;
    if refund.status != RefundStatus::Pending {
        return Ok(None);
    }
    let (next, provider_id, failure) = match answer {
        Answer::Made(provider_id) => (RefundStatus::Succeeded, Some(provider_id), None),
        Answer::Refused(code) => (RefundStatus::Failed, None, Some(code)),
    };
    let row = diesel::update(refunds::table.find(id))
        .set((
            refunds::status.eq(next),
            refunds::provider_refund_id.eq(provider_id),
            refunds::failure_code.eq(failure),
            refunds::updated_at.eq(dsl::now),
        ))
        .returning(RefundRow::as_returning())
        .get_result(conn.pg())
        .await?;
    let payload = serde_json::json!({
        "order_id": order,
        "refund_id": id,
        "amount": row.amount,
        "currency": row.currency,
        "code": failure,
    });
    if next == RefundStatus::Failed {
        outbox::publish(conn, "order.refund_failed", payload).await?;
        return Ok(Some(row));
    }
    if row.restock {
        restock(conn, order, id).await?;
    }
    let charged: Decimal = payments::table
        .filter(payments::order_id.eq(order))
        .select(payments::amount)
        .get_result(conn.pg())
        .await?;
    if row.reason != LATE_CHARGE {
        let refund = money::RefundMade {
            id,
            order_id: order,
            amount: row.amount,
            currency: row.currency,
            vendor_order: row.vendor_order_id,
        };
        money::record_refund(conn, refund).await?;
        loyalty::reverse(conn, order, id, row.amount, charged).await?;
    }
    let made: Option<Decimal> = refunds::table
        .filter(refunds::order_id.eq(order))
        .filter(refunds::status.eq(RefundStatus::Succeeded))
        .select(dsl::sum(refunds::amount))
        .get_result(conn.pg())
        .await?;
    let to = if made.unwrap_or_default() >= charged {
        OrderStatus::Refunded
    } else {
        OrderStatus::PartiallyRefunded
    };
    // A cancelled order (a late charge given back) stays cancelled.
    if status.can_become(to) {
        let note = format!("refund {id}");
        set_status(conn, order, status, to, Some(&note)).await?;
    }
    outbox::publish(conn, "order.refunded", payload).await?;
    Ok(Some(row))
}

/// Put a refund's units back on hand, each into the warehouse most of the
/// line's units were committed from.
async fn restock(conn: &mut TenantConn, order: Uuid, refund: Uuid) -> Result<(), StoreError> {
    #[derive(QueryableByName)]
    struct Back {
        #[diesel(sql_type = SqlUuid)]
        variant_id: Uuid,
        #[diesel(sql_type = Int4)]
        quantity: i32,
    }
    let back: Vec<Back> = prepared(
        "SELECT l.variant_id, rl.quantity FROM refund_lines rl \
         JOIN order_lines l ON l.id = rl.order_line_id \
         WHERE rl.refund_id = $1 ORDER BY l.variant_id",
    )
    .bind::<SqlUuid, _>(refund)
    .load(conn.pg())
    .await?;
    let reference = format!("refund {refund}");
    for line in back {
        let warehouse: Option<Uuid> = reservations::table
            .filter(reservations::order_id.eq(order))
            .filter(reservations::variant_id.eq(line.variant_id))
            .filter(reservations::status.eq("committed"))
            .order(reservations::quantity.desc())
            .select(reservations::warehouse_id)
            .first(conn.pg())
            .await
            .optional()?;
        // Units that were never on hand here (a backorder filled elsewhere)
        // have nowhere to go back to.
        if let Some(warehouse) = warehouse {
            inventory::change(
                conn,
                line.variant_id,
                warehouse,
                Movement::Return,
                line.quantity,
                0,
                Some(&reference),
                SYSTEM,
            )
            .await?;
        }
    }
    Ok(())
}

/// Pending refunds last tried before `before`: the sweep asks again.
pub async fn due(conn: &mut TenantConn, before: DateTime<Utc>) -> Result<Vec<Uuid>, StoreError> {
    #[derive(QueryableByName)]
    struct Due {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let due: Vec<Due> = prepared(
        "SELECT id FROM refunds WHERE status = 'pending' AND updated_at < $1 \
         ORDER BY updated_at LIMIT 500",
    )
    .bind::<Timestamptz, _>(before)
    .load(conn.pg())
    .await?;
    Ok(due.into_iter().map(|d| d.id).collect())
}

/// Orders cancelled while their payment's outcome was unknown (the
/// payment is still `pending`), with their provider: the sweep asks it.
pub async fn unsettled_cancelled(conn: &mut TenantConn) -> Result<Vec<(Uuid, String)>, StoreError> {
    #[derive(QueryableByName)]
    struct O {
        #[diesel(sql_type = SqlUuid)]
        order_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Text)]
        gateway: String,
    }
    let found: Vec<O> = prepared(
        "SELECT p.order_id, p.gateway FROM payments p JOIN orders o ON o.id = p.order_id \
         WHERE p.status IN ('pending', 'requires_action') AND o.status = 'cancelled' \
         ORDER BY p.created_at LIMIT 500",
    )
    .load(conn.pg())
    .await?;
    Ok(found.into_iter().map(|o| (o.order_id, o.gateway)).collect())
}

/// The provider says a cancelled order was never charged (or a charge
/// waiting for the shopper was cancelled): its payment settles as failed,
/// and nothing is owed.
pub async fn not_charged(conn: &mut TenantConn, order: Uuid) -> Result<(), StoreError> {
    let unsettled = [PaymentStatus::Pending, PaymentStatus::RequiresAction];
    diesel::update(
        payments::table
            .filter(payments::order_id.eq(order))
            .filter(payments::status.eq_any(unsettled)),
    )
    .set((
        payments::status.eq(PaymentStatus::Failed),
        payments::failure_code.eq("not_charged"),
        payments::next_action.eq(None::<serde_json::Value>),
        payments::updated_at.eq(dsl::now),
    ))
    .execute(conn.pg())
    .await?;
    Ok(())
}

/// What is owed back of a charge that landed on a cancelled order.
#[derive(Debug, Clone, PartialEq)]
pub enum LateCharge {
    /// Money taken: this refund of all of it, recorded pending.
    Refund(Uuid),
    /// Only authorised: its hold is to be released.
    Void(ToVoid),
}

/// A charge landed on an order that was no longer waiting for it (its
/// reservation expired and it was cancelled): record the charge on the
/// payment and what undoes it (a pending refund of all of it, or, for an
/// authorisation, a void), which the caller then asks the provider for.
/// Returns the existing refund when the charge was recorded before, or
/// `None` when the order is not cancelled or failed after all (settled
/// paid by another request with this charge).
pub async fn for_late_charge(
    conn: &mut TenantConn,
    order: Uuid,
    charge_id: &str,
    attempts: i32,
) -> Result<Option<LateCharge>, StoreError> {
    // Only an order that is not paid owes the charge back: one another
    // request (a retry, reconciliation, a provider's event) settled paid
    // with this very charge keeps it.
    let status = lock_status(conn, order).await?;
    if !matches!(status, OrderStatus::Cancelled | OrderStatus::PaymentFailed) {
        return Ok(None);
    }
    let existing: Option<Uuid> = refunds::table
        .filter(refunds::order_id.eq(order))
        .filter(refunds::reason.eq(LATE_CHARGE))
        .select(refunds::id)
        .first(conn.pg())
        .await
        .optional()?;
    if let Some(id) = existing {
        return Ok(Some(LateCharge::Refund(id)));
    }
    let (capture, current): (CaptureMode, PaymentStatus) = payments::table
        .filter(payments::order_id.eq(order))
        .select((payments::capture, payments::status))
        .get_result(conn.pg())
        .await?;
    if capture == CaptureMode::OnShipment {
        if matches!(current, PaymentStatus::Authorized | PaymentStatus::Voided) {
            // Recorded before: its void is under way or done.
            return Ok(None);
        }
        diesel::update(payments::table.filter(payments::order_id.eq(order)))
            .set((
                payments::status.eq(PaymentStatus::Authorized),
                payments::charge_id.eq(charge_id),
                payments::attempts.eq(attempts),
                payments::failure_code.eq(None::<String>),
                payments::updated_at.eq(dsl::now),
            ))
            .execute(conn.pg())
            .await?;
        return Ok(captures::request_void(conn, order)
            .await?
            .map(LateCharge::Void));
    }
    let (amount, currency): (Decimal, Currency) =
        diesel::update(payments::table.filter(payments::order_id.eq(order)))
            .set((
                payments::status.eq(PaymentStatus::Succeeded),
                payments::charge_id.eq(charge_id),
                payments::captured.eq(payments::amount),
                payments::attempts.eq(attempts),
                payments::failure_code.eq(None::<String>),
                payments::updated_at.eq(dsl::now),
            ))
            .returning((payments::amount, payments::currency))
            .get_result(conn.pg())
            .await?;
    let id = bazaar_domain::ids::new_id();
    open(
        conn,
        &NewRefund {
            id,
            order_id: order,
            amount,
            currency,
            reason: LATE_CHARGE.to_owned(),
            restock: false,
            requested_by: SYSTEM.to_owned(),
            request_hash: String::new(),
            lines: Vec::new(),
            vendor_order: None,
        },
    )
    .await?;
    Ok(Some(LateCharge::Refund(id)))
}

/// A paid order was cancelled (the caller holds its lock and has put its
/// stock back): record a pending refund of everything left of its charge,
/// line by line, so the vendors' ledger takes back each one's sale.
/// `None` when nothing is left.
pub async fn for_cancellation(
    conn: &mut TenantConn,
    order: Uuid,
    reason: &str,
    by: &str,
    request_hash: &str,
) -> Result<Option<Uuid>, StoreError> {
    let left = refundable(conn, order).await?;
    let amount = left.left();
    if amount <= Decimal::ZERO {
        return Ok(None);
    }
    let id = bazaar_domain::ids::new_id();
    open(
        conn,
        &NewRefund {
            id,
            order_id: order,
            amount,
            currency: left.currency,
            reason: reason.to_owned(),
            restock: false,
            requested_by: by.to_owned(),
            request_hash: request_hash.to_owned(),
            lines: left
                .lines
                .iter()
                .filter(|l| l.quantity > l.refunded_quantity)
                .map(|l| {
                    (
                        l.line_id,
                        l.quantity - l.refunded_quantity,
                        (l.gross - l.refunded_amount).max(Decimal::ZERO),
                    )
                })
                .collect(),
            vendor_order: None,
        },
    )
    .await?;
    Ok(Some(id))
}
