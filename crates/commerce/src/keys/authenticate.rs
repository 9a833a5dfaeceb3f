//! A presented secret resolved to who is calling: the platform, or a key of
//! one tenant with its scope and binding. The tenant comes from the key,
//! never from the request.
//!
//! A key's grant is cached for a short time in the shared cache; revoking
//! a key or suspending its tenant forgets it there ([`forget`]), so the
//! refusal takes effect on the very next request on every node.

use std::time::Duration;

use bazaar_domain::Scope;
use bazaar_store::control::keys::{self as store, GrantTenant, KeyGrant};
use bazaar_store::control::tenants::ACTIVE;
use bazaar_store::{StoreError, TenantSchema};
use uuid::Uuid;

use crate::{Outcome, Services, TenantKey, refusals};

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The operator of the deployment.
    Platform,
    /// A key of one tenant.
    Tenant(TenantKey),
}

refusals! {
    /// Why a presented key is refused.
    pub enum AuthRefusal {
        InvalidKey => Unauthenticated, "invalid_api_key",
            "the API key is unknown or has been revoked";
        TenantSuspended { slug: String } => Forbidden, "tenant_suspended",
            "tenant `{slug}` is suspended; its keys are refused until the platform operator resumes it";
    }
}

/// How long an authenticated key is remembered. Revoking a key, or
/// suspending or resuming its tenant, forgets it at once (in the shared
/// cache, so on every node); the TTL bounds staleness should that forget be
/// lost while the cache is unreachable.
const AUTH_TTL: Duration = Duration::from_secs(30);

fn auth_cache_key(hash: &[u8]) -> String {
    format!("auth:{}", hex::encode(hash))
}

/// Forget cached authentications of these key hashes.
pub async fn forget(services: &Services, hashes: &[Vec<u8>]) {
    for hash in hashes {
        if let Err(err) = services.cache.delete(&auth_cache_key(hash)).await {
            tracing::warn!(error = %err, "could not forget a cached key; it expires within {AUTH_TTL:?}");
        }
    }
}

/// A grant as cached: `key|scope|vendor|brand|tenant id|slug|schema|status`.
fn encode_grant(g: &KeyGrant) -> String {
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

fn decode_grant(raw: &[u8]) -> Option<KeyGrant> {
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
    Some(KeyGrant {
        key_id: key.parse().ok()?,
        scope: (*scope).to_owned(),
        vendor_id: opt(vendor).ok()?,
        brand_id: opt(brand).ok()?,
        tenant: opt(tenant).ok()?.map(|id| GrantTenant {
            id,
            slug: (*slug).to_owned(),
            schema_name: (*schema).to_owned(),
            status: (*status).to_owned(),
        }),
    })
}

/// The grant for a secret: from the cache when it is there, else from the
/// database (and then cached).
async fn grant(services: &Services, secret: &str) -> Result<Option<KeyGrant>, StoreError> {
    let cache_key = auth_cache_key(&store::hash(secret));
    if let Ok(Some(raw)) = services.cache.get(&cache_key).await
        && let Some(grant) = decode_grant(&raw)
    {
        return Ok(Some(grant));
    }
    let found = store::authenticate(&services.db, secret).await?;
    if let Some(g) = &found {
        let _ = services
            .cache
            .set(&cache_key, encode_grant(g).as_bytes(), AUTH_TTL)
            .await;
    }
    Ok(found)
}

/// Resolve a presented secret to who is calling: the configured platform
/// key, a platform key, or a key of an active tenant. Records the scope and
/// the tenant on the current (request) span.
pub async fn authenticate(services: &Services, secret: &str) -> Outcome<Caller, AuthRefusal> {
    if services.settings.is_platform_key(secret) {
        tracing::Span::current().record("auth.scope", "platform");
        return Ok(Caller::Platform);
    }
    if secret.is_empty() || secret.len() > 200 {
        return Err(AuthRefusal::InvalidKey.into());
    }
    let grant = grant(services, secret)
        .await?
        .ok_or(AuthRefusal::InvalidKey)?;
    let scope: Scope = grant.scope.parse().map_err(|e| {
        StoreError::Migration(format!(
            "api key {} has an unknown scope: {e}",
            grant.key_id
        ))
    })?;
    let span = tracing::Span::current();
    span.record("auth.scope", scope.as_str());
    let Some(tenant) = grant.tenant else {
        return Ok(Caller::Platform);
    };
    span.record("tenant.slug", tenant.slug.as_str());
    if tenant.status != ACTIVE {
        return Err(AuthRefusal::TenantSuspended { slug: tenant.slug }.into());
    }
    Ok(Caller::Tenant(TenantKey {
        key_id: grant.key_id,
        tenant_id: tenant.id,
        tenant_slug: tenant.slug,
        schema: TenantSchema::new(&tenant.schema_name)?,
        scope,
        vendor_id: grant.vendor_id,
        brand_id: grant.brand_id,
    }))
}
