//! The connection pools: one primary and any number of read replicas.
//!
//! Tenant work always runs inside a transaction whose first statement is
//! `SELECT set_config('search_path', <schema>, true)`: transaction-local, so
//! the setting dies with the transaction and never leaks to the next borrower
//! of a pooled connection. The only way to reach a tenant table is a
//! [`TenantConn`], and the only code that makes one is [`Db::tenant_tx`] /
//! [`Db::tenant_read`], after that statement: a tenant query outside its
//! tenant's transaction does not compile. The control plane has its own
//! [`ControlConn`] from [`Db::control_tx`]. Lag-tolerant reads
//! ([`Db::tenant_read`]) go to a healthy replica, else to the primary.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use diesel::sql_types::{Double, Nullable, Text};
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};
use futures_util::future::BoxFuture;

use crate::StoreError;

type Manager = AsyncDieselConnectionManager<AsyncPgConnection>;
/// A bb8 pool of diesel-async PostgreSQL connections.
pub type PgPool = bb8::Pool<Manager>;
type Pooled = bb8::PooledConnection<'static, Manager>;

/// How to reach the database.
#[derive(Clone)]
pub struct DbConfig {
    pub primary_url: String,
    pub replica_urls: Vec<String>,
    pub max_connections: u32,
    /// How long a request waits for a free connection before it is told the
    /// service is busy (503).
    pub acquire_timeout: Duration,
    /// A replica further behind the primary than this is skipped.
    pub replica_max_lag: Duration,
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConfig")
            .field("primary_url", &redact_url(&self.primary_url))
            .field(
                "replica_urls",
                &self
                    .replica_urls
                    .iter()
                    .map(|u| redact_url(u))
                    .collect::<Vec<_>>(),
            )
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("replica_max_lag", &self.replica_max_lag)
            .finish()
    }
}

/// A database URL with its password replaced, fit for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A validated tenant schema name (`t_` then `[a-z0-9_]`), the only kind of
/// value ever passed to `set_config('search_path', ...)` for tenant work.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSchema(String);

