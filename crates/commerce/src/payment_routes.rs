//! Payment routing per tenant and region: which of the deployment's
//! providers charge a cart's order (in order of preference, each behind
//! its circuit breaker) and whether the money is taken at checkout or
//! authorised and captured as vendors ship. A region's route wins over
//! the tenant's default (`*`); with neither, the deployment's own order
//! and capture mode apply.

use bazaar_domain::{CaptureMode, Scope, validate};
use bazaar_store::tenant::payment_routes::{self as store, DEFAULT, Route};
use futures_util::FutureExt;

use crate::{Outcome, Services, TenantKey, refusals};

/// Providers a route may name.
pub const MAX_PROVIDERS: usize = 4;

refusals! {
    /// Why routes were not set.
    pub enum RouteRefusal {
        Access(crate::context::AccessRefusal) => delegate;
        UnknownProvider { provider: String } => Unprocessable, "payment_provider_not_configured",
            "no payment provider named `{provider}` is configured in this deployment";
        ProvidersRequired { region: String } => Unprocessable, "providers_required",
            "the route for `{region}` names 1-4 providers, each once";
        InvalidRegion { region: String } => Unprocessable, "invalid_region",
            "`{region}` is not a region code such as `US-CA` (or `*` for the default)";
        DuplicateRegion { region: String } => Unprocessable, "duplicate_region",
            "`{region}` has two routes; give it one";
    }
}

/// The tenant's routes, the default first (tenant admin).
pub async fn get(services: &Services, key: &TenantKey) -> Outcome<Vec<Route>, RouteRefusal> {
    key.require(&[Scope::TenantAdmin])?;
    Ok(services
        .db
        .tenant_read(&key.schema, |conn| store::all(conn).boxed())
        .await?)
}

/// Replace the tenant's routes (tenant admin): each names providers this
/// deployment has, each once.
pub async fn set(
    services: &Services,
    key: &TenantKey,
    routes: Vec<Route>,
) -> Outcome<Vec<Route>, RouteRefusal> {
    key.require(&[Scope::TenantAdmin])?;
    let mut regions = std::collections::HashSet::new();
    for route in &routes {
        if route.region != DEFAULT && validate::region_code(&route.region).is_err() {
            return Err(RouteRefusal::InvalidRegion {
                region: route.region.clone(),
            }
            .into());
        }
        if !regions.insert(route.region.as_str()) {
            return Err(RouteRefusal::DuplicateRegion {
                region: route.region.clone(),
            }
            .into());
        }
        let distinct: std::collections::HashSet<&String> = route.providers.iter().collect();
        if route.providers.is_empty()
            || route.providers.len() > MAX_PROVIDERS
            || distinct.len() != route.providers.len()
        {
            return Err(RouteRefusal::ProvidersRequired {
                region: route.region.clone(),
            }
            .into());
        }
        if let Some(unknown) = route.providers.iter().find(|p| !services.gateways.has(p)) {
            return Err(RouteRefusal::UnknownProvider {
                provider: unknown.clone(),
            }
            .into());
        }
    }
    Ok(services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                store::replace(conn, &routes).await?;
                store::all(conn).await
            }
            .boxed()
        })
        .await?)
}

/// What a route decides for a new order: the providers in order of
/// preference (empty: the deployment's order) and the capture mode.
pub fn resolve(services: &Services, route: Option<Route>) -> (Vec<String>, CaptureMode) {
    match route {
        Some(route) => (
            route.providers,
            route.capture.unwrap_or(services.settings.payment_capture),
        ),
        None => (Vec::new(), services.settings.payment_capture),
    }
}
