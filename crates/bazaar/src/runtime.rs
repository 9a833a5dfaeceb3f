//! Start-up and shutdown: database (embedded or configured), migrations,
//! pools, cache, the platform key, and the HTTP server.

use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bazaar_api::{AppState, Settings};
use bazaar_cache::{MemoryCache, RedisCache, SharedCache};
use bazaar_regions::Registry;
use bazaar_store::control::tenants;
use bazaar_store::embedded::EmbeddedPostgres;
use bazaar_store::{Db, DbConfig, migrate};
use poem::listener::{Acceptor, Listener, TcpListener};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{Config, PaymentProvider};

/// The name of the database the embedded PostgreSQL serves.
const EMBEDDED_DATABASE: &str = "bazaar";

/// A connected database, and the embedded server behind it when there is
/// one (stopped when this is dropped).
pub struct Database {
    pub db: Db,
    pub url: String,
    embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Connect to the configured database, or start the embedded one.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let (url, embedded) = match &config.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let data_dir = config.data_dir.clone();
                let server =
                    tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&data_dir))
                        .await
                        .context("embedded PostgreSQL start-up panicked")?
                        .context("cannot start the embedded PostgreSQL")?;
                migrate::create_database_if_missing(&server.url("postgres"), EMBEDDED_DATABASE)
                    .await
                    .context("cannot create the embedded database")?;
                (server.url(EMBEDDED_DATABASE), Some(server))
            }
        };
        let db = Db::new(&DbConfig {
            primary_url: url.clone(),
            replica_urls: config.replica_urls.clone(),
            max_connections: config.db_max_connections,
            acquire_timeout: Duration::from_millis(config.db_acquire_timeout_ms),
            replica_max_lag: Duration::from_secs(config.replica_max_lag_seconds),
        });
        db.check_primary().await.with_context(|| {
            format!(
                "cannot reach the database at {}",
                bazaar_store::db::redact_url(&url)
            )
        })?;
        Ok(Self { db, url, embedded })
    }

    /// Stop the embedded server now (it is also stopped on drop).
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(server) = &mut self.embedded {
            server.stop()?;
        }
        Ok(())
    }
}

/// What `migrate_all` did.
#[derive(Debug, Default)]
pub struct MigrationReport {
    pub control: Vec<&'static str>,
    pub tenants: usize,
    pub tenant_migrations: usize,
}

/// Migrate the control plane, then every tenant, reporting progress.
pub async fn migrate_all(
    db: &Db,
    mut progress: impl FnMut(usize, usize, &str),
) -> anyhow::Result<MigrationReport> {
    let control = migrate::migrate_control(db)
        .await
        .context("migrating the control plane")?;
    let all = tenants::all(db).await?;
    let mut report = MigrationReport {
        control,
        tenants: all.len(),
        tenant_migrations: 0,
    };
    for (done, tenant) in all.iter().enumerate() {
        progress(done, all.len(), &tenant.slug);
        let applied = migrate::migrate_tenant(db, &tenant.schema()?)
            .await
            .with_context(|| format!("migrating tenant {}", tenant.slug))?;
        report.tenant_migrations += applied.len();
    }
    progress(all.len(), all.len(), "");
    Ok(report)
}

