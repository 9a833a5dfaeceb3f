//! Vendors: the tenant's storefronts.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::StoreError;
use crate::page::{Page, PageRequest};
use crate::schema::tenant::vendors;

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
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = vendors)]
pub struct NewVendor {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub contact_email: String,
    pub status: String,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = vendors)]
pub struct VendorChanges {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub contact_email: Option<String>,
    pub status: Option<String>,
}

impl VendorChanges {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

pub async fn create(conn: &mut AsyncPgConnection, new: NewVendor) -> Result<Vendor, StoreError> {
    Ok(diesel::insert_into(vendors::table)
        .values(&new)
        .returning(Vendor::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Vendor, StoreError> {
    Ok(vendors::table
        .find(id)
        .select(Vendor::as_select())
        .get_result(conn)
        .await?)
}

pub async fn find_by_slug(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> Result<Option<Vendor>, StoreError> {
    Ok(vendors::table
        .filter(vendors::slug.eq(slug))
        .select(Vendor::as_select())
        .get_result(conn)
        .await
        .optional()?)
}

/// Vendors oldest first; `only` restricts the list to one brand (a
/// storefront key sees its own brand and no other).
pub async fn list(
    conn: &mut AsyncPgConnection,
    page: PageRequest,
    only: Option<Uuid>,
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
    let rows = query.load(conn).await?;
    Ok(Page::from_overfetch(rows, page.limit, |b| b.id))
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: VendorChanges,
) -> Result<Vendor, StoreError> {
    if changes.is_empty() {
        return get(conn, id).await;
    }
    Ok(diesel::update(vendors::table.find(id))
        .set((changes, vendors::updated_at.eq(diesel::dsl::now)))
        .returning(Vendor::as_returning())
        .get_result(conn)
        .await?)
}
