//! The outbox: events written in the same transaction as the change they
//! report, so an event exists exactly when its change committed.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::tenant::outbox;
use crate::{StoreError, TenantConn};

/// Record an event for delivery.
pub async fn publish(
    conn: &mut TenantConn,
    topic: &str,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    diesel::insert_into(outbox::table)
        .values((outbox::topic.eq(topic), outbox::payload.eq(payload)))
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// Events of a topic, oldest first (for tests and operators).
pub async fn of_topic(
    conn: &mut TenantConn,
    topic: &str,
) -> Result<Vec<serde_json::Value>, StoreError> {
    Ok(outbox::table
        .filter(outbox::topic.eq(topic))
        .order(outbox::id)
        .select(outbox::payload)
        .load(conn.pg())
        .await?)
}
