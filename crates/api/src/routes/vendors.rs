//! `/v1/vendors`: a tenant's sellers and their onboarding. A vendor applies
//! (pending), a tenant admin approves (which issues the vendor's key),
//! rejects, suspends or reinstates it; every change is kept in its history.
//! A vendor key sees and changes its own vendor only (another vendor is 404,
//! as if it did not exist). Storefront keys have no access. The edge of
//! `bazaar_commerce::vendors`.

use bazaar_commerce::vendors;
use bazaar_domain::vendor::VendorStatus as Status;
use bazaar_store::tenant::vendors as store;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag, page_of, page_request};
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::timestamp::Timestamp;
use crate::types::IssuedKey;

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
    /// Temporarily barred from selling; its listings are hidden.
    Suspended,
}

impl From<Status> for VendorStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => VendorStatus::Pending,
            Status::Approved => VendorStatus::Approved,
            Status::Rejected => VendorStatus::Rejected,
            Status::Suspended => VendorStatus::Suspended,
        }
    }
}

impl From<VendorStatus> for Status {
    fn from(s: VendorStatus) -> Self {
        match s {
            VendorStatus::Pending => Status::Pending,
            VendorStatus::Approved => Status::Approved,
            VendorStatus::Rejected => Status::Rejected,
            VendorStatus::Suspended => Status::Suspended,
        }
    }
}

fn status_of(raw: &str) -> ApiResult<VendorStatus> {
    Status::parse(raw)
        .map(Into::into)
        .map_err(ApiError::internal)
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
    /// What the vendor sells, in its own words.
    pub description: String,
    /// Region codes the vendor delivers in.
    pub regions_served: Vec<String>,
    /// The vendor's payout account reference at the tenant's payment provider.
    pub payout_reference: Option<String>,
    /// Where the vendor is in onboarding.
    pub status: VendorStatus,
    /// Why the vendor was last rejected or suspended.
    pub status_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl TryFrom<store::Vendor> for Vendor {
    type Error = ApiError;

    fn try_from(v: store::Vendor) -> ApiResult<Self> {
        Ok(Self {
            id: v.id,
            status: status_of(&v.status)?,
            slug: v.slug,
            name: v.name,
            contact_email: v.contact_email,
            description: v.description,
            regions_served: v.regions_served,
            payout_reference: v.payout_reference,
            status_reason: v.status_reason,
            created_at: v.created_at.into(),
            updated_at: v.updated_at.into(),
        })
    }
}

page_of!(VendorPage, Vendor);

/// A vendor to create. Created by a tenant admin directly it is approved
/// unless a status is given; an application (`/v1/vendors/apply`) is pending.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateVendor {
    /// 2-40 characters of `a-z`, `0-9` and `-`, starting with a letter.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Where the marketplace reaches the vendor.
    pub contact_email: String,
    /// What the vendor sells.
    #[oai(default)]
    pub description: String,
    /// Region codes the vendor delivers in (regions of the tenant).
    #[oai(default)]
    pub regions_served: Vec<String>,
    /// Payout account reference at the tenant's payment provider.
    pub payout_reference: Option<String>,
    /// Initial status for direct creation (default `approved`).
    pub status: Option<VendorStatus>,
}

/// Changes to a vendor's profile; absent fields stay as they are. Only
/// tenant admins may change `slug`. Status changes go through the actions
/// (approve, reject, suspend, reinstate).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateVendor {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub contact_email: Option<String>,
    pub description: Option<String>,
    pub regions_served: Option<Vec<String>>,
    pub payout_reference: Option<String>,
}

/// Why a status changes.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct StatusChange {
    /// Shown in the vendor's history; required to reject or suspend.
    pub reason: Option<String>,
}

/// An approved vendor and its first vendor key (the secret is shown once).
#[derive(Debug, Object)]
pub struct Approval {
    pub vendor: Vendor,
    pub key: IssuedKey,
}

/// One status change of a vendor.
#[derive(Debug, Object)]
pub struct StatusEvent {
    pub from_status: Option<VendorStatus>,
    pub to_status: VendorStatus,
    pub reason: Option<String>,
    /// The id of the API key that made the change, or `manifest`.
    pub actor: String,
    pub at: Timestamp,
}

/// A vendor's status history, oldest first.
#[derive(Debug, Object)]
pub struct VendorHistory {
    pub items: Vec<StatusEvent>,
}

impl From<CreateVendor> for vendors::CreateVendor {
    fn from(v: CreateVendor) -> Self {
        Self {
            slug: v.slug,
            name: v.name,
            contact_email: v.contact_email,
            description: v.description,
            regions_served: v.regions_served,
            payout_reference: v.payout_reference,
            status: v.status.map(Status::from),
        }
    }
}

impl From<UpdateVendor> for vendors::UpdateVendor {
    fn from(v: UpdateVendor) -> Self {
        Self {
            slug: v.slug,
            name: v.name,
            contact_email: v.contact_email,
            description: v.description,
            regions_served: v.regions_served,
            payout_reference: v.payout_reference,
        }
    }
}

impl TryFrom<store::StatusEvent> for StatusEvent {
    type Error = ApiError;

    fn try_from(e: store::StatusEvent) -> ApiResult<Self> {
        Ok(Self {
            from_status: e.from_status.as_deref().map(status_of).transpose()?,
            to_status: status_of(&e.to_status)?,
            reason: e.reason,
            actor: e.actor,
            at: e.created_at.into(),
        })
    }
}

