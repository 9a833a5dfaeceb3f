//! Wire types that several resources answer with (an order, a delivery
//! window, a rule broken, an issued API key), declared once so no route
//! module imports another.

use bazaar_domain::Scope;
use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::routes::money;

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

impl From<bazaar_store::tenant::orders::OrderRow> for Order {
    fn from(o: bazaar_store::tenant::orders::OrderRow) -> Self {
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

/// A delivery window.
#[derive(Debug, Object)]
pub struct QuotedWindow {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// A rule the order breaks.
#[derive(Debug, Object)]
pub struct RuleViolation {
    /// Where in the region pack, e.g. `purchase_limits.cannabis_flower.day`.
    pub rule: String,
    /// Stable code: `restricted_category`, `age_verification_required`,
    /// `purchase_limit_exceeded`, `below_minimum_order`, `measure_required`,
    /// `incompatible_measure`.
    pub code: String,
    pub message: String,
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
    pub created_at: DateTime<Utc>,
    /// When the key was revoked; a revoked key is refused.
    pub revoked_at: Option<DateTime<Utc>>,
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
            created_at: k.created_at,
            revoked_at: k.revoked_at,
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
