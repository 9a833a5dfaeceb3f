//! `/v1/carts`: guest carts for storefronts. A cart belongs to one brand
//! and one region, is reached with its id and token (`X-Cart-Token`), and
//! is priced live from the region pack on every read: tax per line, the
//! delivery window, age verification and any rule the cart breaks.

use bazaar_commerce::carts::{Priced, available, contents, price_cart};
use bazaar_domain::validate;
use bazaar_store::StoreError;
use bazaar_store::tenant::carts::{self as store, Cart, PricedLine};
use bazaar_store::tenant::shipping::Rate;
use bazaar_store::tenant::{brands, products};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};

use uuid::Uuid;

use super::{Created, Tag, money};
use crate::auth::{ApiKey, TenantKey};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
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
    pub net: String,
    /// Shipping, before tax.
    pub shipping: String,
    /// Tax on goods and shipping.
    pub tax: String,
    pub excise: String,
    pub gross: String,
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
    pub last_activity_at: DateTime<Utc>,
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
    pub last_activity_at: DateTime<Utc>,
}

/// Carts newly found abandoned; each got one `cart.abandoned` event.
#[derive(Debug, Object)]
pub struct AbandonedCarts {
    pub items: Vec<AbandonedCart>,
}

pub struct CartsApi {
    pub state: AppState,
}

impl CartsApi {
    /// How the caller opens the cart: its token, or its owner's session.
    async fn access(
        &self,
        key: &TenantKey,
        token: Option<String>,
        session: Option<String>,
    ) -> ApiResult<store::Access> {
        crate::request_parts::cart_access(&self.state, key, token, session).await
    }

    /// Check a region for a cart of this tenant: in force and sold in.
    async fn check_region(&self, key: &TenantKey, region: &str) -> ApiResult<()> {
        bazaar_commerce::regions::check_enabled(&self.state, key, region).await?;
        Ok(bazaar_commerce::regions::check_in_force(
            &self.state,
            &[region.to_owned()],
        )?)
    }

    /// Price `cart` with its lines against its region pack.
    fn view(&self, cart: Cart, lines: Vec<PricedLine>, rates: Vec<Rate>) -> ApiResult<CartView> {
        let Priced {
            region,
            quote: q,
            shipments,
        } = price_cart(&self.state.regions, &cart, &lines, &rates)?;
        let currency = cart.currency.trim().to_owned();
        let unit_price = |l: &PricedLine| l.listing_price.unwrap_or(l.price);
        let priced: Vec<&PricedLine> = lines.iter().filter(|l| available(l, &currency)).collect();
        let mut taxed = q.lines.iter();
        let out_lines = lines
            .iter()
            .map(|l| {
                let t = if available(l, &currency) {
                    taxed.next()
                } else {
                    None
                };
                CartLine {
                    id: l.id,
                    variant_id: l.variant_id,
                    product_id: l.product_id,
                    sku: l.sku.clone(),
                    title: format!("{} — {}", l.product_title, l.variant_title),
                    quantity: l.quantity,
                    unit_price: money(unit_price(l), &currency),
                    tax_category: l.tax_category.clone(),
                    available: available(l, &currency),
                    net: t.map(|t| money(t.net, &currency)),
                    tax: t.map(|t| money(t.tax, &currency)),
                    excise: t.map(|t| money(t.excise, &currency)),
                    gross: t.map(|t| money(t.gross, &currency)),
                }
            })
            .collect();
        // Age checks come from the pack and from the variant's own flag.
        let age_required = q.age_verification_required || priced.iter().any(|l| l.age_restricted);
        Ok(CartView {
            id: cart.id,
            brand_id: cart.brand_id,
            region: region.code.clone(),
            region_version: region.version.clone(),
            tax_inclusive: region.tax.inclusive,
            contact_email: cart.contact_email,
            lines: out_lines,
            shipping: shipments
                .into_iter()
                .zip(q.shipping.iter())
                .map(|((vendor_id, rate_region), t)| CartShipping {
                    vendor_id,
                    rate_region,
                    net: money(t.net, &currency),
                    tax: money(t.tax, &currency),
                    gross: money(t.gross, &currency),
                })
                .collect(),
            totals: CartTotals {
                net: money(q.totals.net, &currency),
                shipping: money(q.totals.shipping, &currency),
                tax: money(q.totals.tax, &currency),
                excise: money(q.totals.excise, &currency),
                gross: money(q.totals.gross, &currency),
            },
            delivery_open: q.delivery.open,
            next_delivery_window: q.delivery.next_window.map(|w| QuotedWindow {
                starts_at: w.starts_at,
                ends_at: w.ends_at,
            }),
            age_verification_required: age_required,
            violations: q
                .violations
                .into_iter()
                // Age is settled at checkout, against the customer's verification.
                .filter(|v| v.code != "age_verification_required")
                .map(|v| RuleViolation {
                    rule: v.rule,
                    code: v.code.to_owned(),
                    message: v.message,
                })
                .collect(),
            currency,
            last_activity_at: cart.last_activity_at,
        })
    }

