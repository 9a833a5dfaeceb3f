//! Faults from outside: the database restarting or going away under load.
//! A client sees 503 with `Retry-After` while PostgreSQL is down, never a
//! 500, and the server recovers by itself when it is back (no restart of
//! Bazaar), without losing a request to a dead pooled connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bazaar_store::embedded::EmbeddedPostgres;
use tokio::sync::Mutex;

use crate::support::{TestApp, e2e, unique};

/// A PostgreSQL cluster of this test's own, from the installed binaries,
/// with Bazaar's control plane migrated.
async fn own_cluster() -> (EmbeddedPostgres, String, std::path::PathBuf) {
    let root = std::env::temp_dir().join(unique("bazaar-fault-"));
    let start_root = root.clone();
    let server = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&start_root))
        .await
        .expect("join")
        .expect("a private PostgreSQL starts");
    bazaar_store::migrate::create_database_if_missing(&server.url("postgres"), "bazaar")
        .await
        .expect("create database");
    let url = server.url("bazaar");
    (server, url, root)
}

#[derive(Default, Debug)]
struct Tally {
    ok: usize,
    unavailable: usize,
    unavailable_without_retry_after: usize,
    other: Vec<(u16, String)>,
}

#[e2e]
async fn a_database_restart_and_outage_cost_503s_not_500s() {
    let (server, url, root) = own_cluster().await;
    let server = Arc::new(Mutex::new(server));
    let app = Arc::new(
        TestApp::builder()
            .env("BAZAAR_DATABASE_URL", &url)
            .env("BAZAAR_DB_ACQUIRE_TIMEOUT_MS", "1000")
            .pool_size(4)
            .start()
            .await,
    );
    bazaar_store::migrate::migrate_control(app.db())
        .await
        .expect("migrate the control plane");
    let t = app.tenant().await;
    let brand = app.brand(&t.admin_key, "fault-brand").await;

    // Readers and writers hammer the API for the whole test.
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut workers = Vec::new();
    for worker in 0..4 {
        let (app, stop, tally, key, brand) = (
            app.clone(),
            stop.clone(),
            tally.clone(),
            t.admin_key.clone(),
            brand.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let reply = if worker % 2 == 0 {
                    app.get(&format!("/v1/brands/{brand}"), &key).await
                } else {
                    app.post(
                        "/v1/categories",
                        &key,
                        serde_json::json!({ "slug": format!("c{worker}-{n}"), "name": "C" }),
                    )
                    .await
                };
                let mut tally = tally.lock().await;
                match reply.status {
                    200 | 201 => tally.ok += 1,
                    503 => {
                        tally.unavailable += 1;
                        if !reply.headers.contains_key("retry-after") {
                            tally.unavailable_without_retry_after += 1;
                        }
                    }
                    status => tally.other.push((status, reply.body.to_string())),
                }
                drop(tally);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }

    // A quick restart: every pooled connection dies with it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    {
        let mut pg = server.lock().await;
        pg.pause().expect("stop");
        pg.resume().expect("start again");
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after_restart = std::mem::take(&mut *tally.lock().await);

    // An outage of a few seconds.
    server.lock().await.pause().expect("stop");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during_outage = std::mem::take(&mut *tally.lock().await);
    server.lock().await.resume().expect("start again");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let recovered_from = std::mem::take(&mut *tally.lock().await);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.expect("worker");
    }
    let settled = std::mem::take(&mut *tally.lock().await);

    for (phase, tally) in [
        ("restart", &after_restart),
        ("outage", &during_outage),
        ("recovery", &recovered_from),
        ("settled", &settled),
    ] {
        assert!(
            tally.other.is_empty(),
            "{phase}: only 2xx and 503, got {tally:?}"
        );
        assert_eq!(
            tally.unavailable_without_retry_after, 0,
            "{phase}: every 503 says when to retry"
        );
    }
    assert!(
        after_restart.ok > 0,
        "served across the restart: {after_restart:?}"
    );
    assert!(
        during_outage.unavailable > 0,
        "the outage was seen as 503s: {during_outage:?}"
    );
    assert!(
        recovered_from.ok > 0,
        "recovered without restarting Bazaar: {recovered_from:?}"
    );
    assert!(
        settled.ok > 0 && settled.unavailable == 0,
        "all served once the database is back: {settled:?}"
    );

    Arc::into_inner(app).expect("workers are done").stop().await;
    let mut pg = Arc::into_inner(server).expect("one owner").into_inner();
    tokio::task::spawn_blocking(move || pg.stop())
        .await
        .expect("join")
        .expect("stops");
    std::fs::remove_dir_all(&root).ok();
}
