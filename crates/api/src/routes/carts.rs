//! `/v1/carts`: guest carts for storefronts. A cart belongs to one brand
//! and one region, is reached with its id and token (`X-Cart-Token`), and
//! is priced live from the region pack on every read: tax per line, the
//! delivery window, age verification and any rule the cart breaks. The
//! edge of `bazaar_commerce::carts`.

use bazaar_commerce::carts::change::{self, AddressInput, CartUpdate, ChangeRefusal, Destination};
use bazaar_commerce::carts::create::{self, CreatedCart};
use bazaar_commerce::carts::{Credentials, PricedCart, abandoned};
use bazaar_store::tenant::carts::Cart;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, money};
use crate::auth::ApiKey;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::timestamp::Timestamp;
use crate::types::{QuotedWindow, RuleViolation};

#[derive(Debug, Object)]
pub struct CartLine {
    pub id: Uuid,
    pub variant_id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub title: String,
    pub quantity: i32,
    /// Price of one item in the cart's currency (the brand's price when set).
    pub unit_price: String,
    pub tax_category: String,
    /// False when the product is no longer sold in this brand; such lines
    /// are not priced and cannot be checked out.
    pub available: bool,
    pub net: Option<String>,
    pub tax: Option<String>,
    pub excise: Option<String>,
    pub gross: Option<String>,
}

/// Shipping for one vendor's part of the cart, at the vendor's rate for
/// the cart's region (taxed as the region taxes shipping).
#[derive(Debug, Object)]
pub struct CartShipping {
    pub vendor_id: Uuid,
    /// The region whose rate applies (the cart's region or a parent).
    pub rate_region: String,
    pub net: String,
    pub tax: String,
    pub gross: String,
}

#[derive(Debug, Object)]
pub struct CartTotals {
    /// The goods, before tax.
    pub subtotal: String,
    /// Shipping, before tax.
    pub shipping_total: String,
    /// Tax on goods and shipping.
    pub tax_total: String,
    pub excise_total: String,
    /// What the shopper pays: goods, shipping, tax and excise. The names
    /// are the order's, so a cart's totals become the order's as they are.
    pub total: String,
}

/// A cart, priced now.
#[derive(Debug, Object)]
pub struct CartView {
    pub id: Uuid,
    pub brand_id: Uuid,
    /// The region pack it is priced with.
    pub region: String,
    /// The region pack version used for this pricing.
    pub region_version: String,
    pub currency: String,
    /// Whether prices include tax in this region.
    pub tax_inclusive: bool,
    pub contact_email: Option<String>,
    pub lines: Vec<CartLine>,
    /// One entry per vendor with a shipping rate for the region; vendors
    /// without one ship free.
    pub shipping: Vec<CartShipping>,
    pub totals: CartTotals,
    /// Whether delivery is open now.
    pub delivery_open: bool,
    pub next_delivery_window: Option<QuotedWindow>,
    /// Whether checking out needs a verified age.
    pub age_verification_required: bool,
    /// Rules of the region the cart breaks as it stands.
    pub violations: Vec<RuleViolation>,
    /// Where its order goes; it decides `region`.
    pub shipping_address: Option<ShippingAddress>,
    /// False while the cart has no shipping address: its prices and rules
    /// are then those of the region it was opened with, an estimate until
    /// the address says where the goods go.
    pub priced_for_address: bool,
    pub last_activity_at: Timestamp,
}

/// Where an order goes.
#[derive(Debug, Clone, Object, serde::Deserialize)]
pub struct ShippingAddress {
    /// Who receives it.
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 (`US`).
    pub country: String,
    /// The ISO 3166-2 subdivision suffix (`CA` for California), when the
    /// country has them.
    pub subdivision: Option<String>,
    pub phone: Option<String>,
}

/// Where to send a cart's order: an address, or one of the signed-in
/// customer's saved addresses (exactly one).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetShippingAddress {
    pub address: Option<ShippingAddress>,
    /// One of the cart owner's saved addresses (`/v1/customers/me/addresses`).
    pub customer_address_id: Option<Uuid>,
}

