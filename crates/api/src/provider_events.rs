//! `POST /v1/payments/events/{provider}`: where payment providers send
//! their signed events. A plain route rather than a documented operation:
//! its caller is the provider, not a client of the API, and its signature
//! covers the body's exact bytes, which must reach the check untouched.
//! Answers: 200 `{"received": true, "outcome": ...}` (also for a
//! redelivery, so the provider stops sending it), or a problem document
//! the provider will retry after (401 for a bad signature).

use bazaar_commerce::payment_events::{self, Received};
use poem::web::{Data, Json, Path};
use poem::{Body, IntoResponse, Request, Response, handler};
use serde_json::json;

use crate::error::{ApiError, problem_response};
use crate::state::AppState;

#[handler]
pub async fn receive(
    req: &Request,
    provider: Path<String>,
    body: Body,
    state: Data<&AppState>,
) -> Response {
    // Each provider signs in its own header (`Webhook-Signature`,
    // `Stripe-Signature`, ...).
    let header = if state.gateways.has(&provider.0) {
        state.gateways.named(&provider.0).signature_header()
    } else {
        "webhook-signature"
    };
    let signature = req
        .headers()
        .get(header)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = match body.into_bytes().await {
        Ok(bytes) => bytes,
        Err(err) => {
            return problem_response(&ApiError::bad_request(
                "invalid_body",
                format!("the event's body could not be read: {err}"),
            ));
        }
    };
    match payment_events::receive(&state, &provider.0, &bytes, signature.as_deref()).await {
        Ok(Received::Applied(outcome)) => {
            Json(json!({ "received": true, "outcome": outcome })).into_response()
        }
        Ok(Received::Duplicate) => {
            Json(json!({ "received": true, "outcome": "duplicate" })).into_response()
        }
        Err(failure) => problem_response(&ApiError::from(failure)),
    }
}
