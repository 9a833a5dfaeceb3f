//! `POST /v1/carts/{cart_id}/checkout`, `GET /v1/orders/{order_id}`,
//! `POST /v1/orders/{order_id}/payment/confirm` and
//! `POST /v1/orders/{order_id}/cancel`: the
//! edge of `bazaar_commerce::checkout` and `bazaar_commerce::orders`.

use bazaar_commerce::checkout::{self, Checkout, CheckoutRequest};
use bazaar_commerce::{carts, orders};
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag};
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::types::{Order, OrderDetail};

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CheckoutInput {
    /// The shopper's payment method, tokenised by the payment provider (the
    /// sandbox takes `tok_success`, `tok_decline`, `tok_insufficient_funds`,
    /// `tok_transient`, `tok_timeout`, `tok_unconfirmed`, `tok_unreachable`,
    /// and `tok_3ds_pass` / `tok_3ds_fail` for a 3-D Secure challenge the
    /// shopper passes or fails).
    pub payment_token: String,
    /// Loyalty points to redeem as a discount (needs the owner's
    /// `X-Customer-Token`); at most what the order's total allows.
    #[oai(validator(minimum(value = "1"), maximum(value = "1000000000")))]
    pub redeem_points: Option<i64>,
    /// Where the payment provider sends the shopper back after an action
    /// it asks of them (a 3-D Secure challenge, approving a wallet
    /// payment): an absolute `https://` (or, for development, `http://`)
    /// URL of the storefront, at most 2,000 characters.
    #[oai(validator(max_length = 2000, pattern = r"^https?://[^\s]+$"))]
    pub return_url: Option<String>,
}

pub struct CheckoutApi {
    pub state: AppState,
}

/// The body recorded under a checkout's Idempotency-Key: the order as
/// answered.
fn render(row: &bazaar_store::tenant::orders::OrderRow) -> serde_json::Value {
    Order::from(row.clone()).to_json().unwrap_or_default()
}

#[OpenApi(tag = "Tag::Carts")]
impl CheckoutApi {
    /// Check out a cart
    ///
    /// Requires `Idempotency-Key`: the same key and body replay the first
    /// response; the same key with another body is 422; a duplicate sent
    /// while the first is running is 409. A refused payment still creates
    /// the order, as `payment_failed`, with its stock released.
    #[oai(
        path = "/v1/carts/:cart_id/checkout",
        method = "post",
        operation_id = "checkout_cart"
    )]
    async fn checkout(
        &self,
        auth: ApiKey,
        cart_id: Path<Uuid>,
        /// The token returned when the cart was created.
        #[oai(name = "X-Cart-Token")]
        token: Header<Option<String>>,
        /// The signed-in shopper: opens the cart instead of its token, makes
        /// the order theirs, and is needed to redeem points.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
        /// A unique key per checkout attempt (a UUID), 1-255 characters.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<CheckoutInput>,
    ) -> ApiResult<Created<Order>> {
        let key = auth.0.tenant()?;
        key.storefront()?;
        let signed_in =
            crate::request_parts::signed_in(&self.state, key, session.0.as_deref()).await?;
        let request = CheckoutRequest {
            cart_id: cart_id.0,
            access: carts::access_from(token.0, signed_in)?,
            signed_in,
            idempotency_key: idempotency_key.0,
            payment_token: body.0.payment_token,
            redeem_points: body.0.redeem_points,
            return_url: body.0.return_url,
        };
        let order = match checkout::checkout(&self.state, key, request, render).await? {
            Checkout::Finished(row) => (*row).into(),
            Checkout::Replayed(body) => Order::parse_from_json(Some(body))
                .map_err(|e| ApiError::internal(e.into_message()))?,
        };
        Ok(Created::Created(Json(order)))
    }

    /// Get an order
    ///
    /// The order with its lines. Tenant admin keys see every order. A storefront key sees an order
    /// only with the token of the cart it was placed from, or the session
    /// of the customer it belongs to (the publishable key alone is public).
    #[oai(
        path = "/v1/orders/:order_id",
        method = "get",
        operation_id = "get_order"
    )]
    async fn get(
        &self,
        auth: ApiKey,
        order_id: Path<Uuid>,
        /// The token of the cart the order was placed from.
        #[oai(name = "X-Cart-Token")]
        token: Header<Option<String>>,
        /// The session of the customer the order belongs to.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
    ) -> ApiResult<Json<OrderDetail>> {
        let key = auth.0.tenant()?;
        let access =
            crate::request_parts::order_access(&self.state, key, token.0, session.0).await?;
        let found = orders::get(&self.state, key, order_id.0, access).await?;
        Ok(Json(found.into()))
    }

    /// Confirm an order's payment
    ///
    /// After the shopper has done what the order's `payment_action` asked
    /// (passed a 3-D Secure challenge, approved a wallet payment) and is
    /// back on the `return_url`: the provider is asked how it ended and the
    /// order settles: `paid`, still `requires_action` (the same
    /// `payment_action`), or `payment_failed` (its stock released). Opened
    /// as `GET /v1/orders/{order_id}` is; any number of times (a settled
    /// order is answered as it is). 503 `payment_confirmation_unavailable`
    /// when the provider cannot say yet: retry.
    #[oai(
        path = "/v1/orders/:order_id/payment/confirm",
        method = "post",
        operation_id = "confirm_order_payment"
    )]
    async fn confirm_payment(
        &self,
        auth: ApiKey,
        order_id: Path<Uuid>,
        /// The token of the cart the order was placed from.
        #[oai(name = "X-Cart-Token")]
        token: Header<Option<String>>,
        /// The session of the customer the order belongs to.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
    ) -> ApiResult<Json<OrderDetail>> {
        let key = auth.0.tenant()?;
        let access =
            crate::request_parts::order_access(&self.state, key, token.0, session.0).await?;
        let found = checkout::confirm_payment(&self.state, key, order_id.0, access).await?;
        Ok(Json(found.into()))
    }

    /// Cancel an order
    ///
    /// By the tenant (admin key) before any vendor part ships, or by the
    /// shopper (storefront key with the order's cart token or customer
    /// session) before any part is packed (409 `order_part_packed` after):
    /// every part is
    /// cancelled, the stock goes back on hand (waiting backorders first),
    /// redeemed points come back and earned ones are taken back. Money
    /// authorised is released; money taken is refunded in full (a refund
    /// in the order's `refunds`, asked of the provider until it answers).
    /// Cancelling a cancelled order answers it unchanged; once a part has
    /// shipped, refund instead (409 `order_part_shipped`).
    #[oai(
        path = "/v1/orders/:order_id/cancel",
        method = "post",
        operation_id = "cancel_order"
    )]
    async fn cancel(
        &self,
        auth: ApiKey,
        order_id: Path<Uuid>,
        /// The token of the cart the order was placed from (a shopper's
        /// cancellation).
        #[oai(name = "X-Cart-Token")]
        token: Header<Option<String>>,
        /// The session of the customer the order belongs to.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
        body: Json<CancelInput>,
    ) -> ApiResult<Json<OrderDetail>> {
        let key = auth.0.tenant()?;
        let access =
            crate::request_parts::order_access(&self.state, key, token.0, session.0).await?;
        let found = orders::cancel(&self.state, key, order_id.0, body.0.reason, access).await?;
        Ok(Json(found.into()))
    }
}

/// Why an order is cancelled.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CancelInput {
    /// For the order's record (its status timeline and the
    /// `order.cancelled` event): 1-200 characters.
    pub reason: String,
}
