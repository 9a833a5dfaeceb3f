//! API keys: a tenant's (tenant admin, vendor or storefront, issued by its
//! admins or by the platform operator) and the platform's own; issued,
//! listed and revoked, and a presented secret resolved to who is calling
//! ([`authenticate()`]). A secret is shown once, at issue; only its hash is
//! stored. Revoking a key forgets its cached grant, so the refusal takes
//! effect on the next request on every node.

mod authenticate;
mod issue;

use bazaar_domain::DomainError;
use bazaar_store::control::keys::{self as store, ApiKey};
use bazaar_store::page::PageRequest;
use bazaar_store::{Page, StoreError};
use uuid::Uuid;

pub use authenticate::{AuthRefusal, Caller, authenticate, forget};
pub use issue::{
    IssuedKey, KeyRequest, issue, issue_for_tenant, issue_platform_key, issue_tenant_key,
};

use crate::context::AccessRefusal;
use crate::tenants::{self, TenantRefusal};
use crate::{Failure, Outcome, Services, TenantKey, refusals};

refusals! {
    /// Why a key cannot be issued, listed or revoked.
    pub enum KeyRefusal {
        Access(AccessRefusal) => delegate;
        Invalid(DomainError) => delegate;
        Tenant(TenantRefusal) => delegate;
        NotFound => NotFound, "key_not_found", "no key with that id is visible to this key";
        /// A tenant key asked for with the platform scope.
        PlatformKeyInTenant => Unprocessable, "invalid_scope",
            "a tenant cannot hold platform keys; create those with POST /v1/platform/keys";
        /// A platform key asked for with a tenant scope or a binding.
        TenantKeyOnPlatform => Unprocessable, "invalid_scope",
            "this endpoint issues `platform` keys only; tenant keys are issued under /v1/platform/tenants/{{tenant_id}}/keys";
        VendorIdRequired => Unprocessable, "vendor_id_required",
            "a vendor key needs the `vendor_id` it acts for";
        BrandIdRequired => Unprocessable, "brand_id_required",
            "a storefront key needs the `brand_id` it belongs to";
        UnexpectedBinding => Unprocessable, "unexpected_binding",
            "only vendor keys take `vendor_id` and only storefront keys take `brand_id`";
        /// The vendor a vendor key would act for is not in the tenant.
        VendorNotFound => Unprocessable, "unknown_vendor",
            "no vendor with that `vendor_id` in this tenant";
        /// The brand a storefront key would belong to is not in the tenant.
        BrandNotFound => Unprocessable, "unknown_brand",
            "no brand with that `brand_id` in this tenant";
    }
}

/// The keys of the caller's tenant, oldest first (tenant admins only).
pub async fn list(
    services: &Services,
    key: &TenantKey,
    page: PageRequest,
) -> Outcome<Page<ApiKey>, KeyRefusal> {
    key.admin()?;
    Ok(store::list(&services.db, Some(key.tenant_id), page).await?)
}

/// The keys of a tenant, for the platform operator.
pub async fn list_for_tenant(
    services: &Services,
    tenant_id: Uuid,
    page: PageRequest,
) -> Outcome<Page<ApiKey>, KeyRefusal> {
    let tenant = tenants::get(services, tenant_id).await?;
    Ok(store::list(&services.db, Some(tenant.id), page).await?)
}

/// The platform's own keys.
pub async fn list_platform_keys(
    services: &Services,
    page: PageRequest,
) -> Outcome<Page<ApiKey>, KeyRefusal> {
    Ok(store::list(&services.db, None, page).await?)
}

/// Revoke a key of the caller's tenant (tenant admins only).
#[tracing::instrument(skip_all, fields(key.id = %id))]
pub async fn revoke(services: &Services, key: &TenantKey, id: Uuid) -> Outcome<ApiKey, KeyRefusal> {
    key.admin()?;
    let revoked = revoke_owned(services, Some(key.tenant_id), id).await?;
    tracing::info!(key.id = %revoked.id, "api key revoked");
    Ok(revoked)
}

/// Revoke a key of a tenant, for the platform operator.
pub async fn revoke_for_tenant(
    services: &Services,
    tenant_id: Uuid,
    id: Uuid,
) -> Outcome<ApiKey, KeyRefusal> {
    revoke_owned(services, Some(tenant_id), id).await
}

/// Revoke a platform key.
pub async fn revoke_platform_key(services: &Services, id: Uuid) -> Outcome<ApiKey, KeyRefusal> {
    revoke_owned(services, None, id).await
}

/// Revoke a key of this tenant (or of the platform, with `None`) and drop
/// it from the authentication cache on every node. Revoking twice keeps
/// the first revocation time.
async fn revoke_owned(
    services: &Services,
    tenant_id: Option<Uuid>,
    id: Uuid,
) -> Outcome<ApiKey, KeyRefusal> {
    let revoked = store::revoke(&services.db, tenant_id, id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Failure::Refused(KeyRefusal::NotFound),
            other => other.into(),
        })?;
    let hashes = store::hashes(&services.db, None, Some(revoked.id)).await?;
    forget(services, &hashes).await;
    Ok(revoked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_their_literal_braces_and_codes() {
        let refusal = KeyRefusal::TenantKeyOnPlatform;
        assert_eq!(
            refusal.to_string(),
            "this endpoint issues `platform` keys only; tenant keys are issued under /v1/platform/tenants/{tenant_id}/keys"
        );
        assert_eq!(crate::Refusal::code(&refusal), "invalid_scope");
    }
}
