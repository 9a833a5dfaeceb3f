//! The loyalty points ledger. Entries are only ever appended; the
//! customer's `loyalty_balance` moves with each one in the same transaction
//! (under the customer's row lock), so the balance is always the ledger's
//! sum. Earned points form lots that are spent soonest-expiring first, so
//! expiry takes exactly what was not spent.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::prepared::prepared;
use crate::tenant::outbox;
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct Entry {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// `earn`, `redeem`, `restore`, `expire` or `forfeit`.
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub points: i64,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub order_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub lot_expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub note: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// The customer's balance, locked for the rest of the transaction;
/// `None` for an erased account (which earns and gets back nothing).
async fn lock(conn: &mut TenantConn, customer: Uuid) -> Result<Option<i64>, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        loyalty_balance: i64,
        #[diesel(sql_type = Text)]
        status: String,
    }
    let row: Row =
        prepared("SELECT loyalty_balance, status FROM customers WHERE id = $1 FOR UPDATE")
            .bind::<SqlUuid, _>(customer)
            .get_result(conn.pg())
            .await?;
    Ok((row.status == "active").then_some(row.loyalty_balance))
}

/// Append an entry and move the balance with it; returns the entry's id,
/// or `None` when the order already has an entry of this kind.
async fn append(
    conn: &mut TenantConn,
    customer: Uuid,
    kind: &str,
    points: i64,
    order: Option<Uuid>,
    lot_expires_at: Option<DateTime<Utc>>,
    note: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let id: Option<Id> = prepared(
        "INSERT INTO loyalty_entries (customer_id, kind, points, order_id, lot_expires_at, note) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id, kind) WHERE order_id IS NOT NULL DO NOTHING RETURNING id",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Text, _>(kind)
    .bind::<BigInt, _>(points)
    .bind::<Nullable<SqlUuid>, _>(order)
    .bind::<Nullable<Timestamptz>, _>(lot_expires_at)
    .bind::<Nullable<Text>, _>(note)
    .get_result(conn.pg())
    .await
    .map(Some)
    .or_else(|e| match e {
        diesel::result::Error::NotFound => Ok(None),
        other => Err(other),
    })?;
    let Some(Id { id }) = id else {
        return Ok(None);
    };
    prepared(
        "UPDATE customers SET loyalty_balance = loyalty_balance + $2, updated_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<BigInt, _>(points)
    .execute(conn.pg())
    .await?;
    if points > 0 {
        prepared(
            "INSERT INTO loyalty_lots (entry_id, customer_id, remaining, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind::<BigInt, _>(id)
        .bind::<SqlUuid, _>(customer)
        .bind::<BigInt, _>(points)
        .bind::<Nullable<Timestamptz>, _>(lot_expires_at)
        .execute(conn.pg())
        .await?;
    }
    Ok(Some(id))
}

/// Spend `points` from the customer's lots, soonest-expiring first (the
/// caller holds the customer's lock and has checked the balance). Returns
/// the latest expiry among the lots spent (`None` if any never expires).
async fn spend(
    conn: &mut TenantConn,
    customer: Uuid,
    points: i64,
    due: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Lot {
        #[diesel(sql_type = BigInt)]
        entry_id: i64,
        #[diesel(sql_type = BigInt)]
        remaining: i64,
        #[diesel(sql_type = Nullable<Timestamptz>)]
        expires_at: Option<DateTime<Utc>>,
    }
    let lots: Vec<Lot> = prepared(
        "SELECT entry_id, remaining, expires_at FROM loyalty_lots WHERE customer_id = $1 AND remaining > 0 \
         AND ($2::timestamptz IS NULL OR expires_at < $2) ORDER BY expires_at NULLS LAST, entry_id FOR UPDATE",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Nullable<Timestamptz>, _>(due)
    .load(conn.pg())
    .await?;
    let mut left = points;
    let mut latest: Option<Option<DateTime<Utc>>> = None;
    for lot in lots {
        if left == 0 {
            break;
        }
        let take = left.min(lot.remaining);
        prepared("UPDATE loyalty_lots SET remaining = remaining - $2 WHERE entry_id = $1")
            .bind::<BigInt, _>(lot.entry_id)
            .bind::<BigInt, _>(take)
            .execute(conn.pg())
            .await?;
        left -= take;
        latest = Some(match (latest, lot.expires_at) {
            (Some(None), _) | (_, None) => None,
            (Some(Some(a)), Some(b)) => Some(a.max(b)),
            (None, Some(b)) => Some(b),
        });
    }
    Ok(latest.flatten())
}

/// Points for a paid order (once per order, however often it is settled).
pub async fn earn(
    conn: &mut TenantConn,
    customer: Uuid,
    order: Uuid,
    points: i64,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    if points <= 0 || lock(conn, customer).await?.is_none() {
        return Ok(());
    }
    if append(
        conn,
        customer,
        "earn",
        points,
        Some(order),
        expires_at,
        None,
    )
    .await?
    .is_some()
    {
        outbox::publish(
            conn,
            "loyalty.earned",
            serde_json::json!({ "customer_id": customer, "order_id": order, "points": points }),
        )
        .await?;
    }
    Ok(())
}

/// Redeem points on an order being placed. `Err(balance)` when the
/// customer has fewer points than asked.
pub async fn redeem(
    conn: &mut TenantConn,
    customer: Uuid,
    order: Uuid,
    points: i64,
) -> Result<Result<(), i64>, StoreError> {
    let Some(held) = lock(conn, customer).await? else {
        return Ok(Err(0));
    };
    // Points past their date are gone even before housekeeping sweeps them.
    let balance = held - expire_locked(conn, customer, Utc::now()).await?;
    if balance < points {
        return Ok(Err(balance));
    }
    let latest = spend(conn, customer, points, None).await?;
    append(conn, customer, "redeem", -points, Some(order), latest, None).await?;
    Ok(Ok(()))
}

/// Give back the points an order redeemed (its payment failed or its hold
/// expired): once, as a lot expiring when the latest spent one would have.
pub async fn restore(conn: &mut TenantConn, order: Uuid) -> Result<(), StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Redeemed {
        #[diesel(sql_type = SqlUuid)]
        customer_id: Uuid,
        #[diesel(sql_type = BigInt)]
        points: i64,
        #[diesel(sql_type = Nullable<Timestamptz>)]
        lot_expires_at: Option<DateTime<Utc>>,
    }
    let redeemed: Vec<Redeemed> = prepared(
        "SELECT customer_id, points, lot_expires_at FROM loyalty_entries WHERE order_id = $1 AND kind = 'redeem'",
    )
    .bind::<SqlUuid, _>(order)
    .load(conn.pg())
    .await?;
    for r in redeemed {
        if lock(conn, r.customer_id).await?.is_none() {
            continue;
        }
        append(
            conn,
            r.customer_id,
            "restore",
            -r.points,
            Some(order),
            r.lot_expires_at,
            Some("order not paid"),
        )
        .await?;
    }
    Ok(())
}

/// Expire every lot past its date: one `expire` entry per customer for
/// what was left unspent. Returns the points expired.
pub async fn expire(conn: &mut TenantConn, now: DateTime<Utc>) -> Result<i64, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Due {
        #[diesel(sql_type = SqlUuid)]
        customer_id: Uuid,
    }
    let due: Vec<Due> = prepared(
        "SELECT DISTINCT customer_id FROM loyalty_lots WHERE remaining > 0 AND expires_at < $1 \
         ORDER BY customer_id LIMIT 1000",
    )
    .bind::<Timestamptz, _>(now)
    .load(conn.pg())
    .await?;
    let mut total = 0;
    for Due { customer_id } in due {
        lock(conn, customer_id).await?;
        total += expire_locked(conn, customer_id, now).await?;
    }
    Ok(total)
}

/// Expire one customer's lots past `now` (the caller holds the lock).
async fn expire_locked(
    conn: &mut TenantConn,
    customer: Uuid,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Sum {
        #[diesel(sql_type = BigInt)]
        points: i64,
    }
    let Sum { points } = prepared(
        "SELECT COALESCE(sum(remaining), 0)::bigint AS points FROM loyalty_lots \
         WHERE customer_id = $1 AND remaining > 0 AND expires_at < $2",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Timestamptz, _>(now)
    .get_result(conn.pg())
    .await?;
    if points == 0 {
        return Ok(0);
    }
    spend(conn, customer, points, Some(now)).await?;
    append(conn, customer, "expire", -points, None, None, None).await?;
    outbox::publish(
        conn,
        "loyalty.expired",
        serde_json::json!({ "customer_id": customer, "points": points }),
    )
    .await?;
    Ok(points)
}

/// Forfeit the whole balance (the account is being deleted).
pub async fn forfeit(conn: &mut TenantConn, customer: Uuid) -> Result<(), StoreError> {
    let balance = lock(conn, customer).await?.unwrap_or(0);
    if balance > 0 {
        spend(conn, customer, balance, None).await?;
        append(
            conn,
            customer,
            "forfeit",
            -balance,
            None,
            None,
            Some("account deleted"),
        )
        .await?;
    }
    Ok(())
}

/// The customer's entries, newest first, before entry `before`.
pub async fn entries(
    conn: &mut TenantConn,
    customer: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    Ok(prepared(
        "SELECT id, kind, points, order_id, lot_expires_at, note, created_at FROM loyalty_entries \
         WHERE customer_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Nullable<BigInt>, _>(before)
    .bind::<BigInt, _>(limit)
    .load(conn.pg())
    .await?)
}

/// The balance kept on the account and the sum of its ledger (equal,
/// unless something is badly wrong; tests and operators check).
pub async fn balances(conn: &mut TenantConn, customer: Uuid) -> Result<(i64, i64), StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        kept: i64,
        #[diesel(sql_type = BigInt)]
        ledger: i64,
    }
    let row: Row = prepared(
        "SELECT c.loyalty_balance AS kept, \
         (SELECT COALESCE(sum(points), 0) FROM loyalty_entries WHERE customer_id = c.id)::bigint AS ledger \
         FROM customers c WHERE c.id = $1",
    )
    .bind::<SqlUuid, _>(customer)
    .get_result(conn.pg())
    .await?;
    Ok((row.kept, row.ledger))
}