pub struct VendorsApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/vendors", tag = "Tag::Vendors")]
impl VendorsApi {
    /// Create a vendor
    ///
    /// Tenant admins create vendors directly (approved unless a status is
    /// given). Applications from prospective vendors use `apply`.
    #[oai(path = "/", method = "post", operation_id = "create_vendor")]
    async fn create(&self, auth: ApiKey, body: Json<CreateVendor>) -> ApiResult<Created<Vendor>> {
        let key = auth.0.tenant()?;
        let vendor = vendors::create(&self.state, key, body.0.into()).await?;
        Ok(Created::Created(Json(vendor.try_into()?)))
    }

    /// Apply to sell
    ///
    /// Records a prospective vendor's application (profile, contact,
    /// regions served, payout reference) as `pending`, for a tenant admin to
    /// approve or reject. Called by the tenant's onboarding site with its
    /// admin key.
    #[oai(path = "/apply", method = "post", operation_id = "apply_vendor")]
    async fn apply(&self, auth: ApiKey, body: Json<CreateVendor>) -> ApiResult<Created<Vendor>> {
        let key = auth.0.tenant()?;
        let vendor = vendors::apply(&self.state, key, body.0.into()).await?;
        Ok(Created::Created(Json(vendor.try_into()?)))
    }

    /// List vendors
    ///
    /// A vendor key sees only its own vendor.
    #[oai(path = "/", method = "get", operation_id = "list_vendors")]
    async fn list(
        &self,
        auth: ApiKey,
        /// Only vendors with this status.
        status: Query<Option<VendorStatus>>,
        /// How many vendors to return (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
    ) -> ApiResult<Json<VendorPage>> {
        let key = auth.0.tenant()?;
        let status = status.0.map(Status::from);
        let page = vendors::list(&self.state, key, status, page_request(limit.0, cursor.0)).await?;
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
        let vendor = vendors::get(&self.state, key, vendor_id.0).await?;
        Ok(Json(vendor.try_into()?))
    }

    /// Update a vendor's profile
    #[oai(path = "/:vendor_id", method = "patch", operation_id = "update_vendor")]
    async fn update(
        &self,
        auth: ApiKey,
        vendor_id: Path<Uuid>,
        body: Json<UpdateVendor>,
    ) -> ApiResult<Json<Vendor>> {
        let key = auth.0.tenant()?;
        let vendor = vendors::update(&self.state, key, vendor_id.0, body.0.into()).await?;
        Ok(Json(vendor.try_into()?))
    }

    /// Approve a vendor
    ///
    /// A pending (or previously rejected) vendor may sell from now on. The
    /// response carries the vendor's first vendor key, shown once.
    #[oai(
        path = "/:vendor_id/approve",
        method = "post",
        operation_id = "approve_vendor"
    )]
    async fn approve(
        &self,
        auth: ApiKey,
        vendor_id: Path<Uuid>,
        body: Json<StatusChange>,
    ) -> ApiResult<Json<Approval>> {
        let key = auth.0.tenant()?;
        let approval = vendors::approve(&self.state, key, vendor_id.0, body.0.reason).await?;
        Ok(Json(Approval {
            vendor: approval.vendor.try_into()?,
            key: approval.key.try_into()?,
        }))
    }

    /// Reject an application
    #[oai(
        path = "/:vendor_id/reject",
        method = "post",
        operation_id = "reject_vendor"
    )]
    async fn reject(
        &self,
        auth: ApiKey,
        vendor_id: Path<Uuid>,
        body: Json<StatusChange>,
    ) -> ApiResult<Json<Vendor>> {
        let key = auth.0.tenant()?;
        let vendor = vendors::reject(&self.state, key, vendor_id.0, body.0.reason).await?;
        Ok(Json(vendor.try_into()?))
    }

    /// Suspend a vendor
    ///
    /// Its listings disappear from every storefront until it is reinstated.
    #[oai(
        path = "/:vendor_id/suspend",
        method = "post",
        operation_id = "suspend_vendor"
    )]
    async fn suspend(
        &self,
        auth: ApiKey,
        vendor_id: Path<Uuid>,
        body: Json<StatusChange>,
    ) -> ApiResult<Json<Vendor>> {
        let key = auth.0.tenant()?;
        let vendor = vendors::suspend(&self.state, key, vendor_id.0, body.0.reason).await?;
        Ok(Json(vendor.try_into()?))
    }

    /// Reinstate a suspended vendor
    #[oai(
        path = "/:vendor_id/reinstate",
        method = "post",
        operation_id = "reinstate_vendor"
    )]
    async fn reinstate(
        &self,
        auth: ApiKey,
        vendor_id: Path<Uuid>,
        body: Json<StatusChange>,
    ) -> ApiResult<Json<Vendor>> {
        let key = auth.0.tenant()?;
        let vendor = vendors::reinstate(&self.state, key, vendor_id.0, body.0.reason).await?;
        Ok(Json(vendor.try_into()?))
    }

    /// A vendor's status history
    #[oai(
        path = "/:vendor_id/history",
        method = "get",
        operation_id = "vendor_history"
    )]
    async fn history(&self, auth: ApiKey, vendor_id: Path<Uuid>) -> ApiResult<Json<VendorHistory>> {
        let key = auth.0.tenant()?;
        let events = vendors::history(&self.state, key, vendor_id.0).await?;
        let items = events
            .into_iter()
            .map(StatusEvent::try_from)
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Json(VendorHistory { items }))
    }
}
