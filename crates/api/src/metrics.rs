//! Prometheus metrics: request counts and latency histograms by method,
//! route pattern and status, plus pool usage. Route patterns (not raw
//! paths) keep the series count bounded. The series are listed in the
//! README (Operations, Metrics).
//!
//! Built on the `metrics` facade and `metrics-exporter-prometheus`, used
//! without a global recorder: each [`Metrics`] (one per `AppState`) owns
//! its own [`PrometheusRecorder`] and registers its handles on it directly,
//! so several servers in one process (the test suite starts many) each
//! report only their own requests. poem's `PrometheusExporter` was not
//! used: it goes through the OpenTelemetry metrics SDK and
//! `opentelemetry-prometheus` (discontinued upstream, and on another
//! `opentelemetry` version than our trace export), reads a process-global
//! meter provider, and its `OpenTelemetryMetrics` middleware names its own
//! series (`poem_requests_count`, milliseconds) labelled with the full URL,
//! which is unbounded cardinality; we could keep none of our series names.
//!
//! Recording a request takes no lock: the counter and histogram handles of
//! each (route, method, status) are kept in an [`ArcSwap`]ped table read
//! with borrowed keys (so no allocation either), a counter is an atomic add
//! and a histogram sample a lock-free push onto a queue. Only a new series
//! (rare: routes x methods x statuses) goes through the exporter's sharded
//! registry and copies the table. The queued samples are folded into the
//! buckets, under the exporter's lock, when `/metrics` is scraped and by
//! every [`DRAIN_EVERY`]th request, so memory stays bounded when nothing
//! scrapes. The pool, replica and cache gauges are set at scrape time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use bazaar_store::Db;
use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// Requests answered, by `method`, `route` and `status`.
pub const REQUESTS: &str = "bazaar_http_requests_total";
/// Request latency in seconds, by `method`, `route` and `status`.
pub const DURATION: &str = "bazaar_http_request_duration_seconds";
/// Open connections by `pool` and `state` (`idle`, `in_use`).
pub const POOL_CONNECTIONS: &str = "bazaar_db_pool_connections";
/// The size limit of each `pool`.
pub const POOL_MAX_CONNECTIONS: &str = "bazaar_db_pool_max_connections";
/// Read replicas by `state` (`configured`, `healthy`).
pub const REPLICAS: &str = "bazaar_db_replicas";
/// 1 for the cache `backend` in use.
pub const CACHE_BACKEND: &str = "bazaar_cache_backend";
/// Gauge: 1 when a dependency answered its last readiness check, else 0.
pub const DEPENDENCY_UP: &str = "bazaar_dependency_up";
/// 1 while a payment provider's circuit breaker is open (new orders go
/// to the next provider), by provider.
pub const BREAKER_OPEN: &str = "bazaar_payment_breaker_open";

/// Upper bounds of the latency histogram's buckets, in seconds.
pub const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Requests between two foldings of the queued latency samples into the
/// buckets (also done on every scrape).
pub const DRAIN_EVERY: u64 = 4096;

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

#[derive(Clone)]
struct Series {
    requests: Counter,
    duration: Histogram,
}

impl Series {
    fn record(&self, secs: f64) {
        self.requests.increment(1);
        self.duration.record(secs);
    }
}

