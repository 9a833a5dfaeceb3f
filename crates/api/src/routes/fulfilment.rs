//! `/v1/vendor-orders`: each vendor's part of the orders, for the vendor to
//! fulfil. A vendor key lists its own parts by status, newest first (the
//! marketplace's hot query, served by one composite index), and marks them
//! packed, then shipped with a carrier and tracking number; the order's own
//! status follows. The edge of `bazaar_commerce::fulfilment`.

use bazaar_commerce::fulfilment::{self, VendorOrderQuery};
use bazaar_store::tenant::orders::VendorOrderRow;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Tag, money};
use crate::auth::ApiKey;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::statuses::VendorOrderStatus;
use crate::timestamp::Timestamp;
use crate::types::{OrderLineView, TrackingEventView, TransitionView};

#[derive(Debug, Object)]
pub struct VendorOrder {
    pub id: Uuid,
    pub order_id: Uuid,
    pub vendor_id: Uuid,
    pub status: VendorOrderStatus,
    /// The vendor's lines' total with its shipping, tax included.
    pub total: String,
    /// The shipping included in `total`.
    pub shipping: String,
    /// Units still on backorder: the part cannot be packed until stock
    /// arrives for them.
    pub awaiting_stock: i64,
    pub currency: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub created_at: Timestamp,
}

/// A vendor order with what its vendor needs to fill it.
#[derive(Debug, Object)]
pub struct VendorOrderDetail {
    #[oai(flatten)]
    pub part: VendorOrder,
    /// The vendor's lines of the order.
    pub lines: Vec<OrderLineView>,
    /// Where it goes.
    pub shipping_address: Option<crate::routes::carts::ShippingAddress>,
    /// The region pack (and its version) the order was priced under.
    pub region: String,
    pub region_version: String,
    /// The order's status changes, oldest first.
    pub timeline: Vec<TransitionView>,
    /// Where this part is on its way, as reported, oldest first.
    pub tracking: Vec<TrackingEventView>,
}

/// What a tracking event says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum TrackingKind {
    Info,
    InTransit,
    OutForDelivery,
    /// Also marks the part delivered.
    Delivered,
    /// Something went wrong on the way (a delay, damage, a wrong address).
    Exception,
}

impl TrackingKind {
    fn name(self) -> &'static str {
        match self {
            TrackingKind::Info => "info",
            TrackingKind::InTransit => "in_transit",
            TrackingKind::OutForDelivery => "out_for_delivery",
            TrackingKind::Delivered => "delivered",
            TrackingKind::Exception => "exception",
        }
    }
}

/// Where a shipped part is, as its vendor reports it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewTrackingEvent {
    /// The vendor's (or its carrier's) id for the event, 1-100
    /// characters: reporting it again records it once.
    pub event_id: String,
    pub kind: TrackingKind,
    /// 1-500 characters, shown to the shopper.
    pub description: String,
    pub location: Option<String>,
    pub occurred_at: Timestamp,
}

impl From<fulfilment::PartDetail> for VendorOrderDetail {
    fn from(d: fulfilment::PartDetail) -> Self {
        let currency = d.order.currency;
        Self {
            lines: d
                .lines
                .into_iter()
                .map(|l| OrderLineView::of(l, currency))
                .collect(),
            shipping_address: d
                .order
                .shipping_address
                .and_then(|a| serde_json::from_value(a).ok()),
            region: d.order.region,
            region_version: d.order.region_version,
            timeline: d.timeline.into_iter().map(Into::into).collect(),
            tracking: d.tracking.into_iter().map(Into::into).collect(),
            part: d.part.into(),
        }
    }
}

impl From<VendorOrderRow> for VendorOrder {
    fn from(v: VendorOrderRow) -> Self {
        Self {
            id: v.id,
            order_id: v.order_id,
            vendor_id: v.vendor_id,
            status: v.status.into(),
            total: money(v.total, v.currency),
            shipping: money(v.shipping, v.currency),
            awaiting_stock: v.awaiting_stock,
            currency: v.currency.code().to_owned(),
            carrier: v.carrier,
            tracking_number: v.tracking_number,
            created_at: v.created_at.into(),
        }
    }
}

#[derive(Debug, Object)]
pub struct VendorOrderPage {
    pub items: Vec<VendorOrder>,
    /// Pass as `cursor` for the next (older) page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Shipment {
    /// e.g. `UPS`.
    pub carrier: String,
    pub tracking_number: String,
}

/// Why a delivery failed.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DeliveryFailure {
    /// For the order's timeline (e.g. `no one home; card left`): 1-200
    /// characters.
    pub reason: String,
}

impl From<Shipment> for fulfilment::Shipment {
    fn from(s: Shipment) -> Self {
        Self {
            carrier: s.carrier,
            tracking_number: s.tracking_number,
        }
    }
}

