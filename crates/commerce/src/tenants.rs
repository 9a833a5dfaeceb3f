//! Tenants, as the platform operator manages them: created (which
//! provisions the tenant's schema), listed, changed, suspended and resumed.
//! Suspending or resuming a tenant forgets its keys' cached grants, so the
//! change takes effect on the next request on every node.

use bazaar_domain::{DomainError, Slug, validate};
use bazaar_store::control::keys as key_store;
use bazaar_store::control::tenants::{self as store, ACTIVE, NewTenant, SUSPENDED, Tenant};
use bazaar_store::page::PageRequest;
use bazaar_store::{Db, Page, StoreError};
use uuid::Uuid;

use crate::regions::{self, RegionRefusal};
use crate::{Failure, Outcome, Services, keys, refusals};

refusals! {
    /// Why a tenant cannot be created, shown or changed.
    pub enum TenantRefusal {
        Invalid(DomainError) => delegate;
        Region(RegionRefusal) => delegate;
        NotFound => NotFound, "tenant_not_found", "no tenant with that id is visible to this key";
        SlugTaken => Conflict, "slug_taken", "another tenant already has this slug";
    }
}

/// A tenant to create, as the operator wrote it.
#[derive(Debug, Clone)]
pub struct CreateTenant {
    pub slug: String,
    pub name: String,
    /// Region codes the tenant sells in.
    pub regions: Vec<String>,
}

/// Changes to a tenant; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdateTenant {
    pub name: Option<String>,
    /// Replaces the list of regions.
    pub regions: Option<Vec<String>>,
}

/// The refusal for a store failure: the tenant missing, or its slug taken.
fn refused(err: StoreError) -> Failure<TenantRefusal> {
    match err {
        StoreError::NotFound => TenantRefusal::NotFound.into(),
        StoreError::Conflict { constraint } if constraint == "tenants_slug_key" => {
            TenantRefusal::SlugTaken.into()
        }
        other => other.into(),
    }
}

/// Create a tenant and provision its schema. The slug is permanent: it
/// names the schema. Every region must have a pack in force.
#[tracing::instrument(skip_all, fields(tenant.slug = %input.slug))]
pub async fn create(services: &Services, input: CreateTenant) -> Outcome<Tenant, TenantRefusal> {
    let new = NewTenant {
        slug: Slug::parse(&input.slug)?,
        name: validate::display_name("name", &input.name)?,
        regions: regions::codes(input.regions)?,
    };
    regions::check_in_force(services, &new.regions)?;
    let tenant = provision(&services.db, new).await?;
    tracing::info!(tenant.slug = %tenant.slug, "tenant created");
    Ok(tenant)
}

/// Insert a tenant whose fields are already checked and provision its
/// schema: the last step of [`create`], and how `bazaar tenant apply`
/// creates the tenant of a manifest.
pub async fn provision(db: &Db, new: NewTenant) -> Outcome<Tenant, TenantRefusal> {
    store::create(db, new).await.map_err(refused)
}

/// Tenants, oldest first.
pub async fn list(services: &Services, page: PageRequest) -> Outcome<Page<Tenant>, TenantRefusal> {
    Ok(store::list(&services.db, page).await?)
}

/// One tenant.
pub async fn get(services: &Services, id: Uuid) -> Outcome<Tenant, TenantRefusal> {
    store::get(&services.db, id).await.map_err(refused)
}

/// Change a tenant's name or regions (each region with a pack in force).
#[tracing::instrument(skip_all, fields(tenant.id = %id))]
pub async fn update(
    services: &Services,
    id: Uuid,
    input: UpdateTenant,
) -> Outcome<Tenant, TenantRefusal> {
    let name = input
        .name
        .map(|n| validate::display_name("name", &n))
        .transpose()?;
    let regions = input.regions.map(regions::codes).transpose()?;
    if let Some(codes) = &regions {
        regions::check_in_force(services, codes)?;
    }
    change(&services.db, id, name, regions).await
}

/// Set a tenant's checked name or regions: the last step of [`update`],
/// and how `bazaar tenant apply` changes the tenant of a manifest.
pub async fn change(
    db: &Db,
    id: Uuid,
    name: Option<String>,
    regions: Option<Vec<String>>,
) -> Outcome<Tenant, TenantRefusal> {
    store::update(db, id, name, regions).await.map_err(refused)
}

/// Suspend a tenant: every key of it is refused with `tenant_suspended`
/// from the next request on. Data is kept.
#[tracing::instrument(skip_all, fields(tenant.id = %id))]
pub async fn suspend(
    services: &Services,
    id: Uuid,
    reason: Option<String>,
) -> Outcome<Tenant, TenantRefusal> {
    let tenant = set_status(services, id, SUSPENDED, reason).await?;
    tracing::info!(tenant.slug = %tenant.slug, "tenant suspended");
    Ok(tenant)
}

/// Resume a suspended tenant: its keys work again from the next request on.
#[tracing::instrument(skip_all, fields(tenant.id = %id))]
pub async fn resume(services: &Services, id: Uuid) -> Outcome<Tenant, TenantRefusal> {
    let tenant = set_status(services, id, ACTIVE, None).await?;
    tracing::info!(tenant.slug = %tenant.slug, "tenant resumed");
    Ok(tenant)
}

/// Set the status and forget the cached grants of every key of the tenant.
async fn set_status(
    services: &Services,
    id: Uuid,
    status: &'static str,
    reason: Option<String>,
) -> Outcome<Tenant, TenantRefusal> {
    let tenant = store::set_status(&services.db, id, status, reason)
        .await
        .map_err(refused)?;
    let hashes = key_store::hashes(&services.db, Some(tenant.id), None).await?;
    keys::forget(services, &hashes).await;
    Ok(tenant)
}
