//! API keys: tenant admins issue and revoke their tenant's keys under
//! `/v1/keys`; the platform operator issues platform keys and a tenant's
//! first keys under `/v1/platform`. A secret is shown once, at creation.

use bazaar_domain::{Scope, validate};
use bazaar_store::control::keys::{self as store, NewKey};
use bazaar_store::control::tenants;
use bazaar_store::tenant::{brands, vendors};
use bazaar_store::{StoreError, TenantSchema};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, page_of, page_request};
use crate::auth::{ApiKey as Auth, Principal};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum KeyScope {
    /// Operates the deployment (platform endpoints only).
    Platform,
    /// Administers one tenant.
    TenantAdmin,
    /// Acts for one vendor of a tenant (`vendor_id` required).
    Vendor,
    /// A brand's publishable storefront key (`brand_id` required).
    Storefront,
}

impl From<KeyScope> for Scope {
    fn from(s: KeyScope) -> Self {
        match s {
            KeyScope::Platform => Scope::Platform,
            KeyScope::TenantAdmin => Scope::TenantAdmin,
            KeyScope::Vendor => Scope::Vendor,
            KeyScope::Storefront => Scope::Storefront,
        }
    }
}

impl From<Scope> for KeyScope {
    fn from(s: Scope) -> Self {
        match s {
            Scope::Platform => KeyScope::Platform,
            Scope::TenantAdmin => KeyScope::TenantAdmin,
            Scope::Vendor => KeyScope::Vendor,
            Scope::Storefront => KeyScope::Storefront,
        }
    }
}

/// An API key as listings show it: never the secret.
#[derive(Debug, Object)]
pub struct ApiKeyInfo {
    /// Identifier (use it to revoke the key).
    pub id: Uuid,
    /// What the key may do.
    pub scope: KeyScope,
    /// A label chosen at creation.
    pub name: String,
    /// The first characters of the secret, to tell keys apart.
    pub display_prefix: String,
    /// The tenant the key belongs to (absent for platform keys).
    pub tenant_id: Option<Uuid>,
    /// The vendor a vendor key acts for.
    pub vendor_id: Option<Uuid>,
    /// The brand a storefront key belongs to.
    pub brand_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// When the key was revoked; a revoked key is refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<store::ApiKey> for ApiKeyInfo {
    type Error = ApiError;

    fn try_from(k: store::ApiKey) -> ApiResult<Self> {
        let scope: Scope = k.scope.parse().map_err(ApiError::internal)?;
        Ok(Self {
            id: k.id,
            scope: scope.into(),
            name: k.name,
            display_prefix: k.display_prefix,
            tenant_id: k.tenant_id,
            vendor_id: k.vendor_id,
            brand_id: k.brand_id,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        })
    }
}

page_of!(ApiKeyPage, ApiKeyInfo);

fn key_page(page: bazaar_store::Page<store::ApiKey>) -> ApiResult<ApiKeyPage> {
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

/// A newly issued key with its secret. The secret is not stored and cannot
/// be shown again.
#[derive(Debug, Object)]
pub struct IssuedKey {
    pub key: ApiKeyInfo,
    /// Send as `Authorization: Bearer <secret>`. Shown this once only.
    pub secret: String,
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

/// Issue a tenant key after checking that its binding exists in the tenant.
pub(crate) async fn issue_tenant_key(
    state: &AppState,
    tenant_id: Uuid,
    schema: &TenantSchema,
    body: CreateKey,
) -> ApiResult<IssuedKey> {
    let name = validate::display_name("name", &body.name)?;
    let scope = Scope::from(body.scope);
    match (scope, body.vendor_id, body.brand_id) {
        (Scope::Platform, ..) => {
            return Err(ApiError::unprocessable(
                "invalid_scope",
                "a tenant cannot hold platform keys; create those with POST /v1/platform/keys",
            ));
        }
        (Scope::TenantAdmin, None, None)
        | (Scope::Vendor, Some(_), None)
        | (Scope::Storefront, None, Some(_)) => {}
        (Scope::Vendor, None, _) => {
            return Err(ApiError::unprocessable(
                "vendor_id_required",
                "a vendor key needs the `vendor_id` it acts for",
            ));
        }
        (Scope::Storefront, _, None) => {
            return Err(ApiError::unprocessable(
                "brand_id_required",
                "a storefront key needs the `brand_id` it belongs to",
            ));
        }
        _ => {
            return Err(ApiError::unprocessable(
                "unexpected_binding",
                "only vendor keys take `vendor_id` and only storefront keys take `brand_id`",
            ));
        }
    }
    let (vendor_id, brand_id) = (body.vendor_id, body.brand_id);
    state
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
            StoreError::NotFound if vendor_id.is_some() => ApiError::unprocessable(
                "vendor_not_found",
                "no vendor with that `vendor_id` in this tenant",
            ),
            StoreError::NotFound => ApiError::unprocessable(
                "brand_not_found",
                "no brand with that `brand_id` in this tenant",
            ),
            other => other.into(),
        })?;
    let (key, secret) = store::create(
        &state.db,
        NewKey {
            tenant_id: Some(tenant_id),
            scope,
            vendor_id,
            brand_id,
            name,
        },
    )
    .await?;
    tracing::info!(key.id = %key.id, key.scope = %scope, "api key issued");
    Ok(IssuedKey {
        key: key.try_into()?,
        secret,
    })
}

