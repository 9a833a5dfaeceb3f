//! What wraps every request: a request id and tracing span, metrics, the
//! body size limit, and the conversion of every error into a problem
//! document.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use poem::http::{HeaderValue, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;

use crate::error::{ApiError, problem_from_error, problem_response};
use crate::metrics::Metrics;

pub const REQUEST_ID: &str = "x-request-id";

/// The caller's `X-Request-Id` when it is sane (1 to 128 visible ASCII
/// characters), else a fresh UUID.
fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Outermost layer: the span every log line of the request is written in,
/// the response's `X-Request-Id`, the access log line and the metrics.
pub async fn observe<E: Endpoint>(
    metrics: Arc<Metrics>,
    next: E,
    req: Request,
) -> poem::Result<Response> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        http.method = %method,
        http.path = %path,
        tenant.slug = tracing::field::Empty,
        auth.scope = tracing::field::Empty,
    );
    let result = next.call(req).instrument(span.clone()).await;
    let mut response = match result {
        Ok(output) => output.into_response(),
        Err(err) => problem_from_error(err),
    };
    let route = response
        .data::<poem::PathPattern>()
        .map(|p| p.0.to_string())
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status();
    let elapsed = started.elapsed();
    metrics.observe(&method, &route, status.as_u16(), elapsed);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    span.in_scope(|| {
        tracing::info!(
            http.status = status.as_u16(),
            http.route = %route,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request finished"
        )
    });
    Ok(response)
}

/// Turn every error below into a problem document (so the layers above see
/// a response with its final status).
pub async fn problems<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    Ok(match next.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => problem_from_error(err),
    })
}

/// Refuse bodies over `max` bytes: at once when `Content-Length` says so,
/// and while reading when a chunked body runs over.
pub async fn limit_body<E: Endpoint>(
    max: usize,
    next: E,
    mut req: Request,
) -> poem::Result<Response> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than the limit of {max} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(len) if len > max => return Ok(problem_response(&too_large())),
        Some(_) => {}
        None => {
            let mut seen = 0usize;
            let limited = req.take_body().into_bytes_stream().map(move |chunk| {
                let chunk = chunk?;
                seen += chunk.len();
                if seen > max {
                    return Err(std::io::Error::other(format!(
                        "the request body is larger than the limit of {max} bytes"
                    )));
                }
                Ok(chunk)
            });
            req.set_body(Body::from_bytes_stream(limited));
        }
    }
    Ok(next.call(req).await?.into_response())
}
