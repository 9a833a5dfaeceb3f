//! What a signed-in shopper owns: order history, carts (the working cart
//! and saved ones), wishlists (shareable read-only by a link) and loyalty
//! points. Everything is looked up through the session's customer, so
//! another customer's order, cart or list is simply not found.

use bazaar_store::StoreError;
use bazaar_store::tenant::{carts, customers, listings, loyalty, orders, wishlists};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::customers::signed_in;
use super::{Created, NoContent, Tag, money};
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::types::Order;

/// An order line as bought.
#[derive(Debug, Object)]
pub struct OrderLineView {
    pub variant_id: Uuid,
    pub sku: String,
    pub title: String,
    pub quantity: i32,
    pub unit_price: String,
    pub gross: String,
}

/// An order with its lines.
#[derive(Debug, Object)]
pub struct OrderDetail {
    #[oai(flatten)]
    pub order: Order,
    pub lines: Vec<OrderLineView>,
}

#[derive(Debug, Object)]
pub struct OrderHistoryPage {
    /// Newest first.
    pub items: Vec<Order>,
    /// Pass as `cursor` for the next (older) page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "snake_case")]
pub enum OrderStatusFilter {
    PendingPayment,
    Paid,
    Fulfilling,
    PartiallyShipped,
    Shipped,
    Delivered,
    Cancelled,
    PaymentFailed,
    Refunded,
    PartiallyRefunded,
}

impl OrderStatusFilter {
    fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Fulfilling => "fulfilling",
            Self::PartiallyShipped => "partially_shipped",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::PaymentFailed => "payment_failed",
            Self::Refunded => "refunded",
            Self::PartiallyRefunded => "partially_refunded",
        }
    }
}

