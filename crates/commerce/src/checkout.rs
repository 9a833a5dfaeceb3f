//! Checkout: a cart becomes an order, paid or refused.
//!
//! The flow of ARCHITECTURE.md: price the cart with its region pack;
//! refuse, naming the rule, anything the region forbids; in one short
//! transaction claim the Idempotency-Key, lock and reserve the stock and
//! write the order as `pending_payment`; charge the gateway outside any
//! transaction with the order id as its idempotency key, retrying transient
//! failures; then commit the reservation (paid) or release it
//! (payment_failed), and record the answer under the key.

use bazaar_domain::{CaptureMode, OrderStatus, PaymentStatus};
use bazaar_payments::{Charge, ChargeRequest, Outcome as ChargeOutcome, charge_with_retries};
use bazaar_regions::quote::ViolationCode;
use bazaar_store::tenant::carts::{self as cart_store, Access, PricedLine};
use bazaar_store::tenant::customers::{self, AgeVerification};
use bazaar_store::tenant::idempotency::{self, Begin};
use bazaar_store::tenant::orders::{
    self, NewOrder, NewOrderLine, NewShipping, OrderRow, PlaceError,
};
use bazaar_store::tenant::refunds as refund_store;
use bazaar_store::tenant::shipping::Rate;
use bazaar_store::{StoreError, TenantSchema};
use chrono::Utc;
use futures_util::FutureExt;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::carts::{CartRefusal, contents, price_cart};
use crate::context::AccessRefusal;
use crate::{
    Failure, Outcome, Services, TenantKey, catalog_cache, from_now, payment_routes, prices,
    refunds, refusals, request_keys,
};

/// A checkout as the shopper asked for it.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub cart_id: Uuid,
    /// How the caller opened the cart (its token or its owner's session).
    pub access: Access,
    /// The signed-in shopper, when a session came with the request.
    pub signed_in: Option<Uuid>,
    /// The client's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// The payment method, tokenised by the provider.
    pub payment_token: String,
    /// Loyalty points to redeem as a discount.
    pub redeem_points: Option<i64>,
    /// Where the provider sends the shopper back after an action it asks
    /// of them (a 3-D Secure challenge).
    pub return_url: Option<String>,
}

/// What a checkout answers.
#[derive(Debug)]
pub enum Checkout {
    /// The order as committed (paid, or refused by the gateway).
    Finished(Box<OrderRow>),
    /// The key's first request finished: its answer, exactly as recorded.
    Replayed(serde_json::Value),
}

/// How the edge renders an order: the body recorded under the key, so a
/// replay answers byte for byte what the first request answered.
pub type Render = fn(&OrderRow) -> serde_json::Value;

