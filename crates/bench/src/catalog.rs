//! Storefront catalog pages under load: a tenant with many products, one
//! brand listing them all, and `GET /v1/storefront/products` hammered by wrk
//! at 64 connections, (a) through the in-process cache, (b) through Redis,
//! (c) with no cache (every request reaches PostgreSQL), against (d) the
//! same server answering a constant JSON body of the same size: the ceiling
//! of the HTTP stack on this machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bazaar_api::{AppState, Settings};
use bazaar_cache::{Cache, CacheError, MemoryCache, RedisCache, SharedCache};
use bazaar_domain::{Scope, Slug};
use bazaar_store::control::keys::{self, NewKey};
use bazaar_store::control::tenants::{self, NewTenant};
use bazaar_store::tenant::listings::{Browse, Sort, explain_browse};
use bazaar_store::{Db, DbConfig, migrate};
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use futures_util::FutureExt;
use poem::{EndpointExt, Route};

const PLATFORM_KEY: &str = "bz_pl_bench-platform-key-000000000";

/// A cache that never holds anything: the uncached baseline.
struct NoCache;

#[async_trait::async_trait]
impl Cache for NoCache {
    async fn get(&self, _: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(None)
    }
    async fn set(&self, _: &str, _: &[u8], _: Duration) -> Result<(), CacheError> {
        Ok(())
    }
    async fn delete(&self, _: &str) -> Result<(), CacheError> {
        Ok(())
    }
    async fn incr(&self, _: &str, by: i64, _: Option<Duration>) -> Result<i64, CacheError> {
        Ok(by)
    }
    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
    fn backend(&self) -> &'static str {
        "none"
    }
}

pub async fn run(
    server: &str,
    products: i64,
    seconds: u32,
    connections: u32,
    redis: &str,
) -> anyhow::Result<()> {
    let name = format!("bazaar_bench_{}", std::process::id());
    let admin = format!("{server}/postgres");
    migrate::create_database_if_missing(&admin, &name).await?;
    let result = measure(
        &format!("{server}/{name}"),
        products,
        seconds,
        connections,
        redis,
    )
    .await;
    migrate::drop_database(&admin, &name).await?;
    println!("{}", result?);
    Ok(())
}

async fn measure(
    url: &str,
    products: i64,
    seconds: u32,
    connections: u32,
    redis: &str,
) -> anyhow::Result<String> {
    let db = Db::new(&DbConfig {
        primary_url: url.to_owned(),
        replica_urls: Vec::new(),
        max_connections: 16,
        acquire_timeout: Duration::from_secs(10),
        replica_max_lag: Duration::from_secs(30),
    });
    migrate::migrate_control(&db).await?;
    let tenant = tenants::create(
        &db,
        NewTenant {
            slug: Slug::parse("bench")?,
            name: "Bench".into(),
            regions: vec!["US-CA".into()],
        },
    )
    .await?;
    let schema = tenant.schema()?;
    let started = Instant::now();
    let (brand, vendor) = db
        .tenant_tx(&schema, move |conn| {
            async move { seed(conn, products).await }.boxed()
        })
        .await?;
    let seeded = started.elapsed();
    let (_, storefront_key) = keys::create(
        &db,
        NewKey {
            tenant_id: Some(tenant.id),
            scope: Scope::Storefront,
            vendor_id: None,
            brand_id: Some(brand),
            name: "bench".into(),
        },
    )
    .await?;
    let _ = vendor;

    // The plans PostgreSQL picks on this data.
    let mut plans = String::new();
    for (label, sort, category) in [
        ("newest", Sort::Newest, None),
        ("price_asc", Sort::PriceAsc, None),
        ("category subtree, newest", Sort::Newest, Some("c3")),
    ] {
        let browse = Browse {
            brand_id: brand,
            category_path: category.map(str::to_owned),
            vendor_id: None,
            min_price: None,
            max_price: None,
            attributes: None,
            in_stock: false,
            sort,
            after: None,
            limit: 24,
        };
        let plan = db
            .tenant_read(&schema, move |conn| {
                async move { explain_browse(conn, &browse).await }.boxed()
            })
            .await?;
        plans.push_str(&format!("{label}:\n```\n{plan}\n```\n"));
    }

    let regions =
        bazaar_regions::Registry::with_set(std::path::Path::new("regions"), Default::default());
    let state = |cache: SharedCache| {
        AppState::new(
            db.clone(),
            cache,
            regions.clone(),
            Settings::new(Some(PLATFORM_KEY), 1 << 20),
        )
    };
    let path = "/v1/storefront/products?limit=24";
    let mut rows = Vec::new();

    let memory = serve(state(Arc::new(MemoryCache::default()))).await?;
    let body = reqwest::Client::new()
        .get(format!("http://{}{path}", memory.0))
        .bearer_auth(&storefront_key)
        .send()
        .await?
        .bytes()
        .await?;
    anyhow::ensure!(
        body.len() > 1000,
        "unexpected catalog page: {}",
        String::from_utf8_lossy(&body)
    );
    let constant = serve_constant(body.to_vec()).await?;
    rows.push((
        "constant JSON body, same size (HTTP ceiling)",
        wrk(
            &format!("http://{}/bench/constant", constant.0),
            &storefront_key,
            seconds,
            connections,
        )?,
    ));
    rows.push((
        "catalog page, in-process cache",
        wrk(
            &format!("http://{}{path}", memory.0),
            &storefront_key,
            seconds,
            connections,
        )?,
    ));
    let redis_cache = RedisCache::new(redis, &format!("bazaar-bench-{}", std::process::id()), 32)?;
    let with_redis = serve(state(Arc::new(redis_cache))).await?;
    rows.push((
        "catalog page, Redis cache",
        wrk(
            &format!("http://{}{path}", with_redis.0),
            &storefront_key,
            seconds,
            connections,
        )?,
    ));
    let uncached = serve(state(Arc::new(NoCache))).await?;
    rows.push((
        "catalog page, no cache (PostgreSQL every time)",
        wrk(
            &format!("http://{}{path}", uncached.0),
            &storefront_key,
            seconds,
            connections,
        )?,
    ));
    for server in [memory, with_redis, uncached] {
        Shutdown::shutdown(server.1).await?;
    }
    Shutdown::shutdown(constant.1).await?;

    let ceiling = rows[0].1.rps;
    let mut out = format!(
        "Catalog pages: {products} products seeded in {:.1} s; page of 24 = {} bytes; wrk -t2 -c{connections} -d{seconds}s\n\n\
         | what | requests/s | p50 ms | p99 ms | vs constant body |\n|---|---|---|---|---|\n",
        seeded.as_secs_f64(),
        body.len()
    );
    for (label, r) in &rows {
        out.push_str(&format!(
            "| {label} | {:.0} | {:.2} | {:.2} | {:.0}% |\n",
            r.rps,
            r.p50_ms,
            r.p99_ms,
            100.0 * r.rps / ceiling
        ));
    }
    out.push_str(&format!("\nPlans on the seeded data:\n\n{plans}"));
    Ok(out)
}

