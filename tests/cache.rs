//! The cache trait's contract, run against both implementations, and the
//! server's behaviour with Redis configured, and with Redis down.

use std::sync::Arc;
use std::time::Duration;

use bazaar_cache::{Cache, MemoryCache, RedisCache};

use crate::support::{TestApp, e2e, redis_url, unique};

async fn contract(cache: Arc<dyn Cache>) {
    let key = unique("k");
    assert_eq!(cache.get(&key).await.expect("get"), None);
    cache
        .set(&key, b"v1", Duration::from_secs(60))
        .await
        .expect("set");
    assert_eq!(cache.get(&key).await.expect("get"), Some(b"v1".to_vec()));
    cache
        .set(&key, b"v2", Duration::from_secs(60))
        .await
        .expect("overwrite");
    assert_eq!(cache.get(&key).await.expect("get"), Some(b"v2".to_vec()));
    cache.delete(&key).await.expect("delete");
    assert_eq!(cache.get(&key).await.expect("get"), None);
    cache
        .delete(&key)
        .await
        .expect("deleting an absent key is fine");

    let short = unique("short");
    cache
        .set(&short, b"x", Duration::from_millis(150))
        .await
        .expect("set");
    assert!(cache.get(&short).await.expect("get").is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(cache.get(&short).await.expect("get"), None, "expired");

    // A fixed window: the expiry is set when the counter is created and
    // later increments do not extend it.
    let counter = unique("ctr");
    assert_eq!(
        cache
            .incr(&counter, 1, Some(Duration::from_millis(400)))
            .await
            .expect("incr"),
        1
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        cache
            .incr(&counter, 2, Some(Duration::from_millis(400)))
            .await
            .expect("incr"),
        3
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        cache
            .incr(&counter, 1, Some(Duration::from_millis(400)))
            .await
            .expect("incr"),
        1,
        "the window ended 400ms after the first hit"
    );
    cache.delete(&counter).await.expect("cleanup");

    // Concurrent increments are atomic.
    let hot = unique("hot");
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let cache = cache.clone();
        let hot = hot.clone();
        tasks.push(tokio::spawn(async move { cache.incr(&hot, 1, None).await }));
    }
    for task in tasks {
        task.await.expect("task").expect("incr");
    }
    assert_eq!(cache.incr(&hot, 0, None).await.expect("read"), 50);
    cache.delete(&hot).await.expect("cleanup");
    cache.ping().await.expect("ping");
}

#[e2e]
async fn memory_cache_honours_the_contract() {
    let cache = Arc::new(MemoryCache::new(1000));
    assert_eq!(cache.backend(), "memory");
    contract(cache).await;
}

#[e2e]
async fn redis_cache_honours_the_contract() {
    let namespace = unique("bazaar-e2e-");
    let cache = Arc::new(RedisCache::new(&redis_url(), &namespace, 8).expect("redis"));
    assert_eq!(cache.backend(), "redis");
    contract(cache.clone()).await;

    // Namespaces keep deployments apart.
    let other = RedisCache::new(&redis_url(), &unique("bazaar-e2e-"), 2).expect("redis");
    cache
        .set("shared-name", b"mine", Duration::from_secs(30))
        .await
        .expect("set");
    assert_eq!(other.get("shared-name").await.expect("get"), None);
    cache.delete("shared-name").await.expect("cleanup");
}

#[e2e]
async fn redis_down_fails_fast_and_readyz_stays_ready_but_degraded() {
    let dead = RedisCache::new("redis://127.0.0.1:1", "bazaar-e2e-dead", 2).expect("lazy pool");
    let started = std::time::Instant::now();
    assert!(dead.get("anything").await.is_err());
    assert!(dead.ping().await.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );

    let app = TestApp::start().await;
    let state = bazaar_api::AppState::new(
        app.db().clone(),
        Arc::new(dead),
        app.state.regions.clone(),
        bazaar_api::Settings::new(Some(crate::support::PLATFORM_KEY), 65536),
    );
    let server = bazaar::runtime::RunningServer::start(
        state,
        "127.0.0.1:0".parse().expect("addr"),
        Duration::from_secs(5),
    )
    .await
    .expect("server");
    let base = format!("http://{}", server.addr);
    let ready = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("readyz");
    // Ready means "can serve": every read falls back to PostgreSQL, so a
    // load balancer must not pull the node. The body says what is degraded.
    assert_eq!(ready.status().as_u16(), 200);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["cache"]["backend"], "redis");
    assert_ne!(body["cache"]["status"], "ok");
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("bazaar_dependency_up{dependency=\"cache\"} 0"),
        "the degraded cache is a metric: {metrics}"
    );
    // The API itself keeps working: the cache is never the system of record.
    let live = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(live.status().as_u16(), 200);
    server.shutdown().await.expect("shutdown");
    app.stop().await;
}

#[e2e]
async fn server_with_redis_is_ready() {
    let app = TestApp::builder().redis().start().await;
    let ready = app
        .send(reqwest::Method::GET, "/readyz", None, None)
        .await
        .expect(200);
    assert_eq!(ready["cache"]["backend"], "redis");
    assert_eq!(ready["cache"]["status"], "ok");
    assert_eq!(ready["status"], "ready");
    app.stop().await;
}
