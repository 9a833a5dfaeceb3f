//! API keys: tenant admins issue and revoke their tenant's keys under
//! `/v1/keys`; the platform operator issues platform keys and a tenant's
//! first keys under `/v1/platform`. A secret is shown once, at creation.
//! The edge of `bazaar_commerce::keys`.

use bazaar_commerce::keys::{self, KeyRequest};
use bazaar_store::control::keys::ApiKey;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, page_of, page_request};
use crate::auth::{ApiKey as Auth, Principal};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::types::{ApiKeyInfo, IssuedKey, KeyScope};

page_of!(ApiKeyPage, ApiKeyInfo);

fn key_page(page: bazaar_store::Page<ApiKey>) -> ApiResult<ApiKeyPage> {
    let items = page
        .items
        .into_iter()
        .map(ApiKeyInfo::try_from)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(bazaar_store::Page {
        items,
        next_after: page.next_after,
    }
    .into())
}

/// A key to issue.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateKey {
    /// A label, e.g. "ERP sync" or "storefront web".
    pub name: String,
    /// What the key may do.
    pub scope: KeyScope,
    /// Required for `vendor` keys: the vendor the key acts for.
    pub vendor_id: Option<Uuid>,
    /// Required for `storefront` keys: the brand the key belongs to.
    pub brand_id: Option<Uuid>,
}

impl From<CreateKey> for KeyRequest {
    fn from(body: CreateKey) -> Self {
        Self {
            name: body.name,
            scope: body.scope.into(),
            vendor_id: body.vendor_id,
            brand_id: body.brand_id,
        }
    }
}

/// Who the calling key is.
#[derive(Debug, Object)]
pub struct WhoAmI {
    /// The key's scope.
    pub scope: KeyScope,
    /// The key's id (absent for the configured platform key).
    pub key_id: Option<Uuid>,
    /// The tenant's id (absent for platform keys).
    pub tenant_id: Option<Uuid>,
    /// The tenant's slug (absent for platform keys).
    pub tenant_slug: Option<String>,
    /// The vendor a vendor key acts for.
    pub vendor_id: Option<Uuid>,
    /// The brand a storefront key belongs to.
    pub brand_id: Option<Uuid>,
}

pub struct KeysApi {
    pub state: AppState,
}

#[OpenApi(tag = "Tag::Keys")]
impl KeysApi {
    /// Issue a key
    ///
    /// Tenant admins issue tenant admin, vendor and storefront keys. The
    /// response carries the secret, once.
    #[oai(path = "/v1/keys", method = "post", operation_id = "create_key")]
    async fn create(&self, auth: Auth, body: Json<CreateKey>) -> ApiResult<Created<IssuedKey>> {
        let key = auth.0.tenant()?;
        let issued = keys::issue(&self.state, key, body.0.into()).await?;
        Ok(Created::Created(Json(issued.try_into()?)))
    }

    /// List keys
    #[oai(path = "/v1/keys", method = "get", operation_id = "list_keys")]
    async fn list(
        &self,
        auth: Auth,
        /// How many keys to return (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
    ) -> ApiResult<Json<ApiKeyPage>> {
        let key = auth.0.tenant()?;
        let page = keys::list(&self.state, key, page_request(limit.0, cursor.0)).await?;
        Ok(Json(key_page(page)?))
    }

    /// Revoke a key
    ///
    /// Takes effect on the very next request, on every server.
    #[oai(
        path = "/v1/keys/:key_id/revoke",
        method = "post",
        operation_id = "revoke_key"
    )]
    async fn revoke(&self, auth: Auth, key_id: Path<Uuid>) -> ApiResult<Json<ApiKeyInfo>> {
        let key = auth.0.tenant()?;
        let revoked = keys::revoke(&self.state, key, key_id.0).await?;
        Ok(Json(revoked.try_into()?))
    }

    /// Who am I
    ///
    /// The scope and bindings of the calling key; any valid key may ask.
    #[oai(path = "/v1/whoami", method = "get", operation_id = "whoami")]
    async fn whoami(&self, auth: Auth) -> ApiResult<Json<WhoAmI>> {
        Ok(Json(match auth.0 {
            Principal::Platform => WhoAmI {
                scope: KeyScope::Platform,
                key_id: None,
                tenant_id: None,
                tenant_slug: None,
                vendor_id: None,
                brand_id: None,
            },
            Principal::Tenant(key) => WhoAmI {
                scope: key.scope.into(),
                key_id: Some(key.key_id),
                tenant_id: Some(key.tenant_id),
                tenant_slug: Some(key.tenant_slug),
                vendor_id: key.vendor_id,
                brand_id: key.brand_id,
            },
        }))
    }
}

