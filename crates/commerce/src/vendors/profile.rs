//! A vendor's profile: created by a tenant admin or applied for, and
//! changed by an admin or the vendor itself.

use bazaar_domain::vendor::VendorStatus;
use bazaar_domain::{Scope, Slug, ids, validate};
use bazaar_store::tenant::vendors::{self as store, NewVendor, Vendor, VendorChanges};
use futures_util::FutureExt;
use uuid::Uuid;

use super::{VendorRefusal, optional_text, refused, visible};
use crate::{Outcome, Services, TenantKey, regions};

/// A vendor to create, as the caller wrote it.
#[derive(Debug, Clone)]
pub struct CreateVendor {
    pub slug: String,
    pub name: String,
    pub contact_email: String,
    /// What the vendor sells, in its own words.
    pub description: String,
    /// Region codes the vendor delivers in (regions of the tenant).
    pub regions_served: Vec<String>,
    /// Payout account reference at the tenant's payment provider.
    pub payout_reference: Option<String>,
    /// Initial status for direct creation (default `approved`); an
    /// application takes none.
    pub status: Option<VendorStatus>,
}

/// Changes to a vendor's profile; `None` leaves a field as it is. Status
/// changes go through the actions (approve, reject, suspend, reinstate).
#[derive(Debug, Clone, Default)]
pub struct UpdateVendor {
    /// Only tenant admins may change it.
    pub slug: Option<String>,
    pub name: Option<String>,
    pub contact_email: Option<String>,
    pub description: Option<String>,
    pub regions_served: Option<Vec<String>>,
    pub payout_reference: Option<String>,
}

/// Create a vendor directly (tenant admins only), approved unless the
/// input names a status.
#[tracing::instrument(skip_all, fields(tenant.slug = %key.tenant_slug))]
pub async fn create(
    services: &Services,
    key: &TenantKey,
    input: CreateVendor,
) -> Outcome<Vendor, VendorRefusal> {
    key.admin()?;
    let status = input.status.unwrap_or(VendorStatus::Approved);
    insert(services, key, input, status).await
}

/// Record a prospective vendor's application as `pending`, for a tenant
/// admin to approve or reject (called by the tenant's onboarding site with
/// its admin key).
#[tracing::instrument(skip_all, fields(tenant.slug = %key.tenant_slug))]
pub async fn apply(
    services: &Services,
    key: &TenantKey,
    input: CreateVendor,
) -> Outcome<Vendor, VendorRefusal> {
    key.admin()?;
    if input.status.is_some() {
        return Err(VendorRefusal::UnexpectedStatus.into());
    }
    insert(services, key, input, VendorStatus::Pending).await
}

async fn insert(
    services: &Services,
    key: &TenantKey,
    input: CreateVendor,
    status: VendorStatus,
) -> Outcome<Vendor, VendorRefusal> {
    validate::email(&input.contact_email)?;
    let new = NewVendor {
        id: ids::new_id(),
        slug: Slug::parse(&input.slug)?.to_string(),
        name: validate::display_name("name", &input.name)?,
        contact_email: input.contact_email,
        status: status.as_str().to_owned(),
        description: optional_text("description", Some(input.description), 5000)?
            .unwrap_or_default(),
        regions_served: regions::check_all_enabled(services, key, &input.regions_served).await?,
        payout_reference: optional_text("payout_reference", input.payout_reference, 200)?,
    };
    let actor = key.key_id.to_string();
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move { store::create(conn, new, &actor).await }.boxed()
        })
        .await
        .map_err(refused)
}

/// Change a vendor's profile: a tenant admin any vendor's, a vendor key its
/// own (but not its slug).
#[tracing::instrument(skip_all, fields(vendor.id = %id))]
pub async fn update(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    input: UpdateVendor,
) -> Outcome<Vendor, VendorRefusal> {
    visible(key, id)?;
    if key.scope == Scope::Vendor && input.slug.is_some() {
        return Err(VendorRefusal::SlugNeedsAdmin.into());
    }
    if let Some(email) = &input.contact_email {
        validate::email(email)?;
    }
    let regions_served = match &input.regions_served {
        Some(r) => Some(regions::check_all_enabled(services, key, r).await?),
        None => None,
    };
    let changes = VendorChanges {
        slug: input
            .slug
            .map(|s| Slug::parse(&s).map(|s| s.to_string()))
            .transpose()?,
        name: input
            .name
            .map(|n| validate::display_name("name", &n))
            .transpose()?,
        contact_email: input.contact_email,
        description: optional_text("description", input.description, 5000)?,
        regions_served,
        payout_reference: optional_text("payout_reference", input.payout_reference, 200)?.map(Some),
        ..Default::default()
    };
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            store::update(conn, id, changes).boxed()
        })
        .await
        .map_err(refused)
}