/// A new cart and the token that opens it (keep it; it is not shown again).
#[derive(Debug, Object)]
pub struct NewCart {
    pub cart: CartView,
    /// Send as `X-Cart-Token` on every call for this cart. Absent for a
    /// signed-in shopper's cart, which opens only with their session.
    pub token: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateCart {
    /// A region the tenant sells in; default: the brand's default region.
    pub region: Option<String>,
    /// For order updates and abandoned-cart recovery.
    pub contact_email: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateCart {
    pub region: Option<String>,
    /// `null` removes it.
    pub contact_email: MaybeUndefined<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AddLine {
    pub variant_id: Uuid,
    /// 1 to 10,000; added to the line when the variant is already there.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub quantity: i32,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetQuantity {
    /// 0 removes the line.
    #[oai(validator(minimum(value = "0"), maximum(value = "10000")))]
    pub quantity: i32,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AbandonedQuery {
    /// Carts idle for longer than this many hours (1 to 720).
    #[oai(validator(minimum(value = "1"), maximum(value = "720")))]
    pub idle_hours: u32,
}

#[derive(Debug, Object)]
pub struct AbandonedCart {
    pub id: Uuid,
    pub brand_id: Uuid,
    pub contact_email: Option<String>,
    pub last_activity_at: Timestamp,
}

/// Carts newly found abandoned; each got one `cart.abandoned` event.
#[derive(Debug, Object)]
pub struct AbandonedCarts {
    pub items: Vec<AbandonedCart>,
}

impl From<PricedCart> for CartView {
    fn from(p: PricedCart) -> Self {
        let currency = p.cart.currency;
        Self {
            id: p.cart.id,
            brand_id: p.cart.brand_id,
            region: p.region.code.clone(),
            region_version: p.region.version.clone(),
            tax_inclusive: p.region.tax.inclusive,
            contact_email: p.cart.contact_email,
            lines: p
                .lines
                .into_iter()
                .map(|q| {
                    let (l, t) = (q.line, q.tax);
                    CartLine {
                        id: l.id,
                        variant_id: l.variant_id,
                        product_id: l.product_id,
                        title: format!("{} — {}", l.product_title, l.variant_title),
                        sku: l.sku,
                        quantity: l.quantity,
                        unit_price: money(l.listing_price.unwrap_or(l.price), currency),
                        tax_category: l.tax_category,
                        available: q.available,
                        net: t.as_ref().map(|t| money(t.net, currency)),
                        tax: t.as_ref().map(|t| money(t.tax, currency)),
                        excise: t.as_ref().map(|t| money(t.excise, currency)),
                        gross: t.as_ref().map(|t| money(t.gross, currency)),
                    }
                })
                .collect(),
            shipping: p
                .shipping
                .into_iter()
                .map(|s| CartShipping {
                    vendor_id: s.vendor_id,
                    rate_region: s.rate_region,
                    net: money(s.tax.net, currency),
                    tax: money(s.tax.tax, currency),
                    gross: money(s.tax.gross, currency),
                })
                .collect(),
            totals: CartTotals {
                subtotal: money(p.totals.net, currency),
                shipping_total: money(p.totals.shipping, currency),
                tax_total: money(p.totals.tax, currency),
                excise_total: money(p.totals.excise, currency),
                total: money(p.totals.gross, currency),
            },
            delivery_open: p.delivery.open,
            next_delivery_window: p.delivery.next_window.map(|w| QuotedWindow {
                starts_at: w.starts_at.into(),
                ends_at: w.ends_at.into(),
            }),
            age_verification_required: p.age_verification_required,
            violations: p.violations.into_iter().map(RuleViolation::from).collect(),
            currency: currency.code().to_owned(),
            priced_for_address: p.cart.shipping_address.is_some(),
            shipping_address: p
                .cart
                .shipping_address
                .and_then(|a| serde_json::from_value(a).ok()),
            last_activity_at: p.cart.last_activity_at.into(),
        }
    }
}

impl From<CreatedCart> for NewCart {
    fn from(c: CreatedCart) -> Self {
        Self {
            cart: c.cart.into(),
            token: c.token,
        }
    }
}

impl From<Cart> for AbandonedCart {
    fn from(c: Cart) -> Self {
        Self {
            id: c.id,
            brand_id: c.brand_id,
            contact_email: c.contact_email,
            last_activity_at: c.last_activity_at.into(),
        }
    }
}

pub struct CartsApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/carts", tag = "Tag::Carts")]
impl CartsApi {
    /// Create a cart
    ///
    /// A cart in the storefront key's brand: a guest's, or with
    /// `X-Customer-Token` the signed-in shopper's. The response carries the
    /// cart's token, needed (as `X-Cart-Token`) for every later call unless
    /// the owner's session is sent instead.
    #[oai(path = "/", method = "post", operation_id = "create_cart")]
    async fn create(
        &self,
        auth: ApiKey,
        /// A signed-in shopper's session: the cart becomes theirs (their
        /// working cart), reachable with the session as well as the token.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
        body: Json<CreateCart>,
    ) -> ApiResult<Created<NewCart>> {
        let key = auth.0.tenant()?;
        let new = create::NewCart {
            region: body.0.region,
            contact_email: body.0.contact_email,
            session: session.0,
        };
        let created = create::create(&self.state, key, new).await?;
        Ok(Created::Created(Json(created.into())))
    }

    /// Get a cart, priced now
    #[oai(path = "/:cart_id", method = "get", operation_id = "get_cart")]
    async fn get(
        &self,
        auth: ApiKey,
        cart_id: Path<Uuid>,
        /// The token returned when the cart was created.
        #[oai(name = "X-Cart-Token")]
        token: Header<Option<String>>,
        /// Instead of the cart's token: the session of the customer it
        /// belongs to.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
    ) -> ApiResult<Json<CartView>> {
        let key = auth.0.tenant()?;
        let credentials = Credentials {
            token: token.0,
            session: session.0,
        };
        let cart = change::get(&self.state, key, cart_id.0, credentials).await?;
        Ok(Json(cart.into()))
    }

    /// Change a cart's region or contact
    #[oai(path = "/:cart_id", method = "patch", operation_id = "update_cart")]
    async fn update(
        &self,
        auth: ApiKey,
        cart_id: Path<Uuid>,
        /// The token returned when the cart was created.
        #[oai(name = "X-Cart-Token")]
        token: Header<Option<String>>,
        /// Instead of the cart's token: the session of the customer it
        /// belongs to.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
        body: Json<UpdateCart>,
    ) -> ApiResult<Json<CartView>> {
        let key = auth.0.tenant()?;
        let credentials = Credentials {
            token: token.0,
            session: session.0,
        };
        let update = CartUpdate {
            region: body.0.region,
            contact_email: body.0.contact_email.into(),
        };
        let cart = change::update(&self.state, key, cart_id.0, credentials, update).await?;
        Ok(Json(cart.into()))
    }

    /// Set where a cart's order goes
    ///
    /// The address decides the cart's region: the most specific region
    /// pack the tenant sells under that covers it (its subdivision's, e.g.
    /// `US-CO`, else its country's), whatever region the cart was opened
    /// with, so it is priced and checked where the goods go. 422
    /// `address_not_served` when no such pack exists. Once a cart has an
    /// address, its region changes only with the address.
    #[oai(
        path = "/:cart_id/shipping-address",
        method = "put",
        operation_id = "set_cart_shipping_address"
    )]
    async fn set_shipping_address(
        &self,
        auth: ApiKey,
        cart_id: Path<Uuid>,
        /// The token returned when the cart was created.
        #[oai(name = "X-Cart-Token")]
        token: Header<Option<String>>,
        /// Instead of the cart's token: the session of the customer it
        /// belongs to.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
        body: Json<SetShippingAddress>,
    ) -> ApiResult<Json<CartView>> {
        let key = auth.0.tenant()?;
        let credentials = Credentials {
            token: token.0,
            session: session.0,
        };
        let destination = match (body.0.address, body.0.customer_address_id) {
            (Some(a), None) => Destination::Address(AddressInput {
                name: a.name,
                line1: a.line1,
                line2: a.line2,
                city: a.city,
                postal_code: a.postal_code,
                country: a.country,
                subdivision: a.subdivision,
                phone: a.phone,
            }),
            (None, Some(saved)) => Destination::Saved(saved),
            _ => {
                return Err(bazaar_commerce::Failure::<ChangeRefusal>::Refused(
                    ChangeRefusal::AddressRequired,
                )
                .into());
            }
        };
        let cart =
            change::set_destination(&self.state, key, cart_id.0, credentials, destination).await?;
        Ok(Json(cart.into()))
    }

    /// Add to a cart
    #[oai(
        path = "/:cart_id/lines",
        method = "post",
        operation_id = "add_cart_line"
    )]
    async fn add(
        &self,
        auth: ApiKey,
        cart_id: Path<Uuid>,
        /// The token returned when the cart was created.
        #[oai(name = "X-Cart-Token")]
        token: Header<Option<String>>,
        /// Instead of the cart's token: the session of the customer it
        /// belongs to.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
        body: Json<AddLine>,
    ) -> ApiResult<Json<CartView>> {
        let key = auth.0.tenant()?;
        let credentials = Credentials {
            token: token.0,
            session: session.0,
        };
        let AddLine {
            variant_id,
            quantity,
        } = body.0;
        let cart = change::add_line(
            &self.state,
            key,
            cart_id.0,
            credentials,
            variant_id,
            quantity,
        )
        .await?;
        Ok(Json(cart.into()))
    }