/// One of the shopper's carts.
#[derive(Debug, Object)]
pub struct CartSummary {
    pub id: Uuid,
    /// Set on carts saved for later; the working cart has none.
    pub saved_name: Option<String>,
    /// Whether this is the working cart (the newest unnamed one).
    pub working: bool,
    pub region: String,
    pub currency: String,
    pub last_activity_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
pub struct CartSummaries {
    /// Most recently active first.
    pub items: Vec<CartSummary>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SaveCart {
    /// A name saves the cart for later; `null` makes it the working cart.
    pub saved_name: MaybeUndefined<String>,
}

#[derive(Debug, Object)]
pub struct WishlistView {
    pub id: Uuid,
    pub name: String,
    /// The read-only link token while the list is shared.
    pub share_token: Option<String>,
    pub items: i64,
    pub created_at: DateTime<Utc>,
}

impl From<wishlists::Wishlist> for WishlistView {
    fn from(w: wishlists::Wishlist) -> Self {
        Self {
            id: w.id,
            name: w.name,
            share_token: w.share_token,
            items: w.items,
            created_at: w.created_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct WishlistItemView {
    pub product_id: Uuid,
    pub title: String,
    /// Whether the storefront still sells it.
    pub available: bool,
    pub added_at: DateTime<Utc>,
}

/// A list with its products, most recently added first.
#[derive(Debug, Object)]
pub struct WishlistDetail {
    #[oai(flatten)]
    pub wishlist: WishlistView,
    pub products: Vec<WishlistItemView>,
}

/// A list as a shared link shows it: no owner, no token.
#[derive(Debug, Object)]
pub struct SharedWishlist {
    pub name: String,
    pub products: Vec<WishlistItemView>,
}

#[derive(Debug, Object)]
pub struct WishlistList {
    pub items: Vec<WishlistView>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct WishlistInput {
    /// 1 to 100 characters.
    pub name: String,
}

#[derive(Debug, Object)]
pub struct LoyaltyEntryView {
    pub id: i64,
    /// `earn`, `redeem`, `restore`, `expire` or `forfeit`.
    pub kind: String,
    /// Signed: earned points are positive, spent ones negative.
    pub points: i64,
    pub order_id: Option<Uuid>,
    /// For earned points: when they expire.
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
pub struct LoyaltyView {
    /// The points the shopper holds (the sum of the ledger).
    pub balance: i64,
    /// What one point takes off an order, in the order's currency.
    pub point_value: String,
    /// The ledger, newest first.
    pub entries: Vec<LoyaltyEntryView>,
    /// Pass as `before` for older entries.
    pub next_before: Option<i64>,
}

fn wishlist_items(items: Vec<wishlists::Item>) -> Vec<WishlistItemView> {
    items
        .into_iter()
        .map(|i| WishlistItemView {
            product_id: i.product_id,
            title: i.title,
            available: i.available,
            added_at: i.added_at,
        })
        .collect()
}

fn list_name(name: &str) -> ApiResult<String> {
    super::customers::trimmed("name", name, 100)
}

fn not_found(what: &str) -> impl Fn(StoreError) -> ApiError + '_ {
    move |e| ApiError::from_store(e, what)
}

pub struct CustomerDataApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/customers/me", tag = "Tag::Customers")]
impl CustomerDataApi {
    /// Order history
    ///
    /// The shopper's orders, newest first, optionally of one status and
    /// placed within `[placed_from, placed_to)`.
    #[oai(path = "/orders", method = "get", operation_id = "list_my_orders")]
    #[allow(clippy::too_many_arguments)]
    async fn orders(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        /// Only orders in this status.
        status: Query<Option<OrderStatusFilter>>,
        /// Only orders placed at or after this time (RFC 3339).
        placed_from: Query<Option<DateTime<Utc>>>,
        /// Only orders placed before this time (RFC 3339).
        placed_to: Query<Option<DateTime<Utc>>>,
        /// How many to return (1-100, default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<OrderHistoryPage>> {
        let key = auth.0.tenant()?;
        let (_, shopper) = signed_in(&self.state, key, &session.0).await?;
        let before = cursor
            .0
            .map(|c| {
                let (at, id) = c.split_once('_')?;
                Some((
                    DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
                    id.parse::<Uuid>().ok()?,
                ))
            })
            .map(|parsed| {
                parsed.ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_cursor",
                        "the cursor is not one this endpoint gave out",
                    )
                })
            })
            .transpose()?;
        let limit = i64::from(limit.0.unwrap_or(20));
        let filter = orders::HistoryFilter {
            status: status.0.map(|s| s.as_str().to_owned()),
            placed_from: placed_from.0,
            placed_to: placed_to.0,
            before,
            limit: limit + 1,
        };
        let id = shopper.customer_id;
        let mut rows = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                async move { orders::of_customer(conn, id, &filter).await }.boxed()
            })
            .await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        let next_cursor = more
            .then(|| {
                rows.last()
                    .map(|r| format!("{}_{}", r.created_at.to_rfc3339(), r.id))
            })
            .flatten();
        Ok(Json(OrderHistoryPage {
            items: rows.into_iter().map(Order::from).collect(),
            next_cursor,
        }))
    }

