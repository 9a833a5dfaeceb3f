//! `/v1/platform/tenants`: the platform operator creates, lists, suspends
//! and resumes tenants. Creating one provisions its schema. The edge of
//! `bazaar_commerce::tenants`.

use bazaar_commerce::tenants;
use bazaar_store::control::tenants::{self as store, SUSPENDED};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, page_of, page_request};
use crate::auth::ApiKey;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::timestamp::Timestamp;

/// Whether a tenant's keys work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Serving requests.
    Active,
    /// Every key of the tenant is refused with `tenant_suspended`.
    Suspended,
}

/// A company running a marketplace on this deployment.
#[derive(Debug, Object)]
pub struct Tenant {
    /// Identifier.
    pub id: Uuid,
    /// URL-safe name, unique on the deployment.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Whether the tenant's keys work.
    pub status: TenantStatus,
    /// Why the tenant was suspended, when it is.
    pub status_reason: Option<String>,
    /// Region codes (region packs) the tenant sells in.
    pub regions: Vec<String>,
    /// The database cluster holding the tenant's schema.
    pub cluster: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<store::Tenant> for Tenant {
    fn from(t: store::Tenant) -> Self {
        Self {
            id: t.id,
            status: if t.status == SUSPENDED {
                TenantStatus::Suspended
            } else {
                TenantStatus::Active
            },
            slug: t.slug,
            name: t.name,
            status_reason: t.status_reason,
            regions: t.regions,
            cluster: t.cluster,
            created_at: t.created_at.into(),
            updated_at: t.updated_at.into(),
        }
    }
}

page_of!(TenantPage, Tenant);

/// A tenant to create.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateTenant {
    /// 2-40 characters of `a-z`, `0-9` and `-`, starting with a letter.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Region codes the tenant sells in, e.g. `US-CA`.
    #[oai(default)]
    pub regions: Vec<String>,
}

/// Changes to a tenant; absent fields stay as they are.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateTenant {
    /// Display name.
    pub name: Option<String>,
    /// Region codes the tenant sells in (replaces the list).
    pub regions: Option<Vec<String>>,
}

/// Why a tenant is being suspended.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SuspendTenant {
    /// The operator's note of why, kept on the tenant until it is resumed.
    pub reason: Option<String>,
}

pub struct TenantsApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/platform/tenants", tag = "Tag::Platform")]
impl TenantsApi {
    /// Create a tenant
    ///
    /// Provisions the tenant's schema from the current template. The slug is
    /// permanent: it names the schema.
    #[oai(path = "/", method = "post", operation_id = "create_tenant")]
    async fn create(&self, auth: ApiKey, body: Json<CreateTenant>) -> ApiResult<Created<Tenant>> {
        auth.0.platform()?;
        let body = body.0;
        let input = tenants::CreateTenant {
            slug: body.slug,
            name: body.name,
            regions: body.regions,
        };
        let tenant = tenants::create(&self.state, input).await?;
        Ok(Created::Created(Json(tenant.into())))
    }

    /// List tenants
    #[oai(path = "/", method = "get", operation_id = "list_tenants")]
    async fn list(
        &self,
        auth: ApiKey,
        /// How many tenants to return (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
    ) -> ApiResult<Json<TenantPage>> {
        auth.0.platform()?;
        let page = tenants::list(&self.state, page_request(limit.0, cursor.0)).await?;
        Ok(Json(page.map(Tenant::from).into()))
    }

    /// Get a tenant
    #[oai(path = "/:tenant_id", method = "get", operation_id = "get_tenant")]
    async fn get(&self, auth: ApiKey, tenant_id: Path<Uuid>) -> ApiResult<Json<Tenant>> {
        auth.0.platform()?;
        let tenant = tenants::get(&self.state, tenant_id.0).await?;
        Ok(Json(tenant.into()))
    }

    /// Update a tenant
    #[oai(path = "/:tenant_id", method = "patch", operation_id = "update_tenant")]
    async fn update(
        &self,
        auth: ApiKey,
        tenant_id: Path<Uuid>,
        body: Json<UpdateTenant>,
    ) -> ApiResult<Json<Tenant>> {
        auth.0.platform()?;
        let body = body.0;
        let input = tenants::UpdateTenant {
            name: body.name,
            regions: body.regions,
        };
        let tenant = tenants::update(&self.state, tenant_id.0, input).await?;
        Ok(Json(tenant.into()))
    }

    /// Suspend a tenant
    ///
    /// Every key of the tenant is refused with 403 `tenant_suspended` from
    /// the next request on. Data is kept.
    #[oai(
        path = "/:tenant_id/suspend",
        method = "post",
        operation_id = "suspend_tenant"
    )]
    async fn suspend(
        &self,
        auth: ApiKey,
        tenant_id: Path<Uuid>,
        body: Json<SuspendTenant>,
    ) -> ApiResult<Json<Tenant>> {
        auth.0.platform()?;
        let tenant = tenants::suspend(&self.state, tenant_id.0, body.0.reason).await?;
        Ok(Json(tenant.into()))
    }

    /// Resume a tenant
    #[oai(
        path = "/:tenant_id/resume",
        method = "post",
        operation_id = "resume_tenant"
    )]
    async fn resume(&self, auth: ApiKey, tenant_id: Path<Uuid>) -> ApiResult<Json<Tenant>> {
        auth.0.platform()?;
        let tenant = tenants::resume(&self.state, tenant_id.0).await?;
        Ok(Json(tenant.into()))
    }
}
