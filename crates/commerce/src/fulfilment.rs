//! Fulfilment: each vendor's part of the orders. A vendor key lists its own
//! parts by status, newest first (the marketplace's hot query, served by
//! one composite index), and marks them packed, then shipped with a
//! carrier and tracking number; the order's own status follows.

use bazaar_domain::Scope;
use bazaar_store::StoreError;
use bazaar_store::tenant::orders::{self, AdvanceRefused, VendorOrderRow};
use bazaar_store::tenant::tracking;
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::acting::{self, ActingRefusal};
use crate::context::AccessRefusal;
use crate::{Failure, Outcome, Services, TenantKey, captures, refusals};

refusals! {
    /// Why a vendor's part of an order cannot be listed or moved.
    pub enum FulfilmentRefusal {
        Access(AccessRefusal) => delegate;
        Acting(ActingRefusal) => delegate;
        InvalidCursor => Invalid, "invalid_cursor", "the cursor is not one this endpoint gave out";
        ShipmentRequired => Unprocessable, "shipment_required",
            "say which `carrier` and `tracking_number`";
        /// A tracking event for a part still in the warehouse.
        NotShipped { status: VendorOrderStatus } => Conflict, "not_shipped",
            "a {status} vendor order has not left the warehouse; ship it before reporting where it is";
        InvalidTrackingEvent { field: &'static str, rule: &'static str } => Unprocessable,
            "invalid_tracking_event", "`{field}` {rule}";
        InvalidReason => Unprocessable, "invalid_reason",
            "say why the delivery failed, for the order's record: 1-200 characters";
        NotFound => NotFound, "vendor_order_not_found",
            "no vendor order with that id visible to this key";
        IllegalTransition { from: VendorOrderStatus, to: VendorOrderStatus } => Conflict, "illegal_transition",
            "a vendor order that is {from} cannot become {to}";
        AwaitingStock { units: i64, to: VendorOrderStatus } => Conflict, "awaiting_stock",
            "{units} unit(s) of this order are on backorder; receive stock for them before it can become {to}";
    }
}

/// Where a vendor's part is: the domain's status, with its moves.
pub use bazaar_domain::VendorOrderStatus;

/// Which of a vendor's parts to list.
#[derive(Debug, Clone)]
pub struct VendorOrderQuery {
    /// Required with a tenant admin key.
    pub vendor_id: Option<Uuid>,
    pub status: VendorOrderStatus,
    pub limit: u32,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// A page of a vendor's parts, newest first.
#[derive(Debug, Clone)]
pub struct VendorOrderPage {
    pub rows: Vec<VendorOrderRow>,
    /// The cursor of the next (older) page, if there is one.
    pub next_cursor: Option<String>,
}

/// How a part ships.
#[derive(Debug, Clone)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
}

/// `<created_at>_<id>` of the last part of the previous page.
fn decode_cursor(raw: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (at, id) = raw.split_once('_')?;
    Some((
        DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
        id.parse::<Uuid>().ok()?,
    ))
}

/// A vendor's parts in one status, newest first.
pub async fn list(
    services: &Services,
    key: &TenantKey,
    query: VendorOrderQuery,
) -> Outcome<VendorOrderPage, FulfilmentRefusal> {
    let vendor = acting::vendor_for(key, query.vendor_id)?;
    let status = query.status.as_str();
    let before = query
        .cursor
        .map(|c| decode_cursor(&c).ok_or(FulfilmentRefusal::InvalidCursor))
        .transpose()?;
    let limit = i64::from(query.limit);
    let mut rows = services
        .db
        .tenant_read(&key.schema, move |conn| {
            orders::vendor_orders(conn, vendor, status, before, limit + 1).boxed()
        })
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last()
            .map(|r| format!("{}_{}", r.created_at.to_rfc3339(), r.id))
    } else {
        None
    };
    Ok(VendorOrderPage { rows, next_cursor })
}

/// A vendor order with what its vendor needs to fill it: the order it is
/// part of (address, region version), its own lines, and the order's
/// status timeline.
#[derive(Debug, Clone)]
pub struct PartDetail {
    pub part: VendorOrderRow,
    pub order: orders::OrderRow,
    pub lines: Vec<orders::LineRow>,
    pub timeline: Vec<orders::Transition>,
    /// Where the part is on its way, as reported.
    pub tracking: Vec<tracking::TrackingEvent>,
}

/// One vendor order: a vendor key sees its own, a tenant admin any.
pub async fn get(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
) -> Outcome<PartDetail, FulfilmentRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    let only = key.vendor_id;
    services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                let part = orders::vendor_order(conn, id, only).await?;
                let order = orders::get(conn, part.order_id, None).await?;
                let lines = orders::vendor_lines(conn, part.order_id, part.vendor_id).await?;
                let timeline = orders::timeline(conn, part.order_id).await?;
                let tracking = tracking::of_part(conn, part.id).await?;
                Ok(PartDetail {
                    part,
                    order,
                    lines,
                    timeline,
                    tracking,
                })
            }
            .boxed()
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => FulfilmentRefusal::NotFound.into(),
            other => Failure::Store(other),
        })
}

/// Kinds of tracking event.
pub const TRACKING_KINDS: [&str; 5] = [
    "info",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "exception",
];

