//! Idempotency-Key records with Stripe's semantics: the first request with
//! a key runs and its response is stored; the same key with the same body
//! replays that response; with a different body it is refused; while the
//! first is still running, a duplicate is told so.

use diesel::data_types::PgInterval;
use diesel::dsl;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::prepared::cached;
use crate::schema::tenant::idempotency_keys as keys;
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
    let inserted = diesel::insert_into(keys::table)
        .values((
            keys::scope.eq(scope),
            keys::key.eq(key),
            keys::request_hash.eq(request_hash),
            keys::status.eq("in_progress"),
        ))
        .on_conflict((keys::scope, keys::key))
        .do_nothing()
        .execute(conn.pg())
        .await?;
    if inserted == 1 {
        return Ok(Begin::Fresh);
    }
    let stale_after =
        PgInterval::from_microseconds(i64::try_from(stale_after.as_micros()).unwrap_or(i64::MAX));
    type Row = (
        String,
        String,
        Option<i32>,
        Option<serde_json::Value>,
        Option<uuid::Uuid>,
        bool,
    );
    let (stored_hash, status, response_status, response_body, order_id, stale): Row = keys::table
        .find((scope, key))
        .select((
            keys::request_hash,
            keys::status,
            keys::response_status,
            keys::response_body,
            keys::order_id,
            // A claim taken longer ago than `stale_after`.
            (keys::locked_at + stale_after).lt(dsl::now),
        ))
        .for_update()
        .get_result(conn.pg())
        .await?;
    Ok(if stored_hash != request_hash {
        Begin::Mismatch
    } else if status == "in_progress" && stale {
        diesel::update(keys::table.find((scope, key)))
            .set(keys::locked_at.eq(dsl::now))
            .execute(conn.pg())
            .await?;
        Begin::Resume { order: order_id }
    } else if status == "in_progress" {
        Begin::InProgress
    } else {
        Begin::Replay {
            status: response_status.unwrap_or(200),
            body: response_body.unwrap_or(serde_json::Value::Null),
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
    cached(
        diesel::update(keys::table.find((scope, key)))
            // The resume window counts from now, the end of the placing
            // transaction, not its start: time spent waiting on a stock
            // lock must not make a live checkout look abandoned.
            .set((
                keys::order_id.eq(order),
                keys::locked_at.eq(crate::sql::clock_timestamp()),
            )),
    )
    .execute(conn.pg())
    .await?;
    Ok(())
}

/// Let the next request with this key resume the checkout at once: its
/// payment's outcome is unknown (the provider timed out or failed after
/// perhaps charging), so the order stays pending and a retry charges again
/// under the same gateway key, which cannot charge twice, and settles.
/// (The claim is made stale by dating it to the epoch.)
pub async fn allow_resume(conn: &mut TenantConn, scope: &str, key: &str) -> Result<(), StoreError> {
    diesel::update(keys::table.find((scope, key)))
        .set(keys::locked_at.eq(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH))
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
    cached(diesel::update(keys::table.find((scope, key))).set((
        keys::status.eq("done"),
        keys::response_status.eq(status),
        keys::response_body.eq(body),
    )))
    .execute(conn.pg())
    .await?;
    Ok(())
}

/// Forget a claim whose request failed before it changed anything, so the
/// client may retry with the same key.
pub async fn release(conn: &mut TenantConn, scope: &str, key: &str) -> Result<(), StoreError> {
    diesel::delete(
        keys::table
            .find((scope, key))
            .filter(keys::status.eq("in_progress")),
    )
    .execute(conn.pg())
    .await?;
    Ok(())
}

/// Forget finished keys older than `before` (they are kept at least 24 hours).
pub async fn purge(
    conn: &mut TenantConn,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<usize, StoreError> {
    Ok(diesel::delete(
        keys::table
            .filter(keys::status.eq("done"))
            .filter(keys::created_at.lt(before)),
    )
    .execute(conn.pg())
    .await?)
}
