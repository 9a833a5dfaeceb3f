//! Start-up pieces: the embedded PostgreSQL used when nothing is
//! configured, and configuration errors that name the bad key.

use std::path::Path;

use bazaar::config::Config;
use bazaar_store::embedded::EmbeddedPostgres;

use crate::support::e2e;

#[e2e]
async fn embedded_postgres_initialises_serves_and_stops() {
    let root = std::env::temp_dir().join(crate::support::unique("bazaar-embedded-"));
    let start_root = root.clone();
    let mut server = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&start_root))
        .await
        .expect("join")
        .expect("embedded PostgreSQL starts from the machine's binaries");
    assert!(root.join("pg/PG_VERSION").exists(), "initdb ran");
    bazaar_store::migrate::create_database_if_missing(&server.url("postgres"), "bazaar")
        .await
        .expect("create database");
    let db = bazaar_store::Db::new(&crate::support::db_config(&server.url("bazaar"), 1));
    db.check_primary().await.expect("serves");
    let applied = bazaar_store::migrate::migrate_control(&db)
        .await
        .expect("migrate");
    assert!(!applied.is_empty());
    drop(db);
    let port = server.port();
    tokio::task::spawn_blocking(move || server.stop())
        .await
        .expect("join")
        .expect("stops");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the server is gone after stop"
    );

    // A second start reuses the initialised cluster.
    let again_root = root.clone();
    let mut again = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&again_root))
        .await
        .expect("join")
        .expect("restart");
    let db = bazaar_store::Db::new(&crate::support::db_config(&again.url("bazaar"), 1));
    let applied = bazaar_store::migrate::migrate_control(&db)
        .await
        .expect("migrate");
    assert!(applied.is_empty(), "data survived the restart");
    drop(db);
    tokio::task::spawn_blocking(move || again.stop())
        .await
        .expect("join")
        .expect("stops");
    std::fs::remove_dir_all(&root).ok();
}

#[e2e]
async fn unknown_configuration_is_refused_by_name() {
    let err = Config::load(
        Some(Path::new("/dev/null")),
        vec![("BAZAAR_REDIS_URI".to_owned(), "redis://x".to_owned())],
        &[],
    )
    .expect_err("unknown variable");
    assert!(err.to_string().contains("BAZAAR_REDIS_URI"), "{err}");
    assert!(
        err.to_string().contains("BAZAAR_REDIS_URL"),
        "lists the known ones: {err}"
    );
}
