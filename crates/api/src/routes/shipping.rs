//! `/v1/shipping-rates`: what each vendor charges to ship its part of an
//! order, per region and currency. A rate set for a parent region (`US`)
//! covers its children (`US-CA`) unless the vendor sets one for the child;
//! a vendor with no rate for a cart's region ships free. Carts and checkout
//! price shipping from these rates and tax it as the region's pack taxes
//! the `shipping` category. The edge of `bazaar_commerce::shipping`.

use bazaar_commerce::shipping::{self, NewRate};
use bazaar_store::tenant::shipping::Rate;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Tag, money};
use crate::auth::ApiKey;
use crate::decimal::DecimalString;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::timestamp::Timestamp;

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
    pub updated_at: Timestamp,
}

impl From<Rate> for ShippingRate {
    fn from(r: Rate) -> Self {
        let c = r.currency;
        Self {
            vendor_id: r.vendor_id,
            region: r.region,
            flat: money(r.flat, c),
            per_item: money(r.per_item, c),
            free_over: r.free_over.map(|f| money(f, c)),
            currency: c.code().to_owned(),
            updated_at: r.updated_at.into(),
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
        let rate = NewRate {
            vendor_id: body.vendor_id,
            region: region.0,
            currency: currency.0,
            flat: body.flat.0,
            per_item: body.per_item.map(|p| p.0),
            free_over: body.free_over.map(|f| f.0),
        };
        let saved = shipping::set(&self.state, key, rate).await?;
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
        let rates = shipping::list(&self.state, key, vendor_id.0).await?;
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
        let removed =
            shipping::delete(&self.state, key, vendor_id.0, region.0, &currency.0).await?;
        Ok(Json(removed.into()))
    }
}
