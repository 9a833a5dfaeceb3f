//! The test harness: the registry that `#[e2e]` fills, one database per
//! run, a `TestApp` per test (the real server on port 0), and helpers to
//! provision tenants and speak HTTP; `shop` builds a tenant to sell from.

#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use bazaar::config::Config;
use bazaar::runtime::{self, RunningServer};
use bazaar_api::AppState;
use bazaar_store::{Db, DbConfig, migrate};
use serde_json::{Value, json};

pub mod processor;
pub mod shop;

pub use bazaar_e2e::e2e;

pub type TestFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
pub type TestFn = fn() -> TestFuture;

/// One registered test: `#[e2e]` submits one for each test function, named
/// by its module path within the suite and its own name.
pub struct E2eTest {
    pub name: &'static str,
    pub run: TestFn,
}

inventory::collect!(E2eTest);

/// Every registered test as (name without the crate's prefix, function),
/// sorted by name. Panics when there is none or a name repeats: either
/// means registration itself broke.
pub fn registered() -> Vec<(&'static str, TestFn)> {
    let mut tests: Vec<(&'static str, TestFn)> = inventory::iter::<E2eTest>
        .into_iter()
        .map(|t| {
            (
                t.name.split_once("::").map_or(t.name, |(_, rest)| rest),
                t.run,
            )
        })
        .collect();
    tests.sort_by_key(|(name, _)| *name);
    assert!(!tests.is_empty(), "no end-to-end test is registered");
    let repeated: Vec<&str> = tests
        .windows(2)
        .filter(|pair| pair[0].0 == pair[1].0)
        .map(|pair| pair[0].0)
        .collect();
    assert!(repeated.is_empty(), "tests registered twice: {repeated:?}");
    tests
}

/// The PostgreSQL server the suite uses (the machine's, by default).
pub fn server_url() -> String {
    std::env::var("BAZAAR_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// The Redis the suite uses.
pub fn redis_url() -> String {
    std::env::var("BAZAAR_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

static DATABASE: OnceLock<String> = OnceLock::new();

/// The name of this run's database.
pub fn database_name() -> &'static str {
    DATABASE.get().map(String::as_str).unwrap_or("unset")
}

/// The URL of this run's database.
pub fn database_url() -> String {
    format!("{}/{}", server_url(), database_name())
}

pub struct Suite;

impl Suite {
    /// Create this run's database and migrate its control plane. Databases
    /// left by earlier runs that died (their process is gone) are dropped
    /// first; they are this suite's own, named `bazaar_e2e_<pid>`.
    pub fn new() -> Self {
        let name = format!("bazaar_e2e_{}", std::process::id());
        DATABASE.set(name.clone()).ok();
        block_on(async move {
            sweep_stale_databases().await;
            let admin = format!("{}/postgres", server_url());
            migrate::drop_database(&admin, &name)
                .await
                .expect("drop old test database");
            migrate::create_database_if_missing(&admin, &name)
                .await
                .expect("create the test database (is PostgreSQL up on 127.0.0.1:5432?)");
            let db = Db::new(&db_config(&database_url(), 2));
            migrate::migrate_control(&db)
                .await
                .expect("migrate control plane");
        });
        Suite
    }

    pub fn trials(&self, tests: Vec<(&'static str, TestFn)>) -> Vec<libtest_mimic::Trial> {
        tests
            .into_iter()
            .map(|(name, test)| {
                libtest_mimic::Trial::test(name, move || {
                    let rt = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .enable_all()
                        .build()
                        .map_err(|e| libtest_mimic::Failed::from(e.to_string()))?;
                    rt.block_on(test());
                    rt.shutdown_timeout(Duration::from_secs(5));
                    Ok(())
                })
            })
            .collect()
    }

    /// Drop this run's database and scratch files.
    pub fn finish(self) {
        let _ = std::fs::remove_dir_all(
            std::env::temp_dir().join(format!("bazaar-e2e-{}", std::process::id())),
        );
        let name = database_name().to_owned();
        block_on(async move {
            let admin = format!("{}/postgres", server_url());
            if let Err(e) = migrate::drop_database(&admin, &name).await {
                eprintln!("could not drop test database {name}: {e}");
            }
        });
    }
}

async fn sweep_stale_databases() {
    use diesel::QueryableByName;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let admin = format!("{}/postgres", server_url());
    let Ok(mut conn) = AsyncPgConnection::establish(&admin).await else {
        return;
    };
    let names: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'bazaar\\_e2e\\_%'")
            .load(&mut conn)
            .await
            .unwrap_or_default();
    for Name { datname } in names {
        let pid = datname.trim_start_matches("bazaar_e2e_");
        if pid.parse::<u32>().is_ok() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = migrate::drop_database(&admin, &datname).await;
        }
    }
}

fn block_on<F: Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f);
}

pub fn db_config(url: &str, max_connections: u32) -> DbConfig {
    DbConfig {
        primary_url: url.to_owned(),
        replica_urls: Vec::new(),
        max_connections,
        acquire_timeout: Duration::from_secs(5),
        replica_max_lag: Duration::from_secs(30),
    }
}

/// A fresh folder for one test's files, inside this run's scratch folder
/// (removed when the run ends).
pub fn scratch_dir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("bazaar-e2e-{}", std::process::id()))
        .join(unique(prefix));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The repository's `regions/` folder.
pub fn shipped_regions() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../regions")
}

