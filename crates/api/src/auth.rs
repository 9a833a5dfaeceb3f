//! Authentication: `Authorization: Bearer <key>` resolved to a principal by
//! `bazaar_commerce::keys::authenticate` (which caches grants and refuses
//! unknown, revoked and suspended keys). The principal's tenant comes from
//! the key, never from the request.

use bazaar_commerce::keys::{self, Caller};
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

pub use bazaar_commerce::TenantKey;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// An API key: platform, tenant admin, vendor or storefront.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "resolve_key")]
pub struct ApiKey(pub Principal);

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The operator of the deployment.
    Platform,
    /// A key of one tenant.
    Tenant(TenantKey),
}

impl From<Caller> for Principal {
    fn from(caller: Caller) -> Self {
        match caller {
            Caller::Platform => Principal::Platform,
            Caller::Tenant(key) => Principal::Tenant(key),
        }
    }
}

impl Principal {
    /// Refuse anything but the platform key.
    pub fn platform(&self) -> ApiResult<()> {
        match self {
            Principal::Platform => Ok(()),
            Principal::Tenant(_) => Err(ApiError::forbidden(
                "platform_key_required",
                "this endpoint needs the platform key",
            )),
        }
    }

    /// The tenant this key belongs to; the platform key has none.
    pub fn tenant(&self) -> ApiResult<&TenantKey> {
        match self {
            Principal::Tenant(key) => Ok(key),
            Principal::Platform => Err(ApiError::forbidden(
                "tenant_key_required",
                "this endpoint acts inside one tenant: use a tenant key \
                 (the platform key can issue one with POST /v1/platform/tenants/{tenant_id}/keys)",
            )),
        }
    }
}

async fn resolve_key(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal("AppState is not attached to the request"))?;
    let caller = keys::authenticate(state, &bearer.token)
        .await
        .map_err(ApiError::from)?;
    Ok(caller.into())
}
