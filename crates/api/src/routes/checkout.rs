//! `POST /v1/carts/{cart_id}/checkout` and `GET /v1/orders/{order_id}`.
//!
//! Checkout runs the flow of ARCHITECTURE.md: price the cart with its
//! region pack; refuse, naming the rule, anything the region forbids; in one
//! short transaction lock and reserve the stock and write the order as
//! `pending_payment`; charge the gateway outside any transaction with the
//! order id as its idempotency key, retrying transient failures; then commit
//! the reservation (paid) or release it (payment_failed). The whole call
//! takes an `Idempotency-Key` with Stripe's semantics.

use bazaar_domain::Scope;
use bazaar_payments::{ChargeRequest, charge_with_retries};
use bazaar_store::StoreError;
use bazaar_store::tenant::carts as cart_store;
use bazaar_store::tenant::customers;
use bazaar_store::tenant::idempotency::{self, Begin};
use bazaar_store::tenant::orders::{self, NewOrder, NewOrderLine, NewShipping, PlaceError};
use bazaar_store::tenant::shipping::Rate;
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem::http::StatusCode;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::{Object, OpenApi};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::carts::{contents, price_cart};
use super::{Created, Tag, from_now, money};
use crate::auth::{ApiKey, TenantKey};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CheckoutInput {
    /// The shopper's payment method, tokenised by the payment provider (the
    /// sandbox takes `tok_success`, `tok_decline`, `tok_insufficient_funds`,
    /// `tok_transient`, `tok_timeout`).
    pub payment_token: String,
    /// Loyalty points to redeem as a discount (needs the owner's
    /// `X-Customer-Token`); at most what the order's total allows.
    #[oai(validator(minimum(value = "1"), maximum(value = "1000000000")))]
    pub redeem_points: Option<i64>,
}