    /// Change a line's quantity
    #[oai(
        path = "/:cart_id/lines/:line_id",
        method = "patch",
        operation_id = "update_cart_line"
    )]
    async fn set(
        &self,
        auth: ApiKey,
        cart_id: Path<Uuid>,
        line_id: Path<Uuid>,
        /// The token returned when the cart was created.
        #[oai(name = "X-Cart-Token")]
        token: Header<Option<String>>,
        /// Instead of the cart's token: the session of the customer it
        /// belongs to.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
        body: Json<SetQuantity>,
    ) -> ApiResult<Json<CartView>> {
        let key = auth.0.tenant()?;
        let credentials = Credentials {
            token: token.0,
            session: session.0,
        };
        let cart = change::set_quantity(
            &self.state,
            key,
            cart_id.0,
            credentials,
            line_id.0,
            body.0.quantity,
        )
        .await?;
        Ok(Json(cart.into()))
    }

    /// Remove a line
    #[oai(
        path = "/:cart_id/lines/:line_id",
        method = "delete",
        operation_id = "remove_cart_line"
    )]
    async fn remove(
        &self,
        auth: ApiKey,
        cart_id: Path<Uuid>,
        line_id: Path<Uuid>,
        /// The token returned when the cart was created.
        #[oai(name = "X-Cart-Token")]
        token: Header<Option<String>>,
        /// Instead of the cart's token: the session of the customer it
        /// belongs to.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
    ) -> ApiResult<Json<CartView>> {
        let key = auth.0.tenant()?;
        let credentials = Credentials {
            token: token.0,
            session: session.0,
        };
        let cart =
            change::set_quantity(&self.state, key, cart_id.0, credentials, line_id.0, 0).await?;
        Ok(Json(cart.into()))
    }

    /// Announce abandoned carts
    ///
    /// Open carts with a contact email idle for more than `idle_hours`, not
    /// announced before: each gets one `cart.abandoned` outbox event (the
    /// tenant's recovery emails start from it). Tenant admin keys.
    #[oai(
        path = "/abandoned",
        method = "post",
        operation_id = "announce_abandoned_carts"
    )]
    async fn abandoned(
        &self,
        auth: ApiKey,
        body: Json<AbandonedQuery>,
    ) -> ApiResult<Json<AbandonedCarts>> {
        let key = auth.0.tenant()?;
        let carts = abandoned::announce(&self.state, key, body.0.idle_hours).await?;
        Ok(Json(AbandonedCarts {
            items: carts.into_iter().map(Into::into).collect(),
        }))
    }
}
