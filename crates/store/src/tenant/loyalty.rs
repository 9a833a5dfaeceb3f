//! The loyalty points ledger. Entries are only ever appended; the
//! customer's `loyalty_balance` moves with each one in the same transaction
//! (under the customer's row lock), so the balance is always the ledger's
//! sum. Earned points form lots that are spent soonest-expiring first, so
//! expiry takes exactly what was not spent.
//!
//! The reads of lots with points left (`remaining > 0`) stay fixed raw SQL:
//! the lots' partial indexes are on that predicate, and the DSL would bind
//! the 0, which a cached plan cannot match to them.

use chrono::{DateTime, Utc};
use diesel::dsl;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamptz, Uuid as SqlUuid};
use diesel::upsert::DecoratableTarget;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::prepared::{cached, prepared};
use crate::schema::tenant::{customers, loyalty_entries, loyalty_lots};
use crate::tenant::outbox;
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = loyalty_entries, check_for_backend(diesel::pg::Pg))]
pub struct Entry {
    pub id: i64,
    /// `earn`, `redeem`, `restore`, `expire`, `forfeit` or `reverse`.
    pub kind: String,
    pub points: i64,
    pub order_id: Option<Uuid>,
    pub lot_expires_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The customer's balance, locked for the rest of the transaction;
/// `None` for an erased account (which earns and gets back nothing).
async fn lock(conn: &mut TenantConn, customer: Uuid) -> Result<Option<i64>, StoreError> {
    let (balance, status): (i64, String) = customers::table
        .find(customer)
        .select((customers::loyalty_balance, customers::status))
        .for_update()
        .get_result(conn.pg())
        .await?;
    Ok((status == "active").then_some(balance))
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
    let id: Option<i64> = diesel::insert_into(loyalty_entries::table)
        .values((
            loyalty_entries::customer_id.eq(customer),
            loyalty_entries::kind.eq(kind),
            loyalty_entries::points.eq(points),
            loyalty_entries::order_id.eq(order),
            loyalty_entries::lot_expires_at.eq(lot_expires_at),
            loyalty_entries::note.eq(note),
        ))
        .on_conflict((loyalty_entries::order_id, loyalty_entries::kind))
        .filter_target(loyalty_entries::order_id.is_not_null())
        .do_nothing()
        .returning(loyalty_entries::id)
        .get_result(conn.pg())
        .await
        .optional()?;
    let Some(id) = id else {
        return Ok(None);
    };
    cached(diesel::update(customers::table.find(customer)).set((
        customers::loyalty_balance.eq(customers::loyalty_balance + points),
        customers::updated_at.eq(dsl::now),
    )))
    .execute(conn.pg())
    .await?;
    if points > 0 {
        diesel::insert_into(loyalty_lots::table)
            .values((
                loyalty_lots::entry_id.eq(id),
                loyalty_lots::customer_id.eq(customer),
                loyalty_lots::remaining.eq(points),
                loyalty_lots::expires_at.eq(lot_expires_at),
            ))
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
        cached(
            diesel::update(loyalty_lots::table.find(lot.entry_id))
                .set(loyalty_lots::remaining.eq(loyalty_lots::remaining - take)),
        )
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
    let redeemed: Vec<(Uuid, i64, Option<DateTime<Utc>>)> = loyalty_entries::table
        .filter(loyalty_entries::order_id.eq(order))
        .filter(loyalty_entries::kind.eq("redeem"))
        .select((
            loyalty_entries::customer_id,
            loyalty_entries::points,
            loyalty_entries::lot_expires_at,
        ))
        .load(conn.pg())
        .await?;
    for (customer, points, lot_expires_at) in redeemed {
        if lock(conn, customer).await?.is_none() {
            continue;
        }
        append(
            conn,
            customer,
            "restore",
            -points,
            Some(order),
            lot_expires_at,
            Some("order not paid"),
        )
        .await?;
    }
    Ok(())
}

/// Take back the points an order earned, in the share `refunded / charged`
/// of it a refund gave back (rounded down, in the shopper's favour), and
/// never more than the shopper still holds. The entry names the order and
/// refund in its note (an order has one `earn`, but may have many refunds).
pub async fn reverse(
    conn: &mut TenantConn,
    order: Uuid,
    refund: Uuid,
    refunded: Decimal,
    charged: Decimal,
) -> Result<(), StoreError> {
    if charged <= Decimal::ZERO {
        return Ok(());
    }
    let earned: Option<(Uuid, i64)> = loyalty_entries::table
        .filter(loyalty_entries::order_id.eq(order))
        .filter(loyalty_entries::kind.eq("earn"))
        .select((loyalty_entries::customer_id, loyalty_entries::points))
        .first(conn.pg())
        .await
        .optional()?;
    let Some((customer, earned)) = earned else {
        return Ok(());
    };
    let Some(held) = lock(conn, customer).await? else {
        return Ok(());
    };
    let share = (Decimal::from(earned) * refunded.min(charged) / charged).floor();
    let points = i64::try_from(share).unwrap_or(0).min(held);
    if points <= 0 {
        return Ok(());
    }
    spend(conn, customer, points, None).await?;
    let note = format!("order {order} refund {refund}");
    append(conn, customer, "reverse", -points, None, None, Some(&note)).await?;
    outbox::publish(
        conn,
        "loyalty.reversed",
        serde_json::json!({ "customer_id": customer, "order_id": order, "refund_id": refund, "points": points }),
    )
    .await?;
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
    let mut query = loyalty_entries::table
        .filter(loyalty_entries::customer_id.eq(customer))
        .order(loyalty_entries::id.desc())
        .limit(limit)
        .select(Entry::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(loyalty_entries::id.lt(before));
    }
    Ok(query.load(conn.pg()).await?)
}

/// The balance kept on the account and the sum of its ledger (equal,
/// unless something is badly wrong; tests and operators check).
pub async fn balances(conn: &mut TenantConn, customer: Uuid) -> Result<(i64, i64), StoreError> {
    let (kept, ledger): (i64, Option<Decimal>) = customers::table
        .find(customer)
        .select((
            customers::loyalty_balance,
            loyalty_entries::table
                .filter(loyalty_entries::customer_id.eq(customers::id))
                .select(dsl::sum(loyalty_entries::points))
                .single_value(),
        ))
        .get_result(conn.pg())
        .await?;
    // sum(bigint) is numeric; a ledger of i64 entries whose running total
    // is the (i64) balance fits.
    let ledger = ledger.map_or(Some(0), |sum| i64::try_from(sum).ok());
    Ok((kept, ledger.unwrap_or(i64::MAX)))
}