/// An order.
#[derive(Debug, Clone, Object)]
pub struct Order {
    pub id: Uuid,
    /// `pending_payment`, `paid`, `payment_failed`, `cancelled`, ...
    pub status: String,
    pub region: String,
    /// The region pack version the order was priced with.
    pub region_version: String,
    pub currency: String,
    /// The goods, before tax.
    pub subtotal: String,
    /// Shipping, before tax.
    pub shipping_total: String,
    /// Tax on goods and shipping.
    pub tax_total: String,
    pub excise_total: String,
    /// What redeemed loyalty points took off.
    pub discount_total: String,
    /// Loyalty points redeemed on the order.
    pub loyalty_points: i32,
    /// What the shopper pays: goods, shipping and tax, less the discount.
    pub total: String,
    /// Units sold on backorder: they ship when the vendor's stock arrives.
    pub backordered: i64,
    /// `pending`, `succeeded` or `failed`.
    pub payment_status: Option<String>,
    /// Why the payment failed: `payment_declined`, `insufficient_funds`, ...
    pub payment_failure: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<orders::OrderRow> for Order {
    fn from(o: orders::OrderRow) -> Self {
        let c = o.currency.trim().to_owned();
        Self {
            id: o.id,
            status: o.status,
            region: o.region,
            region_version: o.region_version,
            subtotal: money(o.subtotal, &c),
            shipping_total: money(o.shipping_total, &c),
            tax_total: money(o.tax_total, &c),
            excise_total: money(o.excise_total, &c),
            discount_total: money(o.discount_total, &c),
            loyalty_points: o.loyalty_points,
            total: money(o.total, &c),
            backordered: o.backordered,
            currency: c,
            payment_status: o.payment_status,
            payment_failure: o.failure_code,
            created_at: o.created_at,
        }
    }
}

pub struct CheckoutApi {
    pub state: AppState,
}

/// Where the checkout's transaction left it.
enum Step {
    /// The order was placed; charge it.
    Placed(ChargeRequest, Uuid),
    /// Refused: by the region, the stock or the cart (the claim released),
    /// or because the key is in use or was used with another request.
    Refused(ApiError),
    /// The key's first request placed this order and died: pay it.
    Resume(orders::OrderRow),
    /// The key's first request finished: answer what it answered.
    Replay(serde_json::Value),
}

/// Who is buying, as far as checkout needs to know.
struct Buyer {
    /// The customer the order belongs to (the cart's owner, or the
    /// signed-in shopper checking out a guest cart).
    customer: Option<Uuid>,
    /// Whether the request carries that customer's session (needed to
    /// spend their points).
    signed_in: bool,
    /// The customer's age verification in force.
    verification: Option<bazaar_store::tenant::customers::AgeVerification>,
    /// What one loyalty point is worth.
    point_value: rust_decimal::Decimal,
}

/// Whole years from `born` to `on`.
fn age_on(born: chrono::NaiveDate, on: chrono::NaiveDate) -> u32 {
    on.years_since(born).unwrap_or(0)
}

/// A claimed Idempotency-Key: its scope (the API key) and value.
#[derive(Clone)]
struct Claim {
    scope: String,
    key: String,
}

impl CheckoutApi {
    /// Check the cart against its region, naming the rule it breaks, and
    /// price it into the order to place.
    fn prepare(
        state: &AppState,
        cart: &cart_store::Cart,
        (lines, rates): &(Vec<cart_store::PricedLine>, Vec<Rate>),
        input: &CheckoutInput,
        buyer: &Buyer,
    ) -> ApiResult<NewOrder> {
        if cart.status != "open" {
            return Err(ApiError::conflict(
                "cart_checked_out",
                "this cart has already been checked out",
            ));
        }
        if lines.is_empty() {
            return Err(ApiError::unprocessable(
                "cart_empty",
                "the cart has no lines",
            ));
        }
        if let Some(gone) = lines.iter().find(|l| l.visible != Some(true)) {
            return Err(ApiError::unprocessable(
                "line_unavailable",
                format!(
                    "`{}` is no longer sold in this storefront; remove it first",
                    gone.sku
                ),
            ));
        }
        let priced = price_cart(state, cart, lines, rates)?;
        let region = &priced.region;
        if let Some(v) = priced
            .quote
            .violations
            .iter()
            .find(|v| v.code != "age_verification_required")
        {
            return Err(ApiError::unprocessable(
                "rule_violation",
                format!(
                    "{} (rule `{}` of region {})",
                    v.message, v.rule, region.code
                ),
            ));
        }
        if !priced.quote.delivery.open {
            let next = priced
                .quote
                .delivery
                .next_window
                .as_ref()
                .map(|w| format!("; the next window opens at {}", w.starts_at.to_rfc3339()))
                .unwrap_or_default();
            return Err(ApiError::unprocessable(
                "delivery_closed",
                format!(
                    "region {} is not taking deliveries now (rule `delivery.hours`){next}",
                    region.code
                ),
            ));
        }
        let age_required =
            priced.quote.age_verification_required || lines.iter().any(|l| l.age_restricted);
        if age_required {
            // A variant flagged age-restricted in a region without an age
            // rule still needs an adult.
            let minimum = match region.age_verification.minimum_age {
                0 => 18,
                age => u32::from(age),
            };
            let needed = format!(
                "region {} requires a verified age of {minimum}+ for this cart (rule `age_verification`)",
                region.code
            );
            match (buyer.customer, &buyer.verification) {
                (None, _) => {
                    return Err(ApiError::unprocessable(
                        "age_verification_required",
                        format!(
                            "{needed}; sign in with an account whose age the shop has verified"
                        ),
                    ));
                }
                (Some(_), None) => {
                    return Err(ApiError::unprocessable(
                        "age_verification_required",
                        format!("{needed}; this account's age has not been verified"),
                    ));
                }
                (Some(_), Some(v)) => {
                    let age = age_on(v.date_of_birth, Utc::now().date_naive());
                    if age < minimum {
                        return Err(ApiError::unprocessable(
                            "age_requirement_not_met",
                            format!("{needed}; this account's verified age is {age}"),
                        ));
                    }
                }
            }
        }

        let totals = &priced.quote.totals;
        let currency = cart.currency.trim().to_owned();
        let points = input.redeem_points.unwrap_or(0);
        let discount = if points > 0 {
            if !buyer.signed_in || buyer.customer.is_none() {
                return Err(ApiError::unauthorized(
                    "sign_in_required",
                    "redeeming loyalty points needs the cart owner's `X-Customer-Token`",
                ));
            }
            let dp = bazaar_domain::Currency::parse(&currency)
                .map(bazaar_domain::Currency::minor_units)
                .unwrap_or(2);
            let most = (totals.gross / buyer.point_value).floor();
            let exact = rust_decimal::Decimal::from(points).checked_mul(buyer.point_value);
            if exact.is_some_and(|d| d.round_dp(dp) != d) {
                return Err(ApiError::unprocessable(
                    "points_not_whole_amount",
                    format!(
                        "{points} points are worth a fraction of {currency}'s smallest unit; \
                         redeem a number of points worth a whole amount"
                    ),
                ));
            }
            exact
                .filter(|d| *d <= totals.gross)
                .ok_or_else(|| {
                    ApiError::unprocessable(
                        "points_exceed_total",
                        format!(
                            "{points} points are worth more than this order's total; redeem at most {most}"
                        ),
                    )
                })?
        } else {
            rust_decimal::Decimal::ZERO
        };
        let order = NewOrder {
            id: bazaar_domain::ids::new_id(),
            cart_id: cart.id,
            brand_id: cart.brand_id,
            region: region.code.clone(),
            region_version: region.version.clone(),
            currency,
            contact_email: cart.contact_email.clone(),
            subtotal: totals.net,
            tax_total: totals.tax,
            excise_total: totals.excise,
            shipping_total: totals.shipping,
            shipping_tax: priced.quote.shipping.iter().map(|s| s.tax).sum(),
            total: totals.gross - discount,
            customer_id: buyer.customer,
            loyalty_points: points,
            discount,
            lines: lines
                .iter()
                .zip(priced.quote.lines.iter())
                .map(|(l, t)| NewOrderLine {
                    variant_id: l.variant_id,
                    vendor_id: l.vendor_id,
                    sku: l.sku.clone(),
                    title: format!("{} — {}", l.product_title, l.variant_title),
                    tax_category: l.tax_category.clone(),
                    quantity: l.quantity,
                    unit_price: l.listing_price.unwrap_or(l.price),
                    net: t.net,
                    tax: t.tax,
                    excise: t.excise,
                    gross: t.gross,
                })
                .collect(),
            shipping: priced
                .shipments
                .iter()
                .zip(priced.quote.shipping.iter())
                .map(|((vendor_id, _), t)| NewShipping {
                    vendor_id: *vendor_id,
                    net: t.net,
                    tax: t.tax,
                    gross: t.gross,
                })
                .collect(),
            gateway: state.gateway.name().to_owned(),
        };
        Ok(order)
    }

