//! Wire types that several resources answer with (an order, a delivery
//! window, a rule broken, an issued API key), declared once so no route
//! module imports another.

use std::collections::BTreeMap;

use bazaar_domain::Scope;
use bazaar_store::tenant::customers::{AgeVerification, Customer, SHARED_REALM};
use bazaar_store::tenant::listings::BrowseRow;
use chrono::NaiveDate;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::routes::money;
use crate::state::Settings;
use crate::statuses::{CaptureMode, OrderStatus, PaymentStatus, ViolationCode};
use crate::timestamp::Timestamp;

/// An order.
#[derive(Debug, Clone, Object)]
pub struct Order {
    pub id: Uuid,
    pub status: OrderStatus,
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
    /// What refunds have given back so far.
    pub refunded_total: String,
    /// Units sold on backorder: they ship when the vendor's stock arrives.
    pub backordered: i64,
    pub payment_status: Option<PaymentStatus>,
    /// When the money is taken: at checkout, or authorised then and
    /// captured part by part as the vendors ship.
    pub payment_capture: Option<CaptureMode>,
    /// What has been taken so far: the total once paid, when captured at
    /// checkout; each shipped part's share, when authorised.
    pub captured_total: Option<String>,
    /// Why the payment failed: `payment_declined`, `insufficient_funds`, ...
    pub payment_failure: Option<String>,
    /// While `payment_status` is `requires_action`: what the shopper must
    /// do before the provider can charge. Then confirm the payment.
    pub payment_action: Option<PaymentAction>,
    /// Where it goes, as the cart had it at checkout.
    pub shipping_address: Option<crate::routes::carts::ShippingAddress>,
    pub created_at: Timestamp,
}

/// What a shopper must do before the payment provider can charge: pass a
/// 3-D Secure challenge, approve a wallet payment. Card data never passes
/// through Bazaar.
#[derive(Debug, Clone, Object, serde::Deserialize)]
pub struct PaymentAction {
    /// `redirect_to_url`: send the shopper to `url` (they come back to the
    /// checkout's `return_url`); `use_sdk`: give `client_secret` to the
    /// provider's browser library.
    pub kind: String,
    pub url: Option<String>,
    /// The provider's client-side secret for this payment, when it has one.
    pub client_secret: Option<String>,
}

/// An order line as bought.
#[derive(Debug, Object)]
pub struct OrderLineView {
    /// The line, as a refund names it.
    pub id: Uuid,
    pub variant_id: Uuid,
    /// The vendor that ships it.
    pub vendor_id: Uuid,
    pub sku: String,
    pub title: String,
    pub quantity: i32,
    pub unit_price: String,
    /// What the line cost, tax included.
    pub gross: String,
}

impl OrderLineView {
    /// A line as bought, its amounts in the order's currency.
    pub fn of(l: bazaar_store::tenant::orders::LineRow, currency: bazaar_domain::Currency) -> Self {
        Self {
            id: l.id,
            variant_id: l.variant_id,
            vendor_id: l.vendor_id,
            sku: l.sku,
            title: l.title,
            quantity: l.quantity,
            unit_price: money(l.unit_price, currency),
            gross: money(l.gross, currency),
        }
    }
}

/// An order with its lines.
#[derive(Debug, Object)]
pub struct OrderDetail {
    #[oai(flatten)]
    pub order: Order,
    pub lines: Vec<OrderLineView>,
    /// Every change of the order's status, oldest first.
    pub timeline: Vec<TransitionView>,
    /// Where its shipped parts are on their way, as reported, oldest first.
    pub tracking: Vec<TrackingEventView>,
}

/// Where a shipped vendor order is on its way.
#[derive(Debug, Object)]
pub struct TrackingEventView {
    pub vendor_order_id: Uuid,
    /// `vendor` or `carrier`.
    pub source: String,
    /// `info`, `in_transit`, `out_for_delivery`, `delivered` or
    /// `exception`.
    pub kind: String,
    pub description: String,
    pub location: Option<String>,
    pub occurred_at: Timestamp,
}