impl TenantSchema {
    pub fn new(name: &str) -> Result<Self, StoreError> {
        let valid = name.len() > 2
            && name.len() <= 63
            && name.starts_with("t_")
            && name[2..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(StoreError::Migration(format!(
                "`{name}` is not a tenant schema name"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

struct Replica {
    pool: PgPool,
    healthy: AtomicBool,
}

/// The primary pool and the replica pools.
#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

struct DbInner {
    primary: PgPool,
    replicas: Vec<Replica>,
    next_replica: AtomicUsize,
    replica_max_lag: Duration,
    max_connections: u32,
}

/// A bare connection to the primary, outside any transaction: for
/// administration (DDL, tools, tests). It cannot call a repository: tenant
/// work needs a [`TenantConn`], control-plane work a [`ControlConn`].
pub struct PrimaryConn(Pooled);

/// A connection for reads that tolerate replica lag. It may be a replica
/// or, when none is configured or healthy, the primary.
pub struct ReplicaConn {
    conn: Pooled,
    from_replica: bool,
}

impl ReplicaConn {
    /// Whether this connection is to a replica (false: the primary).
    pub fn is_replica(&self) -> bool {
        self.from_replica
    }
}

impl Deref for PrimaryConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.0
    }
}

impl DerefMut for PrimaryConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.0
    }
}

/// A connection inside one tenant's transaction, its search path already
/// set to that tenant's schema. Every tenant repository function takes one;
/// only [`Db::tenant_tx`] and [`Db::tenant_read`] make them.
pub struct TenantConn {
    conn: Pooled,
    schema: TenantSchema,
    from_replica: bool,
}

impl TenantConn {
    /// The tenant schema this transaction is bound to.
    pub fn schema(&self) -> &TenantSchema {
        &self.schema
    }

    /// Whether this transaction reads from a replica (false: the primary).
    pub fn is_replica(&self) -> bool {
        self.from_replica
    }

    /// The diesel connection, still inside this tenant's transaction. The
    /// repositories use it; outside the store only tools (benchmarks, test
    /// set-up) should, by the SQL rule in `ARCHITECTURE.md`.
    pub fn pg(&mut self) -> &mut AsyncPgConnection {
        &mut self.conn
    }
}

/// A connection inside a control-plane transaction (no tenant on the search
/// path; control tables are schema-qualified). Only [`Db::control_tx`]
/// makes one.
pub struct ControlConn {
    conn: Pooled,
}

impl ControlConn {
    /// The diesel connection, still inside the control-plane transaction.
    pub fn pg(&mut self) -> &mut AsyncPgConnection {
        &mut self.conn
    }
}

/// A unit of work inside a transaction: gets the typed connection (for a
/// tenant, with its search path already set). Build one with
/// `|conn| async move { ... }.boxed()`, moving owned values in.
pub type TxFuture<'r, T> = BoxFuture<'r, Result<T, StoreError>>;

/// The pool's numbers, for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

fn build_pool(url: &str, config: &DbConfig) -> PgPool {
    bb8::Pool::builder()
        .max_size(config.max_connections.max(1))
        .min_idle(Some(0))
        .connection_timeout(config.acquire_timeout)
        .test_on_check_out(false)
        .retry_connection(false)
        .build_unchecked(Manager::new(url))
}

impl Db {
    /// Build the pools. Connections are opened lazily; call
    /// [`Db::check_primary`] to fail fast at start-up.
    pub fn new(config: &DbConfig) -> Self {
        let primary = build_pool(&config.primary_url, config);
        let replicas = config
            .replica_urls
            .iter()
            .map(|url| Replica {
                pool: build_pool(url, config),
                healthy: AtomicBool::new(true),
            })
            .collect();
        Self {
            inner: Arc::new(DbInner {
                primary,
                replicas,
                next_replica: AtomicUsize::new(0),
                replica_max_lag: config.replica_max_lag,
                max_connections: config.max_connections.max(1),
            }),
        }
    }

    /// Fail unless the primary answers a query.
    pub async fn check_primary(&self) -> Result<(), StoreError> {
        use diesel_async::RunQueryDsl;
        let mut conn = self.primary().await?;
        crate::prepared::prepared("SELECT 1")
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn primary(&self) -> Result<PrimaryConn, StoreError> {
        Ok(PrimaryConn(self.inner.primary.get_owned().await?))
    }

    /// A connection for lag-tolerant reads: the next healthy replica in
    /// turn, else the primary. A replica that fails to give a connection is
    /// marked unhealthy until the next health check.
    pub async fn replica(&self) -> Result<ReplicaConn, StoreError> {
        let replicas = &self.inner.replicas;
        for _ in 0..replicas.len() {
            let at = self.inner.next_replica.fetch_add(1, Ordering::Relaxed) % replicas.len();
            let replica = &replicas[at];
            if !replica.healthy.load(Ordering::Relaxed) {
                continue;
            }
            match replica.pool.get_owned().await {
                Ok(conn) => {
                    return Ok(ReplicaConn {
                        conn,
                        from_replica: true,
                    });
                }
                Err(err) => {
                    tracing::warn!(replica.index = at, error = %err, "replica unavailable, skipping it");
                    replica.healthy.store(false, Ordering::Relaxed);
                }
            }
        }
        Ok(ReplicaConn {
            conn: self.inner.primary.get_owned().await?,
            from_replica: false,
        })
    }

    /// Check every replica's reachability and lag, marking each healthy or
    /// not. Run periodically by [`Db::spawn_replica_monitor`].
    pub async fn check_replicas(&self) {
        #[derive(diesel::QueryableByName)]
        struct Lag {
            #[diesel(sql_type = Nullable<Double>)]
            lag: Option<f64>,
        }
        use diesel_async::RunQueryDsl;
        let max_lag = self.inner.replica_max_lag.as_secs_f64();
        for (index, replica) in self.inner.replicas.iter().enumerate() {
            let lag = async {
                let mut conn = replica.pool.get().await.map_err(StoreError::from)?;
                // On a primary (or a replica that is not replaying) the lag
                // is 0; on a hot standby it is the age of the last replayed
                // transaction.
                let row: Lag = crate::prepared::prepared(
                    "SELECT CASE WHEN pg_is_in_recovery() \
                     THEN COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8, 0) \
                     ELSE 0 END AS lag",
                )
                .get_result(&mut *conn)
                .await?;
                Ok::<_, StoreError>(row.lag.unwrap_or(0.0))
            }
            .await;
            let healthy = matches!(lag, Ok(lag) if lag <= max_lag);
            if healthy != replica.healthy.swap(healthy, Ordering::Relaxed) {
                match &lag {
                    Ok(lag) => tracing::info!(
                        replica.index = index,
                        replica.lag_seconds = lag,
                        healthy,
                        "replica health changed"
                    ),
                    Err(err) => {
                        tracing::warn!(replica.index = index, error = %err, healthy, "replica health changed")
                    }
                }
            }
        }
    }

    /// Re-check replicas every `every` for as long as the runtime lives.
    pub fn spawn_replica_monitor(&self, every: Duration) {
        if self.inner.replicas.is_empty() {
            return;
        }
        let db = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                db.check_replicas().await;
            }
        });
    }