/// Where a shipped part is, as its vendor reports it.
#[derive(Debug, Clone)]
pub struct TrackingReport {
    /// The vendor's id for the event: reporting it again records it once.
    pub event_id: String,
    /// One of [`TRACKING_KINDS`].
    pub kind: String,
    pub description: String,
    pub location: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// Record a tracking event of a part that has left the warehouse; a
/// `delivered` event also marks it delivered. The shopper sees the events
/// on their order.
pub async fn track(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    report: TrackingReport,
) -> Outcome<PartDetail, FulfilmentRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    let invalid = |field, rule| FulfilmentRefusal::InvalidTrackingEvent { field, rule };
    let text = |v: &str, max: usize| !v.trim().is_empty() && v.chars().count() <= max;
    if !text(&report.event_id, 100) {
        return Err(invalid(
            "event_id",
            "is the reporter's id for the event: 1-100 characters",
        )
        .into());
    }
    if !TRACKING_KINDS.contains(&report.kind.as_str()) {
        return Err(invalid(
            "kind",
            "is one of info, in_transit, out_for_delivery, delivered, exception",
        )
        .into());
    }
    if !text(&report.description, 500) {
        return Err(invalid("description", "needs 1-500 characters").into());
    }
    if report.location.as_deref().is_some_and(|l| !text(l, 200)) {
        return Err(invalid("location", "needs 1-200 characters when given").into());
    }
    if report.occurred_at > Utc::now() + chrono::Duration::minutes(5) {
        return Err(invalid("occurred_at", "cannot be in the future").into());
    }
    let only = key.vendor_id;
    let delivered = report.kind == "delivered";
    let recorded = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let part = orders::vendor_order(conn, id, only).await?;
                if !part.status.has_left() {
                    return Ok(Err(FulfilmentRefusal::NotShipped {
                        status: part.status,
                    }));
                }
                tracking::record(
                    conn,
                    &tracking::NewEvent {
                        vendor_order_id: part.id,
                        source: "vendor",
                        external_id: report.event_id.trim().to_owned(),
                        kind: report.kind,
                        description: report.description.trim().to_owned(),
                        location: report.location.map(|l| l.trim().to_owned()),
                        occurred_at: report.occurred_at,
                    },
                )
                .await?;
                Ok(Ok(part.status))
            }
            .boxed()
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => FulfilmentRefusal::NotFound.into(),
            other => Failure::Store(other),
        })?;
    let status = recorded.map_err(Failure::Refused)?;
    if delivered && status != VendorOrderStatus::Delivered {
        deliver(services, key, id).await?;
    }
    get(services, key, id).await
}

/// Mark a part packed.
pub async fn pack(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
) -> Outcome<VendorOrderRow, FulfilmentRefusal> {
    advance(services, key, id, VendorOrderStatus::Packed, None, None).await
}

/// Mark a part shipped with its carrier and tracking number.
pub async fn ship(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    shipment: Shipment,
) -> Outcome<VendorOrderRow, FulfilmentRefusal> {
    if shipment.carrier.trim().is_empty() || shipment.tracking_number.trim().is_empty() {
        return Err(FulfilmentRefusal::ShipmentRequired.into());
    }
    advance(
        services,
        key,
        id,
        VendorOrderStatus::Shipped,
        Some(shipment),
        None,
    )
    .await
}

/// Mark a shipped part delivered; when every part is, the order is
/// delivered.
pub async fn deliver(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
) -> Outcome<VendorOrderRow, FulfilmentRefusal> {
    advance(services, key, id, VendorOrderStatus::Delivered, None, None).await
}

/// Record that the carrier could not deliver a shipped part, and why (on
/// the order's timeline); a later attempt may still deliver it.
pub async fn fail_delivery(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    reason: String,
) -> Outcome<VendorOrderRow, FulfilmentRefusal> {
    let reason = reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(FulfilmentRefusal::InvalidReason.into());
    }
    let to = VendorOrderStatus::DeliveryFailed;
    advance(services, key, id, to, None, Some(reason)).await
}

#[tracing::instrument(skip_all, fields(vendor_order.id = %id, vendor_order.to = %to))]
async fn advance(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    to: VendorOrderStatus,
    shipment: Option<Shipment>,
    note: Option<String>,
) -> Outcome<VendorOrderRow, FulfilmentRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    let only = key.vendor_id;
    let result = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let (carrier, tracking) =
                    shipment.map_or((None, None), |s| (Some(s.carrier), Some(s.tracking_number)));
                orders::advance_vendor_order(
                    conn,
                    id,
                    only,
                    to,
                    carrier.as_deref(),
                    tracking.as_deref(),
                    note.as_deref(),
                )
                .await
            }
            .boxed()
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => FulfilmentRefusal::NotFound.into(),
            other => Failure::Store(other),
        })?;
    let advanced = result.map_err(|refused| {
        Failure::Refused(match refused {
            AdvanceRefused::From(from) => FulfilmentRefusal::IllegalTransition { from, to },
            AdvanceRefused::AwaitingStock(units) => FulfilmentRefusal::AwaitingStock { units, to },
        })
    })?;
    if let Some(capture) = advanced.capture {
        // The part has shipped and its capture is recorded: an unknown
        // outcome here is left to the sweep, never a failed shipment.
        captures::capture(services, &key.schema, capture).await?;
    }
    Ok(advanced.part)
}
