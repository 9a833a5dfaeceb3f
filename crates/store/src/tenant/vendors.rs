//! Vendors: the sellers of a tenant, with their onboarding status and its
//! history.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::page::{Page, PageRequest};
use crate::schema::tenant::{vendor_status_events as events, vendors};
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = vendors)]
pub struct Vendor {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub contact_email: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub description: String,
    pub regions_served: Vec<String>,
    pub payout_reference: Option<String>,
    pub status_reason: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = vendors)]
pub struct NewVendor {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub contact_email: String,
    pub status: String,
    pub description: String,
    pub regions_served: Vec<String>,
    pub payout_reference: Option<String>,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = vendors)]
pub struct VendorChanges {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub contact_email: Option<String>,
    pub status: Option<String>,
    pub description: Option<String>,
    pub regions_served: Option<Vec<String>>,
    pub payout_reference: Option<Option<String>>,
    pub status_reason: Option<Option<String>>,
}

impl VendorChanges {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One status change of a vendor.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct StatusEvent {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

/// Create a vendor and record its first status.
pub async fn create(
    conn: &mut TenantConn,
    new: NewVendor,
    actor: &str,
) -> Result<Vendor, StoreError> {
    let vendor: Vendor = diesel::insert_into(vendors::table)
        .values(&new)
        .returning(Vendor::as_returning())
        .get_result(conn.pg())
        .await?;
    record(conn, vendor.id, None, &vendor.status, None, actor).await?;
    Ok(vendor)
}

pub async fn get(conn: &mut TenantConn, id: Uuid) -> Result<Vendor, StoreError> {
    Ok(vendors::table
        .find(id)
        .select(Vendor::as_select())
        .get_result(conn.pg())
        .await?)
}

/// Lock the vendor's row for the rest of the transaction (status changes).
pub async fn get_for_update(conn: &mut TenantConn, id: Uuid) -> Result<Vendor, StoreError> {
    Ok(vendors::table
        .find(id)
        .select(Vendor::as_select())
        .for_update()
        .get_result(conn.pg())
        .await?)
}

pub async fn find_by_slug(conn: &mut TenantConn, slug: &str) -> Result<Option<Vendor>, StoreError> {
    Ok(vendors::table
        .filter(vendors::slug.eq(slug))
        .select(Vendor::as_select())
        .get_result(conn.pg())
        .await
        .optional()?)
}

/// Vendors oldest first; `only` restricts the list to one vendor (a vendor
/// key sees itself and no other); `status` filters by status.
pub async fn list(
    conn: &mut TenantConn,
    page: PageRequest,
    only: Option<Uuid>,
    status: Option<String>,
) -> Result<Page<Vendor>, StoreError> {
    let mut query = vendors::table
        .select(Vendor::as_select())
        .order(vendors::id)
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(vendors::id.gt(after));
    }
    if let Some(only) = only {
        query = query.filter(vendors::id.eq(only));
    }
    if let Some(status) = status {
        query = query.filter(vendors::status.eq(status));
    }
    let rows = query.load(conn.pg()).await?;
    Ok(Page::from_overfetch(rows, page.limit, |v| v.id))
}

pub async fn update(
    conn: &mut TenantConn,
    id: Uuid,
    changes: VendorChanges,
) -> Result<Vendor, StoreError> {
    if changes.is_empty() {
        return get(conn, id).await;
    }
    Ok(diesel::update(vendors::table.find(id))
        .set((changes, vendors::updated_at.eq(diesel::dsl::now)))
        .returning(Vendor::as_returning())
        .get_result(conn.pg())
        .await?)
}

/// Append a status change to the vendor's history.
pub async fn record(
    conn: &mut TenantConn,
    vendor_id: Uuid,
    from: Option<&str>,
    to: &str,
    reason: Option<&str>,
    actor: &str,
) -> Result<(), StoreError> {
    diesel::insert_into(events::table)
        .values((
            events::id.eq(bazaar_domain::ids::new_id()),
            events::vendor_id.eq(vendor_id),
            events::from_status.eq(from),
            events::to_status.eq(to),
            events::reason.eq(reason),
            events::actor.eq(actor),
        ))
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// The vendor's status history, oldest first.
pub async fn history(
    conn: &mut TenantConn,
    vendor_id: Uuid,
) -> Result<Vec<StatusEvent>, StoreError> {
    Ok(events::table
        .filter(events::vendor_id.eq(vendor_id))
        .order(events::id)
        .select(StatusEvent::as_select())
        .load(conn.pg())
        .await?)
}
