//! The signed-in shopper's order history: their orders newest first,
//! keyset-paginated by (placed at, id), and one order with its lines.

use bazaar_store::StoreError;
use bazaar_store::tenant::orders::{self, HistoryFilter, OrderRow};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use uuid::Uuid;

use super::{CustomerRefusal, signed_in};
use crate::{Outcome, Services, TenantKey, refusals};

/// Which orders to list.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// Only orders in this status.
    pub status: Option<bazaar_domain::OrderStatus>,
    /// Only orders placed at or after this time.
    pub placed_from: Option<DateTime<Utc>>,
    /// Only orders placed before this time.
    pub placed_to: Option<DateTime<Utc>>,
    /// How many (default 20).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of orders, newest first.
#[derive(Debug, Clone)]
pub struct History {
    pub orders: Vec<OrderRow>,
    /// Where the next (older) page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

refusals! {
    /// Why the history or an order cannot be shown.
    pub enum HistoryRefusal {
        Customer(CustomerRefusal) => delegate;
        InvalidCursor => Invalid, "invalid_cursor", "the cursor is not one this endpoint gave out";
        OrderNotFound => NotFound, "order_not_found", "no order with that id is visible to this key";
    }
}

/// A cursor as this endpoint gives it out: the last order's time and id.
fn cursor(order: &OrderRow) -> String {
    format!("{}_{}", order.created_at.to_rfc3339(), order.id)
}

fn parse_cursor(cursor: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (at, id) = cursor.split_once('_')?;
    Some((
        DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
        id.parse::<Uuid>().ok()?,
    ))
}

/// The shopper's orders, newest first.
pub async fn history(
    services: &Services,
    key: &TenantKey,
    session: &str,
    query: HistoryQuery,
) -> Outcome<History, HistoryRefusal> {
    let me = signed_in(services, key, session).await?;
    let before = query
        .cursor
        .map(|c| parse_cursor(&c).ok_or(HistoryRefusal::InvalidCursor))
        .transpose()?;
    let limit = i64::from(query.limit.unwrap_or(20));
    let filter = HistoryFilter {
        status: query.status,
        placed_from: query.placed_from,
        placed_to: query.placed_to,
        before,
        limit: limit + 1,
    };
    let id = me.customer();
    let mut rows = services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move { orders::of_customer(conn, id, &filter).await }.boxed()
        })
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = more.then(|| rows.last().map(cursor)).flatten();
    Ok(History {
        orders: rows,
        next_cursor,
    })
}

/// One of the shopper's orders, with its lines.
pub async fn order(
    services: &Services,
    key: &TenantKey,
    session: &str,
    order: Uuid,
) -> Outcome<(OrderRow, orders::Contents), HistoryRefusal> {
    let me = signed_in(services, key, session).await?;
    let customer = me.customer();
    let found = services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                let row = orders::get(conn, order, None).await?;
                if row.customer_id != Some(customer) {
                    return Ok(None);
                }
                Ok(Some((row, orders::contents(conn, order).await?)))
            }
            .boxed()
        })
        .await;
    match found {
        Ok(Some(found)) => Ok(found),
        Ok(None) | Err(StoreError::NotFound) => Err(HistoryRefusal::OrderNotFound.into()),
        Err(other) => Err(other.into()),
    }
}