refusals! {
    /// Why a checkout was refused. Nothing was charged.
    pub enum CheckoutRefusal {
        Cart(CartRefusal) => delegate;
        Access(AccessRefusal) => delegate;
        IdempotencyKeyRequired => Invalid, "idempotency_key_required",
            "send a unique `Idempotency-Key` header (e.g. a UUID) with every checkout";
        IdempotencyKeyReused => Unprocessable, "idempotency_key_reused",
            "this Idempotency-Key was used with a different request; use a new key";
        InProgress => Conflict, "request_in_progress",
            "a checkout with this Idempotency-Key is still running; retry shortly to get its result";
        CartCheckedOut => Conflict, "cart_checked_out", "this cart has already been checked out";
        CartEmpty => Unprocessable, "cart_empty", "the cart has no lines";
        LineUnavailable { sku: String } => Unprocessable, "line_unavailable",
            "`{sku}` is no longer sold in this storefront; remove it first";
        /// The cart holds a category the region restricts.
        RestrictedCategory { message: String, rule: String, region: String } => Unprocessable,
            "restricted_category", "{message} (rule `{rule}` of region {region})";
        /// The cart is over one of the region's purchase limits.
        PurchaseLimitExceeded { message: String, rule: String, region: String } => Unprocessable,
            "purchase_limit_exceeded", "{message} (rule `{rule}` of region {region})";
        /// The cart is below the region's minimum order.
        BelowMinimumOrder { message: String, rule: String, region: String } => Unprocessable,
            "below_minimum_order", "{message} (rule `{rule}` of region {region})";
        /// A purchase limit counts a measure a line lacks.
        MeasureRequired { message: String, rule: String, region: String } => Unprocessable,
            "measure_required", "{message} (rule `{rule}` of region {region})";
        /// A purchase limit counts a measure a line's unit cannot convert to.
        IncompatibleMeasure { message: String, rule: String, region: String } => Unprocessable,
            "incompatible_measure", "{message} (rule `{rule}` of region {region})";
        /// Another rule of the region the cart breaks.
        RuleViolation { message: String, rule: String, region: String } => Unprocessable,
            "rule_violation", "{message} (rule `{rule}` of region {region})";
        /// Outside the region's delivery hours; `next_window_starts_at` is
        /// when the next window opens (RFC 3339).
        DeliveryClosed { region: String, rule: &'static str, next_window_starts_at: String } => Unprocessable,
            "delivery_closed",
            "region {region} is not taking deliveries now (rule `{rule}`); the next window opens at {next_window_starts_at}";
        /// The region's delivery hours have no window in the coming days.
        NoDeliveryWindow { region: String, rule: &'static str } => Unprocessable, "delivery_closed",
            "region {region} has no delivery window in the coming days (rule `{rule}`)";
        AgeVerificationRequired { needed: String, hint: &'static str } => Unprocessable,
            "age_verification_required", "{needed}; {hint}";
        AgeRequirementNotMet { needed: String, age: u32 } => Unprocessable,
            "age_requirement_not_met", "{needed}; this account's verified age is {age}";
        SignInRequired => Unauthenticated, "sign_in_required",
            "redeeming loyalty points needs the cart owner's `X-Customer-Token`";
        PointsNotWholeAmount { points: i64, currency: String } => Unprocessable,
            "points_not_whole_amount",
            "{points} points are worth a fraction of {currency}'s smallest unit; redeem a number of points worth a whole amount";
        PointsExceedTotal { points: i64, most: Decimal } => Unprocessable, "points_exceed_total",
            "{points} points are worth more than this order's total; redeem at most {most}";
        OutOfStock { sku: String, wanted: i32, available: i64 } => Conflict, "out_of_stock",
            "only {available} of `{sku}` available, {wanted} wanted";
        /// The provider neither confirmed nor refused the charge (it timed
        /// out, or failed after perhaps charging) on every attempt. The
        /// order stays pending with its stock held; the same request with
        /// the same Idempotency-Key resumes it and answers the outcome.
        PaymentOutcomeUnknown { order_id: Uuid } => Unavailable, "payment_outcome_unknown",
            "the payment provider did not confirm or refuse the charge for order {order_id}; retry with the same Idempotency-Key to get the outcome (it is never charged twice)";
        InsufficientPoints { balance: i64 } => Unprocessable, "insufficient_points",
            "the account holds {balance} loyalty points, fewer than the order redeems";
    }
}

impl From<PlaceError> for CheckoutRefusal {
    fn from(error: PlaceError) -> Self {
        match error {
            PlaceError::CartClosed => Self::CartCheckedOut,
            PlaceError::OutOfStock {
                sku,
                wanted,
                available,
            } => Self::OutOfStock {
                sku,
                wanted,
                available,
            },
            PlaceError::NotEnoughPoints { balance } => Self::InsufficientPoints { balance },
        }
    }
}

/// Where the checkout's transaction left it.
enum Step {
    /// The order was placed; charge it with this provider, failing over
    /// along this route (empty: the deployment's order).
    Placed(ChargeRequest, String, Uuid, Vec<String>),
    /// The key's first request placed this order and died: pay it.
    Resume(OrderRow),
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
    verification: Option<AgeVerification>,
    /// What one loyalty point is worth.
    point_value: Decimal,
}

/// A claimed Idempotency-Key: its scope (the API key) and value.
#[derive(Clone)]
struct Claim {
    scope: String,
    key: String,
}

/// Check out a cart of the storefront key's brand.
///
/// The `Idempotency-Key` has Stripe's semantics: the same key and request
/// replay the first answer; the same key with another request is refused;
/// a duplicate sent while the first runs is refused as in progress. A
/// refusal releases the key, so the shopper may fix the cart and retry
/// with it. A payment the gateway refuses still creates the order, as
/// `payment_failed`, with its stock released.
#[tracing::instrument(skip_all, fields(cart.id = %request.cart_id))]
pub async fn checkout(
    services: &Services,
    key: &TenantKey,
    request: CheckoutRequest,
    render: Render,
) -> Outcome<Checkout, CheckoutRefusal> {
    let brand = key.storefront()?;
    let idem = request_keys::usable(request.idempotency_key.as_deref())
        .ok_or(CheckoutRefusal::IdempotencyKeyRequired)?
        .to_owned();
    let opener = match &request.access {
        Access::Token(t) => t.clone(),
        Access::Customer(c) => c.to_string(),
    };
    let hash = hex::encode(Sha256::digest(
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{:?}\u{0}{}\u{0}{}",
            request.cart_id,
            opener,
            request.payment_token,
            request.signed_in,
            request.redeem_points.unwrap_or(0),
            request.return_url.as_deref().unwrap_or_default()
        )
        .as_bytes(),
    ));
    let claim = Claim {
        scope: key.key_id.to_string(),
        key: idem,
    };
    let stale_after = services.settings.checkout_resume_after;
    let hold_until = from_now(services.settings.reservation_ttl);
    let token_for_charge = request.payment_token.clone();
    let return_url_for_resume = request.return_url.clone();
    let schema_name = key.schema.as_str().to_owned();
    let (c, svc) = (claim.clone(), services.clone());
    // One short transaction: claim the key, read and price the cart, check
    // the region's rules, lock and reserve the stock and write the order
    // with the claim pointing at it. A refusal releases the claim in the
    // same transaction (which commits); a missing cart rolls back.
    let step = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let CheckoutRequest {
                    cart_id,
                    access,
                    signed_in,
                    payment_token,
                    redeem_points,
                    return_url,
                    ..
                } = request;
                let cart = cart_store::get(conn, cart_id, brand, &access).await?;
                if let (Some(owner), Some(shopper)) = (cart.customer_id, signed_in)
                    && owner != shopper
                {
                    return Err(StoreError::NotFound);
                }
                match idempotency::begin(conn, &c.scope, &c.key, &hash, stale_after).await? {
                    Begin::Fresh | Begin::Resume { order: None } => {}
                    Begin::Resume { order: Some(id) } => {
                        return Ok(Ok(Step::Resume(orders::get(conn, id, None).await?)));
                    }
                    Begin::Replay { body, .. } => return Ok(Ok(Step::Replay(body))),
                    Begin::Mismatch => return Ok(Err(CheckoutRefusal::IdempotencyKeyReused)),
                    Begin::InProgress => return Ok(Err(CheckoutRefusal::InProgress)),
                }
                let cart_contents = contents(conn, &svc.regions, &cart).await?;
                let customer = cart.customer_id.or(signed_in);
                let buyer = Buyer {
                    customer,
                    signed_in: signed_in.is_some() && signed_in == customer,
                    verification: match customer {
                        Some(c) => customers::current_verification(conn, c).await?,
                        None => None,
                    },
                    point_value: if redeem_points.is_some() {
                        customers::settings(conn).await?.loyalty_point_value
                    } else {
                        Decimal::ONE
                    },
                };
                let route = payment_routes::resolve(
                    &svc,
                    bazaar_store::tenant::payment_routes::for_region(conn, &cart.region).await?,
                );
                let placed =
                    match prepare(&svc, &cart, &cart_contents, redeem_points, &buyer, &route) {
                        Ok(order) => orders::place(conn, &order, hold_until)
                            .await?
                            .map(|()| order)
                            .map_err(CheckoutRefusal::from),
                        Err(refusal) => Err(refusal),
                    };
                match placed {
                    Ok(order) => {
                        idempotency::attach_order(conn, &c.scope, &c.key, order.id).await?;
                        Ok(Ok(Step::Placed(
                            ChargeRequest {
                                idempotency_key: order.id.to_string(),
                                amount: prices::in_minor_units(order.total, order.currency),
                                currency: order.currency.code().to_owned(),
                                payment_token,
                                tenant: schema_name,
                                capture: order.capture == CaptureMode::Immediate,
                                return_url,
                            },
                            order.gateway.clone(),
                            order.id,
                            route.0,
                        )))
                    }
                    Err(refusal) => {
                        idempotency::release(conn, &c.scope, &c.key).await?;
                        Ok(Err(refusal))
                    }
                }
            }
            .boxed()
        })
        .await
        .map_err(|e| -> Failure<CheckoutRefusal> {
            match e {
                StoreError::NotFound => Failure::Refused(CartRefusal::NotFound.into()),
                other => Failure::Store(other),
            }
        })?
        .map_err(Failure::Refused)?;
    let order = match step {
        Step::Placed(charge, provider, id, route) => {
            let charge = Some((charge, provider, route));
            pay(services, key, id, charge, claim, render).await
        }
        Step::Resume(row) => {
            // The first request placed this order and stopped (its process
            // died): charge it again under the same gateway idempotency
            // key, which cannot charge twice, and settle.
            tracing::warn!(order.id = %row.id, "resuming a checkout whose request did not finish");
            let provider = row
                .payment_gateway
                .clone()
                .unwrap_or_else(|| services.gateways.primary().name().to_owned());
            let charge = (row.status == OrderStatus::PendingPayment).then(|| {
                let request = ChargeRequest {
                    idempotency_key: row.id.to_string(),
                    amount: prices::in_minor_units(row.total, row.currency),
                    currency: row.currency.code().to_owned(),
                    payment_token: token_for_charge,
                    tenant: key.schema.as_str().to_owned(),
                    capture: row.payment_capture.unwrap_or_default() == CaptureMode::Immediate,
                    return_url: return_url_for_resume,
                };
                // A resumed order fails over along the deployment's order.
                (request, provider, Vec::new())
            });
            pay(services, key, row.id, charge, claim, render).await
        }
        Step::Replay(body) => return Ok(Checkout::Replayed(body)),
    };
    match order? {
        Paid::Settled(order) => Ok(Checkout::Finished(Box::new(order))),
        Paid::Unknown(order_id) => Err(CheckoutRefusal::PaymentOutcomeUnknown { order_id }.into()),
    }
}