/// Every `every`: forget search feed rows past their retention, and in
/// every tenant settle payments whose outcome never arrived, release stock
/// held by checkouts that never finished, fill backorders from available
/// stock, forget idempotency keys older than a day, give back any charge
/// found on a cancelled order (and ask again for pending refunds), and
/// renew the subscriptions due.
pub fn spawn_housekeeping(state: AppState, every: Duration) {
    use futures_util::FutureExt;
    let db = state.db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let before = chrono::Utc::now() - bazaar_commerce::search_feed::FEED_RETENTION;
            if let Err(err) = db
                .control_tx(move |conn| bazaar_store::search_feed::purge(conn, before).boxed())
                .await
            {
                tracing::warn!(error = %err, "could not purge the search feed");
            }
            let Ok(all) = tenants::all(&db).await else {
                continue;
            };
            for tenant in all.into_iter().filter(|t| t.is_active()) {
                let Ok(schema) = tenant.schema() else {
                    continue;
                };
                // Orders whose payment outcome never arrived are settled
                // with the provider before any of them expires.
                match bazaar_commerce::checkout::reconcile(&state, &schema).await {
                    Ok(r) if r == Default::default() => {}
                    Ok(r) => {
                        tracing::info!(tenant.slug = %tenant.slug, paid = r.paid, held = r.held, "housekeeping: unsettled payments reconciled")
                    }
                    Err(err) => {
                        tracing::warn!(tenant.slug = %tenant.slug, error = %err, "payment reconciliation failed")
                    }
                }
                let result = db
                    .tenant_tx(&schema, |conn| {
                        bazaar_store::tenant::housekeeping::run(conn, chrono::Utc::now()).boxed()
                    })
                    .await;
                match result {
                    Ok(report) if report == Default::default() => {}
                    Ok(report) => {
                        tracing::info!(tenant.slug = %tenant.slug, expired = report.expired, backorders.filled = report.filled, "housekeeping: expired orders released, backorders filled")
                    }
                    Err(err) => {
                        tracing::warn!(tenant.slug = %tenant.slug, error = %err, "housekeeping failed")
                    }
                }
                // No money kept that is not owed: charges found on
                // cancelled orders are given back, pending refunds asked
                // again.
                match bazaar_commerce::refunds::sweep(&state, &schema, tenant.id).await {
                    Ok(s) if s == Default::default() => {}
                    Ok(s) => {
                        tracing::info!(tenant.slug = %tenant.slug, late_charges = s.late_charges, not_charged = s.not_charged, refunds.settled = s.settled, "housekeeping: payments and refunds settled")
                    }
                    Err(err) => {
                        tracing::warn!(tenant.slug = %tenant.slug, error = %err, "refund sweep failed")
                    }
                }
                // Subscriptions due are renewed through checkout (a renewal
                // another node holds is skipped; one a dead node began is
                // resumed under its key).
                let renewing = bazaar_commerce::subscriptions::Tenant {
                    id: tenant.id,
                    slug: tenant.slug.clone(),
                    schema: schema.clone(),
                };
                match bazaar_commerce::subscriptions::renew_due(
                    &state,
                    &renewing,
                    chrono::Utc::now(),
                )
                .await
                {
                    Ok(r) if r == Default::default() => {}
                    Ok(r) => {
                        tracing::info!(tenant.slug = %tenant.slug, paid = r.paid, failed = r.failed, cancelled = r.cancelled, unsettled = r.unsettled, "housekeeping: subscriptions renewed")
                    }
                    Err(err) => {
                        tracing::warn!(tenant.slug = %tenant.slug, error = %err, "subscription renewals failed")
                    }
                }
                // Captures of shipped parts and releases of holds whose
                // outcome never arrived are asked again.
                match bazaar_commerce::captures::sweep(&state, &schema).await {
                    Ok(s) if s == Default::default() => {}
                    Ok(s) => {
                        tracing::info!(tenant.slug = %tenant.slug, captures = s.captures, voids = s.voids, "housekeeping: captures and voids settled")
                    }
                    Err(err) => {
                        tracing::warn!(tenant.slug = %tenant.slug, error = %err, "capture sweep failed")
                    }
                }
            }
        }
    });
}

/// Keep a few tenant schemas built ahead from the template, so creating a
/// tenant is a rename; checked every `every`.
pub fn spawn_spare_schemas(db: Db, target: usize, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match migrate::refill_spares(&db, target).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(built = n, "spare tenant schemas built"),
                Err(err) => tracing::warn!(error = %err, "could not build spare tenant schemas"),
            }
        }
    });
}

/// The cache the configuration asks for.
pub fn cache(config: &Config) -> anyhow::Result<SharedCache> {
    Ok(match &config.redis_url {
        Some(url) => Arc::new(RedisCache::new(url, &config.cache_namespace, 32)?) as SharedCache,
        None => Arc::new(MemoryCache::default()) as SharedCache,
    })
}