    /// How many replicas are configured and how many are healthy now.
    pub fn replica_health(&self) -> (usize, usize) {
        let healthy = self
            .inner
            .replicas
            .iter()
            .filter(|r| r.healthy.load(Ordering::Relaxed))
            .count();
        (self.inner.replicas.len(), healthy)
    }

    pub fn primary_stats(&self) -> PoolStats {
        stats(&self.inner.primary, self.inner.max_connections)
    }

    pub fn replica_stats(&self) -> Vec<PoolStats> {
        self.inner
            .replicas
            .iter()
            .map(|r| stats(&r.pool, self.inner.max_connections))
            .collect()
    }

    /// Run `work` in a transaction on the primary with the tenant's schema
    /// as the whole search path.
    pub async fn tenant_tx<T, F>(&self, schema: &TenantSchema, work: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'r> FnOnce(&'r mut TenantConn) -> TxFuture<'r, T> + Send,
    {
        let (conn, _) = self.begun(false, "BEGIN").await?;
        let conn = TenantConn {
            conn,
            schema: schema.clone(),
            from_replica: false,
        };
        in_transaction(conn, work).await
    }

    /// Like [`Db::tenant_tx`], but read-only and on a replica when one is
    /// healthy.
    pub async fn tenant_read<T, F>(&self, schema: &TenantSchema, work: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'r> FnOnce(&'r mut TenantConn) -> TxFuture<'r, T> + Send,
    {
        let (conn, from_replica) = self.begun(true, "BEGIN READ ONLY").await?;
        let conn = TenantConn {
            from_replica,
            conn,
            schema: schema.clone(),
        };
        in_transaction(conn, work).await
    }

    /// Run `work` in a transaction on the primary without a tenant: for the
    /// control plane, whose tables are schema-qualified.
    pub async fn control_tx<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'r> FnOnce(&'r mut ControlConn) -> TxFuture<'r, T> + Send,
    {
        let (conn, _) = self.begun(false, "BEGIN").await?;
        let conn = ControlConn { conn };
        in_transaction(conn, work).await
    }

    /// A connection with a transaction begun (`begin_sql`): from a replica
    /// when `read` and one is healthy, else the primary; says which.
    ///
    /// A pooled connection can be dead without the pool knowing (the
    /// server restarted, a proxy dropped it): its first statement, the
    /// BEGIN, fails. Nothing of the caller's work has run then, so the
    /// connection is dropped (the pool discards a closed one) and the next
    /// is tried, up to one more than the pool holds, so a restart costs no
    /// request as long as the server is back. If PostgreSQL itself is
    /// down, the error is `Unavailable` (a 503 with `Retry-After`).
    async fn begun(&self, read: bool, begin_sql: &str) -> Result<(Pooled, bool), StoreError> {
        let attempts = self.inner.max_connections as usize + 1;
        let mut last = None;
        for _ in 0..attempts {
            let (mut conn, from_replica) = if read {
                let replica = self.replica().await?;
                let from_replica = replica.is_replica();
                (replica.conn, from_replica)
            } else {
                (self.primary().await?.0, false)
            };
            match AnsiTransactionManager::begin_transaction_sql(&mut *conn, begin_sql).await {
                Ok(()) => return Ok((conn, from_replica)),
                Err(err) => match StoreError::from(err) {
                    StoreError::Unavailable(cause) => {
                        tracing::info!(error = %cause, "a pooled connection was dead; trying another");
                        last = Some(StoreError::Unavailable(cause));
                    }
                    other => return Err(other),
                },
            }
        }
        Err(last.unwrap_or_else(|| StoreError::Unavailable("no live connection".into())))
    }
}