/// Whole years from `born` to `on`.
fn age_on(born: chrono::NaiveDate, on: chrono::NaiveDate) -> u32 {
    on.years_since(born).unwrap_or(0)
}

/// Check the cart against its region, naming the rule it breaks, and price
/// it into the order to place.
fn prepare(
    services: &Services,
    cart: &cart_store::Cart,
    (lines, rates): &(Vec<PricedLine>, Vec<Rate>),
    redeem_points: Option<i64>,
    buyer: &Buyer,
    (providers, capture): &(Vec<String>, CaptureMode),
) -> Result<NewOrder, CheckoutRefusal> {
    if cart.status != "open" {
        return Err(CheckoutRefusal::CartCheckedOut);
    }
    if lines.is_empty() {
        return Err(CheckoutRefusal::CartEmpty);
    }
    if let Some(gone) = lines.iter().find(|l| l.visible != Some(true)) {
        return Err(CheckoutRefusal::LineUnavailable {
            sku: gone.sku.clone(),
        });
    }
    let priced = price_cart(&services.regions, cart, lines, rates)?;
    let region = &priced.region;
    if let Some(v) = priced
        .quote
        .violations
        .iter()
        .find(|v| v.code != ViolationCode::AgeVerificationRequired)
    {
        let (message, rule, region) = (v.message.clone(), v.rule.clone(), region.code.clone());
        return Err(match v.code {
            ViolationCode::RestrictedCategory => CheckoutRefusal::RestrictedCategory {
                message,
                rule,
                region,
            },
            ViolationCode::PurchaseLimitExceeded => CheckoutRefusal::PurchaseLimitExceeded {
                message,
                rule,
                region,
            },
            ViolationCode::BelowMinimumOrder => CheckoutRefusal::BelowMinimumOrder {
                message,
                rule,
                region,
            },
            ViolationCode::MeasureRequired => CheckoutRefusal::MeasureRequired {
                message,
                rule,
                region,
            },
            ViolationCode::IncompatibleMeasure => CheckoutRefusal::IncompatibleMeasure {
                message,
                rule,
                region,
            },
            // Checked below, against the account's verified age.
            ViolationCode::AgeVerificationRequired => CheckoutRefusal::RuleViolation {
                message,
                rule,
                region,
            },
        });
    }
    if !priced.quote.delivery.open {
        let region = region.code.clone();
        let rule = "delivery.hours";
        return Err(match &priced.quote.delivery.next_window {
            Some(window) => CheckoutRefusal::DeliveryClosed {
                region,
                rule,
                next_window_starts_at: window
                    .starts_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            },
            None => CheckoutRefusal::NoDeliveryWindow { region, rule },
        });
    }
    let age_required =
        priced.quote.age_verification_required || lines.iter().any(|l| l.age_restricted);
    if age_required {
        // A variant flagged age-restricted in a region without an age rule
        // still needs an adult.
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
                return Err(CheckoutRefusal::AgeVerificationRequired {
                    needed,
                    hint: "sign in with an account whose age the shop has verified",
                });
            }
            (Some(_), None) => {
                return Err(CheckoutRefusal::AgeVerificationRequired {
                    needed,
                    hint: "this account's age has not been verified",
                });
            }
            (Some(_), Some(v)) => {
                let age = age_on(v.date_of_birth, Utc::now().date_naive());
                if age < minimum {
                    return Err(CheckoutRefusal::AgeRequirementNotMet { needed, age });
                }
            }
        }
    }

    let totals = &priced.quote.totals;
    let currency = cart.currency;
    let points = redeem_points.unwrap_or(0);
    let discount = if points > 0 {
        if !buyer.signed_in || buyer.customer.is_none() {
            return Err(CheckoutRefusal::SignInRequired);
        }
        let dp = currency.minor_units();
        let most = (totals.gross / buyer.point_value).floor();
        let exact = Decimal::from(points).checked_mul(buyer.point_value);
        if exact.is_some_and(|d| d.round_dp(dp) != d) {
            return Err(CheckoutRefusal::PointsNotWholeAmount {
                points,
                currency: currency.code().to_owned(),
            });
        }
        exact
            .filter(|d| *d <= totals.gross)
            .ok_or(CheckoutRefusal::PointsExceedTotal { points, most })?
    } else {
        Decimal::ZERO
    };
    Ok(NewOrder {
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
        // The first provider of the cart's route whose breaker lets new
        // orders through.
        gateway: services.gateways.choose_in(providers).name().to_owned(),
        capture: *capture,
    })
}

