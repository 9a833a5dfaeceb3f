//! `/v1/brands`: a tenant's storefronts. Tenant admins create and change
//! them; vendor keys read them; a storefront key sees its own brand only.
//! The edge of `bazaar_commerce::brands`.

use bazaar_commerce::brands;
use bazaar_store::tenant::brands as store;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, page_of, page_request};
use crate::auth::ApiKey;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::timestamp::Timestamp;

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
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<store::Brand> for Brand {
    fn from(b: store::Brand) -> Self {
        Self {
            id: b.id,
            slug: b.slug,
            name: b.name,
            default_region: b.default_region,
            currency: b.currency.code().to_owned(),
            domains: b.domains,
            created_at: b.created_at.into(),
            updated_at: b.updated_at.into(),
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

impl From<CreateBrand> for brands::CreateBrand {
    fn from(b: CreateBrand) -> Self {
        Self {
            slug: b.slug,
            name: b.name,
            default_region: b.default_region,
            currency: b.currency,
            domains: b.domains,
        }
    }
}

impl From<UpdateBrand> for brands::UpdateBrand {
    fn from(b: UpdateBrand) -> Self {
        Self {
            slug: b.slug,
            name: b.name,
            default_region: b.default_region,
            currency: b.currency,
            domains: b.domains,
        }
    }
}

pub struct BrandsApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/brands", tag = "Tag::Brands")]
impl BrandsApi {
    /// Create a brand
    #[oai(path = "/", method = "post", operation_id = "create_brand")]
    async fn create(&self, auth: ApiKey, body: Json<CreateBrand>) -> ApiResult<Created<Brand>> {
        let key = auth.0.tenant()?;
        let brand = brands::create(&self.state, key, body.0.into()).await?;
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
        let page = brands::list(&self.state, key, page_request(limit.0, cursor.0)).await?;
        Ok(Json(page.map(Brand::from).into()))
    }

    /// Get a brand
    #[oai(path = "/:brand_id", method = "get", operation_id = "get_brand")]
    async fn get(&self, auth: ApiKey, brand_id: Path<Uuid>) -> ApiResult<Json<Brand>> {
        let key = auth.0.tenant()?;
        let brand = brands::get(&self.state, key, brand_id.0).await?;
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
        let brand = brands::update(&self.state, key, brand_id.0, body.0.into()).await?;
        Ok(Json(brand.into()))
    }
}
