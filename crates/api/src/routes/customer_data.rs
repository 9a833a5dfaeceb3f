//! What a signed-in shopper owns: order history, carts (the working cart
//! and saved ones), wishlists (shareable read-only by a link) and loyalty
//! points. Everything is looked up through the session's customer, so
//! another customer's order, cart or list is simply not found. The edge of
//! `bazaar_commerce::customers::{orders, carts, wishlists, loyalty}`.

use bazaar_commerce::customers::carts::{self as my_carts, MyCart};
use bazaar_commerce::customers::loyalty::{self, LedgerEntry};
use bazaar_commerce::customers::orders::{self as history, HistoryQuery};
use bazaar_commerce::customers::wishlists::{self, Contents};
use bazaar_store::tenant::wishlists::{Item, Wishlist};
use chrono::{DateTime, Utc};
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Created, NoContent, Tag};
use crate::auth::ApiKey;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::statuses::OrderStatus;
use crate::timestamp::Timestamp;
use crate::types::{Order, OrderDetail};

#[derive(Debug, Object)]
pub struct OrderHistoryPage {
    /// Newest first.
    pub items: Vec<Order>,
    /// Pass as `cursor` for the next (older) page.
    pub next_cursor: Option<String>,
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
    pub last_activity_at: Timestamp,
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
    pub created_at: Timestamp,
}

impl From<Wishlist> for WishlistView {
    fn from(w: Wishlist) -> Self {
        Self {
            id: w.id,
            name: w.name,
            share_token: w.share_token,
            items: w.items,
            created_at: w.created_at.into(),
        }
    }
}

#[derive(Debug, Object)]
pub struct WishlistItemView {
    pub product_id: Uuid,
    pub title: String,
    /// Whether the storefront still sells it.
    pub available: bool,
    pub added_at: Timestamp,
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
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
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

fn wishlist_items(items: Vec<Item>) -> Vec<WishlistItemView> {
    items
        .into_iter()
        .map(|i| WishlistItemView {
            product_id: i.product_id,
            title: i.title,
            available: i.available,
            added_at: i.added_at.into(),
        })
        .collect()
}

impl From<Contents> for WishlistDetail {
    fn from(c: Contents) -> Self {
        Self {
            wishlist: c.list.into(),
            products: wishlist_items(c.items),
        }
    }
}

impl From<MyCart> for CartSummary {
    fn from(c: MyCart) -> Self {
        Self {
            working: c.working,
            id: c.cart.id,
            saved_name: c.cart.saved_name,
            region: c.cart.region,
            currency: c.cart.currency.code().to_owned(),
            last_activity_at: c.cart.last_activity_at.into(),
        }
    }
}

impl From<LedgerEntry> for LoyaltyEntryView {
    fn from(e: LedgerEntry) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            points: e.points,
            order_id: e.order_id,
            expires_at: e.expires_at.map(Timestamp),
            created_at: e.created_at.into(),
        }
    }
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
        status: Query<Option<OrderStatus>>,
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
        let query = HistoryQuery {
            status: status.0.map(Into::into),
            placed_from: placed_from.0,
            placed_to: placed_to.0,
            limit: limit.0,
            cursor: cursor.0,
        };
        let page = history::history(&self.state, key, &session.0, query).await?;
        Ok(Json(OrderHistoryPage {
            items: page.orders.into_iter().map(Order::from).collect(),
            next_cursor: page.next_cursor,
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
        let (row, lines) = history::order(&self.state, key, &session.0, order_id.0).await?;
        Ok(Json((row, lines).into()))
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
        let carts = my_carts::list(&self.state, key, &session.0).await?;
        Ok(Json(CartSummaries {
            items: carts.into_iter().map(Into::into).collect(),
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
        let name = match body.0.saved_name {
            MaybeUndefined::Value(n) => Some(n),
            _ => None,
        };
        let cart = my_carts::save(&self.state, key, &session.0, cart_id.0, name).await?;
        Ok(Json(cart.into()))
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
        let lists = wishlists::list(&self.state, key, &session.0).await?;
        Ok(Json(WishlistList {
            items: lists.into_iter().map(Into::into).collect(),
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
        let list = wishlists::create(&self.state, key, &session.0, &body.0.name).await?;
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
        let key = auth.0.tenant()?;
        let list = wishlists::get(&self.state, key, &session.0, wishlist_id.0).await?;
        Ok(Json(list.into()))
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
        let key = auth.0.tenant()?;
        let list =
            wishlists::rename(&self.state, key, &session.0, wishlist_id.0, &body.0.name).await?;
        Ok(Json(list.into()))
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
        wishlists::delete(&self.state, key, &session.0, wishlist_id.0).await?;
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
        let key = auth.0.tenant()?;
        let list =
            wishlists::add_product(&self.state, key, &session.0, wishlist_id.0, product_id.0)
                .await?;
        Ok(Json(list.into()))
    }

    /// Remove a product from a wishlist
    ///
    /// Idempotent: a product that is not on the list (removed already, by
    /// a retry whose first answer was lost) leaves it as it is.
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
        let key = auth.0.tenant()?;
        let list =
            wishlists::remove_product(&self.state, key, &session.0, wishlist_id.0, product_id.0)
                .await?;
        Ok(Json(list.into()))
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
        let key = auth.0.tenant()?;
        let list = wishlists::share(&self.state, key, &session.0, wishlist_id.0, true).await?;
        Ok(Json(list.into()))
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
        let key = auth.0.tenant()?;
        let list = wishlists::share(&self.state, key, &session.0, wishlist_id.0, false).await?;
        Ok(Json(list.into()))
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
        let points = loyalty::points(&self.state, key, &session.0, before.0, limit.0).await?;
        Ok(Json(LoyaltyView {
            balance: points.balance,
            point_value: points.point_value.normalize().to_string(),
            entries: points.entries.into_iter().map(Into::into).collect(),
            next_before: points.next_before,
        }))
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
        let shared = wishlists::shared(&self.state, key, share_token.0).await?;
        Ok(Json(SharedWishlist {
            name: shared.list.name,
            products: wishlist_items(shared.items),
        }))
    }
}