/// What a reconciliation pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Orders the provider had charged: now paid.
    pub paid: usize,
    /// Orders the provider could not answer for: held longer.
    pub held: usize,
}

/// The longest a pending order's stock is held while its provider cannot
/// say whether it charged; after that the order expires as usual (and an
/// error is logged: a charge found later needs a refund).
pub const MAX_UNKNOWN_HOLD_HOURS: i64 = 24;

/// Settle, before they expire, pending orders whose payment outcome never
/// arrived (every attempt timed out, or the request's process died, and the
/// shopper did not retry): the provider is asked for the charge made under
/// the order's gateway key. A charge found: the order is paid. None: it is
/// left to expire (cancelled, its stock back). The provider unreachable:
/// its hold is extended by one reservation period, at most
/// [`MAX_UNKNOWN_HOLD_HOURS`] after placement, so the stock of a charge that
/// may exist is not sold to another shopper. Run by housekeeping on every
/// node (settling is idempotent: the order's status is locked).
pub async fn reconcile(
    services: &Services,
    schema: &TenantSchema,
) -> Result<Reconciled, StoreError> {
    let now = chrono::Utc::now();
    let due = services
        .db
        .tenant_tx(schema, move |conn| {
            orders::due_for_expiry(conn, now).boxed()
        })
        .await?;
    let mut report = Reconciled::default();
    for orders::Due {
        order_id,
        created_at: placed,
        gateway,
    } in due
    {
        let found = services
            .gateways
            .named(&gateway)
            .find(&order_id.to_string())
            .await;
        match found {
            // Still waiting for the shopper, or the shopper's action
            // failed: nothing was charged. The order expires; the sweep of
            // cancelled orders cancels the charge at the provider (and
            // gives back one the shopper completes after all).
            Ok(Some(charge)) if charge.action.is_some() => {}
            Err(err) if err.refusal().is_some() => {}
            Ok(Some(charge)) => {
                let charge_id = charge.id.clone();
                let settled = services
                    .db
                    .tenant_tx(schema, move |conn| {
                        async move { orders::settle_paid(conn, order_id, &charge_id, 0).await }
                            .boxed()
                    })
                    .await?;
                if settled {
                    report.paid += 1;
                    tracing::warn!(order.id = %order_id, "reconciled: the provider had charged; the order is paid");
                } else {
                    // Cancelled meanwhile (by another node's expiry).
                    refunds::refund_late_charge(services, schema, order_id, charge.id, 0).await?;
                }
            }
            Ok(None) => {}
            Err(err) => {
                let cap = placed + chrono::Duration::hours(MAX_UNKNOWN_HOLD_HOURS);
                if now >= cap {
                    tracing::error!(order.id = %order_id, error = %err, "payment outcome still unknown after the longest hold; the order expires and a charge found later needs a refund");
                    continue;
                }
                let ttl = chrono::Duration::from_std(services.settings.reservation_ttl)
                    .unwrap_or(chrono::Duration::minutes(15));
                let until = (now + ttl).min(cap);
                services
                    .db
                    .tenant_tx(schema, move |conn| {
                        orders::extend_hold(conn, order_id, until).boxed()
                    })
                    .await?;
                report.held += 1;
                tracing::warn!(order.id = %order_id, error = %err, until = %until, "payment provider unreachable; holding the order's stock longer");
            }
        }
    }
    Ok(report)
}