/// The platform key: configured, or generated once into
/// `<data_dir>/platform.key` (mode 0600) and read from there afterwards.
pub fn platform_key(config: &Config) -> anyhow::Result<String> {
    if let Some(key) = &config.platform_key {
        return Ok(key.clone());
    }
    let path = config.data_dir.join("platform.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let key = existing.trim().to_owned();
        if key.len() >= 24 {
            return Ok(key);
        }
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let key = format!("bz_pl_{}", uuid::Uuid::new_v4().simple());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, format!("{key}\n").as_bytes())?;
    tracing::info!(path = %path.display(), "generated a platform key");
    Ok(key)
}

/// Load the region packs, refusing to go on with any problem in them (a
/// server does not start without its rules; once running, a bad edit keeps
/// the last good set instead).
pub fn regions(config: &Config) -> anyhow::Result<Arc<Registry>> {
    Registry::load(&config.regions_dir).map_err(|problems| {
        anyhow::anyhow!(
            "the region packs in {} are invalid:\n{}",
            config.regions_dir.display(),
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// Build the application state from a config and an open database.
pub fn state(config: &Config, db: Db, platform_key: &str) -> anyhow::Result<AppState> {
    state_with(config, db, platform_key, regions(config)?)
}

/// Build the application state with a region registry already loaded.
pub fn state_with(
    config: &Config,
    db: Db,
    platform_key: &str,
    regions: Arc<Registry>,
) -> anyhow::Result<AppState> {
    let cache = cache(config)?;
    let mut settings = Settings::new(Some(platform_key), config.max_body_bytes)
        .with_cdn_base_url(config.cdn_base_url.clone());
    settings.reservation_ttl = Duration::from_secs(config.reservation_ttl_seconds);
    settings.checkout_resume_after = Duration::from_secs(config.checkout_resume_after_seconds);
    settings.customers = bazaar_api::CustomerSettings {
        session_ttl: Duration::from_secs(config.session_ttl_hours.saturating_mul(3600)),
        login_failures_per_account: i64::try_from(config.login_failures_per_account)
            .unwrap_or(i64::MAX),
        attempts_per_address: i64::try_from(config.login_attempts_per_address).unwrap_or(i64::MAX),
        login_window: Duration::from_secs(config.login_window_seconds),
        client_ip_header: config.client_ip_header.clone(),
        ..bazaar_api::CustomerSettings::default()
    };
    settings.payment_webhook_secret = config.payment_webhook_secret.clone();
    settings.payment_capture = config.payment_capture.into();
    let mut state = AppState::new(db, cache, regions, settings);
    let timeout = Duration::from_millis(config.payment_timeout_ms);
    let primary = match (&config.payment_provider_url, &config.payment_provider_key) {
        (Some(url), Some(key)) if config.payment_provider != PaymentProvider::Sandbox => {
            let provider = config.payment_provider;
            gateway(provider, provider.as_str(), url, key, timeout)?
        }
        _ => Arc::new(bazaar_payments::SandboxGateway::default()),
    };
    let mut gateways = bazaar_payments::Gateways::new(primary);
    if let (Some(url), Some(key)) = (&config.payment_fallback_url, &config.payment_fallback_key) {
        let provider = config.payment_fallback_provider;
        let name = match provider {
            PaymentProvider::Stripe => "stripe_fallback",
            PaymentProvider::PayPal => "paypal_fallback",
            _ => "http_fallback",
        };
        gateways = gateways.with_fallback(gateway(provider, name, url, key, timeout)?);
    }
    state.gateways = Arc::new(gateways);
    if config.search {
        let dir = config.data_dir.join("search");
        let index = bazaar_search::SearchIndex::open(&dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot open the search index in {} (is another Bazaar using this data_dir?): {e}",
                dir.display()
            )
        })?;
        state.search = Some(index);
    }
    Ok(state)
}

/// Follow the search feed into this node's index (when it has one).
pub fn spawn_search_follower(
    config: &Config,
    state: &AppState,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(index) = state.search.clone() else {
        return Ok(None);
    };
    let follower = bazaar_commerce::search_feed::Follower::new(
        state.db.clone(),
        index,
        node_id(config)?,
        Some(&config.data_dir.join("search")),
    );
    Ok(Some(
        follower.spawn(Duration::from_millis(config.search_poll_ms)),
    ))
}

/// Take this node out of the search feed's progress table (it stopped).
pub async fn forget_search_node(config: &Config, db: &Db) {
    use futures_util::FutureExt;
    let Ok(node) = node_id(config) else { return };
    if let Err(err) = db
        .control_tx(move |conn| {
            async move { bazaar_store::search_feed::forget_node(conn, &node).await }.boxed()
        })
        .await
    {
        tracing::warn!(error = %err, "could not remove this node from the search progress table");
    }
}

/// This node's name: configured, or generated once into
/// `<data_dir>/node.id`.
pub fn node_id(config: &Config) -> anyhow::Result<String> {
    if let Some(id) = &config.node_id {
        return Ok(id.clone());
    }
    let path = config.data_dir.join("node.id");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let id = existing.trim().to_owned();
        if !id.is_empty() {
            return Ok(id);
        }
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let id = format!("node-{}", uuid::Uuid::new_v4().simple());
    std::fs::write(&path, &id)?;
    Ok(id)
}

/// A running HTTP server.
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Bind `listen` (port 0 picks a free one) and serve until shut down.
    pub async fn start(
        state: AppState,
        listen: SocketAddr,
        shutdown_timeout: Duration,
    ) -> anyhow::Result<Self> {
        Self::start_endpoint(bazaar_api::app(state), listen, shutdown_timeout).await
    }

    /// Serve `app` (the API, perhaps with more routes around it).
    pub async fn start_endpoint(
        app: impl poem::Endpoint + 'static,
        listen: SocketAddr,
        shutdown_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let acceptor = TcpListener::bind(listen)
            .into_acceptor()
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        // Even the HTTP parser's own refusals answer with problem documents.
        let acceptor = bazaar_api::wire::ProblemAcceptor(acceptor);
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .context("listener has no socket address")?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            poem::Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(
                    app,
                    async {
                        let _ = rx.await;
                    },
                    Some(shutdown_timeout),
                )
                .await
        });
        Ok(Self {
            addr,
            shutdown: Some(tx),
            task,
        })
    }

    /// Stop accepting connections, let in-flight requests finish (up to the
    /// shutdown timeout) and wait for the server to end.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.context("server task panicked")??;
        Ok(())
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// `bazaar serve`: start everything and run until SIGTERM or Ctrl-C.
pub async fn serve(
    config: Config,
    migrate_on_start: bool,
    demo: Option<&Path>,
) -> anyhow::Result<()> {
    let mut database = Database::open(&config).await?;
    if migrate_on_start {
        let report = migrate_all(&database.db, |_, _, _| {}).await?;
        tracing::info!(
            control = report.control.len(),
            tenants = report.tenants,
            tenant_migrations = report.tenant_migrations,
            "migrations applied"
        );
    }
    database.db.spawn_replica_monitor(Duration::from_secs(5));
    spawn_spare_schemas(database.db.clone(), 3, Duration::from_secs(10));
    let key = platform_key(&config)?;
    if config.platform_key.is_none() {
        tracing::info!(
            path = %config.data_dir.join("platform.key").display(),
            "the platform key is in this file (set BAZAAR_PLATFORM_KEY to choose your own)"
        );
    }
    let regions = regions(&config)?;
    regions.spawn_watcher(Duration::from_millis(config.regions_poll_ms));
    tracing::info!(
        regions.count = regions.current().regions.len(),
        regions.dir = %config.regions_dir.display(),
        "region packs loaded; watching for changes"
    );
    let state = state_with(&config, database.db.clone(), &key, regions)?;
    spawn_housekeeping(state.clone(), Duration::from_secs(30));
    let follower = spawn_search_follower(&config, &state)?;
    let shutdown_timeout = Duration::from_secs(config.shutdown_timeout_seconds);
    let server = match demo {
        None => RunningServer::start(state, config.listen, shutdown_timeout).await?,
        Some(catalog) => {
            let demo_config = crate::demo::prepare(&state, &database.db, catalog).await?;
            let app = poem::Route::new()
                .nest("/demo", crate::demo::routes(demo_config))
                .nest("/", bazaar_api::app(state));
            let server =
                RunningServer::start_endpoint(app, config.listen, shutdown_timeout).await?;
            tracing::info!(
                demo = %format!("http://{}/demo/", server.addr),
                "the demo storefront is served"
            );
            server
        }
    };
    tracing::info!(
        addr = %server.addr,
        docs = %format!("http://{}/docs", server.addr),
        "bazaar is serving"
    );
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    let stopped = server.shutdown().await;
    crate::logging::shutdown().await;
    stopped?;
    if let Some(follower) = follower {
        follower.abort();
        forget_search_node(&config, &database.db).await;
    }
    database.stop()?;
    tracing::info!("stopped");
    Ok(())
}

