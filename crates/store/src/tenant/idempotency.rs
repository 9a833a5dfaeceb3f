//! Idempotency-Key records with Stripe's semantics: the first request with
//! a key runs and its response is stored; the same key with the same body
//! replays that response; with a different body it is refused; while the
//! first is still running, a duplicate is told so.

use diesel::sql_types::{Int4, Jsonb, Nullable, Text};
use diesel_async::RunQueryDsl;

use crate::prepared::prepared;
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq)]
pub enum Begin {
    /// First use: go ahead, then `finish`.
    Fresh,
    /// Done before with the same request: answer this again.
    Replay {
        status: i32,
        body: serde_json::Value,
    },
    /// Used before with a different request.
    Mismatch,
    /// The first request with this key has not finished.
    InProgress,
    /// The first request with this key stopped without finishing (its
    /// process died) and this request has taken its claim over; `order` is
    /// the order it had placed, if it got that far.
    Resume { order: Option<uuid::Uuid> },
}

/// Claim `key` for this request. Run in its own transaction, so a
/// concurrent duplicate sees the claim. A claim older than `stale_after`
/// that never finished is taken over (`Begin::Resume`).
pub async fn begin(
    conn: &mut TenantConn,
    scope: &str,
    key: &str,
    request_hash: &str,
    stale_after: std::time::Duration,
) -> Result<Begin, StoreError> {
    let inserted = prepared(
        "INSERT INTO idempotency_keys (scope, key, request_hash, status) VALUES ($1, $2, $3, 'in_progress') \
         ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .bind::<Text, _>(request_hash)
    .execute(conn.pg())
    .await?;
    if inserted == 1 {
        return Ok(Begin::Fresh);
    }
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        request_hash: String,
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = Nullable<Int4>)]
        response_status: Option<i32>,
        #[diesel(sql_type = Nullable<Jsonb>)]
        response_body: Option<serde_json::Value>,
        #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
        order_id: Option<uuid::Uuid>,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        stale: bool,
    }
    let row: Row = prepared(
        "SELECT request_hash, status, response_status, response_body, order_id, \
         locked_at < now() - make_interval(secs => $3) AS stale \
         FROM idempotency_keys WHERE scope = $1 AND key = $2 FOR UPDATE",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .bind::<diesel::sql_types::Double, _>(stale_after.as_secs_f64())
    .get_result(conn.pg())
    .await?;
    Ok(if row.request_hash != request_hash {
        Begin::Mismatch
    } else if row.status == "in_progress" && row.stale {
        prepared("UPDATE idempotency_keys SET locked_at = now() WHERE scope = $1 AND key = $2")
            .bind::<Text, _>(scope)
            .bind::<Text, _>(key)
            .execute(conn.pg())
            .await?;
        Begin::Resume {
            order: row.order_id,
        }
    } else if row.status == "in_progress" {
        Begin::InProgress
    } else {
        Begin::Replay {
            status: row.response_status.unwrap_or(200),
            body: row.response_body.unwrap_or(serde_json::Value::Null),
        }
    })
}

/// Record the order a claimed key's checkout placed, in the placing
/// transaction, so a retry after a crash resumes that order.
pub async fn attach_order(
    conn: &mut TenantConn,
    scope: &str,
    key: &str,
    order: uuid::Uuid,
) -> Result<(), StoreError> {
    prepared(
        "UPDATE idempotency_keys SET order_id = $3, locked_at = now() WHERE scope = $1 AND key = $2",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .bind::<diesel::sql_types::Uuid, _>(order)
    .execute(conn.pg())
    .await?;
    Ok(())
}

/// Store the response the key replays from now on.
pub async fn finish(
    conn: &mut TenantConn,
    scope: &str,
    key: &str,
    status: i32,
    body: &serde_json::Value,
) -> Result<(), StoreError> {
    prepared(
        "UPDATE idempotency_keys SET status = 'done', response_status = $3, response_body = $4 WHERE scope = $1 AND key = $2",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .bind::<Int4, _>(status)
    .bind::<Jsonb, _>(body)
    .execute(conn.pg())
    .await?;
    Ok(())
}

/// Forget a claim whose request failed before it changed anything, so the
/// client may retry with the same key.
pub async fn release(conn: &mut TenantConn, scope: &str, key: &str) -> Result<(), StoreError> {
    prepared(
        "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 'in_progress'",
    )
    .bind::<Text, _>(scope)
    .bind::<Text, _>(key)
    .execute(conn.pg())
    .await?;
    Ok(())
}

/// Forget finished keys older than `before` (they are kept at least 24 hours).
pub async fn purge(
    conn: &mut TenantConn,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<usize, StoreError> {
    Ok(
        prepared("DELETE FROM idempotency_keys WHERE status = 'done' AND created_at < $1")
            .bind::<diesel::sql_types::Timestamptz, _>(before)
            .execute(conn.pg())
            .await?,
    )
}
