//! Operational endpoints for load balancers and monitoring; not part of the
//! versioned API.

use poem::handler;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use serde_json::json;

use crate::state::AppState;

/// The process is up and serving HTTP.
#[handler]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The database (and, when configured, Redis) answers: ready for traffic.
#[handler]
pub async fn readyz(state: Data<&AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let database = state.db.check_primary().await;
    let cache = state.cache.ping().await;
    let (replicas, healthy_replicas) = state.db.replica_health();
    // Ready means "can serve": only the primary is needed. A cache or a
    // replica that is down degrades (reads go to PostgreSQL's primary), so
    // it is in the body and in /metrics, not in the status: a load
    // balancer must not pull every node because Redis is away.
    let ready = database.is_ok();
    let breakers = state.gateways.breakers();
    let degraded =
        cache.is_err() || healthy_replicas < replicas || breakers.iter().any(|(_, open)| *open);
    state
        .metrics
        .dependency_up("cache", cache.is_ok())
        .dependency_up("database", database.is_ok());
    let body = json!({
        "status": match (ready, degraded) {
            (false, _) => "unavailable",
            (true, true) => "degraded",
            (true, false) => "ready",
        },
        "database": match &database { Ok(()) => "ok".to_owned(), Err(e) => e.to_string() },
        "cache": {
            "backend": state.cache.backend(),
            "status": match &cache { Ok(()) => "ok".to_owned(), Err(e) => e.to_string() },
        },
        "replicas": { "configured": replicas, "healthy": healthy_replicas },
        // A provider whose breaker is open gets no new orders for a while.
        "payments": breakers
            .iter()
            .map(|(provider, open)| json!({ "provider": provider, "breaker": if *open { "open" } else { "closed" } }))
            .collect::<Vec<_>>(),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// Prometheus exposition text.
#[handler]
pub async fn metrics(state: Data<&AppState>) -> poem::Response {
    poem::Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(
            state
                .metrics
                .render(&state.db, state.cache.backend(), &state.gateways.breakers()),
        )
}
