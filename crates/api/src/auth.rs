//! Authentication: `Authorization: Bearer <key>` resolved to a principal.
//!
//! The principal's tenant comes from the key, never from the request. A
//! key's grant is cached for a short time in the shared cache; revoking a
//! key or suspending its tenant forgets it there, so the refusal takes
//! effect on the very next request on every node.

use bazaar_domain::Scope;
use bazaar_store::TenantSchema;
use bazaar_store::control::keys;
use bazaar_store::control::tenants::ACTIVE;
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use uuid::Uuid;

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
    Ok(authenticate(state, &bearer.token).await?)
}

/// How long an authenticated key is remembered. Revoking a key, or
/// suspending or resuming its tenant, forgets it at once (in the shared
/// cache, so on every node); the TTL bounds staleness should that forget be
/// lost while the cache is unreachable.
const AUTH_TTL: std::time::Duration = std::time::Duration::from_secs(30);

fn auth_cache_key(hash: &[u8]) -> String {
    format!("auth:{}", hex::encode(hash))
}

/// Forget cached authentications of these key hashes.
pub async fn forget(state: &AppState, hashes: &[Vec<u8>]) {
    for hash in hashes {
        if let Err(err) = state.cache.delete(&auth_cache_key(hash)).await {
            tracing::warn!(error = %err, "could not forget a cached key; it expires within {AUTH_TTL:?}");
        }
    }
}

/// A grant as cached: `key|scope|vendor|brand|tenant id|slug|schema|status`.
fn encode_grant(g: &keys::KeyGrant) -> String {
    let opt = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    let t = g.tenant.as_ref();
    [
        g.key_id.to_string(),
        g.scope.clone(),
        opt(g.vendor_id),
        opt(g.brand_id),
        opt(t.map(|t| t.id)),
        t.map(|t| t.slug.clone()).unwrap_or_default(),
        t.map(|t| t.schema_name.clone()).unwrap_or_default(),
        t.map(|t| t.status.clone()).unwrap_or_default(),
    ]
    .join("|")
}

fn decode_grant(raw: &[u8]) -> Option<keys::KeyGrant> {
    let text = std::str::from_utf8(raw).ok()?;
    let parts: Vec<&str> = text.split('|').collect();
    let [key, scope, vendor, brand, tenant, slug, schema, status] = parts.as_slice() else {
        return None;
    };
    let opt = |s: &str| {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse::<Uuid>().map(Some)
        }
    };
    Some(keys::KeyGrant {
        key_id: key.parse().ok()?,
        scope: (*scope).to_owned(),
        vendor_id: opt(vendor).ok()?,
        brand_id: opt(brand).ok()?,
        tenant: opt(tenant).ok()?.map(|id| keys::GrantTenant {
            id,
            slug: (*slug).to_owned(),
            schema_name: (*schema).to_owned(),
            status: (*status).to_owned(),
        }),
    })
}

/// The grant for a secret: from the cache when it is there, else from the
/// database (and then cached).
async fn grant(state: &AppState, secret: &str) -> ApiResult<Option<keys::KeyGrant>> {
    let cache_key = auth_cache_key(&keys::hash(secret));
    if let Ok(Some(raw)) = state.cache.get(&cache_key).await
        && let Some(grant) = decode_grant(&raw)
    {
        return Ok(Some(grant));
    }
    let found = keys::authenticate(&state.db, secret).await?;
    if let Some(g) = &found {
        let _ = state
            .cache
            .set(&cache_key, encode_grant(g).as_bytes(), AUTH_TTL)
            .await;
    }
    Ok(found)
}

/// Resolve a presented secret to a principal.
pub async fn authenticate(state: &AppState, secret: &str) -> ApiResult<Principal> {
    if state.settings.is_platform_key(secret) {
        tracing::Span::current().record("auth.scope", "platform");
        return Ok(Principal::Platform);
    }
    let invalid = || {
        ApiError::unauthorized(
            "invalid_api_key",
            "the API key is unknown or has been revoked",
        )
    };
    if secret.is_empty() || secret.len() > 200 {
        return Err(invalid());
    }
    let grant = grant(state, secret).await?.ok_or_else(invalid)?;
    let scope: Scope = grant.scope.parse().map_err(ApiError::internal)?;
    let span = tracing::Span::current();
    span.record("auth.scope", scope.as_str());
    let Some(tenant) = grant.tenant else {
        return Ok(Principal::Platform);
    };
    span.record("tenant.slug", tenant.slug.as_str());
    if tenant.status != ACTIVE {
        return Err(ApiError::forbidden(
            "tenant_suspended",
            format!(
                "tenant `{}` is suspended; its keys are refused until the platform operator resumes it",
                tenant.slug
            ),
        ));
    }
    Ok(Principal::Tenant(TenantKey {
        key_id: grant.key_id,
        tenant_id: tenant.id,
        tenant_slug: tenant.slug,
        schema: TenantSchema::new(&tenant.schema_name)?,
        scope,
        vendor_id: grant.vendor_id,
        brand_id: grant.brand_id,
    }))
}
