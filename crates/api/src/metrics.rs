//! Prometheus metrics: request counts and latency histograms by method,
//! route pattern and status, plus pool usage. Route patterns (not raw
//! paths) keep the series count bounded.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use bazaar_store::Db;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    /// Cumulative counts, one per bucket bound.
    buckets: [u64; BUCKETS.len()],
}

/// Route pattern, then method, then status: nested so that recording a
/// request looks up borrowed strings and allocates only for a new series.
type Table = BTreeMap<String, BTreeMap<String, BTreeMap<u16, Series>>>;

#[derive(Default)]
pub struct Metrics {
    series: Mutex<Table>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut series = self
            .series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !series.contains_key(route) {
            series.insert(route.to_owned(), BTreeMap::new());
        }
        let by_method = series.get_mut(route).expect("inserted above");
        if !by_method.contains_key(method) {
            by_method.insert(method.to_owned(), BTreeMap::new());
        }
        let entry = by_method
            .get_mut(method)
            .expect("inserted above")
            .entry(status)
            .or_default();
        entry.count += 1;
        entry.sum += secs;
        for (bound, bucket) in BUCKETS.iter().zip(entry.buckets.iter_mut()) {
            if secs <= *bound {
                *bucket += 1;
            }
        }
    }

    /// The exposition text for `/metrics`.
    pub fn render(&self, db: &Db, cache_backend: &str) -> String {
        let mut out = String::new();
        out.push_str("# HELP bazaar_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE bazaar_http_requests_total counter\n");
        let series = self
            .series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let flat: Vec<(&str, &str, u16, &Series)> = series
            .iter()
            .flat_map(|(route, methods)| {
                methods.iter().flat_map(move |(method, statuses)| {
                    statuses
                        .iter()
                        .map(move |(status, s)| (method.as_str(), route.as_str(), *status, s))
                })
            })
            .collect();
        for (method, route, status, s) in &flat {
            let _ = writeln!(
                out,
                "bazaar_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                s.count
            );
        }
        out.push_str("# HELP bazaar_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE bazaar_http_request_duration_seconds histogram\n");
        for (method, route, status, s) in &flat {
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                escape(route)
            );
            for (bound, count) in BUCKETS.iter().zip(s.buckets.iter()) {
                let _ = writeln!(
                    out,
                    "bazaar_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "bazaar_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "bazaar_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "bazaar_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        drop(flat);
        drop(series);

        out.push_str(
            "# HELP bazaar_db_pool_connections Open database connections by pool and state.\n",
        );
        out.push_str("# TYPE bazaar_db_pool_connections gauge\n");
        let pools = std::iter::once(("primary".to_owned(), db.primary_stats())).chain(
            db.replica_stats()
                .into_iter()
                .enumerate()
                .map(|(i, s)| (format!("replica{i}"), s)),
        );
        for (name, stats) in pools {
            let _ = writeln!(
                out,
                "bazaar_db_pool_connections{{pool=\"{name}\",state=\"idle\"}} {}",
                stats.idle
            );
            let _ = writeln!(
                out,
                "bazaar_db_pool_connections{{pool=\"{name}\",state=\"in_use\"}} {}",
                stats.connections.saturating_sub(stats.idle)
            );
            let _ = writeln!(
                out,
                "bazaar_db_pool_max_connections{{pool=\"{name}\"}} {}",
                stats.max
            );
        }
        let (replicas, healthy) = db.replica_health();
        out.push_str("# TYPE bazaar_db_replicas gauge\n");
        let _ = writeln!(out, "bazaar_db_replicas{{state=\"configured\"}} {replicas}");
        let _ = writeln!(out, "bazaar_db_replicas{{state=\"healthy\"}} {healthy}");
        out.push_str("# TYPE bazaar_cache_backend gauge\n");
        let _ = writeln!(out, "bazaar_cache_backend{{backend=\"{cache_backend}\"}} 1");
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}