/// Where a reindex stands: nodes caught up of those alive, and the listings
/// written so far of the total by nodes rebuilding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReindexProgress {
    pub nodes_done: usize,
    pub nodes: usize,
    pub listings_done: i64,
    pub listings_total: i64,
}

/// Ask every node to rebuild its search index (or, with `tenant`, to re-read
/// that tenant's listings), then wait until every live node has done so,
/// calling `progress` as it goes. Nodes keep answering from their old index
/// until the new one is ready. With no live node, this process follows the
/// feed into the local index (`data_dir/search`) itself.
pub async fn search_reindex(
    config: &Config,
    db: &Db,
    tenant: Option<&str>,
    mut progress: impl FnMut(ReindexProgress),
) -> anyhow::Result<ReindexProgress> {
    use bazaar_store::search_feed;
    use futures_util::FutureExt;
    let schema = match tenant {
        Some(slug) => {
            tenants::find_by_slug(db, slug)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no tenant `{slug}`"))?
                .schema_name
        }
        None => search_feed::ALL_TENANTS.to_owned(),
    };
    let live_since = || chrono::Utc::now() - chrono::Duration::seconds(12);
    let alive = {
        let since = live_since();
        db.control_tx(move |conn| search_feed::live_nodes(conn, since).boxed())
            .await?
    };
    let txid = db
        .control_tx(move |conn| {
            async move { search_feed::request_reindex(conn, &schema).await }.boxed()
        })
        .await?;
    // No server is following the feed: follow it here, into this node's
    // own index.
    let mut local = if alive.is_empty() {
        let dir = config.data_dir.join("search");
        let index = bazaar_search::SearchIndex::open(&dir)?;
        Some(bazaar_commerce::search_feed::Follower::new(
            db.clone(),
            index,
            node_id(config)?,
            Some(&dir),
        ))
    } else {
        None
    };
    loop {
        if let Some(follower) = local.as_mut() {
            follower.step().await?;
        }
        let since = live_since();
        let nodes = db
            .control_tx(move |conn| search_feed::live_nodes(conn, since).boxed())
            .await?;
        let now = ReindexProgress {
            nodes_done: nodes.iter().filter(|n| n.cursor > txid).count(),
            nodes: nodes.len(),
            listings_done: nodes.iter().filter_map(|n| n.rebuild_done).sum(),
            listings_total: nodes.iter().filter_map(|n| n.rebuild_total).sum(),
        };
        progress(now);
        if now.nodes > 0 && now.nodes_done == now.nodes {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The adapter for `provider`, named `name` (orders record it), at `url`
/// with its secret (`client_id:client_secret` for PayPal).
fn gateway(
    provider: PaymentProvider,
    name: &'static str,
    url: &str,
    key: &str,
    timeout: Duration,
) -> anyhow::Result<Arc<dyn bazaar_payments::Gateway>> {
    let made: Result<Arc<dyn bazaar_payments::Gateway>, _> = match provider {
        PaymentProvider::Stripe => {
            bazaar_payments::StripeGateway::new(name, url, key, timeout).map(|g| Arc::new(g) as _)
        }
        PaymentProvider::PayPal => {
            let (id, secret) = key.split_once(':').unwrap_or((key, ""));
            bazaar_payments::PayPalGateway::new(name, url, id, secret, timeout)
                .map(|g| Arc::new(g) as _)
        }
        PaymentProvider::Http | PaymentProvider::Sandbox => {
            bazaar_payments::HttpGateway::named(name, url, key, timeout).map(|g| Arc::new(g) as _)
        }
    };
    made.map_err(|e| anyhow::anyhow!("cannot set up the payment provider `{name}`: {e}"))
}