    /// Set a line's quantity (0 removes it) and return the cart priced.
    async fn set_line(
        &self,
        key: &TenantKey,
        cart_id: Uuid,
        access: store::Access,
        line: Uuid,
        quantity: i32,
    ) -> ApiResult<CartView> {
        self.with_cart(key, cart_id, access, move |conn, cart| {
            async move {
                match store::set_quantity(conn, cart.id, line, quantity).await {
                    Ok(()) => Ok(Ok(())),
                    Err(StoreError::NotFound) => Ok(Err(ApiError::not_found(
                        "line_not_found",
                        "no line with that id in this cart",
                    ))),
                    Err(e) => Err(e),
                }
            }
            .boxed()
        })
        .await
    }

    /// Run `work` on the cart (checked against its token or owner, and its
    /// brand) and
    /// return the cart priced afterwards.
    async fn with_cart<F>(
        &self,
        key: &TenantKey,
        id: Uuid,
        access: store::Access,
        work: F,
    ) -> ApiResult<CartView>
    where
        F: for<'r> FnOnce(
                &'r mut bazaar_store::TenantConn,
                Cart,
            ) -> futures_util::future::BoxFuture<
                'r,
                Result<Result<(), ApiError>, StoreError>,
            > + Send
            + 'static,
    {
        let brand = key.storefront()?;
        let regions = self.state.regions.clone();
        let (cart, (lines, rates)) = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let cart = store::get(conn, id, brand, &access).await?;
                    if cart.status != "open" {
                        return Ok(Err(ApiError::conflict(
                            "cart_checked_out",
                            "this cart has been checked out and cannot change; start a new cart",
                        )));
                    }
                    if let Err(e) = work(conn, cart.clone()).await? {
                        return Ok(Err(e));
                    }
                    let cart = store::get(conn, id, brand, &access).await?;
                    let contents = contents(conn, &regions, &cart).await?;
                    Ok(Ok((cart, contents)))
                }
                .boxed()
            })
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ApiError::not_found(
                    "cart_not_found",
                    "no cart with that id and token in this storefront",
                ),
                StoreError::Constraint { .. } => ApiError::unprocessable(
                    "quantity_too_large",
                    "a line holds at most 10,000 items",
                ),
                other => other.into(),
            })??;
        self.view(cart, lines, rates)
    }
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
        let brand_id = key.storefront()?;
        let customer = match session.0 {
            Some(token) => Some(
                crate::customer_auth::shopper(&self.state, key, &token)
                    .await?
                    .customer_id,
            ),
            None => None,
        };
        let body = body.0;
        if let Some(email) = &body.contact_email {
            validate::email(email)?;
        }
        let brand = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| brands::get(conn, brand_id).boxed())
            .await
            .map_err(|e| ApiError::from_store(e, "brand"))?;
        let region = body
            .region
            .or(brand.default_region.clone())
            .ok_or_else(|| {
                ApiError::unprocessable(
                    "region_required",
                    "the brand has no default region; say which region the cart is in (`region`)",
                )
            })?;
        self.check_region(key, &region).await?;
        let currency = brand.currency.trim().to_owned();
        let email = body.contact_email;
        let (cart, token) = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    store::create(
                        conn,
                        brand_id,
                        &region,
                        &currency,
                        email.as_deref(),
                        customer,
                    )
                    .await
                }
                .boxed()
            })
            .await?;
        Ok(Created::Created(Json(NewCart {
            cart: self.view(cart, Vec::new(), Vec::new())?,
            token: customer.is_none().then_some(token),
        })))
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
        Ok(Json(
            self.with_cart(
                key,
                cart_id.0,
                self.access(key, token.0, session.0).await?,
                |_, _| async { Ok(Ok(())) }.boxed(),
            )
            .await?,
        ))
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
        let body = body.0;
        if let Some(region) = &body.region {
            self.check_region(key, region).await?;
        }
        let email = match body.contact_email {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(e) => {
                validate::email(&e)?;
                Some(Some(e))
            }
        };
        let region = body.region;
        let view = self
            .with_cart(
                key,
                cart_id.0,
                self.access(key, token.0, session.0).await?,
                move |conn, cart| {
                    async move {
                        store::update(conn, cart.id, region, email).await?;
                        Ok(Ok(()))
                    }
                    .boxed()
                },
            )
            .await?;
        Ok(Json(view))
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
        let AddLine {
            variant_id,
            quantity,
        } = body.0;
        let view = self
            .with_cart(
                key,
                cart_id.0,
                self.access(key, token.0, session.0).await?,
                move |conn, cart| {
                    async move {
                        let variant = products::variants_by_id(conn, variant_id).await?;
                        let shown = match &variant {
                            Some(v) => bazaar_store::tenant::listings::storefront_product(
                                conn,
                                cart.brand_id,
                                Some(v.product_id),
                                None,
                            )
                            .await
                            .map(|_| true)
                            .or_else(|e| {
                                if matches!(e, StoreError::NotFound) {
                                    Ok(false)
                                } else {
                                    Err(e)
                                }
                            })?,
                            None => false,
                        };
                        let Some(variant) = variant.filter(|_| shown) else {
                            return Ok(Err(ApiError::unprocessable(
                                "variant_not_available",
                                "no variant with that id is sold in this storefront",
                            )));
                        };
                        if variant.currency.trim() != cart.currency.trim() {
                            return Ok(Err(ApiError::unprocessable(
                                "currency_mismatch",
                                format!(
                                    "the variant is priced in {}, the cart in {}",
                                    variant.currency.trim(),
                                    cart.currency.trim()
                                ),
                            )));
                        }
                        store::add(conn, cart.id, variant.id, quantity).await?;
                        Ok(Ok(()))
                    }
                    .boxed()
                },
            )
            .await?;
        Ok(Json(view))
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
        let (line, quantity) = (line_id.0, body.0.quantity);
        Ok(Json(
            self.set_line(
                key,
                cart_id.0,
                self.access(key, token.0, session.0).await?,
                line,
                quantity,
            )
            .await?,
        ))
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
        let line = line_id.0;
        Ok(Json(
            self.set_line(
                key,
                cart_id.0,
                self.access(key, token.0, session.0).await?,
                line,
                0,
            )
            .await?,
        ))
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
        key.admin()?;
        let cutoff = Utc::now() - chrono::Duration::hours(i64::from(body.0.idle_hours));
        let carts = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                store::announce_abandoned(conn, cutoff).boxed()
            })
            .await?;
        Ok(Json(AbandonedCarts {
            items: carts
                .into_iter()
                .map(|c| AbandonedCart {
                    id: c.id,
                    brand_id: c.brand_id,
                    contact_email: c.contact_email,
                    last_activity_at: c.last_activity_at,
                })
                .collect(),
        }))
    }
}
