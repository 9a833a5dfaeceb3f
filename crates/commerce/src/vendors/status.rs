//! A vendor's onboarding moves (approve, reject, suspend, reinstate), each
//! with its history row and the visibility of the vendor's listings, in one
//! transaction.

use bazaar_domain::Scope;
use bazaar_domain::vendor::{VendorAction, VendorStatus};
use bazaar_store::StoreError;
use bazaar_store::tenant::listings::{self, Refresh};
use bazaar_store::tenant::vendors::{self as store, Vendor, VendorChanges};
use futures_util::FutureExt;
use uuid::Uuid;

use super::{VendorRefusal, optional_text, refused};
use crate::keys::{self, IssuedKey, KeyRequest};
use crate::{Outcome, Services, TenantKey, catalog_cache};

/// An approved vendor and its first vendor key.
#[derive(Debug)]
pub struct Approval {
    pub vendor: Vendor,
    pub key: IssuedKey,
}

/// Approve a pending (or previously rejected) vendor: it may sell from now
/// on, with the vendor key issued here (its secret shown once).
pub async fn approve(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    reason: Option<String>,
) -> Outcome<Approval, VendorRefusal> {
    let vendor = act(services, key, id, VendorAction::Approve, reason).await?;
    let issued = keys::issue_tenant_key(
        services,
        key.tenant_id,
        &key.schema,
        KeyRequest {
            name: format!("{} (issued on approval)", vendor.name),
            scope: Scope::Vendor,
            vendor_id: Some(vendor.id),
            brand_id: None,
        },
    )
    .await?;
    Ok(Approval {
        vendor,
        key: issued,
    })
}

/// Reject an application; `reason` is required.
pub async fn reject(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    reason: Option<String>,
) -> Outcome<Vendor, VendorRefusal> {
    act(services, key, id, VendorAction::Reject, reason).await
}

/// Suspend a vendor: its listings disappear from every storefront until it
/// is reinstated. `reason` is required.
pub async fn suspend(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    reason: Option<String>,
) -> Outcome<Vendor, VendorRefusal> {
    act(services, key, id, VendorAction::Suspend, reason).await
}

/// Reinstate a suspended vendor.
pub async fn reinstate(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    reason: Option<String>,
) -> Outcome<Vendor, VendorRefusal> {
    act(services, key, id, VendorAction::Reinstate, reason).await
}

/// Apply `action` to the vendor (tenant admins only), with its history row
/// and listing visibility, in one transaction.
#[tracing::instrument(skip_all, fields(vendor.id = %id, vendor.action = ?action))]
async fn act(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    action: VendorAction,
    reason: Option<String>,
) -> Outcome<Vendor, VendorRefusal> {
    key.admin()?;
    let reason = optional_text("reason", reason, 1000)?;
    if matches!(action, VendorAction::Reject | VendorAction::Suspend) && reason.is_none() {
        return Err(VendorRefusal::ReasonRequired.into());
    }
    let actor = key.key_id.to_string();
    let result = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let vendor = store::get_for_update(conn, id).await?;
                let from = VendorStatus::parse(&vendor.status)
                    .map_err(|e| StoreError::Migration(e.message))?;
                let to = match from.apply(action) {
                    Ok(to) => to,
                    Err(e) => {
                        return Ok(Err(VendorRefusal::IllegalTransition { message: e.message }));
                    }
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
        .map_err(refused)?;
    let vendor = result?;
    catalog_cache::bump(services, key.tenant_id).await;
    tracing::info!(vendor.id = %id, vendor.status = %vendor.status, "vendor status changed");
    Ok(vendor)
}