    /// One of the shopper's orders
    #[oai(
        path = "/orders/:order_id",
        method = "get",
        operation_id = "get_my_order"
    )]
    async fn order(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        order_id: Path<Uuid>,
    ) -> ApiResult<Json<OrderDetail>> {
        let key = auth.0.tenant()?;
        let (_, shopper) = signed_in(&self.state, key, &session.0).await?;
        let (id, customer) = (order_id.0, shopper.customer_id);
        let (row, lines) = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                async move {
                    let row = orders::get(conn, id, None).await?;
                    if row.customer_id != Some(customer) {
                        return Err(StoreError::NotFound);
                    }
                    Ok((row, orders::lines(conn, id).await?))
                }
                .boxed()
            })
            .await
            .map_err(not_found("order"))?;
        let currency = row.currency.trim().to_owned();
        Ok(Json(OrderDetail {
            lines: lines
                .into_iter()
                .map(|l| OrderLineView {
                    variant_id: l.variant_id,
                    sku: l.sku,
                    title: l.title,
                    quantity: l.quantity,
                    unit_price: money(l.unit_price, &currency),
                    gross: money(l.gross, &currency),
                })
                .collect(),
            order: row.into(),
        }))
    }

    /// The shopper's carts
    ///
    /// The working cart and carts saved for later, in this brand. Open one
    /// with the cart endpoints, sending `X-Customer-Token` instead of the
    /// cart's token.
    #[oai(path = "/carts", method = "get", operation_id = "list_my_carts")]
    async fn carts(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
    ) -> ApiResult<Json<CartSummaries>> {
        let key = auth.0.tenant()?;
        let (brand, shopper) = signed_in(&self.state, key, &session.0).await?;
        let id = shopper.customer_id;
        let rows = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                carts::of_customer(conn, id, brand).boxed()
            })
            .await?;
        let working = rows.iter().find(|c| c.saved_name.is_none()).map(|c| c.id);
        Ok(Json(CartSummaries {
            items: rows
                .into_iter()
                .map(|c| CartSummary {
                    working: Some(c.id) == working,
                    id: c.id,
                    saved_name: c.saved_name,
                    region: c.region,
                    currency: c.currency.trim().to_owned(),
                    last_activity_at: c.last_activity_at,
                })
                .collect(),
        }))
    }

    /// Save a cart for later, or make it the working cart
    #[oai(
        path = "/carts/:cart_id",
        method = "patch",
        operation_id = "save_my_cart"
    )]
    async fn save_cart(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        cart_id: Path<Uuid>,
        body: Json<SaveCart>,
    ) -> ApiResult<Json<CartSummary>> {
        let key = auth.0.tenant()?;
        let (brand, shopper) = signed_in(&self.state, key, &session.0).await?;
        let name = match body.0.saved_name {
            MaybeUndefined::Value(n) => Some(list_name(&n)?),
            _ => None,
        };
        let (id, customer) = (cart_id.0, shopper.customer_id);
        let cart = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let access = carts::Access::Customer(customer);
                    let cart = carts::get(conn, id, brand, &access).await?;
                    if cart.status != "open" {
                        return Ok(Err(ApiError::conflict(
                            "cart_checked_out",
                            "this cart has been checked out",
                        )));
                    }
                    carts::set_saved_name(conn, id, name.as_deref()).await?;
                    Ok(Ok(carts::get(conn, id, brand, &access).await?))
                }
                .boxed()
            })
            .await
            .map_err(not_found("cart"))??;
        Ok(Json(CartSummary {
            working: cart.saved_name.is_none(),
            id: cart.id,
            saved_name: cart.saved_name,
            region: cart.region,
            currency: cart.currency.trim().to_owned(),
            last_activity_at: cart.last_activity_at,
        }))
    }

    /// The shopper's wishlists
    #[oai(path = "/wishlists", method = "get", operation_id = "list_wishlists")]
    async fn wishlists(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
    ) -> ApiResult<Json<WishlistList>> {
        let key = auth.0.tenant()?;
        let (brand, shopper) = signed_in(&self.state, key, &session.0).await?;
        let id = shopper.customer_id;
        let rows = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                wishlists::list(conn, id, Some(brand)).boxed()
            })
            .await?;
        Ok(Json(WishlistList {
            items: rows.into_iter().map(Into::into).collect(),
        }))
    }

    /// Start a wishlist
    #[oai(path = "/wishlists", method = "post", operation_id = "create_wishlist")]
    async fn create_wishlist(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        body: Json<WishlistInput>,
    ) -> ApiResult<Created<WishlistView>> {
        let key = auth.0.tenant()?;
        let (brand, shopper) = signed_in(&self.state, key, &session.0).await?;
        let name = list_name(&body.0.name)?;
        let id = shopper.customer_id;
        let list = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move { wishlists::create(conn, id, brand, &name).await }.boxed()
            })
            .await?;
        Ok(Created::Created(Json(list.into())))
    }

    /// A wishlist with its products
    #[oai(
        path = "/wishlists/:wishlist_id",
        method = "get",
        operation_id = "get_wishlist"
    )]
    async fn wishlist(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        wishlist_id: Path<Uuid>,
    ) -> ApiResult<Json<WishlistDetail>> {
        self.change_list(auth, session, wishlist_id, |_, _, _| {
            async { Ok(Ok(())) }.boxed()
        })
        .await
        .map(Json)
    }

    /// Rename a wishlist
    #[oai(
        path = "/wishlists/:wishlist_id",
        method = "patch",
        operation_id = "rename_wishlist"
    )]
    async fn rename_wishlist(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        wishlist_id: Path<Uuid>,
        body: Json<WishlistInput>,
    ) -> ApiResult<Json<WishlistDetail>> {
        let name = list_name(&body.0.name)?;
        self.change_list(auth, session, wishlist_id, move |conn, list, _| {
            async move {
                wishlists::rename(conn, list, &name).await?;
                Ok(Ok(()))
            }
            .boxed()
        })
        .await
        .map(Json)
    }

    /// Delete a wishlist
    #[oai(
        path = "/wishlists/:wishlist_id",
        method = "delete",
        operation_id = "delete_wishlist"
    )]
    async fn delete_wishlist(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        wishlist_id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        let key = auth.0.tenant()?;
        let (brand, shopper) = signed_in(&self.state, key, &session.0).await?;
        let (id, customer) = (wishlist_id.0, shopper.customer_id);
        self.state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    wishlists::get(conn, customer, brand, id).await?;
                    wishlists::delete(conn, id).await
                }
                .boxed()
            })
            .await
            .map_err(not_found("wishlist"))?;
        Ok(NoContent::Done)
    }

    /// Add a product to a wishlist
    ///
    /// The product must be sold in this storefront; adding it twice keeps
    /// one entry.
    #[oai(
        path = "/wishlists/:wishlist_id/products/:product_id",
        method = "put",
        operation_id = "add_to_wishlist"
    )]
    async fn add_product(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        wishlist_id: Path<Uuid>,
        product_id: Path<Uuid>,
    ) -> ApiResult<Json<WishlistDetail>> {
        let product = product_id.0;
        self.change_list(auth, session, wishlist_id, move |conn, list, brand| {
            async move {
                match listings::storefront_product(conn, brand, Some(product), None).await {
                    Ok(_) => {}
                    Err(StoreError::NotFound) => {
                        return Ok(Err(ApiError::unprocessable(
                            "product_not_available",
                            "no product with that id is sold in this storefront",
                        )));
                    }
                    Err(e) => return Err(e),
                }
                wishlists::add(conn, list, product).await?;
                Ok(Ok(()))
            }
            .boxed()
        })
        .await
        .map(Json)
    }

    /// Remove a product from a wishlist
    #[oai(
        path = "/wishlists/:wishlist_id/products/:product_id",
        method = "delete",
        operation_id = "remove_from_wishlist"
    )]
    async fn remove_product(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        wishlist_id: Path<Uuid>,
        product_id: Path<Uuid>,
    ) -> ApiResult<Json<WishlistDetail>> {
        let product = product_id.0;
        self.change_list(auth, session, wishlist_id, move |conn, list, _| {
            async move {
                if !wishlists::remove(conn, list, product).await? {
                    return Ok(Err(ApiError::not_found(
                        "product_not_on_list",
                        "that product is not on this wishlist",
                    )));
                }
                Ok(Ok(()))
            }
            .boxed()
        })
        .await
        .map(Json)
    }

    /// Share a wishlist
    ///
    /// Issues a new read-only link token (an earlier one stops working).
    #[oai(
        path = "/wishlists/:wishlist_id/share",
        method = "post",
        operation_id = "share_wishlist"
    )]
    async fn share(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        wishlist_id: Path<Uuid>,
    ) -> ApiResult<Json<WishlistDetail>> {
        self.change_list(auth, session, wishlist_id, |conn, list, _| {
            async move {
                wishlists::set_shared(conn, list, true).await?;
                Ok(Ok(()))
            }
            .boxed()
        })
        .await
        .map(Json)
    }

    /// Stop sharing a wishlist
    #[oai(
        path = "/wishlists/:wishlist_id/share",
        method = "delete",
        operation_id = "unshare_wishlist"
    )]
    async fn unshare(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        wishlist_id: Path<Uuid>,
    ) -> ApiResult<Json<WishlistDetail>> {
        self.change_list(auth, session, wishlist_id, |conn, list, _| {
            async move {
                wishlists::set_shared(conn, list, false).await?;
                Ok(Ok(()))
            }
            .boxed()
        })
        .await
        .map(Json)
    }

    /// Loyalty points
    ///
    /// The balance and the ledger that sums to it, newest first.
    #[oai(path = "/loyalty", method = "get", operation_id = "get_my_loyalty")]
    async fn loyalty(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        /// The `next_before` of the previous page.
        before: Query<Option<i64>>,
        /// How many entries (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<LoyaltyView>> {
        let key = auth.0.tenant()?;
        let (_, shopper) = signed_in(&self.state, key, &session.0).await?;
        let id = shopper.customer_id;
        let limit = i64::from(limit.0.unwrap_or(50));
        let before = before.0;
        let (customer, settings, mut entries) = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                async move {
                    let c = customers::get(conn, id, None).await?;
                    let s = customers::settings(conn).await?;
                    let e = loyalty::entries(conn, id, before, limit + 1).await?;
                    Ok((c, s, e))
                }
                .boxed()
            })
            .await?;
        let more = entries.len() as i64 > limit;
        entries.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(Json(LoyaltyView {
            balance: customer.loyalty_balance,
            point_value: settings.loyalty_point_value.normalize().to_string(),
            next_before: more.then(|| entries.last().map(|e| e.id)).flatten(),
            entries: entries
                .into_iter()
                .map(|e| LoyaltyEntryView {
                    id: e.id,
                    points: e.points,
                    order_id: e.order_id,
                    expires_at: (e.kind == "earn" || e.kind == "restore")
                        .then_some(e.lot_expires_at)
                        .flatten(),
                    kind: e.kind,
                    created_at: e.created_at,
                })
                .collect(),
        }))
    }
}

