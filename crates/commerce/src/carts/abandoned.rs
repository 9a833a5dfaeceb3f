//! Abandoned carts: open carts with a contact email left idle, each
//! announced once with a `cart.abandoned` outbox event (the tenant's
//! recovery emails start from it).

use bazaar_store::tenant::carts::{self as store, Cart};
use chrono::Utc;
use futures_util::FutureExt;

use crate::context::AccessRefusal;
use crate::{Outcome, Services, TenantKey};

/// Announce the carts idle for more than `idle_hours` and not announced
/// before; answers the carts newly announced. Tenant admin keys.
pub async fn announce(
    services: &Services,
    key: &TenantKey,
    idle_hours: u32,
) -> Outcome<Vec<Cart>, AccessRefusal> {
    key.admin()?;
    let cutoff = Utc::now() - chrono::Duration::hours(i64::from(idle_hours));
    Ok(services
        .db
        .tenant_tx(&key.schema, move |conn| {
            store::announce_abandoned(conn, cutoff).boxed()
        })
        .await?)
}
