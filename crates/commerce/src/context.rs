//! Who a use case acts for: the tenant (from the API key, never from the
//! request) and what the key may see and do.

use bazaar_domain::Scope;
use bazaar_store::TenantSchema;
use uuid::Uuid;

use crate::refusals;

/// A tenant-scoped key and what it is bound to.
#[derive(Debug, Clone)]
pub struct TenantKey {
    pub key_id: Uuid,
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub schema: TenantSchema,
    pub scope: Scope,
    /// Set for vendor keys: the only vendor the key acts for.
    pub vendor_id: Option<Uuid>,
    /// Set for storefront keys: the only brand the key sees.
    pub brand_id: Option<Uuid>,
}

refusals! {
    /// Why a key may not do something.
    pub enum AccessRefusal {
        /// The key's scope is not one of those the action needs.
        InsufficientScope { have: Scope, needed: String } => Forbidden, "insufficient_scope",
            "a {have} key cannot do this; it needs a {needed} key";
        /// A storefront key that is not bound to a brand (a bug in key issuance).
        StorefrontWithoutBrand => Forbidden, "storefront_key_required",
            "this needs a storefront key bound to a brand";
    }
}

impl TenantKey {
    /// Refuse anything but a tenant admin key.
    pub fn admin(&self) -> Result<(), AccessRefusal> {
        self.require(&[Scope::TenantAdmin])
    }

    /// Refuse keys whose scope is not in `allowed`.
    pub fn require(&self, allowed: &[Scope]) -> Result<(), AccessRefusal> {
        if allowed.contains(&self.scope) {
            return Ok(());
        }
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        Err(AccessRefusal::InsufficientScope {
            have: self.scope,
            needed: names.join(" or "),
        })
    }

    /// The brand of a storefront key; any other key is refused.
    pub fn storefront(&self) -> Result<Uuid, AccessRefusal> {
        self.require(&[Scope::Storefront])?;
        self.brand_id.ok_or(AccessRefusal::StorefrontWithoutBrand)
    }
}
