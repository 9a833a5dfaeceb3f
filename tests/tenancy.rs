//! Tenants as schemas: provisioning, suspension, the template, and the
//! search path that makes a forgotten tenant fail loudly.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use serde_json::json;

use crate::support::{PLATFORM_KEY, TestApp, e2e, unique};

#[e2e]
async fn tenant_lifecycle_create_list_get_update() {
    let app = TestApp::start().await;
    let slug = unique("life");
    let created = app
        .post(
            "/v1/platform/tenants",
            PLATFORM_KEY,
            json!({ "slug": slug, "name": "  Lifecycle Co  ", "regions": ["US-CA", "US-CA", "DE"] }),
        )
        .await
        .expect(201);
    assert_eq!(created["slug"], slug.as_str());
    assert_eq!(created["name"], "Lifecycle Co", "names are trimmed");
    assert_eq!(
        created["regions"],
        json!(["US-CA", "DE"]),
        "regions de-duplicated in order"
    );
    assert_eq!(created["status"], "active");
    let id = created["id"].as_str().expect("id");

    let got = app
        .get(&format!("/v1/platform/tenants/{id}"), PLATFORM_KEY)
        .await
        .expect(200);
    assert_eq!(got, created);

    let updated = app
        .patch(
            &format!("/v1/platform/tenants/{id}"),
            PLATFORM_KEY,
            json!({ "regions": ["GB"] }),
        )
        .await
        .expect(200);
    assert_eq!(updated["regions"], json!(["GB"]));
    assert_eq!(updated["name"], "Lifecycle Co");

    let missing = uuid::Uuid::now_v7();
    app.get(&format!("/v1/platform/tenants/{missing}"), PLATFORM_KEY)
        .await
        .expect_problem(404, "tenant_not_found");
    app.stop().await;
}

#[e2e]
async fn suspended_tenant_is_refused_until_resumed() {
    let app = TestApp::start().await;
    let tenant = app.tenant().await;
    app.get("/v1/brands", &tenant.admin_key).await.expect(200);

    let suspended = app
        .post(
            &format!("/v1/platform/tenants/{}/suspend", tenant.id),
            PLATFORM_KEY,
            json!({ "reason": "unpaid invoice" }),
        )
        .await
        .expect(200);
    assert_eq!(suspended["status"], "suspended");
    assert_eq!(suspended["status_reason"], "unpaid invoice");
    let refused = app
        .get("/v1/brands", &tenant.admin_key)
        .await
        .expect_problem(403, "tenant_suspended");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&tenant.slug))
    );

    let resumed = app
        .post(
            &format!("/v1/platform/tenants/{}/resume", tenant.id),
            PLATFORM_KEY,
            json!({}),
        )
        .await;
    // `resume` takes no body; an empty JSON object is still a valid request.
    assert_eq!(resumed.status, 200, "{}", resumed.body);
    assert_eq!(resumed.body["status"], "active");
    assert!(resumed.body["status_reason"].is_null());
    app.get("/v1/brands", &tenant.admin_key).await.expect(200);
    app.stop().await;
}

#[e2e]
async fn tenant_input_is_validated() {
    let app = TestApp::start().await;
    let tenant = app.tenant().await;
    for (body, status, code) in [
        (
            json!({ "slug": "Bad Slug", "name": "x" }),
            422,
            "invalid_slug",
        ),
        (
            json!({ "slug": "ok-slug", "name": "" }),
            422,
            "invalid_name",
        ),
        (
            json!({ "slug": "ok-slug2", "name": "x", "regions": ["california"] }),
            422,
            "invalid_region",
        ),
        (
            json!({ "slug": tenant.slug, "name": "again" }),
            409,
            "slug_taken",
        ),
        (json!({ "slug": "ok-slug3" }), 400, "invalid_body"),
    ] {
        app.post("/v1/platform/tenants", PLATFORM_KEY, body)
            .await
            .expect_problem(status, code);
    }
    app.stop().await;
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

async fn columns(app: &TestApp, schema: &str) -> Vec<Column> {
    let mut conn = app.db().primary().await.expect("conn");
    diesel::sql_query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = $1 \
         ORDER BY table_name, ordinal_position",
    )
    .bind::<Text, _>(schema)
    .load(&mut *conn)
    .await
    .expect("columns")
}

#[e2e]
async fn provisioning_creates_a_migrated_schema() {
    let app = TestApp::start().await;
    let tenant = app.tenant().await;
    let schema = format!("t_{}", tenant.slug);
    let cols = columns(&app, &schema).await;
    let tables: std::collections::BTreeSet<&str> =
        cols.iter().map(|c| c.table_name.as_str()).collect();
    assert!(
        tables.contains("brands") && tables.contains("vendors"),
        "{tables:?}"
    );

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = app.db().primary().await.expect("conn");
    let recorded: Count = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM {schema}.__diesel_schema_migrations"
    ))
    .get_result(&mut *conn)
    .await
    .expect("migrations table");
    assert_eq!(
        recorded.n as usize,
        bazaar_store::migrate::tenant_migrations().len(),
        "every template migration is recorded, so `bazaar migrate` skips them"
    );
    let again = bazaar_store::migrate::migrate_tenant(
        app.db(),
        &bazaar_store::TenantSchema::new(&schema).expect("schema"),
    )
    .await
    .expect("migrate");
    assert!(
        again.is_empty(),
        "nothing pending after provisioning: {again:?}"
    );
    app.stop().await;
}

