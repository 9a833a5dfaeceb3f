//! `/v1/listings`: which vendor product shows in which brand, with an
//! optional brand-specific price. Tenant admins list any product; a vendor
//! key lists its own products.

use bazaar_domain::Scope;
use bazaar_store::StoreError;
use bazaar_store::tenant::listings::{self as store};
use bazaar_store::tenant::{brands, products};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::products::price;
use super::{Created, Tag, page_request};
use crate::auth::{ApiKey, TenantKey};
use crate::decimal::DecimalString;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A product shown in a brand.
#[derive(Debug, Object)]
pub struct Listing {
    pub id: Uuid,
    pub brand_id: Uuid,
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    /// The brand-specific price, if set (else the product's lowest variant price).
    pub price_override: Option<String>,
    /// The price shoppers see ("from" price), when the product has variants.
    pub price: Option<String>,
    /// Whether the listing is switched on.
    pub active: bool,
    /// Whether shoppers can see it now: an active listing of an active
    /// product with variants, from an approved vendor.
    pub visible: bool,
    /// Whether any variant has stock available.
    pub in_stock: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Listing> for Listing {
    fn from(l: store::Listing) -> Self {
        Self {
            id: l.id,
            brand_id: l.brand_id,
            product_id: l.product_id,
            vendor_id: l.vendor_id,
            price_override: l.price_override.map(|p| p.normalize().to_string()),
            price: l.price.map(|p| p.normalize().to_string()),
            active: l.active,
            visible: l.visible,
            in_stock: l.in_stock,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct ListingPage {
    pub items: Vec<Listing>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateListing {
    pub brand_id: Uuid,
    pub product_id: Uuid,
    /// A brand-specific price in the brand's currency (decimal string).
    pub price_override: Option<DecimalString>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateListing {
    pub active: Option<bool>,
    /// `null` removes the brand-specific price.
    pub price_override: MaybeUndefined<DecimalString>,
}

pub struct ListingsApi {
    pub state: AppState,
}

fn scope(key: &TenantKey) -> ApiResult<()> {
    Ok(key.require(&[Scope::TenantAdmin, Scope::Vendor])?)
}

#[OpenApi(prefix_path = "/v1/listings", tag = "Tag::Listings")]
impl ListingsApi {
    /// List a product in a brand
    #[oai(path = "/", method = "post", operation_id = "create_listing")]
    async fn create(&self, auth: ApiKey, body: Json<CreateListing>) -> ApiResult<Created<Listing>> {
        let key = auth.0.tenant()?;
        scope(key)?;
        let body = body.0;
        let only = key.vendor_id;
        let result = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let brand = match brands::get(conn, body.brand_id).await {
                        Ok(b) => b,
                        Err(StoreError::NotFound) => {
                            return Ok(Err(ApiError::unprocessable("brand_not_found", "no brand with that `brand_id`")));
                        }
                        Err(e) => return Err(e),
                    };
                    let product = match products::get(conn, body.product_id, only).await {
                        Ok(p) => p,
                        Err(StoreError::NotFound) => {
                            return Ok(Err(ApiError::unprocessable("product_not_found", "no product with that `product_id` visible to this key")));
                        }
                        Err(e) => return Err(e),
                    };
                    let override_price = match body.price_override.map(|p| price(p, brand.currency.trim(), "price_override")).transpose() {
                        Ok(p) => p,
                        Err(e) => return Ok(Err(e)),
                    };
                    match store::create(conn, brand.id, product.product.id, product.product.vendor_id, override_price).await {
                        Ok(l) => Ok(Ok(l)),
                        Err(StoreError::Conflict { .. }) => Ok(Err(ApiError::conflict(
                            "already_listed",
                            "this product is already listed in this brand; update that listing instead",
                        ))),
                        Err(e) => Err(e),
                    }
                }
                .boxed()
            })
            .await??;
        bazaar_commerce::catalog_cache::bump(&self.state, key.tenant_id).await;
        Ok(Created::Created(Json(result.into())))
    }

    /// List listings
    #[oai(path = "/", method = "get", operation_id = "list_listings")]
    async fn list(
        &self,
        auth: ApiKey,
        /// Only this brand's listings.
        brand_id: Query<Option<Uuid>>,
        /// How many listings to return (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
    ) -> ApiResult<Json<ListingPage>> {
        let key = auth.0.tenant()?;
        scope(key)?;
        let page = page_request(limit.0, cursor.0);
        let (brand, vendor) = (brand_id.0, key.vendor_id);
        let page = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                store::list(conn, page, brand, vendor).boxed()
            })
            .await?;
        Ok(Json(ListingPage {
            next_cursor: super::next_cursor(page.next_after),
            items: page.items.into_iter().map(Listing::from).collect(),
        }))
    }

    /// Update a listing
    #[oai(
        path = "/:listing_id",
        method = "patch",
        operation_id = "update_listing"
    )]
    async fn update(
        &self,
        auth: ApiKey,
        listing_id: Path<Uuid>,
        body: Json<UpdateListing>,
    ) -> ApiResult<Json<Listing>> {
        let key = auth.0.tenant()?;
        scope(key)?;
        let (id, only, body) = (listing_id.0, key.vendor_id, body.0);
        let result = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let listing = store::get(conn, id).await?;
                    if only.is_some_and(|v| v != listing.vendor_id) {
                        return Err(StoreError::NotFound);
                    }
                    let brand = brands::get(conn, listing.brand_id).await?;
                    let price_override = match body.price_override {
                        MaybeUndefined::Undefined => None,
                        MaybeUndefined::Null => Some(None),
                        MaybeUndefined::Value(p) => {
                            match price(p, brand.currency.trim(), "price_override") {
                                Ok(p) => Some(Some(p)),
                                Err(e) => return Ok(Err(e)),
                            }
                        }
                    };
                    Ok(Ok(
                        store::update(conn, id, body.active, price_override).await?
                    ))
                }
                .boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "listing"))??;
        bazaar_commerce::catalog_cache::bump(&self.state, key.tenant_id).await;
        Ok(Json(result.into()))
    }

    /// Remove a listing
    #[oai(
        path = "/:listing_id",
        method = "delete",
        operation_id = "delete_listing"
    )]
    async fn delete(&self, auth: ApiKey, listing_id: Path<Uuid>) -> ApiResult<Json<Listing>> {
        let key = auth.0.tenant()?;
        scope(key)?;
        let (id, only) = (listing_id.0, key.vendor_id);
        let removed = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let listing = store::get(conn, id).await?;
                    if only.is_some_and(|v| v != listing.vendor_id) {
                        return Err(StoreError::NotFound);
                    }
                    store::delete(conn, id).await
                }
                .boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "listing"))?;
        bazaar_commerce::catalog_cache::bump(&self.state, key.tenant_id).await;
        Ok(Json(removed.into()))
    }
}