/// Charge `order` with the provider it was placed with. When no attempt
/// reached that provider (every connection failed: nothing was sent, so
/// nothing was charged) and there is a provider after it, the order moves
/// there and is charged there; otherwise an order is only ever charged by
/// one provider. Every attempt counts towards the providers' breakers.
async fn charge_routed(
    services: &Services,
    key: &TenantKey,
    order_id: Uuid,
    charge: &ChargeRequest,
    (provider, route): (String, Vec<String>),
) -> Result<ChargeOutcome, StoreError> {
    let gateways = &services.gateways;
    let policy = &services.settings.payment_retry;
    let gateway = gateways.named(&provider);
    let mut outcome = charge_with_retries(gateway.as_ref(), charge, policy).await;
    gateways.observe(gateway.name(), &outcome.result);
    if !outcome.reached
        && let Some(next) = gateways.after_in(&route, gateway.name())
    {
        let name = next.name();
        services
            .db
            .tenant_tx(&key.schema, move |conn| {
                orders::switch_gateway(conn, order_id, name).boxed()
            })
            .await?;
        tracing::warn!(order.id = %order_id, from = gateway.name(), to = name, "payment provider unreachable; charging the order with the next one");
        outcome = charge_with_retries(next.as_ref(), charge, policy).await;
        gateways.observe(name, &outcome.result);
    }
    Ok(outcome)
}

