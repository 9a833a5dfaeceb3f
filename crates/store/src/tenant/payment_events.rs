//! The inbox of providers' events: each recorded once by the provider's
//! event id, in the transaction that applies it, so a redelivery (or two
//! deliveries at once) applies it once.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::tenant::payment_events;
use crate::{StoreError, TenantConn};

/// Record an event; `false` when it was recorded before (a redelivery).
pub async fn record(
    conn: &mut TenantConn,
    provider: &str,
    event_id: &str,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<bool, StoreError> {
    let inserted = diesel::insert_into(payment_events::table)
        .values((
            payment_events::provider.eq(provider),
            payment_events::event_id.eq(event_id),
            payment_events::kind.eq(kind),
            payment_events::payload.eq(payload),
        ))
        .on_conflict((payment_events::provider, payment_events::event_id))
        .do_nothing()
        .execute(conn.pg())
        .await?;
    Ok(inserted == 1)
}

/// Say what applying an event did.
pub async fn set_outcome(
    conn: &mut TenantConn,
    provider: &str,
    event_id: &str,
    outcome: &str,
) -> Result<(), StoreError> {
    diesel::update(payment_events::table.find((provider, event_id)))
        .set(payment_events::outcome.eq(outcome))
        .execute(conn.pg())
        .await?;
    Ok(())
}
