//! Which statements a connection keeps prepared. diesel caches a DSL select
//! or insert by itself but never an UPDATE or an upsert; the store's hot
//! paths wrap theirs in `prepared::cached` so they stay one round trip, and
//! raw SQL goes through `prepared::prepared`. Runs against the PostgreSQL
//! at `BAZAAR_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`)
//! in a database of its own, dropped at the end.

use std::time::Duration;

use bazaar_store::prepared::prepared;
use bazaar_store::tenant::{customers, idempotency, wishlists};
use bazaar_store::{Db, DbConfig, StoreError, TenantSchema, migrate};
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;

#[derive(diesel::QueryableByName)]
struct Statement {
    #[diesel(sql_type = Text)]
    statement: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn hot_path_updates_stay_prepared_and_others_as_diesel_decides() {
    let server = std::env::var("BAZAAR_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
    let server = server.trim_end_matches('/');
    let admin = format!("{server}/postgres");
    let name = format!("bazaar_store_cache_{}", uuid::Uuid::new_v4().simple());
    migrate::create_database_if_missing(&admin, &name)
        .await
        .expect("scratch database");
    let result = run(&format!("{server}/{name}")).await;
    migrate::drop_database(&admin, &name)
        .await
        .expect("drop scratch database");
    let prepared = result.expect("statements ran");

    let has = |start: &str| prepared.iter().any(|s| s.starts_with(start));
    for start in [
        // prepared::cached: UPDATEs of every checkout.
        r#"UPDATE "idempotency_keys" SET "order_id" = $1"#,
        r#"UPDATE "idempotency_keys" SET "status" = $1"#,
        // A DSL insert and select: diesel keeps them itself.
        r#"INSERT INTO "idempotency_keys""#,
        r#"SELECT "customer_settings"."account_scope""#,
        // prepared::prepared: fixed raw SQL.
        "SELECT set_config('search_path', $1, true)",
    ] {
        assert!(has(start), "not prepared: {start}\nprepared: {prepared:#?}");
    }
    // A plain DSL UPDATE is not cached by diesel (if this starts failing,
    // diesel caches updates now and prepared::cached is redundant).
    assert!(
        !has(r#"UPDATE "wishlists""#),
        "diesel cached an UPDATE: {prepared:#?}"
    );
}

/// Migrate a tenant schema, run a few repository calls on one pooled
/// connection, and list what that connection has prepared.
async fn run(url: &str) -> Result<Vec<String>, StoreError> {
    let db = Db::new(&DbConfig {
        primary_url: url.to_owned(),
        replica_urls: Vec::new(),
        // One connection: every transaction below is on the same session.
        max_connections: 1,
        acquire_timeout: Duration::from_secs(30),
        replica_max_lag: Duration::from_secs(30),
    });
    migrate::migrate_control(&db).await?;
    let schema = TenantSchema::new("t_cache").expect("schema name");
    migrate::migrate_tenant(&db, &schema).await?;
    db.tenant_tx(&schema, |conn| {
        async move {
            let stale = Duration::from_secs(60);
            idempotency::begin(conn, "scope", "key", "hash", stale).await?;
            idempotency::attach_order(conn, "scope", "key", uuid::Uuid::nil()).await?;
            idempotency::finish(conn, "scope", "key", 201, &serde_json::json!({})).await?;
            customers::settings(conn).await?;
            wishlists::rename(conn, uuid::Uuid::nil(), "unused").await?;
            let rows: Vec<Statement> = prepared("SELECT statement FROM pg_prepared_statements")
                .load(conn.pg())
                .await?;
            Ok(rows.into_iter().map(|r| r.statement).collect())
        }
        .boxed()
    })
    .await
}
