//! Checkouts under load: 64 buyers checking out prepared carts through the
//! API (price, refuse-or-reserve, charge the sandbox, commit), on distinct
//! items and on one hot item, against pgbench running the same reservation
//! and order transactions as plain SQL on the same data. Afterwards the
//! books must balance and no stock may be negative.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bazaar_api::{AppState, Settings};
use bazaar_cache::MemoryCache;
use bazaar_domain::{Scope, Slug};
use bazaar_store::control::keys::{self, NewKey};
use bazaar_store::control::tenants::{self, NewTenant};
use bazaar_store::tenant::carts;
use bazaar_store::tenant::inventory::ledger_mismatches;
use bazaar_store::{Db, DbConfig, migrate};
use diesel::sql_types::{Int4, Uuid as SqlUuid};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use futures_util::FutureExt;
use tokio::sync::Mutex;

const PLATFORM_KEY: &str = "bz_pl_bench-platform-key-000000000";
const DISTINCT: i32 = 2000;

pub async fn run(
    server: &str,
    checkouts: usize,
    buyers: usize,
    seconds: u32,
) -> anyhow::Result<()> {
    let name = format!("bazaar_bench_{}", std::process::id());
    let admin = format!("{server}/postgres");
    migrate::create_database_if_missing(&admin, &name).await?;
    let result = measure(server, &name, checkouts, buyers, seconds).await;
    migrate::drop_database(&admin, &name).await?;
    println!("{}", result?);
    Ok(())
}

