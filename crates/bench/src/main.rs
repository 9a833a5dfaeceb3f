//! `bazaar-bench`: reproducible benchmarks, each printed next to a baseline
//! measured in the same run (ratios, not lone absolute times: machines are
//! noisy). Every benchmark creates its own database on the configured
//! PostgreSQL server and drops it afterwards.

mod provision;
mod regions;
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
    }
}
