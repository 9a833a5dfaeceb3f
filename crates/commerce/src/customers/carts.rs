//! The signed-in shopper's carts in the storefront's brand: the working
//! cart (the most recently active unnamed one) and carts saved for later
//! under a name.

use bazaar_store::StoreError;
use bazaar_store::tenant::carts::{self, Access, Cart};
use futures_util::FutureExt;
use uuid::Uuid;

use super::fields::{Field, FieldRefusal, trimmed};
use super::{CustomerRefusal, signed_in};
use crate::{Failure, Outcome, Services, TenantKey, refusals};

/// One of the shopper's carts.
#[derive(Debug, Clone)]
pub struct MyCart {
    pub cart: Cart,
    /// Whether it is the working cart.
    pub working: bool,
}

refusals! {
    /// Why a cart was not saved.
    pub enum SaveCartRefusal {
        Customer(CustomerRefusal) => delegate;
        Field(FieldRefusal) => delegate;
        NotFound => NotFound, "cart_not_found", "no cart with that id is visible to this key";
        CheckedOut => Conflict, "cart_checked_out", "this cart has been checked out";
    }
}

/// The shopper's open carts, most recently active first.
pub async fn list(
    services: &Services,
    key: &TenantKey,
    session: &str,
) -> Outcome<Vec<MyCart>, CustomerRefusal> {
    let me = signed_in(services, key, session).await?;
    let (id, brand) = (me.customer(), me.brand());
    let rows = services
        .db
        .tenant_read(&key.schema, move |conn| {
            carts::of_customer(conn, id, brand).boxed()
        })
        .await?;
    let working = rows.iter().find(|c| c.saved_name.is_none()).map(|c| c.id);
    Ok(rows
        .into_iter()
        .map(|cart| MyCart {
            working: Some(cart.id) == working,
            cart,
        })
        .collect())
}

/// Save a cart for later under `name`, or (`None`) make it the working
/// cart.
pub async fn save(
    services: &Services,
    key: &TenantKey,
    session: &str,
    cart: Uuid,
    name: Option<String>,
) -> Outcome<MyCart, SaveCartRefusal> {
    let me = signed_in(services, key, session).await?;
    let name = name.map(|n| trimmed(Field::Name, &n, 100)).transpose()?;
    let (brand, access) = (me.brand(), Access::Customer(me.customer()));
    let saved = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let found = carts::get(conn, cart, brand, &access).await?;
                if found.status != "open" {
                    return Ok(Err(SaveCartRefusal::CheckedOut));
                }
                carts::set_saved_name(conn, cart, name.as_deref()).await?;
                Ok(Ok(carts::get(conn, cart, brand, &access).await?))
            }
            .boxed()
        })
        .await
        .map_err(|e| -> Failure<SaveCartRefusal> {
            match e {
                StoreError::NotFound => SaveCartRefusal::NotFound.into(),
                other => other.into(),
            }
        })??;
    Ok(MyCart {
        working: saved.saved_name.is_none(),
        cart: saved,
    })
}
