//! Captures: the money of an order paid `on_shipment`, taken part by part.
//!
//! Checkout only authorises such an order. When a vendor's part ships, a
//! capture of that part (its total less its share of the order's loyalty
//! discount) is recorded `pending` in the shipping transaction, then the
//! provider is asked with the capture's id as its idempotency key and the
//! capture settled once with the answer: a crash or a timeout between the
//! two leaves a row the sweep asks again, so a capture is never lost and
//! never made twice. The part's sale enters the money ledger when its
//! capture is made. The last part to capture releases the rest of the
//! hold; an order cancelled before anything shipped has its hold voided
//! (`void_pending` until the provider confirms).

use chrono::{DateTime, Utc};
use diesel::dsl;
use diesel::prelude::*;
use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::prepared::prepared;
use crate::schema::tenant::{captures, orders, payments, vendor_orders};
use crate::tenant::money::Answer;
use crate::tenant::{money, outbox};
use crate::{StoreError, TenantConn};
use bazaar_domain::{CaptureMode, CaptureStatus, Currency, PaymentStatus, VendorOrderStatus};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = captures, check_for_backend(diesel::pg::Pg))]
pub struct CaptureRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub vendor_order_id: Uuid,
    pub amount: Decimal,
    pub discount: Decimal,
    pub currency: Currency,
    pub final_capture: bool,
    pub status: CaptureStatus,
    pub provider_capture_id: Option<String>,
    pub failure_code: Option<String>,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The parts of an order that have not shipped and are not cancelled.
async fn parts_outstanding(conn: &mut TenantConn, order: Uuid) -> Result<i64, StoreError> {
    let waiting = [VendorOrderStatus::Pending, VendorOrderStatus::Packed];
    Ok(vendor_orders::table
        .filter(vendor_orders::order_id.eq(order))
        .filter(vendor_orders::status.eq_any(waiting))
        .count()
        .get_result(conn.pg())
        .await?)
}

/// A part of an authorised order just shipped (the caller holds the
/// order's lock and has moved the part): record its capture, pending.
/// `None` when the order's money was taken at checkout (or its hold is no
/// longer open). The same part is captured once.
pub async fn open(
    conn: &mut TenantConn,
    order: Uuid,
    vendor_order: Uuid,
) -> Result<Option<CaptureRow>, StoreError> {
    let payment: Option<(CaptureMode, PaymentStatus)> = payments::table
        .filter(payments::order_id.eq(order))
        .select((payments::capture, payments::status))
        .first(conn.pg())
        .await
        .optional()?;
    if payment != Some((CaptureMode::OnShipment, PaymentStatus::Authorized)) {
        return Ok(None);
    }
    let (currency, discount): (Currency, Decimal) = orders::table
        .find(order)
        .select((orders::currency, orders::discount_total))
        .get_result(conn.pg())
        .await?;
    // Shares over every part, cancelled ones too, so a part's share never
    // depends on what happened to the others.
    let parts: Vec<(Uuid, Decimal)> = vendor_orders::table
        .filter(vendor_orders::order_id.eq(order))
        .order(vendor_orders::id)
        .select((vendor_orders::id, vendor_orders::total))
        .load(conn.pg())
        .await?;
    let Some(&(_, total)) = parts.iter().find(|(id, _)| *id == vendor_order) else {
        return Err(StoreError::NotFound);
    };
    let share = money::discount_shares(discount, currency, &parts)
        .into_iter()
        .find(|(id, _)| *id == vendor_order)
        .map_or(Decimal::ZERO, |(_, share)| share);
    let final_capture = parts_outstanding(conn, order).await? == 0;
    let inserted = diesel::insert_into(captures::table)
        .values((
            captures::id.eq(bazaar_domain::ids::new_id()),
            captures::order_id.eq(order),
            captures::vendor_order_id.eq(vendor_order),
            captures::amount.eq((total - share).max(Decimal::ZERO)),
            captures::discount.eq(share),
            captures::currency.eq(currency),
            captures::final_capture.eq(final_capture),
        ))
        .on_conflict(captures::vendor_order_id)
        .do_nothing()
        .returning(CaptureRow::as_returning())
        .get_result(conn.pg())
        .await
        .optional()?;
    Ok(inserted)
}

