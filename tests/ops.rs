//! Operations: health, readiness, metrics, request ids and graceful
//! shutdown.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{PLATFORM_KEY, TestApp, e2e};

#[e2e]
async fn health_and_readiness() {
    let app = TestApp::start().await;
    let health = app
        .send(reqwest::Method::GET, "/healthz", None, None)
        .await
        .expect(200);
    assert_eq!(health["status"], "ok");
    let ready = app
        .send(reqwest::Method::GET, "/readyz", None, None)
        .await
        .expect(200);
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["cache"]["backend"], "memory");
    app.stop().await;
}

#[e2e]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let brand = app.brand(&t.admin_key, "metered").await;
    for _ in 0..3 {
        app.get(&format!("/v1/brands/{brand}"), &t.admin_key)
            .await
            .expect(200);
    }
    app.get("/v1/brands", "bz_ta_wrong-key-0000000000")
        .await
        .expect(401);
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.starts_with(needle))
            .unwrap_or_else(|| panic!("no line starting {needle} in:\n{text}"))
            .to_owned()
    };
    assert!(line(r#"bazaar_http_requests_total{method="GET",route="/v1/brands/:"#).ends_with(" 3"));
    line(r#"bazaar_http_requests_total{method="GET",route="/v1/brands",status="401"}"#);
    line(r#"bazaar_http_request_duration_seconds_bucket{method="GET",route="/v1/brands/:"#);
    line(r#"bazaar_db_pool_connections{pool="primary",state="idle"}"#);
    line(r#"bazaar_db_pool_max_connections{pool="primary"} 4"#);
    // Paths are reported by pattern: no brand id leaks into a label.
    assert!(!text.contains(&brand), "raw ids must not become labels");
    app.stop().await;
}

#[e2e]
async fn request_id_is_echoed_or_generated() {
    let app = TestApp::start().await;
    let given = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(given.headers()["x-request-id"], "trace-abc-123");
    let generated = app
        .client
        .get(format!("{}/v1/brands", app.base))
        .send()
        .await
        .expect("sent");
    let id = generated.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "generated id is a uuid: {id}"
    );
    let junk = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "x".repeat(300))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        junk.headers()["x-request-id"].len(),
        36,
        "an absurd id is replaced"
    );
    app.stop().await;
}

#[e2e]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let app = TestApp::start().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    // Start a request and hold its body back, so it is in flight when the
    // shutdown begins.
    let body = r#"{"slug":"late-tenant","name":"Late"}"#;
    let slug_body = body.replace("late-tenant", &crate::support::unique("late"));
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /v1/platform/tenants HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {PLATFORM_KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        slug_body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream
        .write_all(&slug_body.as_bytes()[..10])
        .await
        .expect("part");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !stopping.is_finished(),
        "shutdown waits for the in-flight request"
    );
    // New connections are refused while it drains.
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "listener closed"
    );

    stream
        .write_all(&slug_body.as_bytes()[10..])
        .await
        .expect("rest");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("response");
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("shutdown completes after the request")
        .expect("join");
}
