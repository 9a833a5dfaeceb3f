//! API keys. The secret is generated here, returned once, and only its
//! SHA-256 is stored; authentication looks the hash up together with the
//! key's tenant in one query, so a revoked key or a suspended tenant is
//! refused on the very next request.

use bazaar_domain::Scope;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::page::{Page, PageRequest};
use crate::schema::control::{api_keys, tenants};
use crate::{Db, StoreError};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub scope: String,
    pub vendor_id: Option<Uuid>,
    pub brand_id: Option<Uuid>,
    pub name: String,
    pub display_prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key to issue. The caller has checked that the vendor or brand it is
/// bound to exists in the tenant.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub tenant_id: Option<Uuid>,
    pub scope: Scope,
    pub vendor_id: Option<Uuid>,
    pub brand_id: Option<Uuid>,
    pub name: String,
}

/// What a presented secret resolves to.
#[derive(Debug, Clone)]
pub struct KeyGrant {
    pub key_id: Uuid,
    pub scope: String,
    pub vendor_id: Option<Uuid>,
    pub brand_id: Option<Uuid>,
    pub tenant: Option<GrantTenant>,
}

#[derive(Debug, Clone, Queryable)]
pub struct GrantTenant {
    pub id: Uuid,
    pub slug: String,
    pub schema_name: String,
    pub status: String,
}

pub use crate::secret::hash;

fn generate_secret(scope: Scope) -> String {
    crate::secret::generate(scope.key_prefix())
}

/// Issue a key; returns it with its secret, which is never available again.
pub async fn create(db: &Db, new: NewKey) -> Result<(ApiKey, String), StoreError> {
    let secret = generate_secret(new.scope);
    let display_prefix = secret[..new.scope.key_prefix().len() + 6].to_owned();
    let mut conn = db.primary().await?;
    let key = diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(bazaar_domain::ids::new_id()),
            api_keys::tenant_id.eq(new.tenant_id),
            api_keys::scope.eq(new.scope.as_str()),
            api_keys::vendor_id.eq(new.vendor_id),
            api_keys::brand_id.eq(new.brand_id),
            api_keys::name.eq(&new.name),
            api_keys::display_prefix.eq(&display_prefix),
            api_keys::secret_hash.eq(hash(&secret)),
        ))
        .returning(ApiKey::as_returning())
        .get_result(&mut *conn)
        .await?;
    Ok((key, secret))
}

/// Keys of one tenant (or the platform's own, with `None`), oldest first.
pub async fn list(
    db: &Db,
    tenant_id: Option<Uuid>,
    page: PageRequest,
) -> Result<Page<ApiKey>, StoreError> {
    let mut conn = db.primary().await?;
    let mut query = api_keys::table
        .select(ApiKey::as_select())
        .order(api_keys::id)
        .limit(page.limit + 1)
        .into_boxed();
    query = match tenant_id {
        Some(tenant) => query.filter(api_keys::tenant_id.eq(tenant)),
        None => query.filter(api_keys::tenant_id.is_null()),
    };
    if let Some(after) = page.after {
        query = query.filter(api_keys::id.gt(after));
    }
    let rows = query.load(&mut *conn).await?;
    Ok(Page::from_overfetch(rows, page.limit, |k| k.id))
}

/// What the tenant's unrevoked keys are bound to: (scope, vendor, brand).
pub async fn active_bindings(
    db: &Db,
    tenant_id: Uuid,
) -> Result<Vec<(String, Option<Uuid>, Option<Uuid>)>, StoreError> {
    let mut conn = db.primary().await?;
    Ok(api_keys::table
        .filter(api_keys::tenant_id.eq(tenant_id))
        .filter(api_keys::revoked_at.is_null())
        .select((api_keys::scope, api_keys::vendor_id, api_keys::brand_id))
        .load(&mut *conn)
        .await?)
}

/// Revoke a key of this tenant (or a platform key, with `None`). Revoking
/// twice keeps the first revocation time.
pub async fn revoke(db: &Db, tenant_id: Option<Uuid>, id: Uuid) -> Result<ApiKey, StoreError> {
    let mut conn = db.primary().await?;
    let filter = api_keys::table.find(id).into_boxed();
    let filter = match tenant_id {
        Some(tenant) => filter.filter(api_keys::tenant_id.eq(tenant)),
        None => filter.filter(api_keys::tenant_id.is_null()),
    };
    let key: ApiKey = filter
        .select(ApiKey::as_select())
        .get_result(&mut *conn)
        .await?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    Ok(diesel::update(api_keys::table.find(id))
        .set(api_keys::revoked_at.eq(diesel::dsl::now))
        .returning(ApiKey::as_returning())
        .get_result(&mut *conn)
        .await?)
}

/// A key row joined with its tenant, as authentication reads it.
type GrantRow = (
    Uuid,
    String,
    Option<Uuid>,
    Option<Uuid>,
    Option<GrantTenant>,
);

/// Resolve a presented secret to its grant; `None` when no live key has it.
pub async fn authenticate(db: &Db, secret: &str) -> Result<Option<KeyGrant>, StoreError> {
    let mut conn = db.primary().await?;
    let row: Option<GrantRow> = api_keys::table
        .left_join(tenants::table)
        .filter(api_keys::secret_hash.eq(hash(secret)))
        .filter(api_keys::revoked_at.is_null())
        .select((
            api_keys::id,
            api_keys::scope,
            api_keys::vendor_id,
            api_keys::brand_id,
            (
                tenants::id,
                tenants::slug,
                tenants::schema_name,
                tenants::status,
            )
                .nullable(),
        ))
        .get_result(&mut *conn)
        .await
        .optional()?;
    Ok(
        row.map(|(key_id, scope, vendor_id, brand_id, tenant)| KeyGrant {
            key_id,
            scope,
            vendor_id,
            brand_id,
            tenant,
        }),
    )
}

/// The stored hashes of one key, or of every key of a tenant: what a cache
/// of authenticated keys must forget when they change.
pub async fn hashes(
    db: &Db,
    tenant_id: Option<Uuid>,
    key_id: Option<Uuid>,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut conn = db.primary().await?;
    let mut query = api_keys::table.select(api_keys::secret_hash).into_boxed();
    if let Some(tenant) = tenant_id {
        query = query.filter(api_keys::tenant_id.eq(tenant));
    }
    if let Some(id) = key_id {
        query = query.filter(api_keys::id.eq(id));
    }
    Ok(query.load(&mut *conn).await?)
}
