//! `/v1/platform/tenants`: the platform operator creates, lists, suspends
//! and resumes tenants. Creating one provisions its schema.

use bazaar_domain::{Slug, validate};
use bazaar_store::control::tenants::{self as store, ACTIVE, NewTenant, SUSPENDED};
use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, page_of, page_request};
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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
            created_at: t.created_at,
            updated_at: t.updated_at,
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

/// Check a list of region codes and return it de-duplicated, in order.
pub fn regions(raw: Vec<String>) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for code in raw {
        validate::region_code(&code)?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
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
        let new = NewTenant {
            slug: Slug::parse(&body.slug)?,
            name: validate::display_name("name", &body.name)?,
            regions: regions(body.regions)?,
        };
        bazaar_commerce::regions::check_in_force(&self.state, &new.regions)?;
        let tenant = store::create(&self.state.db, new)
            .await
            .map_err(|e| ApiError::from_store(e, "tenant"))?;
        tracing::info!(tenant.slug = %tenant.slug, "tenant created");
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
        let page = store::list(&self.state.db, page_request(limit.0, cursor.0)).await?;
        Ok(Json(page.map(Tenant::from).into()))
    }

    /// Get a tenant
    #[oai(path = "/:tenant_id", method = "get", operation_id = "get_tenant")]
    async fn get(&self, auth: ApiKey, tenant_id: Path<Uuid>) -> ApiResult<Json<Tenant>> {
        auth.0.platform()?;
        let tenant = store::get(&self.state.db, tenant_id.0)
            .await
            .map_err(|e| ApiError::from_store(e, "tenant"))?;
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
        let name = body
            .name
            .map(|n| validate::display_name("name", &n))
            .transpose()?;
        let regions = body.regions.map(regions).transpose()?;
        if let Some(codes) = &regions {
            bazaar_commerce::regions::check_in_force(&self.state, codes)?;
        }
        let tenant = store::update(&self.state.db, tenant_id.0, name, regions)
            .await
            .map_err(|e| ApiError::from_store(e, "tenant"))?;
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
        let tenant = store::set_status(&self.state.db, tenant_id.0, SUSPENDED, body.0.reason)
            .await
            .map_err(|e| ApiError::from_store(e, "tenant"))?;
        let hashes =
            bazaar_store::control::keys::hashes(&self.state.db, Some(tenant.id), None).await?;
        crate::auth::forget(&self.state, &hashes).await;
        tracing::info!(tenant.slug = %tenant.slug, "tenant suspended");
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
        let tenant = store::set_status(&self.state.db, tenant_id.0, ACTIVE, None)
            .await
            .map_err(|e| ApiError::from_store(e, "tenant"))?;
        let hashes =
            bazaar_store::control::keys::hashes(&self.state.db, Some(tenant.id), None).await?;
        crate::auth::forget(&self.state, &hashes).await;
        tracing::info!(tenant.slug = %tenant.slug, "tenant resumed");
        Ok(Json(tenant.into()))
    }
}