pub struct FulfilmentApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/vendor-orders", tag = "Tag::Fulfilment")]
impl FulfilmentApi {
    /// List a vendor's orders
    ///
    /// By status, newest first.
    #[oai(path = "/", method = "get", operation_id = "list_vendor_orders")]
    async fn list(
        &self,
        auth: ApiKey,
        /// Which status to list (default `pending`).
        status: Query<Option<VendorOrderStatus>>,
        /// Required with a tenant admin key.
        vendor_id: Query<Option<Uuid>>,
        /// How many to return (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<VendorOrderPage>> {
        let key = auth.0.tenant()?;
        let query = VendorOrderQuery {
            vendor_id: vendor_id.0,
            status: status.0.unwrap_or(VendorOrderStatus::Pending).into(),
            limit: limit.0.unwrap_or(50),
            cursor: cursor.0,
        };
        let page = fulfilment::list(&self.state, key, query).await?;
        Ok(Json(VendorOrderPage {
            items: page.rows.into_iter().map(VendorOrder::from).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    /// Get a vendor order
    ///
    /// What the vendor packs and where it goes: its own lines of the
    /// order, the order's shipping address and region pack version, and
    /// the order's status timeline. A vendor key sees its own parts, a
    /// tenant admin key any.
    #[oai(
        path = "/:vendor_order_id",
        method = "get",
        operation_id = "get_vendor_order"
    )]
    async fn get(
        &self,
        auth: ApiKey,
        vendor_order_id: Path<Uuid>,
    ) -> ApiResult<Json<VendorOrderDetail>> {
        let key = auth.0.tenant()?;
        let detail = fulfilment::get(&self.state, key, vendor_order_id.0).await?;
        Ok(Json(detail.into()))
    }

    /// Mark packed
    #[oai(
        path = "/:vendor_order_id/pack",
        method = "post",
        operation_id = "pack_vendor_order"
    )]
    async fn pack(
        &self,
        auth: ApiKey,
        vendor_order_id: Path<Uuid>,
    ) -> ApiResult<Json<VendorOrder>> {
        let key = auth.0.tenant()?;
        let packed = fulfilment::pack(&self.state, key, vendor_order_id.0).await?;
        Ok(Json(packed.into()))
    }

    /// Report where a shipped part is
    ///
    /// A tracking event of a part that has left the warehouse (409
    /// `not_shipped` before), shown to the shopper on their order; the
    /// same `event_id` again records nothing new. A `delivered` event also
    /// marks the part delivered.
    #[oai(
        path = "/:vendor_order_id/tracking-events",
        method = "post",
        operation_id = "add_vendor_order_tracking_event"
    )]
    async fn track(
        &self,
        auth: ApiKey,
        vendor_order_id: Path<Uuid>,
        body: Json<NewTrackingEvent>,
    ) -> ApiResult<super::Created<VendorOrderDetail>> {
        let key = auth.0.tenant()?;
        let b = body.0;
        let report = fulfilment::TrackingReport {
            event_id: b.event_id,
            kind: b.kind.name().to_owned(),
            description: b.description,
            location: b.location,
            occurred_at: b.occurred_at.0,
        };
        let detail = fulfilment::track(&self.state, key, vendor_order_id.0, report).await?;
        Ok(super::Created::Created(Json(detail.into())))
    }

    /// Mark delivered
    ///
    /// A shipped part (or one whose delivery failed before) is at the
    /// door; once every part is, the order is `delivered`.
    #[oai(
        path = "/:vendor_order_id/deliver",
        method = "post",
        operation_id = "deliver_vendor_order"
    )]
    async fn deliver(
        &self,
        auth: ApiKey,
        vendor_order_id: Path<Uuid>,
    ) -> ApiResult<Json<VendorOrder>> {
        let key = auth.0.tenant()?;
        let delivered = fulfilment::deliver(&self.state, key, vendor_order_id.0).await?;
        Ok(Json(delivered.into()))
    }

    /// Record a failed delivery
    ///
    /// The carrier could not deliver a shipped part; the reason goes on
    /// the order's timeline, and a later attempt may still deliver it.
    #[oai(
        path = "/:vendor_order_id/delivery-failed",
        method = "post",
        operation_id = "fail_vendor_order_delivery"
    )]
    async fn delivery_failed(
        &self,
        auth: ApiKey,
        vendor_order_id: Path<Uuid>,
        body: Json<DeliveryFailure>,
    ) -> ApiResult<Json<VendorOrder>> {
        let key = auth.0.tenant()?;
        let failed =
            fulfilment::fail_delivery(&self.state, key, vendor_order_id.0, body.0.reason).await?;
        Ok(Json(failed.into()))
    }

    /// Mark shipped
    #[oai(
        path = "/:vendor_order_id/ship",
        method = "post",
        operation_id = "ship_vendor_order"
    )]
    async fn ship(
        &self,
        auth: ApiKey,
        vendor_order_id: Path<Uuid>,
        body: Json<Shipment>,
    ) -> ApiResult<Json<VendorOrder>> {
        let key = auth.0.tenant()?;
        let shipped = fulfilment::ship(&self.state, key, vendor_order_id.0, body.0.into()).await?;
        Ok(Json(shipped.into()))
    }
}