async fn measure(
    server: &str,
    name: &str,
    checkouts: usize,
    buyers: usize,
    seconds: u32,
) -> anyhow::Result<String> {
    let url = format!("{server}/{name}");
    let db = Db::new(&DbConfig {
        primary_url: url.clone(),
        replica_urls: Vec::new(),
        max_connections: 32,
        acquire_timeout: Duration::from_secs(30),
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
    let brand = bazaar_domain::ids::new_id();
    db.tenant_tx(&schema, move |conn| {
        async move { seed(conn, brand).await }.boxed()
    })
    .await?;
    let (_, storefront) = keys::create(
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

    // Packs with round-the-clock delivery, so the run does not depend on the hour.
    let regions_dir =
        std::env::temp_dir().join(format!("bazaar-bench-regions-{}", std::process::id()));
    std::fs::create_dir_all(&regions_dir)?;
    for entry in
        std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../regions"))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text =
                std::fs::read_to_string(&path)?.replace("[\"08:00-22:00\"]", "[\"00:00-24:00\"]");
            std::fs::write(regions_dir.join(path.file_name().unwrap_or_default()), text)?;
        }
    }
    let regions =
        bazaar_regions::Registry::load(&regions_dir).map_err(|p| anyhow::anyhow!("{p:?}"))?;
    std::fs::remove_dir_all(&regions_dir).ok();
    let mut settings = Settings::new(Some(PLATFORM_KEY), 1 << 20);
    settings.payment_retry.base_delay = Duration::from_millis(5);
    let state = AppState::new(
        db.clone(),
        Arc::new(MemoryCache::default()),
        regions,
        settings,
    );
    let api = bazaar::runtime::RunningServer::start(
        state,
        "127.0.0.1:0".parse()?,
        Duration::from_secs(5),
    )
    .await?;
    let base = format!("http://{}", api.addr);

    let mut rows = Vec::new();
    for (label, hot) in [("distinct items", false), ("one hot item", true)] {
        let prepared = prepare_carts(&db, &schema, brand, checkouts, hot).await?;
        rows.push((label, load(&base, &storefront, prepared, buyers).await?));
    }
    api.shutdown().await?;

    let mut pg = Vec::new();
    for (label, script) in [
        ("distinct items", pgbench_script(false)),
        ("one hot item", pgbench_script(true)),
    ] {
        pg.push((label, pgbench(server, name, &script, buyers, seconds)?));
    }

    let (mismatches, negative): (i64, i64) = db
        .tenant_read(&schema, |conn| {
            async move {
                #[derive(diesel::QueryableByName)]
                struct N {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                let negative: N = diesel::sql_query("SELECT count(*) AS n FROM stock_levels WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand")
                    .get_result(conn.pg())
                    .await?;
                Ok((ledger_mismatches(conn).await?, negative.n))
            }
            .boxed()
        })
        .await?;

    let mut out = format!(
        "Checkouts: {buyers} concurrent buyers, {checkouts} checkouts per API run (1 line each, sandbox gateway); pgbench -c {buyers} -j 2 -T {seconds}\n\n\
         | run | API checkouts/s | API p50 ms | API p99 ms | API paid / refused | plain SQL tx/s (pgbench) | API / SQL |\n|---|---|---|---|---|---|---|\n"
    );
    for ((label, api), (_, sql)) in rows.iter().zip(pg.iter()) {
        out.push_str(&format!(
            "| {label} | {:.0} | {:.1} | {:.1} | {} / {} | {:.0} | {:.0}% |\n",
            api.rate,
            api.p50,
            api.p99,
            api.paid,
            api.refused,
            sql,
            100.0 * api.rate / sql
        ));
    }
    out.push_str(&format!("\nAfter all runs: {mismatches} stock level(s) differ from the ledger; {negative} negative or over-reserved.\n"));
    Ok(out)
}

/// A brand, an approved vendor, a warehouse, 2000 products with 1000 units
/// each and one hot product with a million, all listed; a lookup table for
/// pgbench's scripts.
async fn seed(
    conn: &mut bazaar_store::TenantConn,
    brand: uuid::Uuid,
) -> Result<(), bazaar_store::StoreError> {
    diesel::sql_query("INSERT INTO brands (id, slug, name, currency, default_region) VALUES ($1, 'bench', 'Bench', 'USD', 'US-CA')")
        .bind::<SqlUuid, _>(brand)
        .execute(conn.pg())
        .await?;
    diesel::sql_query(
        "WITH v AS (INSERT INTO vendors (id, slug, name, contact_email, status) VALUES (gen_random_uuid(), 'v', 'V', 'v@x.example', 'approved') RETURNING id), \
         w AS (INSERT INTO warehouses (id, vendor_id, code, name, region) SELECT gen_random_uuid(), id, 'W', 'W', 'US-CA' FROM v RETURNING id, vendor_id), \
         src AS (SELECT i, gen_random_uuid() AS pid, gen_random_uuid() AS vid FROM generate_series(0, $2) i), \
         p AS (INSERT INTO products (id, vendor_id, slug, title, status) SELECT pid, (SELECT id FROM v), 'p-' || i, 'Product ' || i, 'active' FROM src RETURNING id), \
         var AS (INSERT INTO variants (id, product_id, vendor_id, sku, title, price, currency) \
                 SELECT vid, pid, (SELECT id FROM v), 'SKU-' || i, 'Default', 30.00, 'USD' FROM src JOIN p ON p.id = src.pid RETURNING id), \
         s AS (INSERT INTO stock_levels (variant_id, warehouse_id, on_hand) \
               SELECT vid, (SELECT id FROM w), CASE WHEN i = $2 THEN 1000000 ELSE 1000 END FROM src JOIN var ON var.id = src.vid RETURNING variant_id, warehouse_id, on_hand), \
         m AS (INSERT INTO inventory_movements (id, variant_id, warehouse_id, kind, on_hand_delta, actor) \
               SELECT gen_random_uuid(), variant_id, warehouse_id, 'receive', on_hand, 'bench' FROM s RETURNING 1), \
         l AS (INSERT INTO listings (id, brand_id, product_id, vendor_id, title, price, visible, in_stock) \
               SELECT gen_random_uuid(), $1, pid, (SELECT id FROM v), 'Product ' || i, 30.00, true, true FROM src JOIN p ON p.id = src.pid RETURNING 1) \
         SELECT (SELECT count(*) FROM m) + (SELECT count(*) FROM l)",
    )
    .bind::<SqlUuid, _>(brand)
    .bind::<Int4, _>(DISTINCT)
    .execute(conn.pg())
    .await?;
    conn.pg().batch_execute(
        "CREATE TABLE bench_variants AS SELECT (row_number() OVER (ORDER BY substring(v.sku from 5)::int))::int - 1 AS n, v.id AS variant_id, s.warehouse_id, v.vendor_id \
         FROM variants v JOIN stock_levels s ON s.variant_id = v.id; \
         CREATE UNIQUE INDEX ON bench_variants (n); ANALYZE;",
    )
    .await?;
    Ok(())
}

/// Carts of one line each, made directly in the database (cart set-up is
/// not what is measured).
async fn prepare_carts(
    db: &Db,
    schema: &bazaar_store::TenantSchema,
    brand: uuid::Uuid,
    n: usize,
    hot: bool,
) -> anyhow::Result<Vec<(uuid::Uuid, String)>> {
    let carts = db
        .tenant_tx(schema, move |conn| {
            async move {
                #[derive(diesel::QueryableByName)]
                struct V {
                    #[diesel(sql_type = SqlUuid)]
                    variant_id: uuid::Uuid,
                }
                let variants: Vec<V> =
                    diesel::sql_query("SELECT variant_id FROM bench_variants ORDER BY n")
                        .load(conn.pg())
                        .await?;
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    let variant = if hot {
                        variants[variants.len() - 1].variant_id
                    } else {
                        variants[i % (variants.len() - 1)].variant_id
                    };
                    let (cart, token) = carts::create(
                        conn,
                        brand,
                        "US-CA",
                        bazaar_domain::Currency::parse("USD").expect("USD"),
                        None,
                        None,
                    )
                    .await?;
                    carts::add(conn, cart.id, variant, 1).await?;
                    out.push((cart.id, token));
                }
                Ok(out)
            }
            .boxed()
        })
        .await?;
    Ok(carts)
}

struct LoadResult {
    rate: f64,
    p50: f64,
    p99: f64,
    paid: usize,
    refused: usize,
}

async fn load(
    base: &str,
    key: &str,
    carts: Vec<(uuid::Uuid, String)>,
    buyers: usize,
) -> anyhow::Result<LoadResult> {
    let queue = Arc::new(Mutex::new(carts));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(buyers)
        .build()?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..buyers {
        let (queue, client, base, key) = (
            queue.clone(),
            client.clone(),
            base.to_owned(),
            key.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let Some((cart, token)) = queue.lock().await.pop() else {
                    break;
                };
                let t = Instant::now();
                let resp = client
                    .post(format!("{base}/v1/carts/{cart}/checkout"))
                    .bearer_auth(&key)
                    .header("X-Cart-Token", &token)
                    .header("Idempotency-Key", cart.to_string())
                    .json(&serde_json::json!({ "payment_token": "tok_success" }))
                    .send()
                    .await;
                let ok = match resp {
                    Ok(r) => r.status().as_u16() == 201,
                    Err(_) => false,
                };
                seen.push((t.elapsed(), ok));
            }
            seen
        }));
    }
    let mut latencies = Vec::new();
    let (mut paid, mut refused) = (0, 0);
    for task in tasks {
        for (d, ok) in task.await? {
            latencies.push(d);
            if ok { paid += 1 } else { refused += 1 }
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| {
        latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1]
            .as_secs_f64()
            * 1000.0
    };
    Ok(LoadResult {
        rate: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
        paid,
        refused,
    })
}