fn stats(pool: &PgPool, max: u32) -> PoolStats {
    let state = pool.state();
    PoolStats {
        connections: state.connections,
        idle: state.idle_connections,
        max,
    }
}

/// Savepoints inside a transaction: for work where one part may fail
/// without undoing the rest (each row of an import).
pub mod savepoint {
    use diesel_async::{AnsiTransactionManager, TransactionManager};

    use super::TenantConn;
    use crate::StoreError;

    pub async fn begin(conn: &mut TenantConn) -> Result<(), StoreError> {
        Ok(AnsiTransactionManager::begin_transaction(conn.pg()).await?)
    }

    pub async fn release(conn: &mut TenantConn) -> Result<(), StoreError> {
        Ok(AnsiTransactionManager::commit_transaction(conn.pg()).await?)
    }

    pub async fn rollback(conn: &mut TenantConn) -> Result<(), StoreError> {
        Ok(AnsiTransactionManager::rollback_transaction(conn.pg()).await?)
    }
}

/// Point this transaction's search path at `schema` (and nothing else).
pub(crate) async fn set_search_path(
    conn: &mut AsyncPgConnection,
    schema: &str,
) -> Result<(), StoreError> {
    use diesel_async::RunQueryDsl;
    crate::prepared::prepared("SELECT set_config('search_path', $1, true)")
        .bind::<Text, _>(schema)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a transaction's typed connection is made of.
trait Transactional: Send {
    fn pg(&mut self) -> &mut AsyncPgConnection;
    /// The tenant schema to put on the search path first, if any.
    fn search_path(&self) -> Option<&str>;
}

impl Transactional for TenantConn {
    fn pg(&mut self) -> &mut AsyncPgConnection {
        &mut self.conn
    }
    fn search_path(&self) -> Option<&str> {
        Some(self.schema.as_str())
    }
}

impl Transactional for ControlConn {
    fn pg(&mut self) -> &mut AsyncPgConnection {
        &mut self.conn
    }
    fn search_path(&self) -> Option<&str> {
        None
    }
}

/// On a connection with its transaction begun: set the search path, run
/// `work`, then commit, or roll back on error. If the future is dropped half-way, the connection is
/// returned with an open transaction, which the pool recognises as broken
/// and discards, so nothing leaks either way.
async fn in_transaction<C, T, F>(mut conn: C, work: F) -> Result<T, StoreError>
where
    C: Transactional,
    F: for<'r> FnOnce(&'r mut C) -> TxFuture<'r, T>,
{
    let result = async {
        if let Some(schema) = conn.search_path().map(str::to_owned) {
            set_search_path(conn.pg(), &schema).await?;
        }
        work(&mut conn).await
    }
    .await;
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn.pg()).await?;
            Ok(value)
        }
        Err(err) => {
            // The original error is what the caller needs; a failed rollback
            // leaves the connection marked broken, and the pool drops it.
            if let Err(rollback) = AnsiTransactionManager::rollback_transaction(conn.pg()).await {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact_url("postgres://bazaar:s3cret@db:5432/bazaar"),
            "postgres://bazaar:***@db:5432/bazaar"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(redact_url("redis://127.0.0.1"), "redis://127.0.0.1");
    }

    #[test]
    fn tenant_schema_names_are_checked() {
        assert!(TenantSchema::new("t_acme_2").is_ok());
        for bad in ["acme", "t_", "t_Acme", "t_a;drop", "public"] {
            assert!(TenantSchema::new(bad).is_err(), "{bad}");
        }
    }
}
