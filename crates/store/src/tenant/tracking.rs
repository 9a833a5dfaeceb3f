//! Tracking events of shipped vendor orders: where each part is on its
//! way, as its vendor (or a carrier) reports it, recorded once per
//! reporter's event id.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::schema::tenant::{tracking_events, vendor_orders};
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = tracking_events, check_for_backend(diesel::pg::Pg))]
pub struct TrackingEvent {
    pub id: Uuid,
    pub vendor_order_id: Uuid,
    pub source: String,
    pub external_id: String,
    pub kind: String,
    pub description: String,
    pub location: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub vendor_order_id: Uuid,
    pub source: &'static str,
    pub external_id: String,
    pub kind: String,
    pub description: String,
    pub location: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// Record an event; false when this reporter sent it before (nothing
/// changes).
pub async fn record(conn: &mut TenantConn, e: &NewEvent) -> Result<bool, StoreError> {
    let inserted = diesel::insert_into(tracking_events::table)
        .values((
            tracking_events::id.eq(bazaar_domain::ids::new_id()),
            tracking_events::vendor_order_id.eq(e.vendor_order_id),
            tracking_events::source.eq(e.source),
            tracking_events::external_id.eq(&e.external_id),
            tracking_events::kind.eq(&e.kind),
            tracking_events::description.eq(&e.description),
            tracking_events::location.eq(&e.location),
            tracking_events::occurred_at.eq(e.occurred_at),
        ))
        .on_conflict((
            tracking_events::vendor_order_id,
            tracking_events::source,
            tracking_events::external_id,
        ))
        .do_nothing()
        .execute(conn.pg())
        .await?;
    Ok(inserted == 1)
}

/// The events of every part of `order`, as they happened.
pub async fn of_order(
    conn: &mut TenantConn,
    order: Uuid,
) -> Result<Vec<TrackingEvent>, StoreError> {
    Ok(tracking_events::table
        .inner_join(vendor_orders::table)
        .filter(vendor_orders::order_id.eq(order))
        .order((tracking_events::occurred_at, tracking_events::id))
        .select(TrackingEvent::as_select())
        .load(conn.pg())
        .await?)
}

/// The events of one part, as they happened.
pub async fn of_part(conn: &mut TenantConn, part: Uuid) -> Result<Vec<TrackingEvent>, StoreError> {
    Ok(tracking_events::table
        .filter(tracking_events::vendor_order_id.eq(part))
        .order((tracking_events::occurred_at, tracking_events::id))
        .select(TrackingEvent::as_select())
        .load(conn.pg())
        .await?)
}