/// The same two transactions a checkout makes (reserve and place the order;
/// then commit the reservation and mark it paid), as plain SQL.
fn pgbench_script(hot: bool) -> String {
    let pick = if hot {
        format!("\\set n {DISTINCT}")
    } else {
        format!("\\set n random(0, {})", DISTINCT - 1)
    };
    format!(
        "{pick}
\\set order_id 0
BEGIN;
SELECT variant_id, warehouse_id, vendor_id FROM bench_variants WHERE n = :n \\gset
SELECT on_hand - reserved AS available FROM stock_levels WHERE variant_id = ':variant_id' ORDER BY warehouse_id FOR UPDATE;
UPDATE stock_levels SET reserved = reserved + 1, updated_at = now() WHERE variant_id = ':variant_id' AND warehouse_id = ':warehouse_id';
INSERT INTO inventory_movements (id, variant_id, warehouse_id, kind, on_hand_delta, reserved_delta, actor) VALUES (gen_random_uuid(), ':variant_id', ':warehouse_id', 'reserve', 0, 1, 'pgbench');
INSERT INTO orders (id, cart_id, brand_id, region, region_version, currency, status, subtotal, tax_total, excise_total, total) SELECT gen_random_uuid(), gen_random_uuid(), id, 'US-CA', 'x', 'USD', 'pending_payment', 30, 2.18, 0, 32.18 FROM brands LIMIT 1 RETURNING id AS order_id \\gset
INSERT INTO order_lines (id, order_id, variant_id, vendor_id, sku, title, tax_category, quantity, unit_price, net, tax, excise, gross) VALUES (gen_random_uuid(), ':order_id', ':variant_id', ':vendor_id', 's', 't', 'general', 1, 30, 30, 2.18, 0, 32.18);
INSERT INTO reservations (id, order_id, variant_id, warehouse_id, quantity, expires_at) VALUES (gen_random_uuid(), ':order_id', ':variant_id', ':warehouse_id', 1, now() + interval '15 minutes');
INSERT INTO payments (id, order_id, gateway, status, amount, currency) VALUES (gen_random_uuid(), ':order_id', 'sandbox', 'pending', 32.18, 'USD');
INSERT INTO order_events (order_id, to_status) VALUES (':order_id', 'pending_payment');
COMMIT;
BEGIN;
SELECT status FROM orders WHERE id = ':order_id' FOR UPDATE;
UPDATE reservations SET status = 'committed' WHERE order_id = ':order_id' AND status = 'held';
UPDATE stock_levels SET on_hand = on_hand - 1, reserved = reserved - 1, updated_at = now() WHERE variant_id = ':variant_id' AND warehouse_id = ':warehouse_id';
INSERT INTO inventory_movements (id, variant_id, warehouse_id, kind, on_hand_delta, reserved_delta, actor) VALUES (gen_random_uuid(), ':variant_id', ':warehouse_id', 'commit', -1, -1, 'pgbench');
UPDATE orders SET status = 'paid', updated_at = now() WHERE id = ':order_id';
UPDATE payments SET status = 'succeeded', charge_id = 'ch', attempts = 1 WHERE order_id = ':order_id';
INSERT INTO vendor_orders (id, order_id, vendor_id, status, total) VALUES (gen_random_uuid(), ':order_id', ':vendor_id', 'pending', 32.18);
INSERT INTO order_events (order_id, from_status, to_status) VALUES (':order_id', 'pending_payment', 'paid');
COMMIT;
"
    )
}

/// Run pgbench (the machine's PostgreSQL tools) and return transactions/s.
fn pgbench(
    server: &str,
    database: &str,
    script: &str,
    clients: usize,
    seconds: u32,
) -> anyhow::Result<f64> {
    let path = std::env::temp_dir().join(format!("bazaar-bench-{}.sql", std::process::id()));
    std::fs::write(&path, script)?;
    let bin = [
        "/usr/lib/postgresql/17/bin/pgbench",
        "/usr/lib/postgresql/16/bin/pgbench",
        "/usr/lib/postgresql/15/bin/pgbench",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .unwrap_or("pgbench");
    let host = server
        .trim_start_matches("postgres://")
        .trim_start_matches("postgresql://");
    let (user, hostport) = host.split_once('@').unwrap_or(("postgres", host));
    let (h, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    let out = std::process::Command::new(bin)
        .args([
            "-n",
            "-h",
            h,
            "-p",
            port,
            "-U",
            user,
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
            "-f",
        ])
        .arg(&path)
        .arg(database)
        .env("PGOPTIONS", "-c search_path=t_bench")
        .output()?;
    std::fs::remove_file(&path).ok();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    text.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2)?.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("pgbench gave no tps:\n{text}"))
}
