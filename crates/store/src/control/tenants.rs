//! Tenants: created with their schema in one transaction, suspended and
//! resumed, listed for `bazaar migrate`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use uuid::Uuid;

use crate::migrate::provision_tenant_schema;
use crate::page::{Page, PageRequest};
use crate::schema::control::tenants;
use crate::{Db, StoreError, TenantSchema};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tenants)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub schema_name: String,
    pub cluster: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub regions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Tenant {
    pub fn schema(&self) -> Result<TenantSchema, StoreError> {
        TenantSchema::new(&self.schema_name)
    }

    pub fn is_active(&self) -> bool {
        self.status == ACTIVE
    }
}

pub const ACTIVE: &str = "active";
pub const SUSPENDED: &str = "suspended";

/// A tenant to create; the slug is already validated.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: bazaar_domain::Slug,
    pub name: String,
    pub regions: Vec<String>,
}

/// Insert the tenant and provision its schema from the template, atomically:
/// either both exist afterwards or neither does.
pub async fn create(db: &Db, new: NewTenant) -> Result<Tenant, StoreError> {
    let schema = TenantSchema::new(&new.slug.tenant_schema())?;
    db.control_tx(move |conn| {
        async move {
            let conn = conn.pg();
            let tenant: Tenant = diesel::insert_into(tenants::table)
                .values((
                    tenants::id.eq(bazaar_domain::ids::new_id()),
                    tenants::slug.eq(new.slug.as_str()),
                    tenants::name.eq(&new.name),
                    tenants::schema_name.eq(schema.as_str()),
                    tenants::regions.eq(&new.regions),
                ))
                .returning(Tenant::as_returning())
                .get_result(conn)
                .await?;
            provision_tenant_schema(conn, &schema).await?;
            Ok(tenant)
        }
        .boxed()
    })
    .await
}

pub async fn get(db: &Db, id: Uuid) -> Result<Tenant, StoreError> {
    let mut conn = db.primary().await?;
    Ok(tenants::table
        .find(id)
        .select(Tenant::as_select())
        .get_result(&mut *conn)
        .await?)
}

pub async fn find_by_slug(db: &Db, slug: &str) -> Result<Option<Tenant>, StoreError> {
    let mut conn = db.primary().await?;
    Ok(tenants::table
        .filter(tenants::slug.eq(slug))
        .select(Tenant::as_select())
        .get_result(&mut *conn)
        .await
        .optional()?)
}

/// The tenant whose schema is `name` (how a provider's event, which
/// carries the schema it was made for, finds its tenant).
pub async fn find_by_schema(db: &Db, name: &str) -> Result<Option<Tenant>, StoreError> {
    let mut conn = db.primary().await?;
    Ok(tenants::table
        .filter(tenants::schema_name.eq(name))
        .select(Tenant::as_select())
        .get_result(&mut *conn)
        .await
        .optional()?)
}

pub async fn list(db: &Db, page: PageRequest) -> Result<Page<Tenant>, StoreError> {
    let mut conn = db.primary().await?;
    let mut query = tenants::table
        .select(Tenant::as_select())
        .order(tenants::id)
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(tenants::id.gt(after));
    }
    let rows = query.load(&mut *conn).await?;
    Ok(Page::from_overfetch(rows, page.limit, |t| t.id))
}

/// Every tenant, oldest first: for `bazaar migrate`.
pub async fn all(db: &Db) -> Result<Vec<Tenant>, StoreError> {
    let mut conn = db.primary().await?;
    Ok(tenants::table
        .select(Tenant::as_select())
        .order(tenants::id)
        .load(&mut *conn)
        .await?)
}

pub async fn set_status(
    db: &Db,
    id: Uuid,
    status: &'static str,
    reason: Option<String>,
) -> Result<Tenant, StoreError> {
    let mut conn = db.primary().await?;
    Ok(diesel::update(tenants::table.find(id))
        .set((
            tenants::status.eq(status),
            tenants::status_reason.eq(reason),
            tenants::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Tenant::as_returning())
        .get_result(&mut *conn)
        .await?)
}

/// Change the descriptive fields; `None` leaves a field as it is.
pub async fn update(
    db: &Db,
    id: Uuid,
    name: Option<String>,
    regions: Option<Vec<String>>,
) -> Result<Tenant, StoreError> {
    #[derive(AsChangeset)]
    #[diesel(table_name = tenants)]
    struct Changes {
        name: Option<String>,
        regions: Option<Vec<String>>,
    }
    let mut conn = db.primary().await?;
    if name.is_none() && regions.is_none() {
        return get(db, id).await;
    }
    Ok(diesel::update(tenants::table.find(id))
        .set((
            Changes { name, regions },
            tenants::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Tenant::as_returning())
        .get_result(&mut *conn)
        .await?)
}