/// What asking the provider for a capture needs.
#[derive(Debug, Clone)]
pub struct ToCapture {
    pub capture: CaptureRow,
    /// The authorisation it is taken from.
    pub charge_id: String,
    pub gateway: String,
}

pub async fn to_capture(conn: &mut TenantConn, id: Uuid) -> Result<ToCapture, StoreError> {
    let (capture, charge_id, gateway): (CaptureRow, Option<String>, String) = captures::table
        .inner_join(payments::table.on(payments::order_id.eq(captures::order_id)))
        .filter(captures::id.eq(id))
        .select((
            CaptureRow::as_select(),
            payments::charge_id,
            payments::gateway,
        ))
        .get_result(conn.pg())
        .await?;
    Ok(ToCapture {
        capture,
        charge_id: charge_id.unwrap_or_default(),
        gateway,
    })
}

pub async fn of_order(conn: &mut TenantConn, order: Uuid) -> Result<Vec<CaptureRow>, StoreError> {
    Ok(captures::table
        .filter(captures::order_id.eq(order))
        .order(captures::created_at)
        .select(CaptureRow::as_select())
        .load(conn.pg())
        .await?)
}

/// An attempt got no answer: count it, and let the sweep rest before it
/// asks again.
pub async fn note_attempt(conn: &mut TenantConn, id: Uuid) -> Result<(), StoreError> {
    diesel::update(captures::table.find(id))
        .set((
            captures::attempts.eq(captures::attempts + 1),
            captures::updated_at.eq(dsl::now),
        ))
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// Settle a pending capture once. Made: the money is counted on the
/// payment, the part's sale enters the ledger, and once no part is left to
/// capture the payment has succeeded; `order.captured` is published.
/// Refused (the hold expired, was voided): `order.capture_failed`, for an
/// operator to collect the money another way. `None` when it was no
/// longer pending.
pub async fn settle(
    conn: &mut TenantConn,
    id: Uuid,
    answer: Answer<'_>,
) -> Result<Option<CaptureRow>, StoreError> {
    let order: Uuid = captures::table
        .find(id)
        .select(captures::order_id)
        .get_result(conn.pg())
        .await?;
    // The order first, as every money path locks it.
    orders::table
        .find(order)
        .select(orders::id)
        .for_update()
        .get_result::<Uuid>(conn.pg())
        .await?;
    let current: CaptureRow = captures::table
        .find(id)
        .select(CaptureRow::as_select())
        .for_update()
        .get_result(conn.pg())
        .await?;
    if current.status != CaptureStatus::Pending {
        return Ok(None);
    }
    let (next, provider_id, failure) = match answer {
        Answer::Made(provider_id) => (CaptureStatus::Succeeded, Some(provider_id), None),
        Answer::Refused(code) => (CaptureStatus::Failed, None, Some(code)),
    };
    let row: CaptureRow = diesel::update(captures::table.find(id))
        .set((
            captures::status.eq(next),
            captures::provider_capture_id.eq(provider_id),
            captures::failure_code.eq(failure),
            captures::attempts.eq(captures::attempts + 1),
            captures::updated_at.eq(dsl::now),
        ))
        .returning(CaptureRow::as_returning())
        .get_result(conn.pg())
        .await?;
    let payload = serde_json::json!({
        "order_id": order,
        "capture_id": id,
        "vendor_order_id": row.vendor_order_id,
        "amount": row.amount,
        "currency": row.currency,
        "code": failure,
    });
    if next == CaptureStatus::Failed {
        outbox::publish(conn, "order.capture_failed", payload).await?;
        return Ok(Some(row));
    }
    let done =
        parts_outstanding(conn, order).await? == 0 && !pending_other(conn, order, id).await?;
    diesel::update(payments::table.filter(payments::order_id.eq(order)))
        .set((
            payments::captured.eq(payments::captured + row.amount),
            done.then_some(payments::status.eq(PaymentStatus::Succeeded)),
            payments::updated_at.eq(dsl::now),
        ))
        .execute(conn.pg())
        .await?;
    let part = money::CapturedPart {
        capture: id,
        vendor_order: row.vendor_order_id,
        discount: row.discount,
    };
    money::record_sale(conn, order, Some(part)).await?;
    outbox::publish(conn, "order.captured", payload).await?;
    Ok(Some(row))
}

/// Whether another capture of the order is still pending.
async fn pending_other(conn: &mut TenantConn, order: Uuid, id: Uuid) -> Result<bool, StoreError> {
    Ok(dsl::select(dsl::exists(
        captures::table
            .filter(captures::order_id.eq(order))
            .filter(captures::id.ne(id))
            .filter(captures::status.eq(CaptureStatus::Pending)),
    ))
    .get_result(conn.pg())
    .await?)
}

/// Pending captures last tried before `before`: the sweep asks again.
pub async fn due(conn: &mut TenantConn, before: DateTime<Utc>) -> Result<Vec<Uuid>, StoreError> {
    #[derive(QueryableByName)]
    struct Due {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let due: Vec<Due> = prepared(
        "SELECT id FROM captures WHERE status = 'pending' AND updated_at < $1 \
         ORDER BY updated_at LIMIT 500",
    )
    .bind::<Timestamptz, _>(before)
    .load(conn.pg())
    .await?;
    Ok(due.into_iter().map(|d| d.id).collect())
}

/// A hold to release.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct ToVoid {
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub charge_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub gateway: String,
}

/// Mark an authorised payment's hold to be released (the caller holds the
/// order's lock). Returns what to ask the provider, or `None` when there
/// is no open hold.
pub async fn request_void(
    conn: &mut TenantConn,
    order: Uuid,
) -> Result<Option<ToVoid>, StoreError> {
    let found: Option<(Option<String>, String)> = diesel::update(
        payments::table
            .filter(payments::order_id.eq(order))
            .filter(payments::status.eq(PaymentStatus::Authorized)),
    )
    .set((
        payments::void_pending.eq(true),
        payments::updated_at.eq(dsl::now),
    ))
    .returning((payments::charge_id, payments::gateway))
    .get_result(conn.pg())
    .await
    .optional()?;
    Ok(found.map(|(charge_id, gateway)| ToVoid {
        order_id: order,
        charge_id: charge_id.unwrap_or_default(),
        gateway,
    }))
}

/// The provider released the hold: the payment ends `voided` (nothing was
/// captured) or `succeeded` (some parts were).
pub async fn voided(conn: &mut TenantConn, order: Uuid) -> Result<(), StoreError> {
    let now_void: Option<PaymentStatus> = diesel::update(
        payments::table
            .filter(payments::order_id.eq(order))
            .filter(payments::void_pending.eq(true)),
    )
    .set((
        payments::void_pending.eq(false),
        payments::status.eq(dsl::case_when(
            payments::captured.gt(Decimal::ZERO),
            PaymentStatus::Succeeded.into_sql::<diesel::sql_types::Text>(),
        )
        .otherwise(PaymentStatus::Voided.into_sql::<diesel::sql_types::Text>())),
        payments::updated_at.eq(dsl::now),
    ))
    .returning(payments::status)
    .get_result(conn.pg())
    .await
    .optional()?;
    if let Some(status) = now_void {
        outbox::publish(
            conn,
            "order.payment_voided",
            serde_json::json!({ "order_id": order, "payment_status": status.as_str() }),
        )
        .await?;
    }
    Ok(())
}

/// Holds waiting to be released, last tried before `before`.
pub async fn voids_due(
    conn: &mut TenantConn,
    before: DateTime<Utc>,
) -> Result<Vec<ToVoid>, StoreError> {
    Ok(prepared(
        "SELECT order_id, COALESCE(charge_id, '') AS charge_id, gateway FROM payments \
         WHERE void_pending AND updated_at < $1 ORDER BY updated_at LIMIT 500",
    )
    .bind::<Timestamptz, _>(before)
    .load(conn.pg())
    .await?)
}

/// A void attempt got no answer: rest before the sweep asks again.
pub async fn note_void_attempt(conn: &mut TenantConn, order: Uuid) -> Result<(), StoreError> {
    diesel::update(payments::table.filter(payments::order_id.eq(order)))
        .set(payments::updated_at.eq(dsl::now))
        .execute(conn.pg())
        .await?;
    Ok(())
}
