//! A shopper's data: everything held about the account, read in one
//! snapshot to take away, and erasure (by the shopper or on request by the
//! tenant's admins): personal data gone, orders kept anonymised so the
//! shop's accounting stays whole, sessions ended.

use bazaar_store::tenant::carts::{self, Cart};
use bazaar_store::tenant::customers::{self as store, Address, AgeVerification, Customer};
use bazaar_store::tenant::loyalty::{self, Entry};
use bazaar_store::tenant::orders::{self, OrderRow};
use bazaar_store::tenant::wishlists::{self, Item, Wishlist};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use uuid::Uuid;

use super::{CustomerRefusal, not_found, signed_in};
use crate::sessions::forget_sessions;
use crate::{Outcome, Services, TenantKey};

/// Everything held about an account.
#[derive(Debug, Clone)]
pub struct AccountData {
    pub exported_at: DateTime<Utc>,
    pub customer: Customer,
    pub addresses: Vec<Address>,
    pub age_verifications: Vec<AgeVerification>,
    /// Orders as placed, with their lines, newest first.
    pub orders: Vec<(OrderRow, orders::Contents)>,
    pub wishlists: Vec<(Wishlist, Vec<Item>)>,
    pub loyalty_entries: Vec<Entry>,
    pub carts: Vec<Cart>,
}

/// Delete the signed-in shopper's account.
pub async fn delete_me(
    services: &Services,
    key: &TenantKey,
    session: &str,
) -> Outcome<(), CustomerRefusal> {
    let me = signed_in(services, key, session).await?;
    erase(services, key, me.customer()).await
}

/// Everything held about the signed-in shopper.
pub async fn export_me(
    services: &Services,
    key: &TenantKey,
    session: &str,
) -> Outcome<AccountData, CustomerRefusal> {
    let me = signed_in(services, key, session).await?;
    let customer = me.customer();
    services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                let c = store::get(conn, customer, None).await?;
                let addresses = store::addresses(conn, customer).await?;
                let age_verifications = store::verifications(conn, customer).await?;
                let history = orders::HistoryFilter {
                    limit: 10_000,
                    ..Default::default()
                };
                let mut placed = Vec::new();
                for o in orders::of_customer(conn, customer, &history).await? {
                    let lines = orders::contents(conn, o.id).await?;
                    placed.push((o, lines));
                }
                let mut lists = Vec::new();
                for w in wishlists::list(conn, customer, None).await? {
                    let items = wishlists::items(conn, &w).await?;
                    lists.push((w, items));
                }
                let loyalty_entries = loyalty::entries(conn, customer, None, 100_000).await?;
                let carts = carts::of_customer(conn, customer, c.brand_id).await?;
                Ok(AccountData {
                    exported_at: Utc::now(),
                    customer: c,
                    addresses,
                    age_verifications,
                    orders: placed,
                    wishlists: lists,
                    loyalty_entries,
                    carts,
                })
            }
            .boxed()
        })
        .await
        .map_err(not_found)
}

/// Erase an account and forget its sessions.
pub(super) async fn erase(
    services: &Services,
    key: &TenantKey,
    customer: Uuid,
) -> Outcome<(), CustomerRefusal> {
    let ended = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                store::get(conn, customer, None).await?;
                store::erase(conn, customer).await
            }
            .boxed()
        })
        .await
        .map_err(not_found)?;
    forget_sessions(services, &key.schema, &ended).await;
    tracing::info!(customer.id = %customer, "customer erased");
    Ok(())
}