/// How a checkout's payment ended.
enum Paid {
    /// Paid or refused, and the order settled accordingly.
    Settled(OrderRow),
    /// The provider's answer never came: the order is left pending.
    Unknown(Uuid),
}

/// Charge a placed order (`charge`, when it still awaits payment) outside
/// any transaction, retried with the order id as the gateway's idempotency
/// key (so a retry, or a resumed checkout, never charges twice), then
/// settle it, read it back and finish the claim in one transaction: the
/// recorded answer is exactly the committed order. A charge that comes
/// back for an order already cancelled (its reservation expired first) is
/// recorded and given back in full.
async fn pay(
    services: &Services,
    key: &TenantKey,
    order_id: Uuid,
    charge: Option<(ChargeRequest, String, Vec<String>)>,
    claim: Claim,
    render: Render,
) -> Result<Paid, StoreError> {
    let outcome = match charge {
        // Points paid for all of it: nothing to charge.
        Some((charge, _, _)) if charge.amount.is_zero() => Some(ChargeOutcome {
            result: Ok(Charge::made("no_charge", charge.amount, charge.currency)),
            attempts: 0,
            reached: true,
        }),
        Some((charge, provider, route)) => {
            Some(charge_routed(services, key, order_id, &charge, (provider, route)).await?)
        }
        None => None,
    };
    // A timeout or a provider failure on the last attempt may have charged:
    // settling the order as failed would release its stock and keep the
    // money. Leave it pending, its stock held, and let a retry with the
    // same key resume it (the gateway key makes a second charge impossible).
    // Only when no attempt reached any provider is the failure certain.
    if let Some(outcome) = &outcome
        && let Err(err) = &outcome.result
        && err.is_retryable()
        && outcome.reached
    {
        let (scope, claim_key) = (claim.scope.clone(), claim.key.clone());
        services
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move { idempotency::allow_resume(conn, &scope, &claim_key).await }.boxed()
            })
            .await?;
        tracing::warn!(
            order.id = %order_id,
            error = %err,
            attempts = outcome.attempts,
            "payment outcome unknown; the order stays pending until the same key is retried"
        );
        return Ok(Paid::Unknown(order_id));
    }
    let (late_charge, row) = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let mut late_charge = None;
                if let Some(outcome) = outcome {
                    let attempts = i32::try_from(outcome.attempts).unwrap_or(i32::MAX);
                    match outcome.result {
                        Ok(Charge {
                            id,
                            action: Some(action),
                            ..
                        }) => {
                            let action = serde_json::to_value(action).unwrap_or_default();
                            orders::await_action(conn, order_id, &id, &action, attempts).await?;
                        }
                        Ok(charge) => {
                            if !orders::settle_paid(conn, order_id, &charge.id, attempts).await?
                                && charge.id != "no_charge"
                            {
                                late_charge = Some((charge.id, attempts));
                            }
                        }
                        Err(err) => {
                            orders::settle_failed(conn, order_id, err.code(), attempts).await?;
                        }
                    }
                }
                let row = orders::get(conn, order_id, None).await?;
                idempotency::finish(conn, &claim.scope, &claim.key, 201, &render(&row)).await?;
                Ok((late_charge, row))
            }
            .boxed()
        })
        .await?;
    if let Some((charge_id, attempts)) = late_charge {
        refunds::refund_late_charge(services, &key.schema, order_id, charge_id, attempts).await?;
    }
    catalog_cache::bump(services, key.tenant_id).await;
    tracing::info!(order.id = %order_id, order.status = %row.status, "checkout finished");
    Ok(Paid::Settled(row))
}

