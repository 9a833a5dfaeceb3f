//! Which vendor a vendor-side write acts for (products, imports,
//! warehouses, stock, shipping rates, vendor orders), and whether that
//! vendor may sell: a vendor key acts for its own vendor only; a tenant
//! admin key names the vendor.

use bazaar_domain::Scope;
use bazaar_store::tenant::vendors;
use bazaar_store::{StoreError, TenantConn};
use uuid::Uuid;

use crate::context::AccessRefusal;
use crate::{TenantKey, refusals};

refusals! {
    /// Why a key may not act for a vendor.
    pub enum ActingRefusal {
        Access(AccessRefusal) => delegate;
        /// A vendor key named another vendor.
        OtherVendor => Forbidden, "insufficient_scope",
            "a vendor key creates products for its own vendor only; leave `vendor_id` out";
        /// A tenant admin key did not name the vendor.
        VendorIdRequired => Unprocessable, "vendor_id_required",
            "a tenant admin key must say which vendor the product belongs to (`vendor_id`)";
        VendorNotFound => Unprocessable, "unknown_vendor", "no vendor with that `vendor_id`";
        /// A vendor key of a vendor that is not approved (pending,
        /// suspended...).
        VendorNotApproved { status: String } => Forbidden, "vendor_not_approved",
            "the vendor is {status}; only approved vendors manage products";
    }
}

/// The vendor a write by `key` acts for: a vendor key's own (naming it
/// again is allowed), or the one a tenant admin key names in `requested`.
pub fn vendor_for(key: &TenantKey, requested: Option<Uuid>) -> Result<Uuid, ActingRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    match (key.vendor_id, requested) {
        (Some(own), None) => Ok(own),
        (Some(own), Some(asked)) if asked == own => Ok(own),
        (Some(_), Some(_)) => Err(ActingRefusal::OtherVendor),
        (None, Some(asked)) => Ok(asked),
        (None, None) => Err(ActingRefusal::VendorIdRequired),
    }
}

/// Inside a write: the vendor exists, and (for a vendor key) is approved.
/// A refusal is `Ok(Err(..))`, so the caller decides whether its
/// transaction commits.
pub async fn check_vendor(
    conn: &mut TenantConn,
    vendor_id: Uuid,
    is_vendor_key: bool,
) -> Result<Result<(), ActingRefusal>, StoreError> {
    let vendor = match vendors::get(conn, vendor_id).await {
        Ok(v) => v,
        Err(StoreError::NotFound) => return Ok(Err(ActingRefusal::VendorNotFound)),
        Err(e) => return Err(e),
    };
    if is_vendor_key && vendor.status != "approved" {
        return Ok(Err(ActingRefusal::VendorNotApproved {
            status: vendor.status,
        }));
    }
    Ok(Ok(()))
}