/// A brand, an approved vendor, 110 categories and `n` active products, one
/// variant each, all listed in the brand.
async fn seed(
    conn: &mut bazaar_store::TenantConn,
    n: i64,
) -> Result<(uuid::Uuid, uuid::Uuid), bazaar_store::StoreError> {
    let brand = bazaar_domain::ids::new_id();
    let vendor = bazaar_domain::ids::new_id();
    diesel::sql_query(
        "INSERT INTO brands (id, slug, name, currency) VALUES ($1, 'bench', 'Bench', 'USD')",
    )
    .bind::<SqlUuid, _>(brand)
    .execute(conn.pg())
    .await?;
    diesel::sql_query("INSERT INTO vendors (id, slug, name, contact_email, status) VALUES ($1, 'v', 'V', 'v@x.example', 'approved')")
        .bind::<SqlUuid, _>(vendor)
        .execute(conn.pg())
        .await?;
    conn.pg().batch_execute(
        "INSERT INTO categories (id, slug, name, path, depth) \
         SELECT gen_random_uuid(), 'c' || i, 'Category ' || i, 'c' || i, 0 FROM generate_series(0, 9) i; \
         INSERT INTO categories (id, parent_id, slug, name, path, depth) \
         SELECT gen_random_uuid(), p.id, 's' || j, 'Sub ' || j, p.path || '/s' || j, 1 \
         FROM categories p, generate_series(0, 9) j;",
    )
    .await?;
    diesel::sql_query(
        "WITH cats AS (SELECT id, path, row_number() OVER (ORDER BY path) - 1 AS k FROM categories WHERE depth = 1), \
         src AS (SELECT i, gen_random_uuid() AS id FROM generate_series(1, $2) i), \
         p AS (INSERT INTO products (id, vendor_id, category_id, slug, title, description, attributes, images, status, created_at) \
               SELECT src.id, $1, cats.id, 'p-' || i, \
                      (ARRAY['Organic','Classic','Deluxe','Compact','Travel'])[1 + i % 5] || ' ' || \
                      (ARRAY['Lamp','Kettle','Backpack','Jacket','Chair','Mug','Tent','Speaker'])[1 + i % 8] || ' ' || i, \
                      'A product for benchmarks', jsonb_build_object('colour', (ARRAY['red','blue','green','black'])[1 + i % 4]), \
                      ARRAY['img/p-' || i || '.jpg'], 'active', now() - make_interval(secs => i) \
               FROM src JOIN cats ON cats.k = src.i % 100 RETURNING id, slug, title, category_id, created_at), \
         v AS (INSERT INTO variants (id, product_id, vendor_id, sku, title, price, currency) \
               SELECT gen_random_uuid(), p.id, $1, 'SKU-' || p.slug, 'Default', (1 + abs(hashtext(p.slug)) % 50000) / 100.0, 'USD' FROM p RETURNING product_id, price) \
         INSERT INTO listings (id, brand_id, product_id, vendor_id, category_path, title, price, visible, created_at) \
         SELECT gen_random_uuid(), $3, p.id, $1, c.path, p.title, v.price, true, p.created_at \
         FROM p JOIN v ON v.product_id = p.id JOIN categories c ON c.id = p.category_id",
    )
    .bind::<SqlUuid, _>(vendor)
    .bind::<BigInt, _>(n)
    .bind::<SqlUuid, _>(brand)
    .execute(conn.pg())
    .await?;
    conn.pg()
        .batch_execute("ANALYZE categories; ANALYZE products; ANALYZE variants; ANALYZE listings;")
        .await?;
    Ok((brand, vendor))
}

