//! Orders as their buyers and the tenant see them.

use bazaar_domain::{OrderStatus, Scope};
use bazaar_store::StoreError;
use bazaar_store::tenant::cancellations::{self, CancelMoney, CancelRefused};
use bazaar_store::tenant::carts::Access;
use bazaar_store::tenant::orders::{self, OrderRow};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::context::AccessRefusal;
use crate::{Failure, Outcome, Services, TenantKey, captures, catalog_cache, refunds, refusals};

refusals! {
    /// Why an order cannot be shown.
    pub enum OrderRefusal {
        Access(AccessRefusal) => delegate;
        NotFound => NotFound, "order_not_found", "no order with that id is visible to this key";
    }
}

/// One order with its lines. A tenant admin key sees every order; a storefront key sees
/// an order of its brand only when `access` opens it (the token of the cart
/// it was placed from, or its customer's session): the publishable key
/// alone is public.
pub async fn get(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    access: Option<Access>,
) -> Outcome<(OrderRow, orders::Contents), OrderRefusal> {
    key.require(&[Scope::Storefront, Scope::TenantAdmin])?;
    let brand = key.brand_id;
    let found = services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                let row = orders::get(conn, id, brand).await?;
                if brand.is_some() {
                    let Some(access) = access else {
                        return Err(StoreError::NotFound);
                    };
                    if !orders::opened_by(conn, id, &access).await? {
                        return Err(StoreError::NotFound);
                    }
                }
                let lines = orders::contents(conn, id).await?;
                Ok((row, lines))
            }
            .boxed()
        })
        .await;
    match found {
        Ok(found) => Ok(found),
        Err(StoreError::NotFound) => Err(OrderRefusal::NotFound.into()),
        Err(other) => Err(other.into()),
    }
}

refusals! {
    /// Why an order was not cancelled. Nothing changed.
    pub enum CancelRefusal {
        Access(AccessRefusal) => delegate;
        NotFound => NotFound, "order_not_found", "no order with that id is visible to this key";
        InvalidReason => Unprocessable, "invalid_reason",
            "give the reason for the order's record: 1-200 characters";
        /// Not paid yet, failed, or already refunded.
        NotCancellable { status: OrderStatus } => Conflict, "order_not_cancellable",
            "an order that is {status} cannot be cancelled";
        /// A vendor's part has left the warehouse.
        PartShipped => Conflict, "order_part_shipped",
            "a vendor part of this order has shipped; refund what comes back instead of cancelling";
        /// The shopper asked after a vendor packed its part.
        PartPacked => Conflict, "order_part_packed",
            "a vendor has already packed part of this order; ask the shop to cancel it";
    }
}

/// Cancel a paid order before any of it ships (tenant admin), or, for the
/// shopper (a storefront key with `access` opening the order), before
/// any of it is packed: its parts are cancelled, its stock goes back on hand, points come back, and its
/// money is released (an authorisation voided) or given back in full (a
/// refund, recorded before the provider is asked and swept until it
/// answers). Cancelling a cancelled order answers it unchanged.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn cancel(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    reason: String,
    access: Option<Access>,
) -> Outcome<(OrderRow, orders::Contents), CancelRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Storefront])?;
    let reason = reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(CancelRefusal::InvalidReason.into());
    }
    let brand = key.brand_id;
    let by = match brand {
        Some(_) => "shopper".to_owned(),
        None => key.key_id.to_string(),
    };
    let done = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                if let Some(brand) = brand {
                    // The shopper's own order, of the key's brand.
                    orders::get(conn, id, Some(brand)).await?;
                    let Some(access) = access else {
                        return Err(StoreError::NotFound);
                    };
                    if !orders::opened_by(conn, id, &access).await? {
                        return Err(StoreError::NotFound);
                    }
                }
                let hash = format!("cancel {id}");
                cancellations::cancel(conn, id, &reason, &by, &hash, brand.is_some()).await
            }
            .boxed()
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Failure::Refused(CancelRefusal::NotFound),
            other => Failure::Store(other),
        })?
        .map_err(|refused| {
            Failure::Refused(match refused {
                CancelRefused::Status(status) => CancelRefusal::NotCancellable { status },
                CancelRefused::Shipped => CancelRefusal::PartShipped,
                CancelRefused::Packed => CancelRefusal::PartPacked,
            })
        })?;
    match done {
        // Cancelled before: nothing changed.
        None => {}
        Some(money) => {
            match money {
                CancelMoney::Nothing => {}
                CancelMoney::Void(to) => {
                    captures::void(services, &key.schema, to).await?;
                }
                CancelMoney::Refund(refund) => {
                    refunds::settle_with_provider(services, &key.schema, refund).await?;
                }
            }
            catalog_cache::bump(services, key.tenant_id).await;
            tracing::info!("order cancelled");
        }
    }
    let found = services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                Ok((
                    orders::get(conn, id, None).await?,
                    orders::contents(conn, id).await?,
                ))
            }
            .boxed()
        })
        .await?;
    Ok(found)
}