#[e2e]
async fn template_schema_equals_the_migration_chain() {
    let app = TestApp::start().await;
    let tenant = app.tenant().await;
    let chain_schema = format!("t_{}", unique("chain"));
    let applied = bazaar_store::migrate::migrate_tenant(
        app.db(),
        &bazaar_store::TenantSchema::new(&chain_schema).expect("schema"),
    )
    .await
    .expect("chain");
    assert_eq!(
        applied.len(),
        bazaar_store::migrate::tenant_migrations().len()
    );
    let template = columns(&app, &format!("t_{}", tenant.slug)).await;
    let chain = columns(&app, &chain_schema).await;
    assert!(!chain.is_empty());
    assert_eq!(template, chain);
    let mut conn = app.db().primary().await.expect("conn");
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut *conn,
        &format!("DROP SCHEMA {chain_schema} CASCADE"),
    )
    .await
    .expect("cleanup");
    app.stop().await;
}

#[e2e]
async fn query_without_a_tenant_fails_loudly() {
    let app = TestApp::start().await;
    let tenant = app.tenant().await;
    app.brand(&tenant.admin_key, "loud").await;
    let mut conn = app.db().primary().await.expect("conn");
    let err = diesel::sql_query("SELECT id FROM brands")
        .execute(&mut *conn)
        .await
        .expect_err("no tenant schema is on the default search path");
    assert!(
        err.to_string()
            .contains("relation \"brands\" does not exist"),
        "{err}"
    );
    app.stop().await;
}

#[e2e]
async fn list_endpoints_are_keyset_paginated() {
    let app = TestApp::start().await;
    let tenant = app.tenant().await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(app.vendor(&tenant.admin_key, &format!("page-{i}")).await);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/vendors?limit=2&cursor={c}"),
            None => "/v1/vendors?limit=2".to_owned(),
        };
        let page = app.get(&path, &tenant.admin_key).await.expect(200);
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|v| v["id"].as_str().expect("id").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, made, "every vendor once, oldest first");
    app.stop().await;
}

#[e2e]
async fn a_spare_schema_becomes_the_new_tenant() {
    #[derive(QueryableByName)]
    struct Oid {
        #[diesel(sql_type = diesel::sql_types::Oid)]
        oid: u32,
    }
    async fn oid(app: &TestApp, schema: &str) -> Option<u32> {
        let mut conn = app.db().primary().await.expect("conn");
        diesel::sql_query("SELECT oid FROM pg_namespace WHERE nspname = $1")
            .bind::<Text, _>(schema)
            .get_result::<Oid>(&mut *conn)
            .await
            .ok()
            .map(|o| o.oid)
    }
    let app = TestApp::start().await;
    // Several spares, so tenants created by tests running alongside cannot
    // take them all.
    for _ in 0..4 {
        let name = bazaar_store::migrate::build_spare(app.db())
            .await
            .expect("spare");
        oid(&app, &name).await.expect("spare exists");
    }
    // Every spare there is now, ours and any other server's: the claim
    // takes the oldest, which may not be one of ours.
    let spares: Vec<u32> = {
        let mut conn = app.db().primary().await.expect("conn");
        diesel::sql_query(
            "SELECT n.oid FROM control.spare_schemas s JOIN pg_namespace n ON n.nspname = s.name",
        )
        .load::<Oid>(&mut *conn)
        .await
        .expect("spares")
        .into_iter()
        .map(|o| o.oid)
        .collect()
    };
    let tenant = app.tenant().await;
    let schema = format!("t_{}", tenant.slug);
    let mine = oid(&app, &schema).await.expect("tenant schema");
    assert!(
        spares.contains(&mine),
        "the tenant's schema is a renamed spare"
    );
    // A renamed spare is the template: same tables, migrations recorded.
    let chain_schema = format!("t_{}", unique("chain"));
    bazaar_store::migrate::migrate_tenant(
        app.db(),
        &bazaar_store::TenantSchema::new(&chain_schema).expect("schema"),
    )
    .await
    .expect("chain");
    assert_eq!(
        columns(&app, &schema).await,
        columns(&app, &chain_schema).await
    );
    let pending = bazaar_store::migrate::migrate_tenant(
        app.db(),
        &bazaar_store::TenantSchema::new(&schema).expect("schema"),
    )
    .await
    .expect("migrate");
    assert!(pending.is_empty(), "nothing pending: {pending:?}");
    // And it works as a tenant.
    app.brand(&tenant.admin_key, "from-spare").await;
    let mut conn = app.db().primary().await.expect("conn");
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut *conn,
        &format!("DROP SCHEMA {chain_schema} CASCADE"),
    )
    .await
    .expect("cleanup");
    app.stop().await;
}
