//! The outbox: events written in the same transaction as the change they
//! report, so an event exists exactly when its change committed.

use diesel::sql_types::{Jsonb, Text};
use diesel_async::RunQueryDsl;

use crate::prepared::prepared;
use crate::{StoreError, TenantConn};

/// Record an event for delivery.
pub async fn publish(
    conn: &mut TenantConn,
    topic: &str,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    prepared("INSERT INTO outbox (topic, payload) VALUES ($1, $2)")
        .bind::<Text, _>(topic)
        .bind::<Jsonb, _>(payload)
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// Events of a topic, oldest first (for tests and operators).
pub async fn of_topic(
    conn: &mut TenantConn,
    topic: &str,
) -> Result<Vec<serde_json::Value>, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Jsonb)]
        payload: serde_json::Value,
    }
    let rows: Vec<Row> = prepared("SELECT payload FROM outbox WHERE topic = $1 ORDER BY id")
        .bind::<Text, _>(topic)
        .load(conn.pg())
        .await?;
    Ok(rows.into_iter().map(|r| r.payload).collect())
}
