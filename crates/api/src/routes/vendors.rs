//! `/v1/vendors`: a tenant's sellers and their onboarding. A vendor applies
//! (pending), a tenant admin approves (which issues the vendor's key),
//! rejects, suspends or reinstates it; every change is kept in its history.
//! A vendor key sees and changes its own vendor only (another vendor is 404,
//! as if it did not exist). Storefront keys have no access.

use bazaar_domain::vendor::{VendorAction, VendorStatus as Status};
use bazaar_domain::{Scope, Slug, ids, validate};
use bazaar_store::StoreError;
use bazaar_store::tenant::listings::{self, Refresh};
use bazaar_store::tenant::vendors::{self as store, NewVendor, VendorChanges};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::keys::{CreateKey, IssuedKey, KeyScope, issue_tenant_key};
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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
            created_at: v.created_at,
            updated_at: v.updated_at,
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
    pub at: DateTime<Utc>,
}

/// A vendor's status history, oldest first.
#[derive(Debug, Object)]
pub struct VendorHistory {
    pub items: Vec<StatusEvent>,
}

/// The vendor a key may see: any for admins, its own for vendor keys.
fn visible(key: &TenantKey, id: Uuid) -> ApiResult<()> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    if key.vendor_id.is_some_and(|own| own != id) {
        return Err(ApiError::from_store(StoreError::NotFound, "vendor"));
    }
    Ok(())
}

/// Check the regions a vendor serves against the tenant's.
async fn check_served(
    state: &AppState,
    key: &TenantKey,
    regions: &[String],
) -> ApiResult<Vec<String>> {
    let regions = super::tenants::regions(regions.to_vec())?;
    if regions.is_empty() {
        return Ok(regions);
    }
    let tenant = bazaar_store::control::tenants::get(&state.db, key.tenant_id).await?;
    if let Some(outside) = regions.iter().find(|r| !tenant.regions.contains(r)) {
        return Err(ApiError::unprocessable(
            "region_not_enabled",
            format!(
                "the tenant does not sell in `{outside}`; its regions are [{}]",
                tenant.regions.join(", ")
            ),
        ));
    }
    Ok(regions)
}

fn optional_text(field: &str, raw: Option<String>, max: usize) -> ApiResult<Option<String>> {
    match raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > max => Err(ApiError::unprocessable(
            "value_too_long",
            format!("`{field}` is longer than {max} characters"),
        )),
        other => Ok(other),
    }
}

pub struct VendorsApi {
    pub state: AppState,
}

