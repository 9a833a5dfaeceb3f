//! Listings: which vendor product shows in which brand, with an optional
//! brand-specific price. Tenant admins list any product; a vendor key
//! lists its own products (another vendor's listing is not found).

use bazaar_domain::Scope;
use bazaar_store::page::PageRequest;
use bazaar_store::tenant::listings::{self as store, Listing};
use bazaar_store::tenant::{brands, products};
use bazaar_store::{Page, StoreError};
use futures_util::FutureExt;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::context::AccessRefusal;
use crate::prices::{self, PriceRefusal};
use crate::{Failure, Outcome, Services, TenantKey, catalog_cache, refusals};

refusals! {
    /// Why a listing cannot be created, changed or removed.
    pub enum ListingRefusal {
        Access(AccessRefusal) => delegate;
        Price(PriceRefusal) => delegate;
        BrandNotFound => Unprocessable, "unknown_brand", "no brand with that `brand_id`";
        ProductNotFound => Unprocessable, "unknown_product",
            "no product with that `product_id` visible to this key";
        /// The brand and product are unique together
        /// (`listings_brand_id_product_id_key`).
        AlreadyListed => Conflict, "already_listed",
            "this product is already listed in this brand; update that listing instead";
        NotFound => NotFound, "listing_not_found", "no listing with that id is visible to this key";
    }
}

/// A product to list in a brand.
#[derive(Debug, Clone)]
pub struct NewListing {
    pub brand_id: Uuid,
    pub product_id: Uuid,
    /// A price in the brand's currency instead of the product's own.
    pub price_override: Option<Decimal>,
}

/// Changes to a listing; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ListingEdit {
    pub active: Option<bool>,
    /// `Some(None)` removes the brand-specific price.
    pub price_override: Option<Option<Decimal>>,
}

fn scope(key: &TenantKey) -> Result<(), AccessRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])
}

/// A store failure after the transaction rolled back: a listing that is
/// not there (or not the vendor key's).
fn missing(e: StoreError) -> Failure<ListingRefusal> {
    match e {
        StoreError::NotFound => ListingRefusal::NotFound.into(),
        other => Failure::Store(other),
    }
}

/// List a product in a brand.
#[tracing::instrument(skip_all, fields(brand.id = %new.brand_id, product.id = %new.product_id))]
pub async fn create(
    services: &Services,
    key: &TenantKey,
    new: NewListing,
) -> Outcome<Listing, ListingRefusal> {
    scope(key)?;
    let only = key.vendor_id;
    let listing = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let brand = match brands::get(conn, new.brand_id).await {
                    Ok(b) => b,
                    Err(StoreError::NotFound) => return Ok(Err(ListingRefusal::BrandNotFound)),
                    Err(e) => return Err(e),
                };
                let product = match products::get(conn, new.product_id, only).await {
                    Ok(p) => p,
                    Err(StoreError::NotFound) => return Ok(Err(ListingRefusal::ProductNotFound)),
                    Err(e) => return Err(e),
                };
                let price_override = match new
                    .price_override
                    .map(|p| prices::amount(p, brand.currency, "price_override"))
                    .transpose()
                {
                    Ok(p) => p,
                    Err(e) => return Ok(Err(e.into())),
                };
                let created = store::create(
                    conn,
                    brand.id,
                    product.product.id,
                    product.product.vendor_id,
                    price_override,
                )
                .await;
                match created {
                    Ok(l) => Ok(Ok(l)),
                    Err(StoreError::Conflict { .. }) => Ok(Err(ListingRefusal::AlreadyListed)),
                    Err(e) => Err(e),
                }
            }
            .boxed()
        })
        .await?
        .map_err(Failure::Refused)?;
    catalog_cache::bump(services, key.tenant_id).await;
    Ok(listing)
}

/// A page of listings, oldest first: optionally one brand's; a vendor
/// key's own only.
pub async fn list(
    services: &Services,
    key: &TenantKey,
    brand: Option<Uuid>,
    page: PageRequest,
) -> Outcome<Page<Listing>, ListingRefusal> {
    scope(key)?;
    let vendor = key.vendor_id;
    Ok(services
        .db
        .tenant_read(&key.schema, move |conn| {
            store::list(conn, page, brand, vendor).boxed()
        })
        .await?)
}

/// Switch a listing on or off, or set or remove its brand price.
#[tracing::instrument(skip_all, fields(listing.id = %id))]
pub async fn update(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    edit: ListingEdit,
) -> Outcome<Listing, ListingRefusal> {
    scope(key)?;
    let only = key.vendor_id;
    let listing = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let listing = store::get(conn, id).await?;
                if only.is_some_and(|v| v != listing.vendor_id) {
                    return Err(StoreError::NotFound);
                }
                let brand = brands::get(conn, listing.brand_id).await?;
                let price_override = match edit.price_override {
                    None => None,
                    Some(None) => Some(None),
                    Some(Some(p)) => match prices::amount(p, brand.currency, "price_override") {
                        Ok(p) => Some(Some(p)),
                        Err(e) => return Ok(Err(ListingRefusal::from(e))),
                    },
                };
                Ok(Ok(
                    store::update(conn, id, edit.active, price_override).await?
                ))
            }
            .boxed()
        })
        .await
        .map_err(missing)?
        .map_err(Failure::Refused)?;
    catalog_cache::bump(services, key.tenant_id).await;
    Ok(listing)
}

/// Remove a listing; answers it as it was.
#[tracing::instrument(skip_all, fields(listing.id = %id))]
pub async fn delete(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
) -> Outcome<Listing, ListingRefusal> {
    scope(key)?;
    let only = key.vendor_id;
    let removed = services
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
        .map_err(missing)?;
    catalog_cache::bump(services, key.tenant_id).await;
    Ok(removed)
}
