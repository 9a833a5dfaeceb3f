//! The signed-in shopper's loyalty points: the balance, what a point is
//! worth, and the ledger that sums to the balance, newest first.

use bazaar_store::tenant::{customers, loyalty};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{CustomerRefusal, signed_in};
use crate::{Outcome, Services, TenantKey};

/// One entry of the ledger.
#[derive(Debug, Clone)]
pub struct LedgerEntry {
    pub id: i64,
    /// `earn`, `redeem`, `restore`, `expire` or `forfeit`.
    pub kind: String,
    /// Signed: earned points are positive, spent ones negative.
    pub points: i64,
    pub order_id: Option<Uuid>,
    /// For earned (or restored) points: when they expire.
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The balance and one page of the ledger.
#[derive(Debug, Clone)]
pub struct Points {
    pub balance: i64,
    /// What one point takes off an order, in the order's currency.
    pub point_value: Decimal,
    pub entries: Vec<LedgerEntry>,
    /// Where the next (older) page starts; `None` on the last page.
    pub next_before: Option<i64>,
}

/// The shopper's points: `limit` entries (default 50) before entry
/// `before`.
pub async fn points(
    services: &Services,
    key: &TenantKey,
    session: &str,
    before: Option<i64>,
    limit: Option<u32>,
) -> Outcome<Points, CustomerRefusal> {
    let me = signed_in(services, key, session).await?;
    let id = me.customer();
    let limit = i64::from(limit.unwrap_or(50));
    let (customer, settings, mut entries) = services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                let c = customers::get(conn, id, None).await?;
                let s = customers::settings(conn).await?;
                let e = loyalty::entries(conn, id, before, limit + 1).await?;
                Ok((c, s, e))
            }
            .boxed()
        })
        .await?;
    let more = entries.len() as i64 > limit;
    entries.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(Points {
        balance: customer.loyalty_balance,
        point_value: settings.loyalty_point_value,
        next_before: more.then(|| entries.last().map(|e| e.id)).flatten(),
        entries: entries
            .into_iter()
            .map(|e| LedgerEntry {
                id: e.id,
                points: e.points,
                order_id: e.order_id,
                expires_at: (e.kind == "earn" || e.kind == "restore")
                    .then_some(e.lot_expires_at)
                    .flatten(),
                kind: e.kind,
                created_at: e.created_at,
            })
            .collect(),
    })
}