impl VendorsApi {
    async fn create_vendor(
        &self,
        key: &TenantKey,
        body: CreateVendor,
        status: Status,
    ) -> ApiResult<Vendor> {
        validate::email(&body.contact_email)?;
        let new = NewVendor {
            id: ids::new_id(),
            slug: Slug::parse(&body.slug)?.to_string(),
            name: validate::display_name("name", &body.name)?,
            contact_email: body.contact_email,
            status: status.as_str().to_owned(),
            description: optional_text("description", Some(body.description), 5000)?
                .unwrap_or_default(),
            regions_served: check_served(&self.state, key, &body.regions_served).await?,
            payout_reference: optional_text("payout_reference", body.payout_reference, 200)?,
        };
        let actor = key.key_id.to_string();
        let vendor = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move { store::create(conn, new, &actor).await }.boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "vendor"))?;
        vendor.try_into()
    }

    /// Apply `action` to the vendor, with its history row and listing
    /// visibility, in one transaction.
    async fn act(
        &self,
        key: &TenantKey,
        id: Uuid,
        action: VendorAction,
        reason: Option<String>,
    ) -> ApiResult<Vendor> {
        key.admin()?;
        let reason = optional_text("reason", reason, 1000)?;
        if matches!(action, VendorAction::Reject | VendorAction::Suspend) && reason.is_none() {
            return Err(ApiError::unprocessable(
                "reason_required",
                "say why in `reason`; it is kept in the vendor's history",
            ));
        }
        let actor = key.key_id.to_string();
        let result = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let vendor = store::get_for_update(conn, id).await?;
                    let from = Status::parse(&vendor.status)
                        .map_err(|e| StoreError::Migration(e.message))?;
                    let to = match from.apply(action) {
                        Ok(to) => to,
                        Err(e) => return Ok(Err(e)),
                    };
                    let updated = store::update(
                        conn,
                        id,
                        VendorChanges {
                            status: Some(to.as_str().to_owned()),
                            status_reason: Some(reason.clone()),
                            ..Default::default()
                        },
                    )
                    .await?;
                    store::record(
                        conn,
                        id,
                        Some(from.as_str()),
                        to.as_str(),
                        reason.as_deref(),
                        &actor,
                    )
                    .await?;
                    listings::refresh(conn, Refresh::Vendor(id)).await?;
                    Ok(Ok(updated))
                }
                .boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "vendor"))?;
        let vendor = result.map_err(|e| ApiError::conflict(e.code, e.message))?;
        bazaar_commerce::catalog_cache::bump(&self.state, key.tenant_id).await;
        tracing::info!(vendor.id = %id, vendor.status = %vendor.status, "vendor status changed");
        vendor.try_into()
    }
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
        key.admin()?;
        let status = body.0.status.map(Status::from).unwrap_or(Status::Approved);
        Ok(Created::Created(Json(
            self.create_vendor(key, body.0, status).await?,
        )))
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
        key.admin()?;
        if body.0.status.is_some() {
            return Err(ApiError::unprocessable(
                "unexpected_status",
                "an application is always pending; leave `status` out",
            ));
        }
        Ok(Created::Created(Json(
            self.create_vendor(key, body.0, Status::Pending).await?,
        )))
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
        key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
        let page = page_request(limit.0, cursor.0);
        let only = key.vendor_id;
        let status = status.0.map(|s| Status::from(s).as_str().to_owned());
        let page = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                store::list(conn, page, only, status).boxed()
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

    /// Update a vendor's profile
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
        if key.scope == Scope::Vendor && body.slug.is_some() {
            return Err(ApiError::forbidden(
                "insufficient_scope",
                "a vendor key cannot change its vendor's `slug`; a tenant admin can",
            ));
        }
        if let Some(email) = &body.contact_email {
            validate::email(email)?;
        }
        let regions_served = match &body.regions_served {
            Some(r) => Some(check_served(&self.state, key, r).await?),
            None => None,
        };
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
            description: optional_text("description", body.description, 5000)?,
            regions_served,
            payout_reference: optional_text("payout_reference", body.payout_reference, 200)?
                .map(Some),
            ..Default::default()
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
        let vendor = self
            .act(key, vendor_id.0, VendorAction::Approve, body.0.reason)
            .await?;
        let issued = issue_tenant_key(
            &self.state,
            key.tenant_id,
            &key.schema,
            CreateKey {
                name: format!("{} (issued on approval)", vendor.name),
                scope: KeyScope::Vendor,
                vendor_id: Some(vendor.id),
                brand_id: None,
            },
        )
        .await?;
        Ok(Json(Approval {
            vendor,
            key: issued,
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
        Ok(Json(
            self.act(key, vendor_id.0, VendorAction::Reject, body.0.reason)
                .await?,
        ))
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
        Ok(Json(
            self.act(key, vendor_id.0, VendorAction::Suspend, body.0.reason)
                .await?,
        ))
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
        Ok(Json(
            self.act(key, vendor_id.0, VendorAction::Reinstate, body.0.reason)
                .await?,
        ))
    }

    /// A vendor's status history
    #[oai(
        path = "/:vendor_id/history",
        method = "get",
        operation_id = "vendor_history"
    )]
    async fn history(&self, auth: ApiKey, vendor_id: Path<Uuid>) -> ApiResult<Json<VendorHistory>> {
        let key = auth.0.tenant()?;
        let id = vendor_id.0;
        visible(key, id)?;
        let events = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                async move {
                    store::get(conn, id).await?;
                    store::history(conn, id).await
                }
                .boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "vendor"))?;
        let items = events
            .into_iter()
            .map(|e| {
                Ok(StatusEvent {
                    from_status: e.from_status.as_deref().map(status_of).transpose()?,
                    to_status: status_of(&e.to_status)?,
                    reason: e.reason,
                    actor: e.actor,
                    at: e.created_at,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Json(VendorHistory { items }))
    }
}