refusals! {
    /// Why a payment's confirmation has no answer yet.
    pub enum ConfirmRefusal {
        Order(crate::orders::OrderRefusal) => delegate;
        /// The provider could not say how the shopper's action ended.
        ProviderUnavailable { order_id: Uuid } => Unavailable, "payment_confirmation_unavailable",
            "the payment provider could not say how the shopper's action on order {order_id} ended; retry shortly (nothing is charged twice)";
    }
}

/// Learn how the shopper's action on an order's payment ended (they are
/// back from a 3-D Secure challenge or a wallet's approval): the provider
/// is asked for the charge by its id, and the order settles as checkout
/// would have settled it: paid (its stock committed), still waiting (the
/// same `payment_action`), or failed (refused, its stock released). Any
/// order the caller may read can be confirmed, any number of times: one
/// already settled is answered as it is. A charge completed after the
/// order's hold ran out is given back in full.
#[tracing::instrument(skip_all, fields(order.id = %order_id))]
pub async fn confirm_payment(
    services: &Services,
    key: &TenantKey,
    order_id: Uuid,
    access: Option<Access>,
) -> Outcome<(OrderRow, orders::Contents), ConfirmRefusal> {
    // Reading it first checks the caller may see it.
    crate::orders::get(services, key, order_id, access.clone())
        .await
        .map_err(|f| f.map(ConfirmRefusal::from))?;
    let payment = services
        .db
        .tenant_read(&key.schema, move |conn| {
            orders::provider_ref(conn, order_id).boxed()
        })
        .await?;
    // Also on an order whose hold ran out (cancelled) while the shopper
    // acted: a charge made then is given back.
    let waiting = payment.status == PaymentStatus::RequiresAction;
    if let (true, Some(charge_id)) = (waiting, payment.charge_id) {
        let gateway = services.gateways.named(&payment.gateway);
        let found = gateway.retrieve(&charge_id, &order_id.to_string()).await;
        services.gateways.observe(gateway.name(), &found);
        let settled = match found {
            Ok(Some(charge)) if charge.action.is_some() => None,
            Ok(Some(charge)) => Some(Ok(charge.id)),
            // Cancelled at the provider, or never completed there.
            Ok(None) => Some(Err("payment_not_completed".to_owned())),
            Err(err) => match err.refusal() {
                Some(code) => Some(Err(code)),
                None => {
                    tracing::warn!(error = %err, "cannot learn how the shopper's action ended");
                    return Err(ConfirmRefusal::ProviderUnavailable { order_id }.into());
                }
            },
        };
        if let Some(settled) = settled {
            let late = services
                .db
                .tenant_tx(&key.schema, move |conn| {
                    async move {
                        Ok(match settled {
                            Ok(charge_id) => (!orders::settle_paid(conn, order_id, &charge_id, 1)
                                .await?)
                                .then_some(charge_id),
                            Err(code) => {
                                if !orders::settle_failed(conn, order_id, &code, 1).await? {
                                    // Cancelled meanwhile: nothing is owed.
                                    refund_store::not_charged(conn, order_id).await?;
                                }
                                None
                            }
                        })
                    }
                    .boxed()
                })
                .await?;
            if let Some(charge_id) = late {
                refunds::refund_late_charge(services, &key.schema, order_id, charge_id, 1).await?;
            }
            catalog_cache::bump(services, key.tenant_id).await;
        }
    }
    crate::orders::get(services, key, order_id, access)
        .await
        .map_err(|f| f.map(ConfirmRefusal::from))
}
