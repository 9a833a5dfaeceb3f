//! `/v1/vendor-orders`: each vendor's part of the orders, for the vendor to
//! fulfil. A vendor key lists its own parts by status, newest first (the
//! marketplace's hot query, served by one composite index), and marks them
//! packed, then shipped with a carrier and tracking number; the order's own
//! status follows.

use bazaar_domain::Scope;
use bazaar_store::StoreError;
use bazaar_store::tenant::orders::{self, AdvanceRefused, VendorOrderRow};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Tag, money};
use crate::auth::{ApiKey, TenantKey};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum VendorOrderStatus {
    /// Paid; waiting for the vendor.
    Pending,
    Packed,
    Shipped,
}

impl VendorOrderStatus {
    fn as_str(self) -> &'static str {
        match self {
            VendorOrderStatus::Pending => "pending",
            VendorOrderStatus::Packed => "packed",
            VendorOrderStatus::Shipped => "shipped",
        }
    }
}

#[derive(Debug, Object)]
pub struct VendorOrder {
    pub id: Uuid,
    pub order_id: Uuid,
    pub vendor_id: Uuid,
    pub status: String,
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
    pub created_at: DateTime<Utc>,
}

impl From<VendorOrderRow> for VendorOrder {
    fn from(v: VendorOrderRow) -> Self {
        Self {
            id: v.id,
            order_id: v.order_id,
            vendor_id: v.vendor_id,
            status: v.status,
            total: money(v.total, &v.currency),
            shipping: money(v.shipping, &v.currency),
            awaiting_stock: v.awaiting_stock,
            currency: v.currency.trim().to_owned(),
            carrier: v.carrier,
            tracking_number: v.tracking_number,
            created_at: v.created_at,
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

fn vendor_of(key: &TenantKey, requested: Option<Uuid>) -> ApiResult<Uuid> {
    super::products::acting_vendor(key, requested)
}

pub struct FulfilmentApi {
    pub state: AppState,
}

impl FulfilmentApi {
    async fn advance(
        &self,
        key: &TenantKey,
        id: Uuid,
        to: &'static str,
        shipment: Option<Shipment>,
    ) -> ApiResult<VendorOrder> {
        key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
        let only = key.vendor_id;
        let result = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let (carrier, tracking) = shipment
                        .map_or((None, None), |s| (Some(s.carrier), Some(s.tracking_number)));
                    orders::advance_vendor_order(
                        conn,
                        id,
                        only,
                        to,
                        carrier.as_deref(),
                        tracking.as_deref(),
                    )
                    .await
                }
                .boxed()
            })
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ApiError::not_found(
                    "vendor_order_not_found",
                    "no vendor order with that id visible to this key",
                ),
                other => other.into(),
            })?;
        result.map(VendorOrder::from).map_err(|refused| match refused {
            AdvanceRefused::From(from) => ApiError::conflict(
                "illegal_transition",
                format!("a vendor order that is {from} cannot become {to}"),
            ),
            AdvanceRefused::AwaitingStock(units) => ApiError::conflict(
                "awaiting_stock",
                format!(
                    "{units} unit(s) of this order are on backorder; receive stock for them before it can become {to}"
                ),
            ),
        })
    }
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
        let vendor = vendor_of(key, vendor_id.0)?;
        let status = status.0.unwrap_or(VendorOrderStatus::Pending).as_str();
        let before = cursor
            .0
            .map(|c| {
                let (at, id) = c.split_once('_').ok_or(())?;
                Ok::<_, ()>((
                    DateTime::parse_from_rfc3339(at)
                        .map_err(|_| ())?
                        .with_timezone(&Utc),
                    id.parse::<Uuid>().map_err(|_| ())?,
                ))
            })
            .transpose()
            .map_err(|()| {
                ApiError::bad_request(
                    "invalid_cursor",
                    "the cursor is not one this endpoint gave out",
                )
            })?;
        let limit = i64::from(limit.0.unwrap_or(50));
        let mut rows = self
            .state
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
        Ok(Json(VendorOrderPage {
            items: rows.into_iter().map(VendorOrder::from).collect(),
            next_cursor,
        }))
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
        Ok(Json(
            self.advance(key, vendor_order_id.0, "packed", None).await?,
        ))
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
        let shipment = body.0;
        if shipment.carrier.trim().is_empty() || shipment.tracking_number.trim().is_empty() {
            return Err(ApiError::unprocessable(
                "shipment_required",
                "say which `carrier` and `tracking_number`",
            ));
        }
        Ok(Json(
            self.advance(key, vendor_order_id.0, "shipped", Some(shipment))
                .await?,
        ))
    }
}
