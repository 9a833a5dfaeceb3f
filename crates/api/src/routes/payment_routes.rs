//! `/v1/payment-routes`: which payment providers charge a tenant's orders,
//! per region, and when the money is taken. The edge of
//! `bazaar_commerce::payment_routes`.

use bazaar_commerce::payment_routes;
use bazaar_store::tenant::payment_routes::Route;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::Tag;
use crate::auth::ApiKey;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::statuses::CaptureMode;

/// Where a region's orders are charged.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PaymentRoute {
    /// A region code (`US-CA`), or `*` for the tenant's default.
    pub region: String,
    /// The deployment's payment providers by name (`stripe`, `paypal`,
    /// `http`, `sandbox`, `<kind>_fallback`), in order of preference: a new
    /// order goes to the first whose circuit breaker is closed, and one no
    /// attempt of which reached its provider moves to the next. 1-4, each
    /// once.
    pub providers: Vec<String>,
    /// When the money is taken; absent: the deployment's
    /// `payment_capture`.
    pub capture: Option<CaptureMode>,
}

impl From<Route> for PaymentRoute {
    fn from(r: Route) -> Self {
        Self {
            region: r.region,
            providers: r.providers,
            capture: r.capture.map(Into::into),
        }
    }
}

impl From<PaymentRoute> for Route {
    fn from(r: PaymentRoute) -> Self {
        Self {
            region: r.region,
            providers: r.providers,
            capture: r.capture.map(Into::into),
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PaymentRoutes {
    /// The default (`*`) first, then by region. Empty: the deployment's
    /// providers and capture mode for every order.
    pub routes: Vec<PaymentRoute>,
}

pub struct PaymentRoutesApi {
    pub state: AppState,
}

#[OpenApi(tag = "Tag::Money")]
impl PaymentRoutesApi {
    /// Get the tenant's payment routes
    ///
    /// Tenant admin key.
    #[oai(
        path = "/v1/payment-routes",
        method = "get",
        operation_id = "get_payment_routes"
    )]
    async fn get(&self, auth: ApiKey) -> ApiResult<Json<PaymentRoutes>> {
        let key = auth.0.tenant()?;
        let routes = payment_routes::get(&self.state, key).await?;
        Ok(Json(PaymentRoutes {
            routes: routes.into_iter().map(Into::into).collect(),
        }))
    }

    /// Replace the tenant's payment routes
    ///
    /// Tenant admin key. A cart's region picks its route (else the `*`
    /// route, else the deployment's order); the route decides which
    /// provider charges the order and whether its money is taken at
    /// checkout or authorised and captured as vendors ship. Orders already
    /// placed keep their provider.
    #[oai(
        path = "/v1/payment-routes",
        method = "put",
        operation_id = "set_payment_routes"
    )]
    async fn set(&self, auth: ApiKey, body: Json<PaymentRoutes>) -> ApiResult<Json<PaymentRoutes>> {
        let key = auth.0.tenant()?;
        let routes = body.0.routes.into_iter().map(Into::into).collect();
        let routes = payment_routes::set(&self.state, key, routes).await?;
        Ok(Json(PaymentRoutes {
            routes: routes.into_iter().map(Into::into).collect(),
        }))
    }
}
