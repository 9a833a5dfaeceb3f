//! Checkouts under load: 64 buyers checking out prepared carts through the
//! API (price, refuse-or-reserve, charge or authorise at the sandbox,
//! commit), on distinct items and on one hot item, in both capture modes:
//! money taken at checkout (`immediate`, the default) and only authorised
//! (`on_shipment`). Each mode has its own shop (tenant, same seed) and API
//! server; the modes alternate, A B then B A, so drift of the machine falls
//! on both. The baseline is pgbench running the same reservation and order
//! transactions as plain SQL on the immediate shop's data. Afterwards the
//! books must balance, no stock may be negative, and every paid order's
//! payment must be in its mode's state: the run fails otherwise.

mod checks;
mod data;
mod load;
mod pgbench;

use std::sync::Arc;
use std::time::Duration;

use bazaar::runtime::RunningServer;
use bazaar_api::{AppState, Settings};
use bazaar_cache::MemoryCache;
use bazaar_domain::{CaptureMode, Scope, Slug};
use bazaar_store::control::keys::{self, NewKey};
use bazaar_store::control::tenants::{self, NewTenant};
use bazaar_store::{Db, DbConfig, TenantSchema, migrate};
use futures_util::FutureExt;

use load::LoadResult;

const PLATFORM_KEY: &str = "bz_pl_bench-platform-key-000000000";
const DISTINCT: i32 = 2000;
/// Runs of each mode on each workload; odd rounds run immediate first,
/// even rounds on_shipment first.
const ROUNDS: usize = 2;
const WORKLOADS: [(&str, bool); 2] = [("distinct items", false), ("one hot item", true)];

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
    let (report, violations) = result?;
    println!("{report}");
    if !violations.is_empty() {
        anyhow::bail!(
            "checkout bench invariants violated:\n- {}",
            violations.join("\n- ")
        );
    }
    Ok(())
}

/// One tenant seeded with the bench's catalog, served by its own API
/// server whose settings take the money in `mode`.
struct Shop {
    mode: CaptureMode,
    schema: TenantSchema,
    brand: uuid::Uuid,
    key: String,
    base: String,
    api: RunningServer,
}

impl Shop {
    async fn open(
        db: &Db,
        slug: &str,
        regions: Arc<bazaar_regions::Registry>,
        mode: CaptureMode,
    ) -> anyhow::Result<Self> {
        let tenant = tenants::create(
            db,
            NewTenant {
                slug: Slug::parse(slug)?,
                name: format!("Bench {mode}"),
                regions: vec!["US-CA".into()],
            },
        )
        .await?;
        let schema = tenant.schema()?;
        let brand = bazaar_domain::ids::new_id();
        db.tenant_tx(&schema, move |conn| {
            async move { data::seed(conn, brand).await }.boxed()
        })
        .await?;
        let (_, key) = keys::create(
            db,
            NewKey {
                tenant_id: Some(tenant.id),
                scope: Scope::Storefront,
                vendor_id: None,
                brand_id: Some(brand),
                name: "bench".into(),
            },
        )
        .await?;
        let mut settings = Settings::new(Some(PLATFORM_KEY), 1 << 20);
        settings.payment_retry.base_delay = Duration::from_millis(5);
        settings.payment_capture = mode;
        let state = AppState::new(
            db.clone(),
            Arc::new(MemoryCache::default()),
            regions,
            settings,
        );
        let api =
            RunningServer::start(state, "127.0.0.1:0".parse()?, Duration::from_secs(5)).await?;
        let base = format!("http://{}", api.addr);
        Ok(Self {
            mode,
            schema,
            brand,
            key,
            base,
            api,
        })
    }
}

/// One measured API run.
struct Run {
    round: usize,
    workload: &'static str,
    mode: CaptureMode,
    result: LoadResult,
}