impl From<bazaar_store::tenant::tracking::TrackingEvent> for TrackingEventView {
    fn from(e: bazaar_store::tenant::tracking::TrackingEvent) -> Self {
        Self {
            vendor_order_id: e.vendor_order_id,
            source: e.source,
            kind: e.kind,
            description: e.description,
            location: e.location,
            occurred_at: e.occurred_at.into(),
        }
    }
}

/// A change of an order's status.
#[derive(Debug, Object)]
pub struct TransitionView {
    /// None for the order's placing.
    pub from_status: Option<String>,
    pub to_status: String,
    /// Why, in words: a refusal's code, a cancellation's reason, ...
    pub note: Option<String>,
    pub at: Timestamp,
}

impl From<bazaar_store::tenant::orders::Transition> for TransitionView {
    fn from(t: bazaar_store::tenant::orders::Transition) -> Self {
        Self {
            from_status: t.from_status,
            to_status: t.to_status,
            note: t.note,
            at: t.created_at.into(),
        }
    }
}

impl
    From<(
        bazaar_store::tenant::orders::OrderRow,
        bazaar_store::tenant::orders::Contents,
    )> for OrderDetail
{
    fn from(
        (row, contents): (
            bazaar_store::tenant::orders::OrderRow,
            bazaar_store::tenant::orders::Contents,
        ),
    ) -> Self {
        let currency = row.currency;
        Self {
            tracking: contents
                .tracking
                .into_iter()
                .map(TrackingEventView::from)
                .collect(),
            timeline: contents
                .timeline
                .into_iter()
                .map(TransitionView::from)
                .collect(),
            lines: contents
                .lines
                .into_iter()
                .map(|l| OrderLineView::of(l, currency))
                .collect(),
            order: row.into(),
        }
    }
}

impl From<bazaar_store::tenant::orders::OrderRow> for Order {
    fn from(o: bazaar_store::tenant::orders::OrderRow) -> Self {
        let c = o.currency;
        Self {
            id: o.id,
            status: o.status.into(),
            region: o.region,
            region_version: o.region_version,
            subtotal: money(o.subtotal, c),
            shipping_total: money(o.shipping_total, c),
            tax_total: money(o.tax_total, c),
            excise_total: money(o.excise_total, c),
            discount_total: money(o.discount_total, c),
            loyalty_points: o.loyalty_points,
            total: money(o.total, c),
            refunded_total: money(o.refunded, c),
            backordered: o.backordered,
            currency: c.code().to_owned(),
            payment_status: o.payment_status.map(PaymentStatus::from),
            payment_capture: o.payment_capture.map(CaptureMode::from),
            captured_total: o.captured.map(|m| money(m, c)),
            payment_failure: o.failure_code,
            payment_action: o
                .payment_action
                .and_then(|a| serde_json::from_value(a).ok()),
            shipping_address: o
                .shipping_address
                .and_then(|a| serde_json::from_value(a).ok()),
            created_at: o.created_at.into(),
        }
    }
}