pub const PLATFORM_KEY: &str = "bz_pl_test-platform-key-0123456789";

/// A unique lowercase token for slugs and namespaces.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

/// How a `TestApp` is set up.
pub struct TestAppBuilder {
    pool_size: u32,
    redis: bool,
    replica_urls: Vec<String>,
    max_body_bytes: usize,
    regions_dir: std::path::PathBuf,
    cache_namespace: Option<String>,
    redis_url: Option<String>,
    cdn: Option<String>,
    env: Vec<(String, String)>,
}

impl TestAppBuilder {
    /// Keep a search index in `data_dir` (a fresh scratch folder unless
    /// given: pass the same folder to restart a node) and follow the feed.
    pub fn search(mut self, data_dir: Option<&std::path::Path>) -> Self {
        let dir = data_dir.map_or_else(|| scratch_dir("node-"), std::path::Path::to_path_buf);
        self.env
            .push(("BAZAAR_SEARCH".to_owned(), "true".to_owned()));
        self.env
            .push(("BAZAAR_SEARCH_POLL_MS".to_owned(), "100".to_owned()));
        self.env
            .push(("BAZAAR_DATA_DIR".to_owned(), dir.display().to_string()));
        self
    }

    /// Set any configuration key as its `BAZAAR_*` variable.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }
    pub fn pool_size(mut self, n: u32) -> Self {
        self.pool_size = n;
        self
    }
    pub fn redis(mut self) -> Self {
        self.redis = true;
        self
    }
    pub fn replicas(mut self, urls: Vec<String>) -> Self {
        self.replica_urls = urls;
        self
    }
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }
    /// Share a cache namespace with another instance (both see each other's
    /// entries), as servers of one deployment do.
    pub fn cache_namespace(mut self, namespace: &str) -> Self {
        self.cache_namespace = Some(namespace.to_owned());
        self
    }
    /// Use this Redis URL (e.g. a dead one).
    pub fn redis_url(mut self, url: &str) -> Self {
        self.redis = true;
        self.redis_url = Some(url.to_owned());
        self
    }
    /// Serve relative image paths under this CDN base.
    pub fn cdn(mut self, base: &str) -> Self {
        self.cdn = Some(base.to_owned());
        self
    }
    /// Serve the region packs of `dir` (watched every 100 ms).
    pub fn regions_dir(mut self, dir: &std::path::Path) -> Self {
        self.regions_dir = dir.to_path_buf();
        self
    }

    pub async fn start(self) -> TestApp {
        let mut env = vec![
            ("BAZAAR_DATABASE_URL".to_owned(), database_url()),
            ("BAZAAR_PLATFORM_KEY".to_owned(), PLATFORM_KEY.to_owned()),
            (
                "BAZAAR_DB_MAX_CONNECTIONS".to_owned(),
                self.pool_size.to_string(),
            ),
            (
                "BAZAAR_MAX_BODY_BYTES".to_owned(),
                self.max_body_bytes.to_string(),
            ),
            (
                "BAZAAR_CACHE_NAMESPACE".to_owned(),
                self.cache_namespace
                    .clone()
                    .unwrap_or_else(|| unique("bazaar-e2e-")),
            ),
            (
                "BAZAAR_REGIONS_DIR".to_owned(),
                self.regions_dir.display().to_string(),
            ),
            ("BAZAAR_REGIONS_POLL_MS".to_owned(), "100".to_owned()),
            // Search is opt-in per test (`search()`): each index is a node.
            ("BAZAAR_SEARCH".to_owned(), "false".to_owned()),
        ];
        if self.redis {
            env.push((
                "BAZAAR_REDIS_URL".to_owned(),
                self.redis_url.clone().unwrap_or_else(redis_url),
            ));
        }
        if let Some(cdn) = &self.cdn {
            env.push(("BAZAAR_CDN_BASE_URL".to_owned(), cdn.clone()));
        }
        if !self.replica_urls.is_empty() {
            env.push((
                "BAZAAR_REPLICA_URLS".to_owned(),
                self.replica_urls.join(","),
            ));
        }
        env.extend(self.env);
        let config =
            Config::load(Some(std::path::Path::new("/dev/null")), env, &[]).expect("test config");
        let database = runtime::Database::open(&config).await.expect("database");
        let state = runtime::state(&config, database.db.clone(), PLATFORM_KEY).expect("state");
        state
            .regions
            .spawn_watcher(Duration::from_millis(config.regions_poll_ms));
        let follower = runtime::spawn_search_follower(&config, &state).expect("search follower");
        let server = RunningServer::start(
            state.clone(),
            "127.0.0.1:0".parse().expect("addr"),
            Duration::from_secs(10),
        )
        .await
        .expect("server starts");
        TestApp {
            base: format!("http://{}", server.addr),
            client: reqwest::Client::new(),
            server: Some(server),
            follower,
            state,
            config,
        }
    }
}

