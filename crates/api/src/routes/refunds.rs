//! `/v1/orders/{order_id}/refunds`: money given back from a paid order, by
//! lines or by amount. The edge of `bazaar_commerce::refunds`.

use bazaar_commerce::refunds::{self, RefundAsk, RefundView};
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, money};
use crate::auth::ApiKey;
use crate::decimal::DecimalString;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::statuses::RefundStatus;
use crate::timestamp::Timestamp;

/// Units of an order line to give back.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RefundLineInput {
    /// The order line (`lines[].id` of the order).
    pub line_id: Uuid,
    #[oai(validator(minimum(value = "1"), maximum(value = "1000000")))]
    pub quantity: i32,
}

/// A refund to make.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateRefund {
    /// Lines and units to give back: each gets its share of what the line
    /// cost (a line's last units get exactly what is left of it).
    #[oai(default)]
    pub lines: Vec<RefundLineInput>,
    /// How much to give back, in the order's currency, instead of the
    /// lines' share (or, without lines, a refund by amount: goodwill, a
    /// price adjustment). Without lines or amount: everything left,
    /// shipping included.
    pub amount: Option<DecimalString>,
    /// Refund one vendor's part of the order (a vendor order's id): with
    /// no lines or amount, everything left of it, its shipping included;
    /// with lines, they must be its own. The vendor alone bears it.
    pub vendor_order_id: Option<Uuid>,
    /// Put the refunded lines' units back on hand when the refund is made
    /// (a `return` movement in the inventory ledger, into the warehouse
    /// they were sold from).
    #[oai(default)]
    pub restock: bool,
    /// Why, for the order's record: 1-200 characters.
    pub reason: String,
}

/// Units of an order line a refund gives back, and their share.
#[derive(Debug, Object)]
pub struct RefundLine {
    pub line_id: Uuid,
    pub quantity: i32,
    pub amount: String,
}

/// Money given back from an order's charge.
#[derive(Debug, Object)]
pub struct Refund {
    pub id: Uuid,
    pub order_id: Uuid,
    pub status: RefundStatus,
    /// In the order's currency, to its minor unit.
    pub amount: String,
    pub currency: String,
    pub reason: String,
    pub restock: bool,
    /// The vendor part refunded, for a refund of one part.
    pub vendor_order_id: Option<Uuid>,
    /// How much of `amount` is that part's shipping.
    pub shipping: String,
    pub lines: Vec<RefundLine>,
    /// Why the provider refused it (`failed` only).
    pub failure_code: Option<String>,
    /// Times the provider was asked.
    pub attempts: i32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<RefundView> for Refund {
    fn from(v: RefundView) -> Self {
        let r = v.refund;
        let currency = r.currency;
        Self {
            id: r.id,
            order_id: r.order_id,
            status: r.status.into(),
            amount: money(r.amount, currency),
            currency: currency.code().to_owned(),
            reason: r.reason,
            restock: r.restock,
            vendor_order_id: r.vendor_order_id,
            shipping: money(r.shipping, currency),
            lines: v
                .lines
                .into_iter()
                .map(|l| RefundLine {
                    line_id: l.order_line_id,
                    quantity: l.quantity,
                    amount: money(l.amount, currency),
                })
                .collect(),
            failure_code: r.failure_code,
            attempts: r.attempts,
            created_at: r.created_at.into(),
            updated_at: r.updated_at.into(),
        }
    }
}

/// An order's refunds, oldest first.
#[derive(Debug, Object)]
pub struct RefundList {
    pub items: Vec<Refund>,
}

pub struct RefundsApi {
    pub state: AppState,
}

#[OpenApi(tag = "Tag::Money")]
impl RefundsApi {
    /// Refund an order
    ///
    /// Tenant admin keys. Requires `Idempotency-Key`: a retry with the same
    /// key and body answers the same refund (asking the provider again if
    /// it has not answered yet); the same key with another body is 422.
    /// The answer is 201 whatever the provider said: `succeeded`, `failed`
    /// (with `failure_code`), or `pending` when the provider has not
    /// answered (Bazaar asks again until it does, and never refunds twice).
    /// The order becomes `partially_refunded`, or `refunded` once
    /// everything charged is back.
    #[oai(
        path = "/v1/orders/:order_id/refunds",
        method = "post",
        operation_id = "refund_order"
    )]
    async fn create(
        &self,
        auth: ApiKey,
        order_id: Path<Uuid>,
        /// A unique key per refund (a UUID), 1-255 characters.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<CreateRefund>,
    ) -> ApiResult<Created<Refund>> {
        let key = auth.0.tenant()?;
        let body = body.0;
        let ask = RefundAsk {
            lines: body.lines.iter().map(|l| (l.line_id, l.quantity)).collect(),
            amount: body.amount.map(|a| a.0),
            vendor_order: body.vendor_order_id,
            restock: body.restock,
            reason: body.reason,
        };
        let refund = refunds::refund(
            &self.state,
            key,
            order_id.0,
            ask,
            idempotency_key.0.as_deref(),
        )
        .await?;
        Ok(Created::Created(Json(refund.into())))
    }

    /// List an order's refunds
    ///
    /// Tenant admin keys; oldest first.
    #[oai(
        path = "/v1/orders/:order_id/refunds",
        method = "get",
        operation_id = "list_order_refunds"
    )]
    async fn list(&self, auth: ApiKey, order_id: Path<Uuid>) -> ApiResult<Json<RefundList>> {
        let key = auth.0.tenant()?;
        let items = refunds::of_order(&self.state, key, order_id.0).await?;
        Ok(Json(RefundList {
            items: items.into_iter().map(Refund::from).collect(),
        }))
    }
}