/// Drop a revoked key from the authentication cache on every node.
async fn forget_key(state: &AppState, key_id: Uuid) -> ApiResult<()> {
    let hashes = store::hashes(&state.db, None, Some(key_id)).await?;
    crate::auth::forget(state, &hashes).await;
    Ok(())
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
        key.admin()?;
        let issued = issue_tenant_key(&self.state, key.tenant_id, &key.schema, body.0).await?;
        Ok(Created::Created(Json(issued)))
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
        key.admin()?;
        let page = store::list(
            &self.state.db,
            Some(key.tenant_id),
            page_request(limit.0, cursor.0),
        )
        .await?;
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
        key.admin()?;
        let revoked = store::revoke(&self.state.db, Some(key.tenant_id), key_id.0)
            .await
            .map_err(|e| ApiError::from_store(e, "key"))?;
        forget_key(&self.state, revoked.id).await?;
        tracing::info!(key.id = %revoked.id, "api key revoked");
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
        let tenant = tenants::get(&self.state.db, tenant_id.0)
            .await
            .map_err(|e| ApiError::from_store(e, "tenant"))?;
        let issued = issue_tenant_key(&self.state, tenant.id, &tenant.schema()?, body.0).await?;
        Ok(Created::Created(Json(issued)))
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
        let tenant = tenants::get(&self.state.db, tenant_id.0)
            .await
            .map_err(|e| ApiError::from_store(e, "tenant"))?;
        let page = store::list(
            &self.state.db,
            Some(tenant.id),
            page_request(limit.0, cursor.0),
        )
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
        let revoked = store::revoke(&self.state.db, Some(tenant_id.0), key_id.0)
            .await
            .map_err(|e| ApiError::from_store(e, "key"))?;
        forget_key(&self.state, revoked.id).await?;
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
        let body = body.0;
        if body.scope != KeyScope::Platform || body.vendor_id.is_some() || body.brand_id.is_some() {
            return Err(ApiError::unprocessable(
                "invalid_scope",
                "this endpoint issues `platform` keys only; tenant keys are issued under /v1/platform/tenants/{tenant_id}/keys",
            ));
        }
        let (key, secret) = store::create(
            &self.state.db,
            NewKey {
                tenant_id: None,
                scope: Scope::Platform,
                vendor_id: None,
                brand_id: None,
                name: validate::display_name("name", &body.name)?,
            },
        )
        .await?;
        Ok(Created::Created(Json(IssuedKey {
            key: key.try_into()?,
            secret,
        })))
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
        let page = store::list(&self.state.db, None, page_request(limit.0, cursor.0)).await?;
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
        let revoked = store::revoke(&self.state.db, None, key_id.0)
            .await
            .map_err(|e| ApiError::from_store(e, "key"))?;
        forget_key(&self.state, revoked.id).await?;
        Ok(Json(revoked.try_into()?))
    }
}