async fn serve(
    state: AppState,
) -> anyhow::Result<(std::net::SocketAddr, bazaar::runtime::RunningServer)> {
    let server = bazaar::runtime::RunningServer::start(
        state,
        "127.0.0.1:0".parse()?,
        Duration::from_secs(5),
    )
    .await?;
    Ok((server.addr, server))
}

/// A server answering `/bench/constant` with `body`, through the same
/// middleware stack as the API (request ids, metrics, error mapping).
async fn serve_constant(body: Vec<u8>) -> anyhow::Result<(std::net::SocketAddr, ConstantServer)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(listener);
    let body = Arc::new(body);
    let metrics = Arc::new(bazaar_api::metrics::Metrics::default());
    // No documented paths: only the error mapping's cost, as the API pays it.
    let schemas = Arc::new(bazaar_api::conformance::RequestSchemas::from_document("{}"));
    let app = Route::new()
        .at(
            "/bench/constant",
            poem::endpoint::make(move |_| {
                let body = body.clone();
                async move {
                    poem::Response::builder()
                        .content_type("application/json; charset=utf-8")
                        .body(body.as_ref().clone())
                }
            }),
        )
        .around(move |ep, req| bazaar_api::middleware::problems(schemas.clone(), ep, req))
        .around(move |ep, req| bazaar_api::middleware::observe(metrics.clone(), ep, req));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        poem::Server::new(poem::listener::TcpListener::bind(addr))
            .run_with_graceful_shutdown(
                app,
                async {
                    let _ = rx.await;
                },
                Some(Duration::from_secs(5)),
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok((addr, ConstantServer { tx: Some(tx), task }))
}

struct ConstantServer {
    tx: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

trait Shutdown {
    async fn shutdown(self) -> anyhow::Result<()>;
}

impl Shutdown for ConstantServer {
    async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(());
        }
        self.task.await??;
        Ok(())
    }
}

impl Shutdown for bazaar::runtime::RunningServer {
    async fn shutdown(self) -> anyhow::Result<()> {
        bazaar::runtime::RunningServer::shutdown(self).await
    }
}

struct WrkResult {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Run wrk (from the machine's packages) and read its summary.
fn wrk(url: &str, key: &str, seconds: u32, connections: u32) -> anyhow::Result<WrkResult> {
    // Warm up: fill caches and the pool.
    let _ = std::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            "-d2s",
            "-H",
            &format!("Authorization: Bearer {key}"),
            url,
        ])
        .output()
        .context("wrk is not installed: apt-get install wrk")?;
    let out = std::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-H",
            &format!("Authorization: Bearer {key}"),
            url,
        ])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    anyhow::ensure!(!text.contains("Non-2xx"), "wrk saw errors:\n{text}");
    let ms = |line: &str| -> Option<f64> {
        let value = line.split_whitespace().nth(1)?;
        let (num, unit) = value.split_at(value.find(|c: char| c.is_ascii_alphabetic())?);
        let n: f64 = num.parse().ok()?;
        Some(match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            _ => return None,
        })
    };
    let find = |prefix: &str| text.lines().map(str::trim).find(|l| l.starts_with(prefix));
    Ok(WrkResult {
        rps: find("Requests/sec:")
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .with_context(|| format!("no Requests/sec in:\n{text}"))?,
        p50_ms: find("50%").and_then(ms).context("no p50")?,
        p99_ms: find("99%").and_then(ms).context("no p99")?,
    })
}