impl CustomerDataApi {
    /// Run `work` on one of the shopper's lists (locked; given its id and
    /// the storefront's brand) and return the list as it is afterwards.
    async fn change_list<F>(
        &self,
        auth: ApiKey,
        session: Header<String>,
        wishlist_id: Path<Uuid>,
        work: F,
    ) -> ApiResult<WishlistDetail>
    where
        F: for<'r> FnOnce(
                &'r mut bazaar_store::TenantConn,
                Uuid,
                Uuid,
            ) -> futures_util::future::BoxFuture<
                'r,
                Result<Result<(), ApiError>, StoreError>,
            > + Send
            + 'static,
    {
        let key = auth.0.tenant()?;
        let (brand, shopper) = signed_in(&self.state, key, &session.0).await?;
        let (id, customer) = (wishlist_id.0, shopper.customer_id);
        let (list, items) = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    wishlists::get(conn, customer, brand, id).await?;
                    if let Err(e) = work(conn, id, brand).await? {
                        return Ok(Err(e));
                    }
                    let list = wishlists::get(conn, customer, brand, id).await?;
                    let items = wishlists::items(conn, &list).await?;
                    Ok(Ok((list, items)))
                }
                .boxed()
            })
            .await
            .map_err(not_found("wishlist"))??;
        Ok(WishlistDetail {
            wishlist: list.into(),
            products: wishlist_items(items),
        })
    }
}

