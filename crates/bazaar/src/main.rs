//! `bazaar`: parse the command line and hand over to the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bazaar::config::Config;
use bazaar::manifest::{Action, Manifest};
use bazaar::{logging, runtime};
use clap::{Parser, Subcommand};

/// Bazaar: a multi-tenant marketplace backend.
#[derive(Parser)]
#[command(name = "bazaar", version, about, long_about = None)]
struct Cli {
    /// Configuration file (default: ./bazaar.yaml when present, or $BAZAAR_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory for the embedded database and the platform key (default .bazaar).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API server (migrates first).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Do not apply pending migrations at start-up.
        #[arg(long)]
        no_migrate: bool,
        /// Also serve the demo storefront at /demo/: applies the demo
        /// catalog's tenant, seeds its catalog once and hands the page
        /// fresh keys (a local sandbox: the page holds vendor and admin keys).
        #[arg(long)]
        demo: bool,
        /// The demo catalog (default tenants/demo/greenleaf.yaml).
        #[arg(long, value_name = "FILE", requires = "demo")]
        demo_catalog: Option<std::path::PathBuf>,
    },
    /// Migrate the control plane, then every tenant schema.
    Migrate,
    /// Manage tenants declaratively.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Check region packs.
    Regions {
        #[command(subcommand)]
        command: RegionsCommand,
    },
    /// Product search.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Write the OpenAPI document (default openapi/openapi.json).
    Openapi {
        /// Where to write it; `-` for standard output.
        #[arg(long, default_value = "openapi/openapi.json")]
        out: PathBuf,
        /// Do not write: exit 1 when the file differs from the server's document.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Subcommand)]
enum RegionsCommand {
    /// Check every pack in DIR; print each problem as file:line:column: message.
    Check {
        /// The folder of packs (default: the configured regions_dir, `regions`).
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Rebuild every node's search index from the database (or re-read one
    /// tenant) and wait until each live node has; they keep answering from
    /// the old index until the new one is ready.
    Reindex {
        /// Only this tenant's listings.
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create or update a tenant, its brands and vendors from a manifest (idempotent).
    Apply {
        /// A manifest such as tenants/greenleaf.yaml.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut overrides: Vec<(&str, serde_yaml::Value)> = Vec::new();
    if let Some(dir) = &cli.data_dir {
        overrides.push(("data_dir", dir.display().to_string().into()));
    }
    if let Command::Serve {
        listen: Some(listen),
        ..
    } = &cli.command
    {
        overrides.push(("listen", listen.clone().into()));
    }
    let config = Config::load(cli.config.as_deref(), std::env::vars(), &overrides)?;
    logging::init(&config)?;

    match cli.command {
        Command::Serve {
            no_migrate,
            demo,
            demo_catalog,
            ..
        } => {
            let demo =
                demo.then(|| demo_catalog.unwrap_or_else(|| "tenants/demo/greenleaf.yaml".into()));
            runtime::serve(config, !no_migrate, demo.as_deref()).await?;
        }
        Command::Migrate => {
            let mut database = runtime::Database::open(&config).await?;
            let bar = progress_bar("migrating tenants");
            let report = runtime::migrate_all(&database.db, |done, total, slug| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message(slug.to_owned());
            })
            .await?;
            bar.finish_and_clear();
            println!(
                "control plane: {} migration(s) applied; {} tenant(s): {} migration(s) applied",
                report.control.len(),
                report.tenants,
                report.tenant_migrations
            );
            database.stop()?;
        }
        Command::Tenant {
            command: TenantCommand::Apply { file },
        } => {
            let manifest = Manifest::load(&file)?;
            let regions = runtime::regions(&config)?;
            manifest.check_regions(&regions.current())?;
            let mut database = runtime::Database::open(&config).await?;
            runtime::migrate_all(&database.db, |_, _, _| {}).await?;
            let changes = manifest.apply(&database.db).await?;
            for change in &changes {
                println!("{change}");
                if let Some(key) = &change.key {
                    println!("  {} key (shown once, keep it): {}", key.scope, key.secret);
                }
            }
            let changed = changes
                .iter()
                .filter(|c| c.action != Action::Unchanged || c.key.is_some())
                .count();
            println!("{changed} change(s)");
            database.stop()?;
        }
        Command::Search {
            command: SearchCommand::Reindex { tenant },
        } => {
            let mut database = runtime::Database::open(&config).await?;
            runtime::migrate_all(&database.db, |_, _, _| {}).await?;
            let bar = progress_bar("reindexing");
            let done = runtime::search_reindex(&config, &database.db, tenant.as_deref(), |p| {
                if p.listings_total > 0 && p.nodes_done < p.nodes {
                    bar.set_length(p.listings_total as u64);
                    bar.set_position(p.listings_done as u64);
                    bar.set_message("listings");
                } else {
                    bar.set_length(p.nodes as u64);
                    bar.set_position(p.nodes_done as u64);
                    bar.set_message("nodes up to date");
                }
            })
            .await?;
            bar.finish_and_clear();
            println!(
                "search reindexed on {} node(s){}",
                done.nodes,
                tenant
                    .map(|t| format!(" for tenant {t}"))
                    .unwrap_or_default()
            );
            database.stop()?;
        }
        Command::Regions {
            command: RegionsCommand::Check { dir },
        } => {
            let dir = dir.unwrap_or_else(|| config.regions_dir.clone());
            match bazaar_regions::resolve::load_dir(&dir) {
                Ok(set) => {
                    for region in set.sorted() {
                        println!(
                            "{}  {}  {}",
                            region.code,
                            &region.version[..16],
                            region.name
                        );
                    }
                    println!("{} pack(s) valid", set.regions.len());
                }
                Err(problems) => {
                    for problem in &problems {
                        println!("{problem}");
                    }
                    eprintln!("{} problem(s)", problems.len());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Openapi { out, check } => {
            let spec = openapi_document(&config)?;
            if check {
                let committed = std::fs::read_to_string(&out)
                    .with_context(|| format!("cannot read {}", out.display()))?;
                if committed != spec {
                    eprintln!(
                        "{} differs from the server's document; run `bazaar openapi` and commit it",
                        out.display()
                    );
                    return Ok(ExitCode::FAILURE);
                }
                println!("{} is up to date", out.display());
            } else if out.as_os_str() == "-" {
                print!("{spec}");
            } else {
                if let Some(parent) = out.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&out, &spec)
                    .with_context(|| format!("cannot write {}", out.display()))?;
                println!("wrote {}", out.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The OpenAPI document, generated without a database (the document does
/// not depend on one; the pools connect lazily and are never used).
fn openapi_document(config: &Config) -> anyhow::Result<String> {
    let db = bazaar_store::Db::new(&bazaar_store::DbConfig {
        primary_url: "postgres://unused@127.0.0.1:1/unused".into(),
        replica_urls: Vec::new(),
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_millis(1),
        replica_max_lag: std::time::Duration::from_secs(1),
    });
    // The document does not depend on the packs either.
    let regions = bazaar_regions::Registry::with_set(&config.regions_dir, Default::default());
    // Nor on a search index: none is opened.
    let config = Config {
        search: false,
        ..config.clone()
    };
    let state = runtime::state_with(&config, db, "openapi-generation-only-key", regions)?;
    Ok(bazaar_api::openapi_json(&state) + "\n")
}

fn progress_bar(what: &str) -> indicatif::ProgressBar {
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{pos}}/{{len}} {{msg}}"
        )) {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}
