//! How long it takes to provision a tenant: the control row plus a schema
//! built from the template in one round trip (what Bazaar does), against
//! the baseline of the same control row plus the migration chain replayed
//! migration by migration, and against the full `POST
//! /v1/platform/tenants` call over HTTP.

use std::time::{Duration, Instant};

use anyhow::Context;
use bazaar_domain::Slug;
use bazaar_store::control::tenants::{self, NewTenant};
use bazaar_store::{Db, DbConfig, TenantSchema, migrate};
use diesel::ExpressionMethods;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;

use crate::stats::Summary;

const PLATFORM_KEY: &str = "bz_pl_bench-platform-key-000000000";

pub async fn run(server: &str, count: usize) -> anyhow::Result<()> {
    let name = format!("bazaar_bench_{}", std::process::id());
    let admin = format!("{server}/postgres");
    migrate::create_database_if_missing(&admin, &name).await?;
    let result = measure(&format!("{server}/{name}"), count).await;
    migrate::drop_database(&admin, &name).await?;
    let report = result?;
    println!("{report}");
    Ok(())
}

async fn measure(url: &str, count: usize) -> anyhow::Result<String> {
    let db = Db::new(&DbConfig {
        primary_url: url.to_owned(),
        replica_urls: Vec::new(),
        max_connections: 4,
        acquire_timeout: Duration::from_secs(10),
        replica_max_lag: Duration::from_secs(30),
    });
    migrate::migrate_control(&db).await?;

    // Warm the pool and PostgreSQL's caches with a few of each, unmeasured.
    for i in 0..3 {
        template(&db, &format!("warm-t{i}")).await?;
        chain(&db, &format!("warm-c{i}")).await?;
    }

    // Interleave the two methods so drift in the machine's load hits both.
    let (mut with_template, mut with_chain) = (Vec::new(), Vec::new());
    for i in 0..count {
        with_template.push(template(&db, &format!("tpl-{i}")).await?);
        with_chain.push(chain(&db, &format!("chn-{i}")).await?);
    }
    // With spares built ahead (as `serve` keeps them), creation is a rename.
    let mut with_spares = Vec::new();
    for i in 0..count {
        migrate::refill_spares(&db, 1).await?;
        with_spares.push(template(&db, &format!("spr-{i}")).await?);
    }

    let config = bazaar::config::Config::load(
        Some(std::path::Path::new("/dev/null")),
        vec![
            ("BAZAAR_DATABASE_URL".to_owned(), url.to_owned()),
            ("BAZAAR_PLATFORM_KEY".to_owned(), PLATFORM_KEY.to_owned()),
        ],
        &[],
    )?;
    let state = bazaar::runtime::state(&config, db.clone(), PLATFORM_KEY)?;
    let server = bazaar::runtime::RunningServer::start(
        state,
        "127.0.0.1:0".parse()?,
        Duration::from_secs(5),
    )
    .await?;
    let client = reqwest::Client::new();
    let endpoint = format!("http://{}/v1/platform/tenants", server.addr);
    let mut over_http = Vec::new();
    for i in 0..count {
        let started = Instant::now();
        let resp = client
            .post(&endpoint)
            .bearer_auth(PLATFORM_KEY)
            .json(&serde_json::json!({ "slug": format!("http-{i}"), "name": "Bench" }))
            .send()
            .await?;
        anyhow::ensure!(
            resp.status().as_u16() == 201,
            "create tenant: {}",
            resp.status()
        );
        over_http.push(started.elapsed());
    }
    server.shutdown().await?;

    let migrations = migrate::tenant_migrations().len();
    let sp = Summary::of(with_spares);
    let t = Summary::of(with_template);
    let c = Summary::of(with_chain);
    let h = Summary::of(over_http);
    Ok(format!(
        "Tenant provisioning ({count} tenants per method, {migrations} tenant migration(s))\n\n{}\n{}\n{}\n{}\n{}\n\n\
         template vs chain (p50): {:.2}x faster",
        Summary::HEADER,
        sp.row("spare schema renamed (Bazaar with spares ready)"),
        t.row("template, one round trip (no spare ready)"),
        c.row("baseline: migration chain replayed"),
        h.row("POST /v1/platform/tenants over HTTP"),
        c.p50.as_secs_f64() / t.p50.as_secs_f64().max(f64::EPSILON),
    ))
}

async fn template(db: &Db, slug: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    tenants::create(
        db,
        NewTenant {
            slug: Slug::parse(slug)?,
            name: "Bench".into(),
            regions: Vec::new(),
        },
    )
    .await
    .context("template provisioning")?;
    Ok(started.elapsed())
}

/// The same control row, then the schema built by replaying each migration
/// with its bookkeeping, in one transaction.
async fn chain(db: &Db, slug: &str) -> anyhow::Result<Duration> {
    use bazaar_store::schema::control::tenants as t;
    let slug = Slug::parse(slug)?;
    let schema = TenantSchema::new(&slug.tenant_schema())?;
    let started = Instant::now();
    db.control_tx(move |conn| {
        async move {
            diesel::insert_into(t::table)
                .values((
                    t::id.eq(bazaar_domain::ids::new_id()),
                    t::slug.eq(slug.as_str()),
                    t::name.eq("Bench"),
                    t::schema_name.eq(schema.as_str()),
                ))
                .execute(conn.pg())
                .await?;
            migrate::migrate_schema(conn.pg(), schema.as_str(), migrate::tenant_migrations())
                .await?;
            Ok(())
        }
        .boxed()
    })
    .await
    .context("chain provisioning")?;
    Ok(started.elapsed())
}