pub struct SharedWishlistApi {
    pub state: AppState,
}

#[OpenApi(tag = "Tag::Customers")]
impl SharedWishlistApi {
    /// A shared wishlist
    ///
    /// Read-only, by the link token its owner shared; no sign-in needed.
    #[oai(
        path = "/v1/wishlists/shared/:share_token",
        method = "get",
        operation_id = "get_shared_wishlist"
    )]
    async fn shared(
        &self,
        auth: ApiKey,
        share_token: Path<String>,
    ) -> ApiResult<Json<SharedWishlist>> {
        let key = auth.0.tenant()?;
        let brand = key.storefront()?;
        let token = share_token.0;
        if token.len() > 200 {
            return Err(ApiError::not_found(
                "wishlist_not_found",
                "no shared wishlist with that link in this storefront",
            ));
        }
        let (list, items) = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                async move {
                    let list = wishlists::shared(conn, brand, &token).await?;
                    let items = wishlists::items(conn, &list).await?;
                    Ok((list, items))
                }
                .boxed()
            })
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ApiError::not_found(
                    "wishlist_not_found",
                    "no shared wishlist with that link in this storefront",
                ),
                other => other.into(),
            })?;
        Ok(Json(SharedWishlist {
            name: list.name,
            products: wishlist_items(items),
        }))
    }
}
