//! Vendors' warehouses: created in a region the tenant sells in, listed.

use bazaar_domain::{Scope, validate};
use bazaar_store::StoreError;
use bazaar_store::tenant::inventory::{self as store, Warehouse};
use futures_util::FutureExt;
use uuid::Uuid;

use super::InventoryRefusal;
use crate::{Failure, Outcome, Services, TenantKey, acting, regions};

/// A new warehouse.
#[derive(Debug, Clone)]
pub struct NewWarehouse {
    /// Required with a tenant admin key.
    pub vendor_id: Option<Uuid>,
    /// 1-32 letters, digits or `-`; unique per vendor.
    pub code: String,
    pub name: String,
    /// One of the tenant's regions.
    pub region: String,
    pub address: String,
}

/// Create a warehouse for the key's vendor (or the one a tenant admin
/// names).
#[tracing::instrument(skip_all, fields(warehouse.code = %new.code))]
pub async fn create(
    services: &Services,
    key: &TenantKey,
    new: NewWarehouse,
) -> Outcome<Warehouse, InventoryRefusal> {
    let vendor_id = acting::vendor_for(key, new.vendor_id)?;
    let code = new.code.trim().to_owned();
    if code.is_empty()
        || code.len() > 32
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(InventoryRefusal::InvalidCode { code }.into());
    }
    let name = validate::display_name("name", &new.name)?;
    regions::check_enabled(services, key, &new.region).await?;
    let (region, address) = (new.region, new.address);
    let is_vendor_key = key.scope == Scope::Vendor;
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                if let Err(e) = acting::check_vendor(conn, vendor_id, is_vendor_key).await? {
                    return Ok(Err(e.into()));
                }
                match store::create_warehouse(conn, vendor_id, &code, &name, &region, &address)
                    .await
                {
                    Ok(w) => Ok(Ok(w)),
                    Err(StoreError::Conflict { .. }) => Ok(Err(InventoryRefusal::CodeTaken)),
                    Err(e) => Err(e),
                }
            }
            .boxed()
        })
        .await?
        .map_err(Failure::Refused)
}

/// The key's vendor's warehouses (every vendor's for a tenant admin).
pub async fn list(
    services: &Services,
    key: &TenantKey,
) -> Outcome<Vec<Warehouse>, InventoryRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    let only = key.vendor_id;
    Ok(services
        .db
        .tenant_read(&key.schema, move |conn| {
            store::warehouses_of(conn, only).boxed()
        })
        .await?)
}
