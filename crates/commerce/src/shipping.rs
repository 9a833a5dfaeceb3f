//! Shipping rates: what each vendor charges to ship its part of an order,
//! per region and currency. A rate set for a parent region (`US`) covers
//! its children (`US-CA`) unless the vendor sets one for the child; a
//! vendor with no rate for a cart's region ships free. Carts and checkout
//! price shipping from these rates.

use bazaar_domain::{Currency, DomainError, Scope, validate};
use bazaar_store::StoreError;
use bazaar_store::control::tenants;
use bazaar_store::tenant::shipping::{self as store, Rate};
use chrono::Utc;
use futures_util::FutureExt;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::acting::{self, ActingRefusal};
use crate::prices::{self, PriceRefusal};
use crate::{Failure, Outcome, Services, TenantKey, refusals};

refusals! {
    /// Why a shipping rate cannot be set or removed.
    pub enum ShippingRefusal {
        Acting(ActingRefusal) => delegate;
        /// The region or currency code is malformed.
        Invalid(DomainError) => delegate;
        Price(PriceRefusal) => delegate;
        RegionNotEnabled { region: String, enabled: String } => Unprocessable,
            "region_not_enabled",
            "the tenant does not sell in `{region}` or any region under it; its regions are [{enabled}]";
        FreeOverZero => Unprocessable, "invalid_price",
            "`free_over` must be above zero; leave it out for no free-shipping threshold";
        NotFound => NotFound, "shipping_rate_not_found",
            "the vendor has no rate for that region and currency";
    }
}

/// A rate as the vendor sets it; amounts in the rate's currency.
#[derive(Debug, Clone)]
pub struct NewRate {
    /// Required with a tenant admin key; a vendor key sets its own.
    pub vendor_id: Option<Uuid>,
    /// A region pack code the tenant sells in, or the parent of one.
    pub region: String,
    /// An ISO 4217 code.
    pub currency: String,
    /// Charged once per vendor part of an order.
    pub flat: Decimal,
    /// Charged per unit shipped (default nothing).
    pub per_item: Option<Decimal>,
    /// Shipping is free when the part's goods reach this amount.
    pub free_over: Option<Decimal>,
}

/// `region` as a pack code the tenant sells in, or the parent of one.
async fn covered_region(
    services: &Services,
    key: &TenantKey,
    region: &str,
) -> Outcome<String, ShippingRefusal> {
    validate::region_code(region)?;
    let tenant = tenants::get(&services.db, key.tenant_id).await?;
    let set = services.regions.current();
    let covers = tenant.regions.iter().any(|own| {
        set.get(own)
            .is_some_and(|r| r.lineage.iter().any(|code| code == region))
            || own == region
    });
    if !covers {
        return Err(ShippingRefusal::RegionNotEnabled {
            region: region.to_owned(),
            enabled: tenant.regions.join(", "),
        }
        .into());
    }
    Ok(region.to_owned())
}

/// Create or replace the vendor's rate for a region and currency.
#[tracing::instrument(skip_all, fields(region = %new.region))]
pub async fn set(
    services: &Services,
    key: &TenantKey,
    new: NewRate,
) -> Outcome<Rate, ShippingRefusal> {
    let vendor_id = acting::vendor_for(key, new.vendor_id)?;
    let region = covered_region(services, key, &new.region).await?;
    let currency = Currency::parse(&new.currency)?;
    let flat = prices::amount(new.flat, currency, "flat")?;
    let per_item = new
        .per_item
        .map(|p| prices::amount(p, currency, "per_item"))
        .transpose()?
        .unwrap_or_default();
    let free_over = new
        .free_over
        .map(|f| prices::amount(f, currency, "free_over"))
        .transpose()?;
    if free_over.is_some_and(|f| f.is_zero()) {
        return Err(ShippingRefusal::FreeOverZero.into());
    }
    let rate = Rate {
        vendor_id,
        region,
        currency,
        flat,
        per_item,
        free_over,
        updated_at: Utc::now(),
    };
    let is_vendor_key = key.scope == Scope::Vendor;
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                if let Err(e) = acting::check_vendor(conn, vendor_id, is_vendor_key).await? {
                    return Ok(Err(e.into()));
                }
                Ok(Ok(store::put(conn, &rate).await?))
            }
            .boxed()
        })
        .await?
        .map_err(Failure::Refused)
}

/// The rates of the key's vendor (or the one a tenant admin names).
pub async fn list(
    services: &Services,
    key: &TenantKey,
    vendor_id: Option<Uuid>,
) -> Outcome<Vec<Rate>, ShippingRefusal> {
    let vendor = acting::vendor_for(key, vendor_id)?;
    Ok(services
        .db
        .tenant_read(&key.schema, move |conn| {
            store::of_vendor(conn, vendor).boxed()
        })
        .await?)
}

/// Remove the vendor's rate for a region and currency; answers it as it
/// was.
#[tracing::instrument(skip_all, fields(region = %region))]
pub async fn delete(
    services: &Services,
    key: &TenantKey,
    vendor_id: Option<Uuid>,
    region: String,
    currency: &str,
) -> Outcome<Rate, ShippingRefusal> {
    let vendor = acting::vendor_for(key, vendor_id)?;
    let currency = currency.to_ascii_uppercase();
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move { store::delete(conn, vendor, &region, &currency).await }.boxed()
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ShippingRefusal::NotFound.into(),
            other => Failure::Store(other),
        })
}
