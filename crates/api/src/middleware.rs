//! What wraps every request: a request id and tracing span (continuing the
//! caller's W3C trace when trace export is configured), metrics, the body
//! size limit, and the conversion of every error into a problem document.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use opentelemetry::KeyValue;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::{Status, TraceContextExt};
use poem::http::{HeaderMap, HeaderValue, Method, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::conformance::{RequestSchemas, has_encoded_nul};
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
///
/// The span is a root: with trace export configured it is the request's
/// span in the exported trace, continuing the caller's trace when the
/// request carries a `traceparent` header.
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
        parent: None,
        "request",
        request_id = %id,
        http.method = %method,
        http.path = %path,
        tenant.slug = tracing::field::Empty,
        auth.scope = tracing::field::Empty,
    );
    continue_trace(&span, req.headers());
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
    finish_trace(&span, &method, &route, status);
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

/// With a W3C `traceparent` header, make the request span a child of the
/// caller's span so the trace continues across nodes. The propagator is
/// the process's (set when trace export is configured; a no-op otherwise),
/// and a request without the header costs nothing.
fn continue_trace(span: &tracing::Span, headers: &HeaderMap) {
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(headers))
    });
    // Without an OpenTelemetry layer there is nothing to attach it to.
    let _ = span.set_parent(parent);
}

/// Name the exported span after the route (`GET /v1/brands/:param0`) and give
/// it the route and status; 5xx marks it failed. Nothing when the span is
/// not exported.
fn finish_trace(span: &tracing::Span, method: &str, route: &str, status: StatusCode) {
    let cx = span.context();
    let otel = cx.span();
    if !otel.span_context().is_valid() {
        return;
    }
    otel.update_name(format!("{method} {route}"));
    otel.set_attribute(KeyValue::new("http.route", route.to_owned()));
    otel.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status.as_u16()),
    ));
    if status.is_server_error() {
        otel.set_status(Status::error(status.to_string()));
    }
}

struct HeaderExtractor<'h>(&'h HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Turn every error below into a problem document (so the layers above see
/// a response with its final status); a 405 lists the methods the path has
/// in the document (RFC 9110 `Allow`).
pub async fn problems<E: Endpoint>(
    schemas: Arc<RequestSchemas>,
    next: E,
    req: Request,
) -> poem::Result<Response> {
    // A refcount, not a copy: kept for a 405's `Allow`.
    let uri = req.uri().clone();
    let mut response = match next.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => problem_from_error(err),
    };
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = schemas.allowed_methods(uri.path());
        let list: Vec<&str> = allowed.iter().map(Method::as_str).collect();
        if let Ok(value) = HeaderValue::from_str(&list.join(", ")) {
            response
                .headers_mut()
                .insert(poem::http::header::ALLOW, value);
        }
    }
    Ok(response)
}

/// Read the body here, up to `max` bytes, whether its length was declared
/// or not (a chunked body too): a larger one is 413 before any handler
/// runs, instead of surfacing as a parse error mid-read.
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
    if declared.is_some_and(|len| len > max) {
        return Ok(problem_response(&too_large()));
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    let mut stream = req.take_body().into_bytes_stream();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Ok(problem_response(&ApiError::bad_request(
                "invalid_body",
                "the request body could not be read to its end",
            )));
        };
        if body.len() + chunk.len() > max {
            return Ok(problem_response(&too_large()));
        }
        body.extend_from_slice(&chunk);
    }
    req.set_body(Body::from_vec(body));
    Ok(next.call(req).await?.into_response())
}

/// Hold the request to the document (see [`crate::conformance`]): no NUL
/// in the URL or any body, and a JSON body of the types its operation's
/// schema gives. Runs inside [`limit_body`], so the body is already read.
pub async fn conform<E: Endpoint>(
    schemas: Arc<RequestSchemas>,
    next: E,
    mut req: Request,
) -> poem::Result<Response> {
    let uri = req.uri();
    if has_encoded_nul(uri.path()) || uri.query().is_some_and(has_encoded_nul) {
        return Ok(problem_response(&ApiError::bad_request(
            "invalid_parameter",
            "the URL holds a NUL character (%00), which no value can contain",
        )));
    }
    let is_json = req
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .get(.."application/json".len())
                .is_some_and(|kind| kind.eq_ignore_ascii_case("application/json"))
        });
    let schema = is_json
        .then(|| schemas.schema_for(req.method(), req.uri().path()))
        .flatten();
    let body = req.take_body().into_bytes().await?;
    if let Some(schema) = schema {
        // A body that is not JSON at all is the parser's to refuse.
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body)
            && let Err(violation) = schemas.check(schema, &value)
        {
            return Ok(problem_response(&violation.into_error()));
        }
    } else if body.contains(&0) {
        return Ok(problem_response(&ApiError::bad_request(
            "invalid_body",
            "the request body holds a NUL byte, which text cannot contain",
        )));
    }
    req.set_body(body);
    Ok(next.call(req).await?.into_response())
}
