//! `/v1/shipping-rates`: what each vendor charges to ship its part of an
//! order, per region and currency. A rate set for a parent region (`US`)
//! covers its children (`US-CA`) unless the vendor sets one for the child;
//! a vendor with no rate for a cart's region ships free. Carts and checkout
//! price shipping from these rates and tax it as the region's pack taxes
//! the `shipping` category.

use bazaar_domain::{Currency, Scope, validate};
use bazaar_store::StoreError;
use bazaar_store::tenant::shipping::{self as store, Rate};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::products::{acting_vendor, check_vendor, price};
use super::{Tag, money};
use crate::auth::{ApiKey, TenantKey};
use crate::decimal::DecimalString;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct ShippingRate {
    pub vendor_id: Uuid,
    /// A region pack code; covers its child regions too.
    pub region: String,
    pub currency: String,
    /// Charged once per vendor part of an order.
    pub flat: String,
    /// Charged per unit shipped.
    pub per_item: String,
    /// Shipping is free when the part's goods reach this amount.
    pub free_over: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<Rate> for ShippingRate {
    fn from(r: Rate) -> Self {
        let c = r.currency.trim().to_owned();
        Self {
            vendor_id: r.vendor_id,
            region: r.region,
            flat: money(r.flat, &c),
            per_item: money(r.per_item, &c),
            free_over: r.free_over.map(|f| money(f, &c)),
            currency: c,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct ShippingRateList {
    pub items: Vec<ShippingRate>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetShippingRate {
    /// Required with a tenant admin key; a vendor key sets its own.
    pub vendor_id: Option<Uuid>,
    pub flat: DecimalString,
    /// Defaults to nothing per unit.
    pub per_item: Option<DecimalString>,
    /// Leave out for no free-shipping threshold.
    pub free_over: Option<DecimalString>,
}

pub struct ShippingApi {
    pub state: AppState,
}

impl ShippingApi {
    /// `region` as a pack code the tenant sells in, or the parent of one.
    async fn region(&self, key: &TenantKey, region: &str) -> ApiResult<String> {
        validate::region_code(region)?;
        let tenant = bazaar_store::control::tenants::get(&self.state.db, key.tenant_id).await?;
        let set = self.state.regions.current();
        let covers = tenant.regions.iter().any(|own| {
            set.get(own)
                .is_some_and(|r| r.lineage.iter().any(|code| code == region))
                || own == region
        });
        if !covers {
            return Err(ApiError::unprocessable(
                "region_not_enabled",
                format!(
                    "the tenant does not sell in `{region}` or any region under it; its regions are [{}]",
                    tenant.regions.join(", ")
                ),
            ));
        }
        Ok(region.to_owned())
    }
}

#[OpenApi(tag = "Tag::Fulfilment")]
impl ShippingApi {
    /// Set a shipping rate
    ///
    /// Creates or replaces the vendor's rate for a region and currency.
    #[oai(
        path = "/v1/shipping-rates/:region/:currency",
        method = "put",
        operation_id = "set_shipping_rate"
    )]
    async fn set(
        &self,
        auth: ApiKey,
        /// A region pack code (`US`, `US-CA`).
        region: Path<String>,
        /// An ISO 4217 currency code.
        currency: Path<String>,
        body: Json<SetShippingRate>,
    ) -> ApiResult<Json<ShippingRate>> {
        let key = auth.0.tenant()?;
        let body = body.0;
        let vendor_id = acting_vendor(key, body.vendor_id)?;
        let region = self.region(key, &region.0).await?;
        let currency = Currency::parse(&currency.0)?.code().to_owned();
        let flat = price(body.flat, &currency, "flat")?;
        let per_item = body
            .per_item
            .map(|p| price(p, &currency, "per_item"))
            .transpose()?
            .unwrap_or_default();
        let free_over = body
            .free_over
            .map(|f| price(f, &currency, "free_over"))
            .transpose()?;
        if free_over.is_some_and(|f| f.is_zero()) {
            return Err(ApiError::unprocessable(
                "invalid_price",
                "`free_over` must be above zero; leave it out for no free-shipping threshold",
            ));
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
        let saved = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    if let Err(e) = check_vendor(conn, vendor_id, is_vendor_key).await? {
                        return Ok(Err(e));
                    }
                    Ok(Ok(store::put(conn, &rate).await?))
                }
                .boxed()
            })
            .await??;
        Ok(Json(saved.into()))
    }

    /// List shipping rates
    ///
    /// A vendor key sees its own; a tenant admin key names the vendor.
    #[oai(
        path = "/v1/shipping-rates",
        method = "get",
        operation_id = "list_shipping_rates"
    )]
    async fn list(
        &self,
        auth: ApiKey,
        /// Required with a tenant admin key.
        vendor_id: Query<Option<Uuid>>,
    ) -> ApiResult<Json<ShippingRateList>> {
        let key = auth.0.tenant()?;
        let vendor = acting_vendor(key, vendor_id.0)?;
        let rates = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                store::of_vendor(conn, vendor).boxed()
            })
            .await?;
        Ok(Json(ShippingRateList {
            items: rates.into_iter().map(ShippingRate::from).collect(),
        }))
    }

    /// Remove a shipping rate
    #[oai(
        path = "/v1/shipping-rates/:region/:currency",
        method = "delete",
        operation_id = "delete_shipping_rate"
    )]
    async fn delete(
        &self,
        auth: ApiKey,
        /// A region pack code (`US`, `US-CA`).
        region: Path<String>,
        /// An ISO 4217 currency code.
        currency: Path<String>,
        /// Required with a tenant admin key.
        vendor_id: Query<Option<Uuid>>,
    ) -> ApiResult<Json<ShippingRate>> {
        let key = auth.0.tenant()?;
        let vendor = acting_vendor(key, vendor_id.0)?;
        let (region, currency) = (region.0, currency.0.to_ascii_uppercase());
        let removed = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move { store::delete(conn, vendor, &region, &currency).await }.boxed()
            })
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ApiError::not_found(
                    "shipping_rate_not_found",
                    "the vendor has no rate for that region and currency",
                ),
                other => other.into(),
            })?;
        Ok(Json(removed.into()))
    }
}
