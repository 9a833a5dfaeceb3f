//! Pools: the tenant search path never leaks between borrowers of a pooled
//! connection, and replicas serve reads when healthy and are skipped when
//! not.

use futures_util::FutureExt;
use serde_json::json;

use crate::support::{TestApp, database_url, e2e};

fn new_vendor(slug: &str) -> bazaar_store::tenant::vendors::NewVendor {
    bazaar_store::tenant::vendors::NewVendor {
        id: uuid::Uuid::now_v7(),
        slug: slug.into(),
        name: slug.into(),
        contact_email: format!("{slug}@x.example"),
        status: "approved".into(),
        description: String::new(),
        regions_served: Vec::new(),
        payout_reference: None,
    }
}

#[e2e]
async fn search_path_never_leaks_across_pooled_connections() {
    let app = TestApp::builder().pool_size(1).start().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    let a_brand = app.brand(&a.admin_key, "a-side").await;
    let b_brand = app.brand(&b.admin_key, "b-side").await;

    // Interleave the two tenants over one pooled connection, sequentially
    // and concurrently, reading lists and objects.
    for round in 0..10 {
        let (first, second) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        for t in [first, second] {
            let list = app.get("/v1/brands", &t.admin_key).await.expect(200);
            let slugs: Vec<&str> = list["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|b| b["slug"].as_str().expect("slug"))
                .collect();
            let want = if std::ptr::eq(t, &a) {
                "a-side"
            } else {
                "b-side"
            };
            assert_eq!(slugs, [want], "round {round}");
        }
    }
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (key, own, foreign) = if i % 2 == 0 {
            (a.admin_key.clone(), a_brand.clone(), b_brand.clone())
        } else {
            (b.admin_key.clone(), b_brand.clone(), a_brand.clone())
        };
        let client = app.client.clone();
        let base = app.base.clone();
        tasks.push(tokio::spawn(async move {
            let own_status = client
                .get(format!("{base}/v1/brands/{own}"))
                .bearer_auth(&key)
                .send()
                .await
                .expect("sent")
                .status()
                .as_u16();
            let foreign_status = client
                .get(format!("{base}/v1/brands/{foreign}"))
                .bearer_auth(&key)
                .send()
                .await
                .expect("sent")
                .status()
                .as_u16();
            (own_status, foreign_status)
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), (200, 404));
    }

    // And the connection itself comes back to the pool with no tenant on it.
    let mut conn = app.db().primary().await.expect("conn");
    #[derive(diesel::QueryableByName)]
    struct Path {
        #[diesel(sql_type = diesel::sql_types::Text)]
        search_path: String,
    }
    let path: Path = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT current_setting('search_path') AS search_path"),
        &mut *conn,
    )
    .await
    .expect("setting");
    assert!(
        !path.search_path.contains("t_"),
        "leaked: {}",
        path.search_path
    );
    drop(conn);
    app.stop().await;
}

#[e2e]
async fn replica_serves_reads_and_a_dead_replica_is_skipped() {
    // The "replica" here is the same database under a second pool, which is
    // what a read replica looks like to Bazaar; the dead one refuses
    // connections.
    let app = TestApp::builder()
        .replicas(vec![
            "postgres://postgres@127.0.0.1:1/nowhere".to_owned(),
            database_url(),
        ])
        .start()
        .await;
    let t = app.tenant().await;
    app.brand(&t.admin_key, "replicated").await;
    for _ in 0..4 {
        let list = app.get("/v1/brands", &t.admin_key).await.expect(200);
        assert_eq!(list["items"][0]["slug"], "replicated");
    }
    let (configured, healthy) = app.db().replica_health();
    assert_eq!(
        (configured, healthy),
        (2, 1),
        "the dead replica was marked unhealthy"
    );
    let conn = app.db().replica().await.expect("replica");
    assert!(conn.is_replica(), "the live replica serves reads");
    drop(conn);
    let ready = app
        .send(reqwest::Method::GET, "/readyz", None, None)
        .await
        .expect(200);
    assert_eq!(ready["replicas"], json!({ "configured": 2, "healthy": 1 }));

    // A health check puts the live one back and keeps the dead one out.
    app.db().check_replicas().await;
    assert_eq!(app.db().replica_health(), (2, 1));
    app.stop().await;
}

#[e2e]
async fn replica_reads_are_read_only() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", t.slug)).expect("schema");
    let err = app
        .db()
        .tenant_read(&schema, |conn| {
            async move {
                bazaar_store::tenant::vendors::create(conn, new_vendor("sneaky"), "test").await
            }
            .boxed()
        })
        .await
        .expect_err("a read transaction cannot write");
    assert!(err.to_string().contains("read-only"), "{err}");
    app.stop().await;
}

#[e2e]
async fn rolled_back_work_leaves_nothing() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let schema = bazaar_store::TenantSchema::new(&format!("t_{}", t.slug)).expect("schema");
    let result: Result<(), _> = app
        .db()
        .tenant_tx(&schema, |conn| {
            async move {
                bazaar_store::tenant::vendors::create(conn, new_vendor("half"), "test").await?;
                Err(bazaar_store::StoreError::NotFound)
            }
            .boxed()
        })
        .await;
    assert!(result.is_err());
    let list = app.get("/v1/vendors", &t.admin_key).await.expect(200);
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(0),
        "the insert was rolled back"
    );
    app.stop().await;
}
