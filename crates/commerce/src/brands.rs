//! A tenant's brands (storefronts). Tenant admins create and change them;
//! vendor keys read them; a storefront key sees its own brand only (another
//! brand is not found, as if it did not exist).

use bazaar_domain::{Currency, DomainError, Slug, ids, validate};
use bazaar_store::page::PageRequest;
use bazaar_store::tenant::brands::{self as store, Brand, BrandChanges, NewBrand};
use bazaar_store::{Page, StoreError};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::context::AccessRefusal;
use crate::regions::{self, RegionRefusal};
use crate::{Failure, Outcome, Services, TenantKey, refusals};

refusals! {
    /// Why a brand cannot be created, shown or changed.
    pub enum BrandRefusal {
        Access(AccessRefusal) => delegate;
        Invalid(DomainError) => delegate;
        Region(RegionRefusal) => delegate;
        NotFound => NotFound, "brand_not_found", "no brand with that id is visible to this key";
        SlugTaken => Conflict, "slug_taken", "another brand already has this slug";
    }
}

/// A brand to create, as the caller wrote it.
#[derive(Debug, Clone)]
pub struct CreateBrand {
    pub slug: String,
    pub name: String,
    /// One of the tenant's regions.
    pub default_region: Option<String>,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Host names the storefront is served on.
    pub domains: Vec<String>,
}

/// Changes to a brand; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdateBrand {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub default_region: Option<String>,
    pub currency: Option<String>,
    pub domains: Option<Vec<String>>,
}

/// The refusal for a store failure: the brand missing, or its slug taken.
fn refused(err: StoreError) -> Failure<BrandRefusal> {
    match err {
        StoreError::NotFound => BrandRefusal::NotFound.into(),
        StoreError::Conflict { constraint } if constraint == "brands_slug_key" => {
            BrandRefusal::SlugTaken.into()
        }
        other => other.into(),
    }
}

/// Check host names and return them de-duplicated, in order.
fn domains(raw: Vec<String>) -> Result<Vec<String>, DomainError> {
    let mut out = Vec::with_capacity(raw.len());
    for domain in raw {
        validate::hostname(&domain)?;
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    Ok(out)
}

/// Create a brand (tenant admins only); its default region must be one the
/// tenant sells in.
#[tracing::instrument(skip_all, fields(tenant.slug = %key.tenant_slug))]
pub async fn create(
    services: &Services,
    key: &TenantKey,
    input: CreateBrand,
) -> Outcome<Brand, BrandRefusal> {
    key.admin()?;
    if let Some(region) = &input.default_region {
        regions::check_enabled(services, key, region).await?;
    }
    let new = NewBrand {
        id: ids::new_id(),
        slug: Slug::parse(&input.slug)?.to_string(),
        name: validate::display_name("name", &input.name)?,
        default_region: input.default_region,
        currency: Currency::parse(&input.currency)?,
        domains: domains(input.domains)?,
    };
    services
        .db
        .tenant_tx(&key.schema, |conn| store::create(conn, new).boxed())
        .await
        .map_err(refused)
}

/// The tenant's brands, oldest first; a storefront key sees only its own.
pub async fn list(
    services: &Services,
    key: &TenantKey,
    page: PageRequest,
) -> Outcome<Page<Brand>, BrandRefusal> {
    let only = key.brand_id;
    Ok(services
        .db
        .tenant_read(&key.schema, move |conn| {
            store::list(conn, page, only).boxed()
        })
        .await?)
}

/// One brand; a storefront key sees its own only.
pub async fn get(services: &Services, key: &TenantKey, id: Uuid) -> Outcome<Brand, BrandRefusal> {
    if key.brand_id.is_some_and(|own| own != id) {
        return Err(BrandRefusal::NotFound.into());
    }
    services
        .db
        .tenant_read(&key.schema, move |conn| store::get(conn, id).boxed())
        .await
        .map_err(refused)
}

/// Change a brand (tenant admins only).
#[tracing::instrument(skip_all, fields(brand.id = %id))]
pub async fn update(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    input: UpdateBrand,
) -> Outcome<Brand, BrandRefusal> {
    key.admin()?;
    if let Some(region) = &input.default_region {
        regions::check_enabled(services, key, region).await?;
    }
    let changes = BrandChanges {
        slug: input
            .slug
            .map(|s| Slug::parse(&s).map(|s| s.to_string()))
            .transpose()?,
        name: input
            .name
            .map(|n| validate::display_name("name", &n))
            .transpose()?,
        default_region: input.default_region.map(Some),
        currency: input.currency.map(|c| Currency::parse(&c)).transpose()?,
        domains: input.domains.map(domains).transpose()?,
    };
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            store::update(conn, id, changes).boxed()
        })
        .await
        .map_err(refused)
}
