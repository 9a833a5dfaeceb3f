//! Brands: the tenant's storefronts.

use bazaar_domain::Currency;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::page::{Page, PageRequest};
use crate::schema::tenant::brands;
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = brands)]
pub struct Brand {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub default_region: Option<String>,
    pub currency: Currency,
    pub domains: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = brands)]
pub struct NewBrand {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub default_region: Option<String>,
    pub currency: Currency,
    pub domains: Vec<String>,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = brands)]
pub struct BrandChanges {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub default_region: Option<Option<String>>,
    pub currency: Option<Currency>,
    pub domains: Option<Vec<String>>,
}

impl BrandChanges {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

pub async fn create(conn: &mut TenantConn, new: NewBrand) -> Result<Brand, StoreError> {
    Ok(diesel::insert_into(brands::table)
        .values(&new)
        .returning(Brand::as_returning())
        .get_result(conn.pg())
        .await?)
}

/// The currencies the tenant sells in: those of its brands.
pub async fn currencies(conn: &mut TenantConn) -> Result<Vec<Currency>, StoreError> {
    Ok(brands::table
        .select(brands::currency)
        .distinct()
        .order(brands::currency)
        .load(conn.pg())
        .await?)
}

pub async fn get(conn: &mut TenantConn, id: Uuid) -> Result<Brand, StoreError> {
    Ok(brands::table
        .find(id)
        .select(Brand::as_select())
        .get_result(conn.pg())
        .await?)
}

pub async fn find_by_slug(conn: &mut TenantConn, slug: &str) -> Result<Option<Brand>, StoreError> {
    Ok(brands::table
        .filter(brands::slug.eq(slug))
        .select(Brand::as_select())
        .get_result(conn.pg())
        .await
        .optional()?)
}

/// Brands oldest first; `only` restricts the list to one brand (a
/// storefront key sees its own brand and no other).
pub async fn list(
    conn: &mut TenantConn,
    page: PageRequest,
    only: Option<Uuid>,
) -> Result<Page<Brand>, StoreError> {
    let mut query = brands::table
        .select(Brand::as_select())
        .order(brands::id)
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(brands::id.gt(after));
    }
    if let Some(only) = only {
        query = query.filter(brands::id.eq(only));
    }
    let rows = query.load(conn.pg()).await?;
    Ok(Page::from_overfetch(rows, page.limit, |b| b.id))
}

pub async fn update(
    conn: &mut TenantConn,
    id: Uuid,
    changes: BrandChanges,
) -> Result<Brand, StoreError> {
    if changes.is_empty() {
        return get(conn, id).await;
    }
    Ok(diesel::update(brands::table.find(id))
        .set((changes, brands::updated_at.eq(diesel::dsl::now)))
        .returning(Brand::as_returning())
        .get_result(conn.pg())
        .await?)
}
