//! Vendors' products: created with their variants, changed, read. A vendor
//! key works on its own vendor's products only (another's is not found); a
//! tenant admin key on any vendor's.

mod checks;
mod create;
mod update;

use bazaar_domain::{DomainError, Scope};
use bazaar_store::page::PageRequest;
use bazaar_store::tenant::listings::{self, Refresh};
use bazaar_store::tenant::products::{self as store, ProductWithVariants};
use bazaar_store::{Page, StoreError, TenantConn};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use uuid::Uuid;

use crate::acting::ActingRefusal;
use crate::context::AccessRefusal;
use crate::prices::PriceRefusal;
use crate::{Failure, Outcome, Services, TenantKey, catalog_cache, refusals};

use checks::{attributes, images};
pub(crate) use checks::{codes, new_variant, options_json, sku, tax_category};
pub use create::{ProductDraft, create};
pub use update::{ProductEdit, update};

/// At most this many variants per product.
pub const MAX_VARIANTS: usize = 100;

/// Where a product is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Being prepared; never shown to shoppers.
    Draft,
    /// Shown in the brands it is listed in.
    Active,
    /// Withdrawn; kept for order history.
    Archived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Active => "active",
            Status::Archived => "archived",
        }
    }
}

refusals! {
    /// Why a product or one of its variants cannot be created, changed or
    /// shown.
    pub enum ProductRefusal {
        Access(AccessRefusal) => delegate;
        /// The vendor the write acts for is not the key's, unknown, or not
        /// approved.
        Acting(ActingRefusal) => delegate;
        /// A slug, title or currency breaks a domain rule.
        Invalid(DomainError) => delegate;
        Price(PriceRefusal) => delegate;
        NotFound => NotFound, "product_not_found", "no product with that id is visible to this key";
        VariantNotFound => NotFound, "variant_not_found", "no variant with that id in this product";
        VariantOrdered => Conflict, "variant_ordered",
            "this variant has been ordered and stays for the orders' history; archive the product or set its stock to zero to stop selling it";
        VariantsRequired => Unprocessable, "variants_required", "a product needs at least one variant";
        /// A new product with more variants than allowed.
        TooManyVariants { max: usize, have: usize } => Unprocessable, "too_many_variants",
            "a product has at most {max} variants; this one has {have}";
        /// A product that already has as many variants as allowed.
        VariantLimit { max: usize } => Unprocessable, "too_many_variants",
            "a product has at most {max} variants";
        CategoryNotFound => Unprocessable, "unknown_category", "no category with that `category_id`";
        CurrencyNotSold { currency: String, sold: String } => Unprocessable, "currency_not_sold",
            "the tenant does not sell in {currency}; its brands sell in [{sold}]";
        InvalidSku { sku: String } => Unprocessable, "invalid_sku",
            "`{sku}` is not a SKU: use 1-64 letters, digits, `.`, `_` or `-`";
        DuplicateSku { sku: String } => Unprocessable, "duplicate_sku",
            "SKU `{sku}` appears twice in this product";
        UnknownTaxCategory { category: String, known: String } => Unprocessable,
            "unknown_tax_category", "`{category}` is not a tax category; use one of {known}";
        TooManyAttributes => Unprocessable, "too_many_attributes", "a product has at most 50 attributes";
        AttributeName => Unprocessable, "invalid_attribute", "attribute names are 1-64 characters";
        AttributeValue { name: String } => Unprocessable, "invalid_attribute",
            "attribute `{name}` must be a string, number or boolean";
        TooManyImages => Unprocessable, "too_many_images", "a product has at most 20 images";
        InvalidImage { image: String } => Unprocessable, "invalid_image",
            "`{image}` is not an image URL: use https://... or a path under the CDN";
        NegativeWeight => Unprocessable, "invalid_weight", "`weight_grams` cannot be negative";
        NegativeThreshold => Unprocessable, "invalid_threshold",
            "`low_stock_threshold` cannot be negative";
        /// The vendor's unique SKU (`variants_vendor_id_sku_key`).
        SkuTaken => Conflict, "sku_taken", "the vendor already has a variant with this SKU";
        /// The vendor's unique product slug (`products_vendor_id_slug_key`).
        SlugTaken => Conflict, "slug_taken", "the vendor already has a product with this slug";
    }
}

/// A product write's store failure as the caller can act on it: a taken
/// SKU or slug, or a product that is not there (the transaction rolled
/// back).
fn write_failure(e: StoreError) -> Failure<ProductRefusal> {
    match e {
        StoreError::Conflict { constraint } if constraint.contains("sku") => {
            ProductRefusal::SkuTaken.into()
        }
        StoreError::Conflict { constraint } if constraint.contains("slug") => {
            ProductRefusal::SlugTaken.into()
        }
        StoreError::NotFound => ProductRefusal::NotFound.into(),
        other => Failure::Store(other),
    }
}

/// Run a write for `key` on product `id` (which the key must see, of a
/// vendor that may sell), refresh the product's listings when it succeeds,
/// and invalidate the cached storefront pages. `work` runs inside the
/// transaction; its `Ok(Err(..))` is a refusal (the transaction commits,
/// nothing having been written).
pub(crate) async fn write<T, F>(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    work: F,
) -> Outcome<T, ProductRefusal>
where
    T: Send + 'static,
    F: for<'r> FnOnce(
            &'r mut TenantConn,
        ) -> BoxFuture<'r, Result<Result<T, ProductRefusal>, StoreError>>
        + Send
        + 'static,
{
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    let only = key.vendor_id;
    let is_vendor_key = key.scope == Scope::Vendor;
    let result = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let product = store::get(conn, id, only).await?;
                if let Err(e) =
                    crate::acting::check_vendor(conn, product.product.vendor_id, is_vendor_key)
                        .await?
                {
                    return Ok(Err(e.into()));
                }
                let out = work(conn).await?;
                if out.is_ok() {
                    listings::refresh(conn, Refresh::Products(&[id])).await?;
                }
                Ok(out)
            }
            .boxed()
        })
        .await
        .map_err(write_failure)?
        .map_err(Failure::Refused)?;
    catalog_cache::bump(services, key.tenant_id).await;
    Ok(result)
}

/// The product as it is now, read on the primary (so a write just made is
/// seen).
pub(crate) async fn load(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
) -> Outcome<ProductWithVariants, ProductRefusal> {
    let only = key.vendor_id;
    services
        .db
        .tenant_tx(&key.schema, move |conn| store::get(conn, id, only).boxed())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ProductRefusal::NotFound.into(),
            other => Failure::Store(other),
        })
}

/// One product with its variants.
pub async fn get(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
) -> Outcome<ProductWithVariants, ProductRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    load(services, key, id).await
}

/// A page of products, oldest first: a vendor key's own, or (tenant admin)
/// all of them or `vendor`'s.
pub async fn list(
    services: &Services,
    key: &TenantKey,
    vendor: Option<Uuid>,
    page: PageRequest,
) -> Outcome<Page<ProductWithVariants>, ProductRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    let vendor = key.vendor_id.or(vendor);
    Ok(services
        .db
        .tenant_read(&key.schema, move |conn| {
            store::list(conn, page, vendor).boxed()
        })
        .await?)
}
