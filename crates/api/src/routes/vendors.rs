//! `/v1/vendors`: a tenant's sellers. Tenant admins create and change any
//! vendor; a vendor key sees and changes its own vendor only (another
//! vendor is 404, as if it did not exist). Storefront keys have no access.

use bazaar_domain::{Scope, Slug, ids, validate};
use bazaar_store::StoreError;
use bazaar_store::tenant::vendors::{self as store, NewVendor, VendorChanges};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, page_of, page_request};
use crate::auth::{ApiKey, TenantKey};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Where a vendor is in onboarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum VendorStatus {
    /// Applied, waiting for a tenant admin.
    Pending,
    /// May sell.
    Approved,
    /// Application refused.
    Rejected,
    /// Temporarily barred from selling.
    Suspended,
}

impl VendorStatus {
    fn as_str(self) -> &'static str {
        match self {
            VendorStatus::Pending => "pending",
            VendorStatus::Approved => "approved",
            VendorStatus::Rejected => "rejected",
            VendorStatus::Suspended => "suspended",
        }
    }

    fn parse(raw: &str) -> ApiResult<Self> {
        [
            VendorStatus::Pending,
            VendorStatus::Approved,
            VendorStatus::Rejected,
            VendorStatus::Suspended,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
        .ok_or_else(|| ApiError::internal(format!("unknown vendor status `{raw}` in the database")))
    }
}

/// A seller in the tenant's marketplace.
#[derive(Debug, Object)]
pub struct Vendor {
    /// Identifier.
    pub id: Uuid,
    /// URL-safe name, unique in the tenant.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Where the marketplace reaches the vendor.
    pub contact_email: String,
    /// Where the vendor is in onboarding.
    pub status: VendorStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<store::Vendor> for Vendor {
    type Error = ApiError;

    fn try_from(v: store::Vendor) -> ApiResult<Self> {
        Ok(Self {
            id: v.id,
            status: VendorStatus::parse(&v.status)?,
            slug: v.slug,
            name: v.name,
            contact_email: v.contact_email,
            created_at: v.created_at,
            updated_at: v.updated_at,
        })
    }
}

page_of!(VendorPage, Vendor);

/// A vendor to create (tenant admins). Created vendors are approved unless
/// a status is given.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateVendor {
    /// 2-40 characters of `a-z`, `0-9` and `-`, starting with a letter.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Where the marketplace reaches the vendor.
    pub contact_email: String,
    /// Initial status (default `approved`).
    pub status: Option<VendorStatus>,
}

/// Changes to a vendor; absent fields stay as they are. Only tenant admins
/// may change `slug` or `status`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateVendor {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub contact_email: Option<String>,
    pub status: Option<VendorStatus>,
}

/// The vendor a key may see: any for admins, its own for vendor keys.
fn visible(key: &TenantKey, id: Uuid) -> ApiResult<()> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    if key.vendor_id.is_some_and(|own| own != id) {
        return Err(ApiError::from_store(StoreError::NotFound, "vendor"));
    }
    Ok(())
}

pub struct VendorsApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/vendors", tag = "Tag::Vendors")]
impl VendorsApi {
    /// Create a vendor
    #[oai(path = "/", method = "post", operation_id = "create_vendor")]
    async fn create(&self, auth: ApiKey, body: Json<CreateVendor>) -> ApiResult<Created<Vendor>> {
        let key = auth.0.tenant()?;
        key.admin()?;
        let body = body.0;
        validate::email(&body.contact_email)?;
        let new = NewVendor {
            id: ids::new_id(),
            slug: Slug::parse(&body.slug)?.to_string(),
            name: validate::display_name("name", &body.name)?,
            contact_email: body.contact_email,
            status: body
                .status
                .unwrap_or(VendorStatus::Approved)
                .as_str()
                .to_owned(),
        };
        let vendor = self
            .state
            .db
            .tenant_tx(&key.schema, |conn| store::create(conn, new).boxed())
            .await
            .map_err(|e| ApiError::from_store(e, "vendor"))?;
        Ok(Created::Created(Json(vendor.try_into()?)))
    }

    /// List vendors
    ///
    /// A vendor key sees only its own vendor.
    #[oai(path = "/", method = "get", operation_id = "list_vendors")]
    async fn list(
        &self,
        auth: ApiKey,
        /// How many vendors to return (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
    ) -> ApiResult<Json<VendorPage>> {
        let key = auth.0.tenant()?;
        key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
        let page = page_request(limit.0, cursor.0);
        let only = key.vendor_id;
        let page = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                store::list(conn, page, only).boxed()
            })
            .await?;
        let items = page
            .items
            .into_iter()
            .map(Vendor::try_from)
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Json(VendorPage {
            items,
            next_cursor: super::next_cursor(page.next_after),
        }))
    }

    /// Get a vendor
    #[oai(path = "/:vendor_id", method = "get", operation_id = "get_vendor")]
    async fn get(&self, auth: ApiKey, vendor_id: Path<Uuid>) -> ApiResult<Json<Vendor>> {
        let key = auth.0.tenant()?;
        let id = vendor_id.0;
        visible(key, id)?;
        let vendor = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| store::get(conn, id).boxed())
            .await
            .map_err(|e| ApiError::from_store(e, "vendor"))?;
        Ok(Json(vendor.try_into()?))
    }

    /// Update a vendor
    #[oai(path = "/:vendor_id", method = "patch", operation_id = "update_vendor")]
    async fn update(
        &self,
        auth: ApiKey,
        vendor_id: Path<Uuid>,
        body: Json<UpdateVendor>,
    ) -> ApiResult<Json<Vendor>> {
        let key = auth.0.tenant()?;
        let id = vendor_id.0;
        visible(key, id)?;
        let body = body.0;
        if key.scope == Scope::Vendor && (body.status.is_some() || body.slug.is_some()) {
            return Err(ApiError::forbidden(
                "insufficient_scope",
                "a vendor key cannot change its vendor's `slug` or `status`; a tenant admin can",
            ));
        }
        if let Some(email) = &body.contact_email {
            validate::email(email)?;
        }
        let changes = VendorChanges {
            slug: body
                .slug
                .map(|s| Slug::parse(&s).map(|s| s.to_string()))
                .transpose()?,
            name: body
                .name
                .map(|n| validate::display_name("name", &n))
                .transpose()?,
            contact_email: body.contact_email,
            status: body.status.map(|s| s.as_str().to_owned()),
        };
        let vendor = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                store::update(conn, id, changes).boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "vendor"))?;
        Ok(Json(vendor.try_into()?))
    }
}
