//! Issuing keys: a tenant's, bound to one of its vendors or brands when
//! its scope needs one, and the platform's own.

use bazaar_domain::{Scope, validate};
use bazaar_store::control::keys::{self as store, ApiKey};
use bazaar_store::tenant::{brands, vendors};
use bazaar_store::{StoreError, TenantSchema};
use futures_util::FutureExt;
use uuid::Uuid;

use super::KeyRefusal;
use crate::{Failure, Outcome, Services, TenantKey, tenants};

/// A key to issue, as the caller asked for it.
#[derive(Debug, Clone)]
pub struct KeyRequest {
    /// A label, e.g. "ERP sync".
    pub name: String,
    pub scope: Scope,
    /// The vendor a vendor key acts for.
    pub vendor_id: Option<Uuid>,
    /// The brand a storefront key belongs to.
    pub brand_id: Option<Uuid>,
}

/// A newly issued key with its secret, which is not stored and cannot be
/// shown again.
#[derive(Debug)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub secret: String,
}

/// Issue a key of the caller's tenant (tenant admins only).
pub async fn issue(
    services: &Services,
    key: &TenantKey,
    new: KeyRequest,
) -> Outcome<IssuedKey, KeyRefusal> {
    key.admin()?;
    issue_tenant_key(services, key.tenant_id, &key.schema, new).await
}

/// Issue a key of a tenant for the platform operator: how a new tenant
/// gets its first tenant admin key.
pub async fn issue_for_tenant(
    services: &Services,
    tenant_id: Uuid,
    new: KeyRequest,
) -> Outcome<IssuedKey, KeyRefusal> {
    let tenant = tenants::get(services, tenant_id).await?;
    issue_tenant_key(services, tenant.id, &tenant.schema()?, new).await
}

/// Issue a tenant key after checking that its binding exists in the tenant.
#[tracing::instrument(skip_all, fields(tenant.id = %tenant_id))]
pub async fn issue_tenant_key(
    services: &Services,
    tenant_id: Uuid,
    schema: &TenantSchema,
    new: KeyRequest,
) -> Outcome<IssuedKey, KeyRefusal> {
    let name = validate::display_name("name", &new.name)?;
    let scope = new.scope;
    match (scope, new.vendor_id, new.brand_id) {
        (Scope::Platform, ..) => return Err(KeyRefusal::PlatformKeyInTenant.into()),
        (Scope::TenantAdmin, None, None)
        | (Scope::Vendor, Some(_), None)
        | (Scope::Storefront, None, Some(_)) => {}
        (Scope::Vendor, None, _) => return Err(KeyRefusal::VendorIdRequired.into()),
        (Scope::Storefront, _, None) => return Err(KeyRefusal::BrandIdRequired.into()),
        _ => return Err(KeyRefusal::UnexpectedBinding.into()),
    }
    let (vendor_id, brand_id) = (new.vendor_id, new.brand_id);
    services
        .db
        .tenant_tx(schema, move |conn| {
            async move {
                if let Some(id) = vendor_id {
                    vendors::get(conn, id).await?;
                }
                if let Some(id) = brand_id {
                    brands::get(conn, id).await?;
                }
                Ok(())
            }
            .boxed()
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound if vendor_id.is_some() => {
                Failure::Refused(KeyRefusal::VendorNotFound)
            }
            StoreError::NotFound => Failure::Refused(KeyRefusal::BrandNotFound),
            other => other.into(),
        })?;
    let (key, secret) = store::create(
        &services.db,
        store::NewKey {
            tenant_id: Some(tenant_id),
            scope,
            vendor_id,
            brand_id,
            name,
        },
    )
    .await?;
    tracing::info!(key.id = %key.id, key.scope = %scope, "api key issued");
    Ok(IssuedKey { key, secret })
}

/// Issue a platform key; it acts like the configured platform key and can
/// be revoked.
pub async fn issue_platform_key(
    services: &Services,
    new: KeyRequest,
) -> Outcome<IssuedKey, KeyRefusal> {
    if new.scope != Scope::Platform || new.vendor_id.is_some() || new.brand_id.is_some() {
        return Err(KeyRefusal::TenantKeyOnPlatform.into());
    }
    let (key, secret) = store::create(
        &services.db,
        store::NewKey {
            tenant_id: None,
            scope: Scope::Platform,
            vendor_id: None,
            brand_id: None,
            name: validate::display_name("name", &new.name)?,
        },
    )
    .await?;
    Ok(IssuedKey { key, secret })
}
