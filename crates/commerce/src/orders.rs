//! Orders as their buyers and the tenant see them.

use bazaar_domain::Scope;
use bazaar_store::StoreError;
use bazaar_store::tenant::carts::Access;
use bazaar_store::tenant::orders::{self, LineRow, OrderRow};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::context::AccessRefusal;
use crate::{Outcome, Services, TenantKey, refusals};

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
) -> Outcome<(OrderRow, Vec<LineRow>), OrderRefusal> {
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
                let lines = orders::lines(conn, id).await?;
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
