//! `/v1/listings`: which vendor product shows in which brand, with an
//! optional brand-specific price; the edge of
//! `bazaar_commerce::catalog::listings`. Tenant admins list any product; a
//! vendor key lists its own products.

use bazaar_commerce::catalog::listings::{self, ListingEdit, NewListing};
use bazaar_store::tenant::listings as store;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, money, next_cursor, page_request};
use crate::auth::ApiKey;
use crate::decimal::DecimalString;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::timestamp::Timestamp;

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
    /// The brand's currency, which both prices are in.
    pub currency: String,
    /// Whether the listing is switched on.
    pub active: bool,
    /// Whether shoppers can see it now: an active listing of an active
    /// product with variants, from an approved vendor.
    pub visible: bool,
    /// Whether any variant has stock available.
    pub in_stock: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<store::Listing> for Listing {
    fn from(l: store::Listing) -> Self {
        Self {
            id: l.id,
            brand_id: l.brand_id,
            product_id: l.product_id,
            vendor_id: l.vendor_id,
            price_override: l.price_override.map(|p| money(p, l.currency)),
            price: l.price.map(|p| money(p, l.currency)),
            currency: l.currency.code().to_owned(),
            active: l.active,
            visible: l.visible,
            in_stock: l.in_stock,
            created_at: l.created_at.into(),
            updated_at: l.updated_at.into(),
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

impl From<CreateListing> for NewListing {
    fn from(l: CreateListing) -> Self {
        Self {
            brand_id: l.brand_id,
            product_id: l.product_id,
            price_override: l.price_override.map(|p| p.0),
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateListing {
    pub active: Option<bool>,
    /// `null` removes the brand-specific price.
    pub price_override: MaybeUndefined<DecimalString>,
}

impl From<UpdateListing> for ListingEdit {
    fn from(l: UpdateListing) -> Self {
        Self {
            active: l.active,
            price_override: match l.price_override {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(p) => Some(Some(p.0)),
            },
        }
    }
}

pub struct ListingsApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/listings", tag = "Tag::Listings")]
impl ListingsApi {
    /// List a product in a brand
    #[oai(path = "/", method = "post", operation_id = "create_listing")]
    async fn create(&self, auth: ApiKey, body: Json<CreateListing>) -> ApiResult<Created<Listing>> {
        let key = auth.0.tenant()?;
        let listing = listings::create(&self.state, key, body.0.into()).await?;
        Ok(Created::Created(Json(listing.into())))
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
        let page = listings::list(
            &self.state,
            key,
            brand_id.0,
            page_request(limit.0, cursor.0),
        )
        .await?;
        Ok(Json(ListingPage {
            next_cursor: next_cursor(page.next_after),
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
        let listing = listings::update(&self.state, key, listing_id.0, body.0.into()).await?;
        Ok(Json(listing.into()))
    }

    /// Remove a listing
    #[oai(
        path = "/:listing_id",
        method = "delete",
        operation_id = "delete_listing"
    )]
    async fn delete(&self, auth: ApiKey, listing_id: Path<Uuid>) -> ApiResult<Json<Listing>> {
        let key = auth.0.tenant()?;
        let removed = listings::delete(&self.state, key, listing_id.0).await?;
        Ok(Json(removed.into()))
    }
}
