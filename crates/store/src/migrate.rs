//! The migration runner for the control plane and tenant schemas.
//!
//! Each schema records what it has applied in its own
//! `__diesel_schema_migrations` table (diesel's format, so the diesel CLI can
//! read it). A schema is migrated in one transaction under an advisory lock,
//! so two servers starting at once cannot both apply a migration, and a
//! failed migration leaves nothing half-applied.
//!
//! A new tenant does not replay the chain statement by statement: the
//! "template" is every tenant migration concatenated once per process and
//! sent in a single round trip, which keeps provisioning a tenant cheap.

use std::sync::OnceLock;

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures_util::FutureExt;

use crate::StoreError;
use crate::db::set_search_path;
use crate::prepared::prepared;
use crate::schema::control::spare_schemas;

/// One embedded migration directory.
#[derive(Debug)]
pub struct Migration {
    pub version: &'static str,
    pub name: &'static str,
    pub up: &'static str,
}

mod embedded {
    use super::Migration;
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

/// The control-plane migrations, oldest first.
pub fn control_migrations() -> &'static [Migration] {
    embedded::CONTROL
}

/// The tenant template migrations, oldest first.
pub fn tenant_migrations() -> &'static [Migration] {
    embedded::TENANT
}

/// The schema the control plane lives in.
pub const CONTROL_SCHEMA: &str = "control";

const TRACKING_TABLE: &str = "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (\
    version VARCHAR(50) PRIMARY KEY NOT NULL, \
    run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);";

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

/// Serialise migrators of the same schema across processes for the rest of
/// the transaction.
async fn lock_schema(conn: &mut AsyncPgConnection, schema: &str) -> Result<(), StoreError> {
    prepared("SELECT pg_advisory_xact_lock(hashtext('bazaar.migrate.' || $1))")
        .bind::<Text, _>(schema)
        .execute(conn)
        .await?;
    Ok(())
}

/// `name` as a quoted SQL identifier. DDL takes no bind parameters, so the
/// statements below splice schema and database names with this (and only
/// those names: every value is bound).
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Apply the pending `migrations` to `schema` (creating it if needed), in
/// the caller's transaction. Returns the names of the migrations applied.
pub async fn migrate_schema(
    conn: &mut AsyncPgConnection,
    schema: &str,
    migrations: &'static [Migration],
) -> Result<Vec<&'static str>, StoreError> {
    lock_schema(conn, schema).await?;
    // An identifier, quoted: DDL cannot bind it.
    conn.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {}",
        quote_ident(schema)
    ))
    .await?;
    set_search_path(conn, schema).await?;
    conn.batch_execute(TRACKING_TABLE).await?;
    let applied: Vec<String> = prepared("SELECT version FROM __diesel_schema_migrations")
        .load::<Version>(conn)
        .await?
        .into_iter()
        .map(|v| v.version)
        .collect();
    let mut ran = Vec::new();
    for migration in migrations {
        if applied.iter().any(|v| v == migration.version) {
            continue;
        }
        conn.batch_execute(migration.up).await.map_err(|e| {
            StoreError::Migration(format!("{} in schema {schema}: {e}", migration.name))
        })?;
        prepared("INSERT INTO __diesel_schema_migrations (version) VALUES ($1)")
            .bind::<Text, _>(migration.version)
            .execute(conn)
            .await?;
        ran.push(migration.name);
    }
    Ok(ran)
}

/// Every tenant migration plus its bookkeeping, as one script; built once.
fn tenant_template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let mut sql = String::from(TRACKING_TABLE);
        for migration in tenant_migrations() {
            sql.push('\n');
            sql.push_str(migration.up);
            sql.push_str(";\n");
        }
        // The script runs as one batch, which takes no bind parameters; the
        // versions are digits from the embedded directory names (build.rs).
        let versions: Vec<String> = tenant_migrations()
            .iter()
            .map(|m| format!("('{}')", m.version))
            .collect();
        if !versions.is_empty() {
            sql.push_str(&format!(
                "INSERT INTO __diesel_schema_migrations (version) VALUES {};",
                versions.join(", ")
            ));
        }
        sql
    })
}

/// The version of the tenant template: a hash of its SQL.
pub fn template_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(tenant_template().as_bytes()))
    })
}

/// Build one spare schema from the template and record it as ready.
pub async fn build_spare(db: &crate::Db) -> Result<String, StoreError> {
    let name = format!("zz_spare_{}", uuid::Uuid::new_v4().simple());
    let version = template_version();
    let spare = name.clone();
    db.control_tx(move |conn| {
        async move {
            let conn = conn.pg();
            // An identifier, quoted: DDL cannot bind it.
            conn.batch_execute(&format!("CREATE SCHEMA {}", quote_ident(&spare)))
                .await?;
            set_search_path(conn, &spare).await?;
            conn.batch_execute(tenant_template()).await?;
            diesel::insert_into(spare_schemas::table)
                .values((
                    spare_schemas::name.eq(&spare),
                    spare_schemas::template_version.eq(version),
                ))
                .execute(conn)
                .await?;
            Ok(())
        }
        .boxed()
    })
    .await?;
    Ok(name)
}