/// The real server, on a random port, for one test.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub server: Option<RunningServer>,
    /// The search feed follower, when the app keeps a search index.
    pub follower: Option<tokio::task::JoinHandle<()>>,
    pub state: AppState,
    pub config: Config,
}

/// A status and a JSON body (Null when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// Assert the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }

    /// Assert a problem document with this status and code.
    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.body["code"], code,
            "unexpected code; body: {}",
            self.body
        );
        assert_eq!(self.body["status"], status);
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "problem without detail: {}",
            self.body
        );
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
        );
        self.body
    }
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            pool_size: 4,
            redis: false,
            replica_urls: Vec::new(),
            max_body_bytes: 64 * 1024,
            regions_dir: shipped_regions(),
            cache_namespace: None,
            redis_url: None,
            cdn: None,
            env: Vec::new(),
        }
    }

    pub async fn start() -> TestApp {
        Self::builder().start().await
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.send_with_headers(method, path, key, &[], body).await
    }

    /// A request with extra headers (`X-Cart-Token`, `Idempotency-Key`...).
    pub async fn send_with_headers(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        }
    }

    pub async fn get(&self, path: &str, key: &str) -> Reply {
        self.send(reqwest::Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(key), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, key: &str, body: Value) -> Reply {
        self.send(reqwest::Method::PUT, path, Some(key), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Reply {
        self.send(reqwest::Method::PATCH, path, Some(key), Some(body))
            .await
    }

    /// Provision a tenant through the platform API, with a tenant admin key.
    pub async fn tenant(&self) -> TestTenant {
        let slug = unique("t");
        let tenant = self
            .post(
                "/v1/platform/tenants",
                PLATFORM_KEY,
                json!({ "slug": slug, "name": format!("Tenant {slug}"), "regions": ["US-CA", "US-CO"] }),
            )
            .await
            .expect(201);
        let id = tenant["id"].as_str().expect("id").to_owned();
        let admin = self
            .post(
                &format!("/v1/platform/tenants/{id}/keys"),
                PLATFORM_KEY,
                json!({ "name": "admin", "scope": "tenant_admin" }),
            )
            .await
            .expect(201);
        TestTenant {
            id,
            slug,
            admin_key: admin["secret"].as_str().expect("secret").to_owned(),
        }
    }

    /// Create a brand in the admin key's tenant; returns its id.
    pub async fn brand(&self, admin_key: &str, slug: &str) -> String {
        let brand = self
            .post(
                "/v1/brands",
                admin_key,
                json!({ "slug": slug, "name": format!("Brand {slug}"), "currency": "USD", "default_region": "US-CA" }),
            )
            .await
            .expect(201);
        brand["id"].as_str().expect("id").to_owned()
    }

    /// Create a vendor in the admin key's tenant; returns its id.
    pub async fn vendor(&self, admin_key: &str, slug: &str) -> String {
        let vendor = self
            .post(
                "/v1/vendors",
                admin_key,
                json!({ "slug": slug, "name": format!("Vendor {slug}"), "contact_email": format!("{slug}@vendors.example") }),
            )
            .await
            .expect(201);
        vendor["id"].as_str().expect("id").to_owned()
    }

    /// Issue a key in the admin key's tenant; returns (key id, secret).
    pub async fn key(&self, admin_key: &str, body: Value) -> (String, String) {
        let issued = self.post("/v1/keys", admin_key, body).await.expect(201);
        (
            issued["key"]["id"].as_str().expect("id").to_owned(),
            issued["secret"].as_str().expect("secret").to_owned(),
        )
    }

    pub async fn stop(mut self) {
        if let Some(follower) = self.follower.take() {
            follower.abort();
            runtime::forget_search_node(&self.config, self.db()).await;
        }
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }
}

/// A tenant provisioned for one test.
pub struct TestTenant {
    pub id: String,
    pub slug: String,
    pub admin_key: String,
}