/// A delivery window.
#[derive(Debug, Object)]
pub struct QuotedWindow {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// A rule the order breaks.
#[derive(Debug, Object)]
pub struct RuleViolation {
    /// Where in the region pack, e.g. `purchase_limits.cannabis_flower.day`.
    pub rule: String,
    pub code: ViolationCode,
    pub message: String,
}

impl From<bazaar_regions::quote::Violation> for RuleViolation {
    fn from(v: bazaar_regions::quote::Violation) -> Self {
        Self {
            rule: v.rule,
            code: v.code.into(),
            message: v.message,
        }
    }
}

/// A shopper's account.
#[derive(Debug, Object)]
pub struct CustomerView {
    pub id: Uuid,
    /// The brand the account was opened in.
    pub brand_id: Uuid,
    /// Whether the account works in every brand of the tenant.
    pub shared_across_brands: bool,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub loyalty_points: i64,
    pub created_at: Timestamp,
}

impl From<Customer> for CustomerView {
    fn from(c: Customer) -> Self {
        Self {
            id: c.id,
            brand_id: c.brand_id,
            shared_across_brands: c.realm == SHARED_REALM,
            email: c.email,
            email_verified: c.email_verified_at.is_some(),
            name: c.name,
            phone: c.phone,
            date_of_birth: c.date_of_birth,
            loyalty_points: c.loyalty_balance,
            created_at: c.created_at.into(),
        }
    }
}

/// An age verification: who checked the date of birth, how and when.
#[derive(Debug, Object)]
pub struct AgeVerificationView {
    pub id: Uuid,
    pub date_of_birth: NaiveDate,
    /// How it was checked (e.g. `id_document`, `credit_bureau`).
    pub method: String,
    /// The checker's reference.
    pub reference: Option<String>,
    pub verified_at: Timestamp,
    pub verified_by: String,
    pub revoked_at: Option<Timestamp>,
    pub revoked_by: Option<String>,
}

impl From<AgeVerification> for AgeVerificationView {
    fn from(v: AgeVerification) -> Self {
        Self {
            id: v.id,
            date_of_birth: v.date_of_birth,
            method: v.method,
            reference: v.reference,
            verified_at: v.verified_at.into(),
            verified_by: v.verified_by,
            revoked_at: v.revoked_at.map(Timestamp),
            revoked_by: v.revoked_by,
        }
    }
}

/// One purchasable version of a product (a size, a colour...).
#[derive(Debug, Object)]
pub struct Variant {
    pub id: Uuid,
    /// Stock-keeping unit, unique per vendor.
    pub sku: String,
    pub title: String,
    /// Option values, e.g. `{"size": "M", "colour": "blue"}`.
    pub options: BTreeMap<String, String>,
    /// Price as a decimal string in `currency`.
    pub price: String,
    /// ISO 4217.
    pub currency: String,
    /// The "was" price shown struck through, if any.
    pub compare_at_price: Option<String>,
    pub weight_grams: Option<String>,
    /// The tax category the region packs use.
    pub tax_category: String,
    /// Whether buying it needs a verified age.
    pub age_restricted: bool,
    /// Units that may be sold beyond stock; 0 denies backorders.
    pub backorder_limit: i32,
    /// Total available stock at or below which a low-stock event is sent.
    pub low_stock_threshold: Option<i32>,
}

impl From<bazaar_store::tenant::products::Variant> for Variant {
    fn from(v: bazaar_store::tenant::products::Variant) -> Self {
        let options = match v.options {
            serde_json::Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| {
                    (
                        k,
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        Self {
            id: v.id,
            price: money(v.price, v.currency),
            compare_at_price: v.compare_at_price.map(|p| money(p, v.currency)),
            weight_grams: v.weight_grams.map(|w| w.normalize().to_string()),
            sku: v.sku,
            title: v.title,
            options,
            currency: v.currency.code().to_owned(),
            tax_category: v.tax_category,
            age_restricted: v.age_restricted,
            backorder_limit: v.backorder_limit,
            low_stock_threshold: v.low_stock_threshold,
        }
    }
}

/// A product as a browse page shows it.
#[derive(Debug, Object)]
pub struct ProductCard {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub vendor_id: Uuid,
    /// The category's path, e.g. `electronics/phones`.
    pub category_path: Option<String>,
    /// The "from" price in the brand's currency.
    pub price: String,
    pub currency: String,
    /// The first image, if any.
    pub image: Option<String>,
    /// Whether any variant has stock available.
    pub in_stock: bool,
    pub attributes: BTreeMap<String, serde_json::Value>,
    pub listed_at: Timestamp,
}

impl ProductCard {
    /// A browse row as a card priced in `currency`, its image served as
    /// `settings` say.
    pub fn new(settings: &Settings, r: BrowseRow, currency: bazaar_domain::Currency) -> Self {
        Self {
            id: r.id,
            slug: r.slug,
            title: r.title,
            vendor_id: r.vendor_id,
            category_path: r.category_path,
            price: money(r.price.unwrap_or_default(), currency),
            currency: currency.code().to_owned(),
            image: r.images.first().map(|i| settings.image_url(i)),
            in_stock: r.in_stock,
            attributes: match r.attributes {
                serde_json::Value::Object(m) => m.into_iter().collect(),
                _ => Default::default(),
            },
            listed_at: r.listed_at.into(),
        }
    }
}

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum KeyScope {
    /// Operates the deployment (platform endpoints only).
    Platform,
    /// Administers one tenant.
    TenantAdmin,
    /// Acts for one vendor of a tenant (`vendor_id` required).
    Vendor,
    /// A brand's publishable storefront key (`brand_id` required).
    Storefront,
}

impl From<KeyScope> for Scope {
    fn from(s: KeyScope) -> Self {
        match s {
            KeyScope::Platform => Scope::Platform,
            KeyScope::TenantAdmin => Scope::TenantAdmin,
            KeyScope::Vendor => Scope::Vendor,
            KeyScope::Storefront => Scope::Storefront,
        }
    }
}

impl From<Scope> for KeyScope {
    fn from(s: Scope) -> Self {
        match s {
            Scope::Platform => KeyScope::Platform,
            Scope::TenantAdmin => KeyScope::TenantAdmin,
            Scope::Vendor => KeyScope::Vendor,
            Scope::Storefront => KeyScope::Storefront,
        }
    }
}

/// An API key as listings show it: never the secret.
#[derive(Debug, Object)]
pub struct ApiKeyInfo {
    /// Identifier (use it to revoke the key).
    pub id: Uuid,
    /// What the key may do.
    pub scope: KeyScope,
    /// A label chosen at creation.
    pub name: String,
    /// The first characters of the secret, to tell keys apart.
    pub display_prefix: String,
    /// The tenant the key belongs to (absent for platform keys).
    pub tenant_id: Option<Uuid>,
    /// The vendor a vendor key acts for.
    pub vendor_id: Option<Uuid>,
    /// The brand a storefront key belongs to.
    pub brand_id: Option<Uuid>,
    pub created_at: Timestamp,
    /// When the key was revoked; a revoked key is refused.
    pub revoked_at: Option<Timestamp>,
}

impl TryFrom<bazaar_store::control::keys::ApiKey> for ApiKeyInfo {
    type Error = ApiError;

    fn try_from(k: bazaar_store::control::keys::ApiKey) -> ApiResult<Self> {
        let scope: Scope = k.scope.parse().map_err(ApiError::internal)?;
        Ok(Self {
            id: k.id,
            scope: scope.into(),
            name: k.name,
            display_prefix: k.display_prefix,
            tenant_id: k.tenant_id,
            vendor_id: k.vendor_id,
            brand_id: k.brand_id,
            created_at: k.created_at.into(),
            revoked_at: k.revoked_at.map(Timestamp),
        })
    }
}

/// A newly issued key with its secret. The secret is not stored and cannot
/// be shown again.
#[derive(Debug, Object)]
pub struct IssuedKey {
    pub key: ApiKeyInfo,
    /// Send as `Authorization: Bearer <secret>`. Shown this once only.
    pub secret: String,
}

impl TryFrom<bazaar_commerce::keys::IssuedKey> for IssuedKey {
    type Error = ApiError;

    fn try_from(issued: bazaar_commerce::keys::IssuedKey) -> ApiResult<Self> {
        Ok(Self {
            key: issued.key.try_into()?,
            secret: issued.secret,
        })
    }
}
