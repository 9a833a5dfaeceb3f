//! `/v1/brands`: a tenant's storefronts. Tenant admins create and change
//! them; vendor keys read them; a storefront key sees its own brand only.

use bazaar_domain::{Currency, Scope, Slug, ids, validate};
use bazaar_store::tenant::brands::{self as store, BrandChanges, NewBrand};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, page_of, page_request};
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A storefront of the tenant.
#[derive(Debug, Object)]
pub struct Brand {
    /// Identifier.
    pub id: Uuid,
    /// URL-safe name, unique in the tenant.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The region pack a cart starts in, e.g. `US-CA`.
    pub default_region: Option<String>,
    /// ISO 4217 currency the brand sells in.
    pub currency: String,
    /// Host names the storefront is served on.
    pub domains: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Brand> for Brand {
    fn from(b: store::Brand) -> Self {
        Self {
            id: b.id,
            slug: b.slug,
            name: b.name,
            default_region: b.default_region,
            currency: b.currency,
            domains: b.domains,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

page_of!(BrandPage, Brand);

/// A brand to create.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateBrand {
    /// 2-40 characters of `a-z`, `0-9` and `-`, starting with a letter.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// One of the tenant's regions, e.g. `US-CA`.
    pub default_region: Option<String>,
    /// ISO 4217 currency code, e.g. `USD`.
    pub currency: String,
    /// Host names the storefront is served on.
    #[oai(default)]
    pub domains: Vec<String>,
}

/// Changes to a brand; absent fields stay as they are.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateBrand {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub default_region: Option<String>,
    pub currency: Option<String>,
    pub domains: Option<Vec<String>>,
}

/// Validated brand fields, shared by the API and `tenant apply`.
pub fn check_domains(domains: Vec<String>) -> ApiResult<Vec<String>> {
    let mut out = Vec::with_capacity(domains.len());
    for domain in domains {
        validate::hostname(&domain)?;
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    Ok(out)
}

/// Refuse a region the tenant does not sell in.
pub struct BrandsApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/brands", tag = "Tag::Brands")]
impl BrandsApi {
    /// Create a brand
    #[oai(path = "/", method = "post", operation_id = "create_brand")]
    async fn create(&self, auth: ApiKey, body: Json<CreateBrand>) -> ApiResult<Created<Brand>> {
        let key = auth.0.tenant()?;
        key.admin()?;
        let body = body.0;
        if let Some(region) = &body.default_region {
            bazaar_commerce::regions::check_enabled(&self.state, key, region).await?;
        }
        let new = NewBrand {
            id: ids::new_id(),
            slug: Slug::parse(&body.slug)?.to_string(),
            name: validate::display_name("name", &body.name)?,
            default_region: body.default_region,
            currency: Currency::parse(&body.currency)?.code().to_owned(),
            domains: check_domains(body.domains)?,
        };
        let brand = self
            .state
            .db
            .tenant_tx(&key.schema, |conn| store::create(conn, new).boxed())
            .await
            .map_err(|e| ApiError::from_store(e, "brand"))?;
        Ok(Created::Created(Json(brand.into())))
    }

    /// List brands
    ///
    /// A storefront key sees only its own brand.
    #[oai(path = "/", method = "get", operation_id = "list_brands")]
    async fn list(
        &self,
        auth: ApiKey,
        /// How many brands to return (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
    ) -> ApiResult<Json<BrandPage>> {
        let key = auth.0.tenant()?;
        let page = page_request(limit.0, cursor.0);
        let only = key.brand_id;
        let page = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                store::list(conn, page, only).boxed()
            })
            .await?;
        Ok(Json(page.map(Brand::from).into()))
    }

    /// Get a brand
    #[oai(path = "/:brand_id", method = "get", operation_id = "get_brand")]
    async fn get(&self, auth: ApiKey, brand_id: Path<Uuid>) -> ApiResult<Json<Brand>> {
        let key = auth.0.tenant()?;
        let id = brand_id.0;
        if key.brand_id.is_some_and(|own| own != id) {
            return Err(ApiError::from_store(
                bazaar_store::StoreError::NotFound,
                "brand",
            ));
        }
        let brand = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| store::get(conn, id).boxed())
            .await
            .map_err(|e| ApiError::from_store(e, "brand"))?;
        Ok(Json(brand.into()))
    }

    /// Update a brand
    #[oai(path = "/:brand_id", method = "patch", operation_id = "update_brand")]
    async fn update(
        &self,
        auth: ApiKey,
        brand_id: Path<Uuid>,
        body: Json<UpdateBrand>,
    ) -> ApiResult<Json<Brand>> {
        let key = auth.0.tenant()?;
        key.require(&[Scope::TenantAdmin])?;
        let body = body.0;
        if let Some(region) = &body.default_region {
            bazaar_commerce::regions::check_enabled(&self.state, key, region).await?;
        }
        let changes = BrandChanges {
            slug: body
                .slug
                .map(|s| Slug::parse(&s).map(|s| s.to_string()))
                .transpose()?,
            name: body
                .name
                .map(|n| validate::display_name("name", &n))
                .transpose()?,
            default_region: body.default_region.map(Some),
            currency: body
                .currency
                .map(|c| Currency::parse(&c).map(|c| c.code().to_owned()))
                .transpose()?,
            domains: body.domains.map(check_domains).transpose()?,
        };
        let id = brand_id.0;
        let brand = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                store::update(conn, id, changes).boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "brand"))?;
        Ok(Json(brand.into()))
    }
}