async fn measure(
    server: &str,
    name: &str,
    checkouts: usize,
    buyers: usize,
    seconds: u32,
) -> anyhow::Result<(String, Vec<String>)> {
    let url = format!("{server}/{name}");
    let db = Db::new(&DbConfig {
        primary_url: url.clone(),
        replica_urls: Vec::new(),
        max_connections: 32,
        acquire_timeout: Duration::from_secs(30),
        replica_max_lag: Duration::from_secs(30),
    });
    migrate::migrate_control(&db).await?;
    let regions = round_the_clock_regions()?;
    let immediate = Shop::open(&db, "bench", regions.clone(), CaptureMode::Immediate).await?;
    let authorise = Shop::open(&db, "bench-auth", regions, CaptureMode::OnShipment).await?;

    let mut runs = Vec::new();
    for round in 1..=ROUNDS {
        let order = if round % 2 == 1 {
            [&immediate, &authorise]
        } else {
            [&authorise, &immediate]
        };
        for shop in order {
            for (workload, hot) in WORKLOADS {
                let carts =
                    data::prepare_carts(&db, &shop.schema, shop.brand, checkouts, hot).await?;
                let result = load::load(&shop.base, &shop.key, carts, buyers).await?;
                runs.push(Run {
                    round,
                    workload,
                    mode: shop.mode,
                    result,
                });
            }
        }
    }
    // Books are read before pgbench writes into the immediate shop: its
    // rows are not checkouts and its payments follow no capture mode.
    let baseline = immediate.schema.clone();
    let mut violations = Vec::new();
    let mut books = Vec::new();
    for shop in [immediate, authorise] {
        shop.api.shutdown().await?;
        let read = checks::read(&db, &shop.schema, shop.mode).await?;
        let paid = runs
            .iter()
            .filter(|r| r.mode == shop.mode)
            .map(|r| r.result.paid)
            .sum();
        violations.extend(read.violations(paid));
        books.push(read.summary());
    }
    // Close the bench's pool so pgbench's clients find free connections.
    drop(db);
    let mut pg = Vec::new();
    for (workload, hot) in WORKLOADS {
        let script = pgbench::script(hot);
        pg.push((
            workload,
            pgbench::run(server, name, &baseline, &script, buyers, seconds)?,
        ));
    }
    let mut out = report(&runs, &pg, checkouts, buyers, seconds);
    out.push('\n');
    out.push_str(&books.join("\n"));
    Ok((out, violations))
}

/// The region packs with round-the-clock delivery, so the run does not
/// depend on the hour.
fn round_the_clock_regions() -> anyhow::Result<Arc<bazaar_regions::Registry>> {
    let dir = std::env::temp_dir().join(format!("bazaar-bench-regions-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    for entry in
        std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../regions"))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text =
                std::fs::read_to_string(&path)?.replace("[\"08:00-22:00\"]", "[\"00:00-24:00\"]");
            std::fs::write(dir.join(path.file_name().unwrap_or_default()), text)?;
        }
    }
    let regions = bazaar_regions::Registry::load(&dir).map_err(|p| anyhow::anyhow!("{p:?}"));
    std::fs::remove_dir_all(&dir).ok();
    regions
}

fn report(
    runs: &[Run],
    pg: &[(&str, f64)],
    checkouts: usize,
    buyers: usize,
    seconds: u32,
) -> String {
    let sql = |workload: &str| {
        pg.iter()
            .find(|(w, _)| *w == workload)
            .map_or(f64::NAN, |p| p.1)
    };
    let mut out = format!(
        "Checkouts: {buyers} concurrent buyers, {checkouts} checkouts per API run (1 line each, sandbox gateway), \
         {ROUNDS} rounds, modes alternating (round 1 immediate first, round 2 on_shipment first); \
         pgbench -c {buyers} -j 2 -T {seconds}\n\n\
         | round | run | capture | API checkouts/s | API p50 ms | API p99 ms | API paid / refused | plain SQL tx/s (pgbench) | API / SQL |\n\
         |---|---|---|---|---|---|---|---|---|\n"
    );
    for run in runs {
        let api = &run.result;
        let sql = sql(run.workload);
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {} / {} | {:.0} | {:.0}% |\n",
            run.round,
            run.workload,
            run.mode,
            api.rate,
            api.p50,
            api.p99,
            api.paid,
            api.refused,
            sql,
            100.0 * api.rate / sql
        ));
    }
    out.push_str(
        "\n| run | immediate checkouts/s (mean) | on_shipment checkouts/s (mean) | authorise / immediate | per round | plain SQL tx/s (pgbench) |\n\
         |---|---|---|---|---|---|\n",
    );
    for (workload, _) in WORKLOADS {
        let rates = |mode: CaptureMode| -> Vec<f64> {
            runs.iter()
                .filter(|r| r.workload == workload && r.mode == mode)
                .map(|r| r.result.rate)
                .collect()
        };
        let (now, auth) = (
            rates(CaptureMode::Immediate),
            rates(CaptureMode::OnShipment),
        );
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let per_round: Vec<String> = now
            .iter()
            .zip(&auth)
            .map(|(i, a)| format!("{:.0}%", 100.0 * a / i))
            .collect();
        out.push_str(&format!(
            "| {workload} | {:.0} | {:.0} | {:.0}% | {} | {:.0} |\n",
            mean(&now),
            mean(&auth),
            100.0 * mean(&auth) / mean(&now),
            per_round.join(", "),
            sql(workload)
        ));
    }
    out
}