/// Keep `target` spares of the current template ready; drop spares built
/// from an older template. Returns how many were built.
pub async fn refill_spares(db: &crate::Db, target: usize) -> Result<usize, StoreError> {
    let version = template_version();
    let stale: Vec<String> = db
        .control_tx(move |conn| {
            async move {
                Ok(diesel::delete(
                    spare_schemas::table.filter(spare_schemas::template_version.ne(version)),
                )
                .returning(spare_schemas::name)
                .load(conn.pg())
                .await?)
            }
            .boxed()
        })
        .await?;
    for name in stale {
        let mut conn = db.primary().await?;
        // An identifier, quoted: DDL cannot bind it.
        conn.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            quote_ident(&name)
        ))
        .await?;
    }
    let mut conn = db.primary().await?;
    let ready: i64 = spare_schemas::table.count().get_result(&mut *conn).await?;
    drop(conn);
    let missing = target.saturating_sub(usize::try_from(ready).unwrap_or(0));
    for _ in 0..missing {
        build_spare(db).await?;
    }
    Ok(missing)
}

/// Take a spare of the current template and rename it to `schema`, in the
/// caller's transaction; false when none is ready (SKIP LOCKED: concurrent
/// provisioners never wait on each other).
async fn claim_spare(
    conn: &mut AsyncPgConnection,
    schema: &crate::TenantSchema,
) -> Result<bool, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Spare {
        #[diesel(sql_type = Text)]
        name: String,
    }
    // The subquery locks the row it picks (SKIP LOCKED): fixed raw SQL.
    let spare: Option<Spare> = prepared(
        "DELETE FROM control.spare_schemas WHERE name = ( \
           SELECT name FROM control.spare_schemas WHERE template_version = $1 \
           ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING name",
    )
    .bind::<Text, _>(template_version())
    .get_result(conn)
    .await
    .optional()?;
    let Some(Spare { name }) = spare else {
        return Ok(false);
    };
    // An identifier, quoted: DDL cannot bind it.
    conn.batch_execute(&format!(
        "ALTER SCHEMA {} RENAME TO {}",
        quote_ident(&name),
        quote_ident(schema.as_str())
    ))
    .await?;
    Ok(true)
}

/// Create a fresh tenant schema from the template, in the caller's
/// transaction. Fails with a conflict if the schema already exists.
pub async fn provision_tenant_schema(
    conn: &mut AsyncPgConnection,
    schema: &crate::TenantSchema,
) -> Result<(), StoreError> {
    if claim_spare(conn, schema).await? {
        return Ok(());
    }
    // An identifier, quoted: DDL cannot bind it.
    conn.batch_execute(&format!("CREATE SCHEMA {}", quote_ident(schema.as_str())))
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Database(e) if e.to_string().contains("already exists") => {
                StoreError::Conflict {
                    constraint: "tenant_schema".into(),
                }
            }
            other => other,
        })?;
    set_search_path(conn, schema.as_str()).await?;
    conn.batch_execute(tenant_template()).await?;
    Ok(())
}

/// Bring the control plane up to date.
pub async fn migrate_control(db: &crate::Db) -> Result<Vec<&'static str>, StoreError> {
    db.control_tx(|conn| {
        async move { migrate_schema(conn.pg(), CONTROL_SCHEMA, control_migrations()).await }.boxed()
    })
    .await
}

/// Bring one tenant schema up to date.
pub async fn migrate_tenant(
    db: &crate::Db,
    schema: &crate::TenantSchema,
) -> Result<Vec<&'static str>, StoreError> {
    let schema = schema.as_str().to_owned();
    db.control_tx(move |conn| {
        async move { migrate_schema(conn.pg(), &schema, tenant_migrations()).await }.boxed()
    })
    .await
}

/// Create database `name` on the server `admin_url` points at, unless it
/// exists. `name` is quoted as an identifier.
pub async fn create_database_if_missing(admin_url: &str, name: &str) -> Result<bool, StoreError> {
    use diesel_async::AsyncConnection;
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let mut conn = AsyncPgConnection::establish(admin_url)
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let row: Exists =
        prepared("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(name)
            .get_result(&mut conn)
            .await?;
    if row.exists {
        return Ok(false);
    }
    match conn
        // An identifier, quoted: DDL cannot bind it.
        .batch_execute(&format!("CREATE DATABASE {}", quote_ident(name)))
        .await
    {
        Ok(()) => Ok(true),
        // Another process created it between the check and the create.
        Err(e) if e.to_string().contains("already exists") => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Drop database `name` (terminating its connections). For tests and tools
/// that created the database themselves.
pub async fn drop_database(admin_url: &str, name: &str) -> Result<(), StoreError> {
    use diesel_async::AsyncConnection;
    let mut conn = AsyncPgConnection::establish(admin_url)
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    // An identifier, quoted: DDL cannot bind it.
    conn.batch_execute(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_embedded_in_order_with_diesel_versions() {
        for set in [control_migrations(), tenant_migrations()] {
            assert!(!set.is_empty());
            assert!(set.windows(2).all(|w| w[0].version < w[1].version));
            for m in set {
                assert_eq!(m.version.len(), 14, "{}", m.name);
                assert!(!m.up.contains("search_path"), "{} sets search_path", m.name);
            }
        }
    }

    #[test]
    fn template_records_every_tenant_migration() {
        let template = tenant_template();
        for m in tenant_migrations() {
            assert!(template.contains(&format!("('{}')", m.version)));
        }
    }
}