pub struct PlatformKeysApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/platform", tag = "Tag::Platform")]
impl PlatformKeysApi {
    /// Issue a key for a tenant
    ///
    /// How a new tenant gets its first tenant admin key.
    #[oai(
        path = "/tenants/:tenant_id/keys",
        method = "post",
        operation_id = "create_tenant_key"
    )]
    async fn create_tenant_key(
        &self,
        auth: Auth,
        tenant_id: Path<Uuid>,
        body: Json<CreateKey>,
    ) -> ApiResult<Created<IssuedKey>> {
        auth.0.platform()?;
        let issued = keys::issue_for_tenant(&self.state, tenant_id.0, body.0.into()).await?;
        Ok(Created::Created(Json(issued.try_into()?)))
    }

    /// List a tenant's keys
    #[oai(
        path = "/tenants/:tenant_id/keys",
        method = "get",
        operation_id = "list_tenant_keys"
    )]
    async fn list_tenant_keys(
        &self,
        auth: Auth,
        tenant_id: Path<Uuid>,
        /// How many keys to return (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
    ) -> ApiResult<Json<ApiKeyPage>> {
        auth.0.platform()?;
        let page = keys::list_for_tenant(&self.state, tenant_id.0, page_request(limit.0, cursor.0))
            .await?;
        Ok(Json(key_page(page)?))
    }

    /// Revoke a tenant's key
    #[oai(
        path = "/tenants/:tenant_id/keys/:key_id/revoke",
        method = "post",
        operation_id = "revoke_tenant_key"
    )]
    async fn revoke_tenant_key(
        &self,
        auth: Auth,
        tenant_id: Path<Uuid>,
        key_id: Path<Uuid>,
    ) -> ApiResult<Json<ApiKeyInfo>> {
        auth.0.platform()?;
        let revoked = keys::revoke_for_tenant(&self.state, tenant_id.0, key_id.0).await?;
        Ok(Json(revoked.try_into()?))
    }

    /// Issue a platform key
    ///
    /// Platform keys act like the configured platform key and can be revoked.
    #[oai(path = "/keys", method = "post", operation_id = "create_platform_key")]
    async fn create_platform_key(
        &self,
        auth: Auth,
        body: Json<CreateKey>,
    ) -> ApiResult<Created<IssuedKey>> {
        auth.0.platform()?;
        let issued = keys::issue_platform_key(&self.state, body.0.into()).await?;
        Ok(Created::Created(Json(issued.try_into()?)))
    }

    /// List platform keys
    #[oai(path = "/keys", method = "get", operation_id = "list_platform_keys")]
    async fn list_platform_keys(
        &self,
        auth: Auth,
        /// How many keys to return (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
    ) -> ApiResult<Json<ApiKeyPage>> {
        auth.0.platform()?;
        let page = keys::list_platform_keys(&self.state, page_request(limit.0, cursor.0)).await?;
        Ok(Json(key_page(page)?))
    }

    /// Revoke a platform key
    #[oai(
        path = "/keys/:key_id/revoke",
        method = "post",
        operation_id = "revoke_platform_key"
    )]
    async fn revoke_platform_key(
        &self,
        auth: Auth,
        key_id: Path<Uuid>,
    ) -> ApiResult<Json<ApiKeyInfo>> {
        auth.0.platform()?;
        let revoked = keys::revoke_platform_key(&self.state, key_id.0).await?;
        Ok(Json(revoked.try_into()?))
    }
}
