//! Bazaar's HTTP API: poem-openapi endpoints, authentication and tenant
//! resolution, the problem-document error type, and the operational
//! endpoints (`/healthz`, `/readyz`, `/metrics`, `/openapi.json`, `/docs`).

pub mod auth;
pub mod conformance;
pub mod decimal;
pub mod error;
pub mod metrics;
pub mod middleware;
pub mod openapi_doc;
pub mod payload;
pub mod problem_types;
mod provider_events;
pub mod request_parts;
pub mod routes;
pub mod state;
pub mod statuses;
mod system;
pub mod timestamp;
pub mod types;
pub mod wire;

use poem::{Endpoint, EndpointExt, Route, get};
use poem_openapi::OpenApiService;

pub use error::{ApiError, ApiResult, Problem};
pub use state::{AppState, CustomerSettings, Settings};

use routes::brands::BrandsApi;
use routes::carts::CartsApi;
use routes::categories::CategoriesApi;
use routes::checkout::CheckoutApi;
use routes::customer_admin::CustomerAdminApi;
use routes::customer_data::{CustomerDataApi, SharedWishlistApi};
use routes::customers::CustomersApi;
use routes::fulfilment::FulfilmentApi;
use routes::import::ImportApi;
use routes::inventory::InventoryApi;
use routes::keys::{KeysApi, PlatformKeysApi};
use routes::listings::ListingsApi;
use routes::payment_routes::PaymentRoutesApi;
use routes::payouts::PayoutsApi;
use routes::problems::ProblemsApi;
use routes::products::ProductsApi;
use routes::refunds::RefundsApi;
use routes::regions::RegionsApi;
use routes::search::SearchApi;
use routes::shipping::ShippingApi;
use routes::storefront::StorefrontApi;
use routes::subscriptions::SubscriptionsApi;
use routes::tenants::TenantsApi;
use routes::vendors::VendorsApi;

/// poem-openapi implements `OpenApi` for tuples of up to 16: the APIs are
/// grouped (platform and catalog; shopping and selling).
type Apis = (
    (
        TenantsApi,
        PlatformKeysApi,
        KeysApi,
        BrandsApi,
        VendorsApi,
        RegionsApi,
        CategoriesApi,
        ProductsApi,
        ListingsApi,
        StorefrontApi,
        ImportApi,
        InventoryApi,
    ),
    (
        CartsApi,
        CheckoutApi,
        FulfilmentApi,
        ShippingApi,
        SearchApi,
        CustomersApi,
        CustomerDataApi,
        SharedWishlistApi,
        CustomerAdminApi,
        RefundsApi,
        PayoutsApi,
        PaymentRoutesApi,
        SubscriptionsApi,
        ProblemsApi,
    ),
);

/// The OpenAPI service: every documented endpoint.
pub fn openapi_service(state: &AppState) -> OpenApiService<Apis, ()> {
    let apis = (
        (
            TenantsApi {
                state: state.clone(),
            },
            PlatformKeysApi {
                state: state.clone(),
            },
            KeysApi {
                state: state.clone(),
            },
            BrandsApi {
                state: state.clone(),
            },
            VendorsApi {
                state: state.clone(),
            },
            RegionsApi {
                state: state.clone(),
            },
            CategoriesApi {
                state: state.clone(),
            },
            ProductsApi {
                state: state.clone(),
            },
            ListingsApi {
                state: state.clone(),
            },
            StorefrontApi {
                state: state.clone(),
            },
            ImportApi {
                state: state.clone(),
            },
            InventoryApi {
                state: state.clone(),
            },
        ),
        (
            CartsApi {
                state: state.clone(),
            },
            CheckoutApi {
                state: state.clone(),
            },
            FulfilmentApi {
                state: state.clone(),
            },
            ShippingApi {
                state: state.clone(),
            },
            SearchApi {
                state: state.clone(),
            },
            CustomersApi {
                state: state.clone(),
            },
            CustomerDataApi {
                state: state.clone(),
            },
            SharedWishlistApi {
                state: state.clone(),
            },
            CustomerAdminApi {
                state: state.clone(),
            },
            RefundsApi {
                state: state.clone(),
            },
            PayoutsApi {
                state: state.clone(),
            },
            PaymentRoutesApi {
                state: state.clone(),
            },
            SubscriptionsApi {
                state: state.clone(),
            },
            ProblemsApi,
        ),
    );
    OpenApiService::new(apis, "Bazaar", env!("CARGO_PKG_VERSION"))
        .description(
            "A multi-tenant marketplace backend. Every call takes an API key as \
             `Authorization: Bearer <key>`; the key decides the tenant and what is visible. \
             Errors are problem documents (RFC 9457) with a stable `code`. Lists are \
             keyset-paginated: pass a page's `next_cursor` as `cursor`.",
        )
        .license("Apache-2.0")
}

/// The OpenAPI document as the server serves it at `/openapi.json`.
pub fn openapi_json(state: &AppState) -> String {
    openapi_doc::finish(&openapi_service(state).spec())
}

/// The whole HTTP application.
pub fn app(state: AppState) -> impl Endpoint {
    let api = openapi_service(&state);
    let raw = api.spec();
    let document = openapi_doc::finish(&raw);
    let schemas = std::sync::Arc::new(conformance::RequestSchemas::from_document(&document));
    // Swagger UI embeds the document it shows: the finished one.
    let docs_page = api.swagger_ui_html().replacen(&raw, &document, 1);
    let spec = poem::endpoint::make_sync(move |_| {
        poem::Response::builder()
            .content_type("application/json")
            .body(document.clone())
    });
    let docs = poem::endpoint::make_sync(move |_| poem::web::Html(docs_page.clone()));
    let max_body = state.settings.max_body_bytes;
    let metrics = state.metrics.clone();
    Route::new()
        .nest_no_strip("/v1", api)
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .at(
            "/v1/payments/events/:provider",
            poem::post(provider_events::receive),
        )
        .at("/healthz", get(system::healthz))
        .at("/readyz", get(system::readyz))
        .at("/metrics", get(system::metrics))
        .around({
            let schemas = schemas.clone();
            move |ep, req| middleware::conform(schemas.clone(), ep, req)
        })
        .around(move |ep, req| middleware::limit_body(max_body, ep, req))
        .around(move |ep, req| middleware::problems(schemas.clone(), ep, req))
        .data(state)
        .around(move |ep, req| middleware::observe(metrics.clone(), ep, req))
}
