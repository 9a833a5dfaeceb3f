//! `bazaar-bench`: reproducible benchmarks, each printed next to a baseline
//! measured in the same run (ratios, not lone absolute times: machines are
//! noisy). Every benchmark creates its own database on the configured
//! PostgreSQL server and drops it afterwards.

mod catalog;
mod checkout;
mod conformance;
mod provision;
mod regions;
mod search;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "bazaar-bench", about)]
struct Cli {
    /// PostgreSQL server to create the scratch database on.
    #[arg(
        long,
        env = "BAZAAR_BENCH_POSTGRES",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    postgres: String,
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Tenant provisioning: the one-round-trip template against replaying
    /// the migration chain, and the whole HTTP call.
    Provision {
        /// Tenants to provision per method.
        #[arg(long, default_value_t = 100)]
        count: usize,
    },
    /// Catalog pages at 64 connections with wrk: cached, uncached, and a
    /// constant body of the same size from the same server.
    Catalog {
        /// Products to generate.
        #[arg(long, default_value_t = 100_000)]
        products: i64,
        /// Seconds per wrk run.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        connections: u32,
        /// Redis for the shared-cache run.
        #[arg(long, default_value = "redis://127.0.0.1:6379")]
        redis: String,
    },
    /// Checkouts at 64 concurrent buyers, on distinct items and on one hot
    /// item, with the money taken at checkout and only authorised
    /// (alternating, two runs each), against the same reservation-and-order
    /// transaction as plain SQL with pgbench.
    Checkout {
        /// Checkouts per run.
        #[arg(long, default_value_t = 3000)]
        checkouts: usize,
        /// Concurrent buyers.
        #[arg(long, default_value_t = 64)]
        buyers: usize,
        /// Seconds per pgbench run.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
    },
    /// Product search: tantivy against PostgreSQL full-text search on the
    /// same generated catalog and mixed queries, and change-to-searchable.
    Search {
        /// Products to generate.
        #[arg(long, default_value_t = 100_000)]
        products: usize,
        /// Queries to run on each engine.
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
    },
    /// Request conformance: checking a JSON body against the document,
    /// against parsing it.
    Conformance {
        /// Bodies per measurement.
        #[arg(long, default_value_t = 200_000)]
        rounds: usize,
    },
    /// Region packs: quote evaluations per second, and checking and loading
    /// 200 packs, each against a baseline.
    Regions {
        /// Quotes to evaluate per measurement.
        #[arg(long, default_value_t = 200_000)]
        quotes: usize,
        /// Times to load the 200-pack folder.
        #[arg(long, default_value_t = 20)]
        loads: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.bench {
        Bench::Provision { count } => provision::run(&cli.postgres, count).await,
        Bench::Regions { quotes, loads } => regions::run(quotes, loads),
        Bench::Conformance { rounds } => conformance::run(
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json"),
            )?,
            rounds,
        ),
        Bench::Search { products, queries } => search::run(&cli.postgres, products, queries).await,
        Bench::Checkout {
            checkouts,
            buyers,
            seconds,
        } => checkout::run(&cli.postgres, checkouts, buyers, seconds).await,
        Bench::Catalog {
            products,
            seconds,
            connections,
            redis,
        } => catalog::run(&cli.postgres, products, seconds, connections, &redis).await,
    }
}