    /// The refusal for an order that could not be placed.
    fn refused(error: PlaceError) -> ApiError {
        match error {
            PlaceError::CartClosed => {
                ApiError::conflict("cart_checked_out", "this cart has already been checked out")
            }
            PlaceError::OutOfStock {
                sku,
                wanted,
                available,
            } => ApiError::conflict(
                "out_of_stock",
                format!("only {available} of `{sku}` available, {wanted} wanted"),
            ),
            PlaceError::NotEnoughPoints { balance } => ApiError::unprocessable(
                "insufficient_points",
                format!("the account holds {balance} loyalty points, fewer than the order redeems"),
            ),
        }
    }

    /// Charge a placed order (`charge`, when it still awaits payment)
    /// outside any transaction, retried with the order id as the gateway's
    /// idempotency key (so a retry, or a resumed checkout, never charges
    /// twice), then settle it, read it back and finish the claim in one
    /// transaction: the stored response is exactly the committed order.
    async fn pay(
        &self,
        key: &TenantKey,
        order_id: Uuid,
        charge: Option<ChargeRequest>,
        claim: Claim,
    ) -> ApiResult<Order> {
        let outcome = match charge {
            // Points paid for all of it: nothing to charge.
            Some(charge) if charge.amount.is_zero() => Some(bazaar_payments::Outcome {
                result: Ok(bazaar_payments::Charge {
                    id: "no_charge".to_owned(),
                    amount: charge.amount,
                    currency: charge.currency,
                }),
                attempts: 0,
            }),
            Some(charge) => Some(
                charge_with_retries(
                    self.state.gateway.as_ref(),
                    &charge,
                    &self.state.settings.payment_retry,
                )
                .await,
            ),
            None => None,
        };
        let (settled, row) = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let settled = match outcome {
                        None => true,
                        Some(outcome) => {
                            let attempts = i32::try_from(outcome.attempts).unwrap_or(i32::MAX);
                            match outcome.result {
                                Ok(charge) => {
                                    orders::settle_paid(conn, order_id, &charge.id, attempts)
                                        .await?
                                }
                                Err(err) => {
                                    orders::settle_failed(conn, order_id, err.code(), attempts)
                                        .await?
                                }
                            }
                        }
                    };
                    let row = orders::get(conn, order_id, None).await?;
                    let stored = Order::from(row.clone()).to_json().unwrap_or_default();
                    idempotency::finish(
                        conn,
                        &claim.scope,
                        &claim.key,
                        i32::from(StatusCode::CREATED.as_u16()),
                        &stored,
                    )
                    .await?;
                    Ok((settled, row))
                }
                .boxed()
            })
            .await?;
        if !settled {
            tracing::error!(order.id = %order_id, "payment settled after the reservation expired; the order needs a refund");
        }
        crate::catalog_cache::bump(&self.state, key.tenant_id).await;
        tracing::info!(order.id = %order_id, order.status = %row.status, "checkout finished");
        Ok(row.into())
    }
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
        key.require(&[Scope::Storefront])?;
        let idem = idempotency_key
            .0
            .filter(|k| !k.is_empty() && k.len() <= 255)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "idempotency_key_required",
                    "send a unique `Idempotency-Key` header (e.g. a UUID) with every checkout",
                )
            })?;
        let signed_in = match &session.0 {
            Some(s) => Some(
                crate::customer_auth::shopper(&self.state, key, s)
                    .await?
                    .customer_id,
            ),
            None => None,
        };
        let access = super::carts::access_from(token.0, signed_in)?;
        let opener = match &access {
            cart_store::Access::Token(t) => t.clone(),
            cart_store::Access::Customer(c) => c.to_string(),
        };
        let hash = hex::encode(Sha256::digest(
            format!(
                "{}\u{0}{}\u{0}{}\u{0}{:?}\u{0}{}",
                cart_id.0,
                opener,
                body.0.payment_token,
                signed_in,
                body.0.redeem_points.unwrap_or(0)
            )
            .as_bytes(),
        ));
        let claim = Claim {
            scope: key.key_id.to_string(),
            key: idem,
        };
        let brand = key
            .brand_id
            .ok_or_else(|| ApiError::internal("storefront key without a brand"))?;
        let cart_id = cart_id.0;
        let (c, state) = (claim.clone(), self.state.clone());
        let stale_after = self.state.settings.checkout_resume_after;
        let hold_until = from_now(self.state.settings.reservation_ttl);
        let input = body.0;
        let token_for_charge = input.payment_token.clone();
        // One short transaction: claim the key, read and price the cart,
        // check the region's rules, lock and reserve the stock and write the
        // order with the claim pointing at it. A refusal releases the claim
        // in the same transaction, so the client may fix the cart and retry
        // with the same key; a missing cart rolls everything back.
        let step = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let cart = cart_store::get(conn, cart_id, brand, &access).await?;
                    if let (Some(owner), Some(shopper)) = (cart.customer_id, signed_in)
                        && owner != shopper
                    {
                        return Err(StoreError::NotFound);
                    }
                    let begun =
                        idempotency::begin(conn, &c.scope, &c.key, &hash, stale_after).await?;
                    match begun {
                        Begin::Fresh | Begin::Resume { order: None } => {}
                        Begin::Resume { order: Some(id) } => {
                            return Ok(Step::Resume(orders::get(conn, id, None).await?));
                        }
                        Begin::Replay { body, .. } => return Ok(Step::Replay(body)),
                        Begin::Mismatch => {
                            return Ok(Step::Refused(ApiError::unprocessable(
                                "idempotency_key_reused",
                                "this Idempotency-Key was used with a different request; use a new key",
                            )));
                        }
                        Begin::InProgress => {
                            return Ok(Step::Refused(ApiError::conflict(
                                "request_in_progress",
                                "a checkout with this Idempotency-Key is still running; retry shortly to get its result",
                            )));
                        }
                    }
                    let cart_contents = contents(conn, &state.regions, &cart).await?;
                    let customer = cart.customer_id.or(signed_in);
                    let buyer = Buyer {
                        customer,
                        signed_in: signed_in.is_some() && signed_in == customer,
                        verification: match customer {
                            Some(c) => customers::current_verification(conn, c).await?,
                            None => None,
                        },
                        point_value: if input.redeem_points.is_some() {
                            customers::settings(conn).await?.loyalty_point_value
                        } else {
                            rust_decimal::Decimal::ONE
                        },
                    };
                    let placed = match Self::prepare(&state, &cart, &cart_contents, &input, &buyer) {
                        Ok(order) => orders::place(conn, &order, hold_until)
                            .await?
                            .map(|()| order)
                            .map_err(Self::refused),
                        Err(refusal) => Err(refusal),
                    };
                    match placed {
                        Ok(order) => {
                            idempotency::attach_order(conn, &c.scope, &c.key, order.id).await?;
                            Ok(Step::Placed(
                                ChargeRequest {
                                    idempotency_key: order.id.to_string(),
                                    amount: order.total,
                                    currency: order.currency,
                                    payment_token: input.payment_token,
                                },
                                order.id,
                            ))
                        }
                        Err(refusal) => {
                            idempotency::release(conn, &c.scope, &c.key).await?;
                            Ok(Step::Refused(refusal))
                        }
                    }
                }
                .boxed()
            })
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ApiError::not_found(
                    "cart_not_found",
                    "no cart with that id and token in this storefront",
                ),
                other => other.into(),
            })?;
        let order = match step {
            Step::Placed(charge, id) => self.pay(key, id, Some(charge), claim).await?,
            Step::Resume(row) => {
                // The first request placed this order and stopped (its
                // process died): charge it again under the same gateway
                // idempotency key, which cannot charge twice, and settle.
                tracing::warn!(order.id = %row.id, "resuming a checkout whose request did not finish");
                let charge = (row.status == "pending_payment").then(|| ChargeRequest {
                    idempotency_key: row.id.to_string(),
                    amount: row.total,
                    currency: row.currency.trim().to_owned(),
                    payment_token: token_for_charge,
                });
                self.pay(key, row.id, charge, claim).await?
            }
            Step::Replay(body) => Order::parse_from_json(Some(body))
                .map_err(|e| ApiError::internal(e.into_message()))?,
            Step::Refused(refusal) => return Err(refusal),
        };
        Ok(Created::Created(Json(order)))
    }

    /// Get an order
    ///
    /// Tenant admin keys see every order. A storefront key sees an order
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
    ) -> ApiResult<Json<Order>> {
        let key = auth.0.tenant()?;
        key.require(&[Scope::Storefront, Scope::TenantAdmin])?;
        let (id, brand) = (order_id.0, key.brand_id);
        let access = if brand.is_some() {
            Some(super::carts::cart_access(&self.state, key, token.0, session.0).await?)
        } else {
            None
        };
        let row = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                async move {
                    let row = orders::get(conn, id, brand).await?;
                    if let Some(access) = access
                        && !orders::opened_by(conn, id, &access).await?
                    {
                        return Err(StoreError::NotFound);
                    }
                    Ok(row)
                }
                .boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "order"))?;
        Ok(Json(row.into()))
    }
}
