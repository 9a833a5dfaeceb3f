//! Stock levels: a manual change (receipt, return, adjustment) written to
//! the ledger, and a variant's stock in every warehouse.

use bazaar_domain::Scope;
use bazaar_store::StoreError;
use bazaar_store::tenant::inventory::{self as store, Movement, StockLevel};
use bazaar_store::tenant::listings::{self, Refresh};
use bazaar_store::tenant::products;
use futures_util::FutureExt;
use uuid::Uuid;

use super::InventoryRefusal;
use crate::{Failure, Outcome, Services, TenantKey, catalog_cache};

/// A change a person makes by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualMovement {
    /// Goods arrived (quantity > 0).
    Receive,
    /// Goods came back from a customer (quantity > 0).
    Return,
    /// A correction after a count, damage or loss (any non-zero quantity).
    Adjust,
}

/// A change to one variant's stock in one warehouse.
#[derive(Debug, Clone)]
pub struct StockChange {
    pub variant_id: Uuid,
    pub warehouse_id: Uuid,
    pub kind: ManualMovement,
    /// Units added (negative for an adjustment that removes stock).
    pub quantity: i32,
    /// The vendor's reference: a delivery note, a count sheet...
    pub reference: Option<String>,
}

/// Record a stock change in the ledger. Stock cannot go below what is
/// reserved: such a change is refused.
#[tracing::instrument(skip_all, fields(variant.id = %change.variant_id))]
pub async fn record(
    services: &Services,
    key: &TenantKey,
    change: StockChange,
) -> Outcome<StockLevel, InventoryRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    let kind = match change.kind {
        ManualMovement::Receive if change.quantity > 0 => Movement::Receive,
        ManualMovement::Return if change.quantity > 0 => Movement::Return,
        ManualMovement::Adjust if change.quantity != 0 => Movement::Adjust,
        _ => return Err(InventoryRefusal::InvalidQuantity.into()),
    };
    let (only, actor) = (key.vendor_id, key.key_id.to_string());
    let level = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let warehouse = match store::warehouse(conn, change.warehouse_id, only).await {
                    Ok(w) => w,
                    Err(StoreError::NotFound) => {
                        return Ok(Err(InventoryRefusal::WarehouseNotFound));
                    }
                    Err(e) => return Err(e),
                };
                let variant = products::variants_by_id(conn, change.variant_id).await?;
                let Some(variant) = variant.filter(|v| v.vendor_id == warehouse.vendor_id) else {
                    return Ok(Err(InventoryRefusal::VariantNotFound));
                };
                let changed = store::change(
                    conn,
                    variant.id,
                    warehouse.id,
                    kind,
                    change.quantity,
                    0,
                    change.reference.as_deref(),
                    &actor,
                )
                .await;
                match changed {
                    Ok(level) => {
                        listings::refresh(conn, Refresh::Products(&[variant.product_id])).await?;
                        Ok(Ok(level))
                    }
                    Err(StoreError::Constraint { .. }) => {
                        Ok(Err(InventoryRefusal::InsufficientStock))
                    }
                    Err(e) => Err(e),
                }
            }
            .boxed()
        })
        .await?
        .map_err(Failure::Refused)?;
    catalog_cache::bump(services, key.tenant_id).await;
    Ok(level)
}

/// A variant's stock in every warehouse.
pub async fn levels(
    services: &Services,
    key: &TenantKey,
    variant_id: Uuid,
) -> Outcome<Vec<StockLevel>, InventoryRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    let only = key.vendor_id;
    services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                match products::variants_by_id(conn, variant_id).await? {
                    Some(v) if only.is_none_or(|o| o == v.vendor_id) => {
                        store::levels(conn, &[variant_id]).await
                    }
                    _ => Err(StoreError::NotFound),
                }
            }
            .boxed()
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => InventoryRefusal::UnknownVariant.into(),
            other => Failure::Store(other),
        })
}