/// Route pattern, then method, then status: nested so that recording a
/// request looks up borrowed strings and allocates only for a new series.
type Table = HashMap<String, HashMap<String, HashMap<u16, Series>>>;

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    series: ArcSwap<Table>,
    observed: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), &BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        recorder.describe_counter(REQUESTS.into(), None, "HTTP requests answered.".into());
        recorder.describe_histogram(DURATION.into(), None, "HTTP request latency.".into());
        for (name, help) in [
            (
                POOL_CONNECTIONS,
                "Open database connections by pool and state.",
            ),
            (POOL_MAX_CONNECTIONS, "Connection limit of each pool."),
            (REPLICAS, "Read replicas configured and healthy."),
            (CACHE_BACKEND, "The cache backend in use (always 1)."),
            (
                DEPENDENCY_UP,
                "Whether a dependency (database, cache) answered the last /readyz check.",
            ),
        ] {
            recorder.describe_gauge(name.into(), None, help.into());
        }
        let handle = recorder.handle();
        Self {
            recorder,
            handle,
            series: ArcSwap::default(),
            observed: AtomicU64::new(0),
        }
    }

    /// Count one answered request and its latency.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let found = {
            let table = self.series.load();
            match table
                .get(route)
                .and_then(|methods| methods.get(method))
                .and_then(|statuses| statuses.get(&status))
            {
                Some(series) => {
                    series.record(secs);
                    true
                }
                None => false,
            }
        };
        if !found {
            self.register(method, route, status).record(secs);
        }
        if self.observed.fetch_add(1, Ordering::Relaxed) % DRAIN_EVERY == DRAIN_EVERY - 1 {
            self.handle.run_upkeep();
        }
    }

    /// The handles of a series seen for the first time, added to the table.
    /// Two requests racing here register the same key, so they get handles
    /// to the same counter and histogram.
    fn register(&self, method: &str, route: &str, status: u16) -> Series {
        let labels = vec![
            Label::new("method", method.to_owned()),
            Label::new("route", route.to_owned()),
            Label::new("status", status.to_string()),
        ];
        let series = Series {
            requests: self
                .recorder
                .register_counter(&Key::from_parts(REQUESTS, labels.clone()), &METADATA),
            duration: self
                .recorder
                .register_histogram(&Key::from_parts(DURATION, labels), &METADATA),
        };
        self.series.rcu(|table| {
            let mut table = Table::clone(table);
            table
                .entry(route.to_owned())
                .or_default()
                .entry(method.to_owned())
                .or_default()
                .entry(status)
                .or_insert_with(|| series.clone());
            table
        });
        series
    }

    fn gauge(&self, name: &'static str, labels: Vec<Label>) -> Gauge {
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &METADATA)
    }

    /// The exposition text for `/metrics`.
    /// Record whether a dependency answered its last check (`/readyz`).
    pub fn dependency_up(&self, dependency: &'static str, up: bool) -> &Self {
        self.gauge(DEPENDENCY_UP, vec![Label::new("dependency", dependency)])
            .set(if up { 1.0 } else { 0.0 });
        self
    }

    pub fn render(
        &self,
        db: &Db,
        cache_backend: &str,
        breakers: &[(&'static str, bool)],
    ) -> String {
        for (provider, open) in breakers {
            self.gauge(BREAKER_OPEN, vec![Label::new("provider", *provider)])
                .set(if *open { 1.0 } else { 0.0 });
        }
        let pools = std::iter::once(("primary".to_owned(), db.primary_stats())).chain(
            db.replica_stats()
                .into_iter()
                .enumerate()
                .map(|(i, s)| (format!("replica{i}"), s)),
        );
        for (name, stats) in pools {
            let pool = |state: &'static str| {
                vec![Label::new("pool", name.clone()), Label::new("state", state)]
            };
            self.gauge(POOL_CONNECTIONS, pool("idle"))
                .set(f64::from(stats.idle));
            self.gauge(POOL_CONNECTIONS, pool("in_use"))
                .set(f64::from(stats.connections.saturating_sub(stats.idle)));
            self.gauge(POOL_MAX_CONNECTIONS, vec![Label::new("pool", name.clone())])
                .set(f64::from(stats.max));
        }
        let (replicas, healthy) = db.replica_health();
        self.gauge(REPLICAS, vec![Label::new("state", "configured")])
            .set(replicas as f64);
        self.gauge(REPLICAS, vec![Label::new("state", "healthy")])
            .set(healthy as f64);
        self.gauge(
            CACHE_BACKEND,
            vec![Label::new("backend", cache_backend.to_owned())],
        )
        .set(1.0);
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'t>(text: &'t str, start: &str) -> &'t str {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starting {start} in:\n{text}"))
    }

    #[test]
    fn requests_are_counted_with_their_labels_and_buckets() {
        let metrics = Metrics::new();
        for ms in [3, 30, 300] {
            metrics.observe("GET", "/v1/brands/:id", 200, Duration::from_millis(ms));
        }
        metrics.observe("GET", "/v1/brands", 401, Duration::from_millis(1));
        let text = metrics.handle.render();
        let labels = r#"method="GET",route="/v1/brands/:id",status="200""#;
        assert!(line(&text, &format!("{REQUESTS}{{{labels}}}")).ends_with(" 3"));
        line(
            &text,
            &format!(r#"{REQUESTS}{{method="GET",route="/v1/brands",status="401"}} 1"#),
        );
        line(&text, "# TYPE bazaar_http_requests_total counter");
        line(
            &text,
            "# HELP bazaar_http_requests_total HTTP requests answered.",
        );
        line(
            &text,
            "# TYPE bazaar_http_request_duration_seconds histogram",
        );
        for (le, count) in [
            ("0.001", 0),
            ("0.0025", 0),
            ("0.005", 1),
            ("0.025", 1),
            ("0.05", 2),
            ("0.25", 2),
            ("0.5", 3),
            ("1", 3),
            ("5", 3),
            ("+Inf", 3),
        ] {
            line(
                &text,
                &format!(r#"{DURATION}_bucket{{{labels},le="{le}"}} {count}"#),
            );
        }
        line(&text, &format!("{DURATION}_count{{{labels}}} 3"));
        let sum: f64 = line(&text, &format!("{DURATION}_sum{{{labels}}}"))
            .rsplit(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("a number");
        assert!((sum - 0.333).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn each_instance_counts_only_its_own_requests() {
        let a = Metrics::new();
        let b = Metrics::new();
        a.observe("GET", "/a", 200, Duration::from_millis(1));
        a.observe("GET", "/a", 200, Duration::from_millis(1));
        b.observe("GET", "/a", 200, Duration::from_millis(1));
        let start = format!(r#"{REQUESTS}{{method="GET",route="/a",status="200"}}"#);
        assert!(line(&a.handle.render(), &start).ends_with(" 2"));
        assert!(line(&b.handle.render(), &start).ends_with(" 1"));
    }

    #[tokio::test]
    async fn pool_replica_and_cache_gauges_are_set_at_scrape() {
        let db = Db::new(&bazaar_store::DbConfig {
            primary_url: "postgres://nobody@127.0.0.1:1/none".into(),
            replica_urls: vec!["postgres://nobody@127.0.0.1:1/replica".into()],
            max_connections: 4,
            acquire_timeout: Duration::from_millis(100),
            replica_max_lag: Duration::from_secs(30),
        });
        let text =
            Metrics::new().render(&db, "memory", &[("http", true), ("http_fallback", false)]);
        line(&text, "# TYPE bazaar_db_pool_connections gauge");
        line(
            &text,
            r#"bazaar_db_pool_connections{pool="primary",state="idle"} 0"#,
        );
        line(
            &text,
            r#"bazaar_db_pool_connections{pool="replica0",state="in_use"} 0"#,
        );
        line(&text, r#"bazaar_db_pool_max_connections{pool="primary"} 4"#);
        line(&text, r#"bazaar_db_replicas{state="configured"} 1"#);
        line(&text, r#"bazaar_cache_backend{backend="memory"} 1"#);
        line(&text, r#"bazaar_payment_breaker_open{provider="http"} 1"#);
        line(
            &text,
            r#"bazaar_payment_breaker_open{provider="http_fallback"} 0"#,
        );
    }
}
