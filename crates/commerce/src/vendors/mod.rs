//! A tenant's vendors (sellers) and their onboarding. A vendor applies
//! (pending), a tenant admin approves it (which issues the vendor's key),
//! rejects, suspends or reinstates it; every change is kept in its history.
//! A vendor key sees and changes its own vendor only (another vendor is not
//! found, as if it did not exist). Storefront keys have no access.

mod profile;
mod status;

use bazaar_domain::vendor::VendorStatus;
use bazaar_domain::{DomainError, Scope};
use bazaar_store::page::PageRequest;
use bazaar_store::tenant::vendors::{self as store, StatusEvent, Vendor};
use bazaar_store::{Page, StoreError};
use futures_util::FutureExt;
use uuid::Uuid;

pub use profile::{CreateVendor, UpdateVendor, apply, create, update};
pub use status::{Approval, approve, reinstate, reject, suspend};

use crate::context::AccessRefusal;
use crate::keys::KeyRefusal;
use crate::regions::RegionRefusal;
use crate::{Failure, Outcome, Services, TenantKey, refusals};

refusals! {
    /// Why a vendor cannot be created, shown or changed.
    pub enum VendorRefusal {
        Access(AccessRefusal) => delegate;
        Invalid(DomainError) => delegate;
        Region(RegionRefusal) => delegate;
        /// The vendor's first key could not be issued on approval.
        Key(KeyRefusal) => delegate;
        NotFound => NotFound, "vendor_not_found", "no vendor with that id is visible to this key";
        SlugTaken => Conflict, "slug_taken", "another vendor already has this slug";
        /// A vendor key changing its vendor's slug.
        SlugNeedsAdmin => Forbidden, "insufficient_scope",
            "a vendor key cannot change its vendor's `slug`; a tenant admin can";
        TooLong { field: &'static str, max: usize } => Unprocessable, "value_too_long",
            "`{field}` is longer than {max} characters";
        /// An application given a status.
        UnexpectedStatus => Unprocessable, "unexpected_status",
            "an application is always pending; leave `status` out";
        /// Rejecting or suspending without saying why.
        ReasonRequired => Unprocessable, "reason_required",
            "say why in `reason`; it is kept in the vendor's history";
        /// The vendor's status does not allow the action.
        IllegalTransition { message: String } => Conflict, "illegal_transition", "{message}";
    }
}

/// The refusal for a store failure: the vendor missing, or its slug taken.
fn refused(err: StoreError) -> Failure<VendorRefusal> {
    match err {
        StoreError::NotFound => VendorRefusal::NotFound.into(),
        StoreError::Conflict { constraint } if constraint == "vendors_slug_key" => {
            VendorRefusal::SlugTaken.into()
        }
        other => other.into(),
    }
}

/// Refuse a vendor the key may not see: any is visible to admins, its own
/// to a vendor key.
fn visible(key: &TenantKey, id: Uuid) -> Result<(), VendorRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    if key.vendor_id.is_some_and(|own| own != id) {
        return Err(VendorRefusal::NotFound);
    }
    Ok(())
}

/// Free text trimmed, empty as absent, refused past `max` characters.
fn optional_text(
    field: &'static str,
    raw: Option<String>,
    max: usize,
) -> Result<Option<String>, VendorRefusal> {
    match raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > max => Err(VendorRefusal::TooLong { field, max }),
        other => Ok(other),
    }
}

/// The tenant's vendors, oldest first, optionally of one status; a vendor
/// key sees only its own.
pub async fn list(
    services: &Services,
    key: &TenantKey,
    status: Option<VendorStatus>,
    page: PageRequest,
) -> Outcome<Page<Vendor>, VendorRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    let only = key.vendor_id;
    let status = status.map(|s| s.as_str().to_owned());
    Ok(services
        .db
        .tenant_read(&key.schema, move |conn| {
            store::list(conn, page, only, status).boxed()
        })
        .await?)
}

/// One vendor.
pub async fn get(services: &Services, key: &TenantKey, id: Uuid) -> Outcome<Vendor, VendorRefusal> {
    visible(key, id)?;
    services
        .db
        .tenant_read(&key.schema, move |conn| store::get(conn, id).boxed())
        .await
        .map_err(refused)
}

/// A vendor's status changes, oldest first.
pub async fn history(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
) -> Outcome<Vec<StatusEvent>, VendorRefusal> {
    visible(key, id)?;
    services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                store::get(conn, id).await?;
                store::history(conn, id).await
            }
            .boxed()
        })
        .await
        .map_err(refused)
}
