//! The one error type of the API and the one body every error has: an
//! RFC 9457 problem document with a stable `code`.
//!
//! Handler errors are [`ApiError`], which is also an `ApiResponse`, so every
//! status a handler can answer with is in the OpenAPI document. Errors raised
//! before a handler runs (malformed JSON, bad parameters, a missing key, an
//! unknown route, an oversized body) are turned into the same shape by
//! [`problem_from_error`], which the app installs around every route.

use std::collections::BTreeMap;

use bazaar_commerce::carts::CartRefusal;
use bazaar_commerce::regions::RegionRefusal;
use bazaar_commerce::sessions::SessionRefusal;
use bazaar_commerce::{AccessRefusal, Failure, Kind, Refusal};
use bazaar_domain::DomainError;
use bazaar_store::StoreError;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

use crate::problem_types;

/// A problem document (RFC 9457) with a stable, machine-readable `code`.
#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct Problem {
    /// The problem type: `/v1/problems/{code}`, a URI reference (resolved
    /// against the API's address) to the catalog entry that says what
    /// `code` means.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the problem type, the same for every problem
    /// with this `code`.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in words a person can act on.
    pub detail: String,
    /// A stable code for programs to branch on, e.g. `brand_not_found`.
    pub code: String,
    /// The values `detail` is made of, by name, so a program need not
    /// parse the prose: `{"sku": "TEE-M", "available": 2, "wanted": 3}` for
    /// `out_of_stock`, `{"rule": ..., "region": ...}` for a region's rule.
    /// Absent when there are none.
    #[oai(default, skip_serializing_if_is_empty)]
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, serde_json::Value>,
}

/// Every error the API answers with.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed or a value in it is invalid.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No API key, or one that is unknown or revoked.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// The key is valid but may not do this (scope, or a suspended tenant).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such object visible to this key.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The request conflicts with the current state (a taken slug, an
    /// illegal transition).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The request body is larger than the configured limit.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The request is well-formed but its values are not acceptable.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Too many attempts (logins, for one account or from one address);
    /// `Retry-After` says how many seconds until the next is accepted.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] u64),
    /// The service is briefly unable to answer (the database is busy,
    /// restarting or unreachable); retry after `Retry-After` seconds.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>, #[oai(header = "Retry-After")] u64),
    /// A bug: the service failed unexpectedly. The detail is generic; the
    /// request id leads to the log line with the cause.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
}

pub type ApiResult<T> = Result<T, ApiError>;

/// How long a client is asked to wait after a 503: a database restart or
/// failover takes seconds.
pub const RETRY_UNAVAILABLE_SECONDS: u64 = 2;

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        let problem = Json(problem(status, code, detail.into()));
        match status.as_u16() {
            400 => ApiError::BadRequest(problem),
            401 => ApiError::Unauthorized(problem),
            403 => ApiError::Forbidden(problem),
            404 => ApiError::NotFound(problem),
            409 => ApiError::Conflict(problem),
            413 => ApiError::PayloadTooLarge(problem),
            422 => ApiError::Unprocessable(problem),
            429 => ApiError::TooManyRequests(problem, 1),
            503 => ApiError::Unavailable(problem, RETRY_UNAVAILABLE_SECONDS),
            _ => ApiError::Internal(problem),
        }
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn not_found(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, detail)
    }

    pub fn conflict(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn unprocessable(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// 429: come back in `retry_after` seconds.
    pub fn too_many(code: &str, detail: impl Into<String>, retry_after: u64) -> Self {
        let problem = Json(problem(StatusCode::TOO_MANY_REQUESTS, code, detail.into()));
        ApiError::TooManyRequests(problem, retry_after.max(1))
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server failed unexpectedly; quote the X-Request-Id header when reporting it",
        )
    }

    /// The problem document for a use case's refusal.
    pub fn refused(refusal: &dyn Refusal) -> Self {
        let (code, detail) = (refusal.code(), refusal.to_string());
        let mut error = match refusal.kind() {
            Kind::Invalid => Self::bad_request(code, detail),
            Kind::Unauthenticated => Self::unauthorized(code, detail),
            Kind::Forbidden => Self::forbidden(code, detail),
            Kind::NotFound => Self::not_found(code, detail),
            Kind::Conflict => Self::conflict(code, detail),
            Kind::Unprocessable => Self::unprocessable(code, detail),
            Kind::TooMany { retry_after } => Self::too_many(code, detail, retry_after),
            Kind::Unavailable => Self::new(StatusCode::SERVICE_UNAVAILABLE, code, detail),
        };
        error.problem_mut().details = refusal.details().into_iter().collect();
        error
    }

    /// Add values to the problem's `details`.
    pub fn set_details(&mut self, details: impl IntoIterator<Item = (String, serde_json::Value)>) {
        self.problem_mut().details.extend(details);
    }

    fn problem_mut(&mut self) -> &mut Problem {
        match self {
            ApiError::BadRequest(p)
            | ApiError::Unauthorized(p)
            | ApiError::Forbidden(p)
            | ApiError::NotFound(p)
            | ApiError::Conflict(p)
            | ApiError::PayloadTooLarge(p)
            | ApiError::Unprocessable(p)
            | ApiError::TooManyRequests(p, _)
            | ApiError::Unavailable(p, _)
            | ApiError::Internal(p) => &mut p.0,
        }
    }

    /// The problem document inside.
    pub fn problem(&self) -> &Problem {
        match self {
            ApiError::BadRequest(p)
            | ApiError::Unauthorized(p)
            | ApiError::Forbidden(p)
            | ApiError::NotFound(p)
            | ApiError::Conflict(p)
            | ApiError::PayloadTooLarge(p)
            | ApiError::Unprocessable(p)
            | ApiError::TooManyRequests(p, _)
            | ApiError::Unavailable(p, _)
            | ApiError::Internal(p) => &p.0,
        }
    }
}

/// Every use case's refusal becomes a problem document here, and only here.
impl<R: Refusal> From<Failure<R>> for ApiError {
    fn from(failure: Failure<R>) -> Self {
        match failure {
            Failure::Refused(refusal) => Self::refused(&refusal),
            Failure::Store(err) => Self::from(err),
            Failure::Internal(cause) => Self::internal(cause),
        }
    }
}

/// A refusal returned bare (not inside a [`Failure`]) converts too.
macro_rules! refusals_convert {
    ($($refusal:ty),* $(,)?) => {
        $(impl From<$refusal> for ApiError {
            fn from(refusal: $refusal) -> Self {
                Self::refused(&refusal)
            }
        })*
    };
}

refusals_convert!(AccessRefusal, CartRefusal, RegionRefusal, SessionRefusal);

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        Self::refused(&err)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::not_found("not_found", "no such object"),
            StoreError::Conflict { constraint } => Self::conflict(
                "conflict",
                format!("conflicts with an existing object ({constraint})"),
            ),
            StoreError::PoolTimeout => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_busy",
                "the database is busy; retry in a moment",
            ),
            StoreError::OutOfRange(cause) => Self::unprocessable(
                "value_out_of_range",
                format!("a value is too large for what it counts or measures ({cause})"),
            ),
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "the database cannot be reached; retry in a moment",
                )
            }
            other => Self::internal(other),
        }
    }
}

fn problem(status: StatusCode, code: &str, detail: String) -> Problem {
    let known = problem_types::catalog().get(code);
    debug_assert!(
        known.is_some(),
        "problem code `{code}` is not in the problem catalog (problem_types)"
    );
    let (kind, title) = match known {
        Some(entry) => (problem_types::type_uri(code), entry.title()),
        None => (
            "about:blank".to_owned(),
            status.canonical_reason().unwrap_or("Error").to_owned(),
        ),
    };
    Problem {
        kind,
        title,
        status: status.as_u16(),
        detail,
        code: code.to_owned(),
        details: BTreeMap::new(),
    }
}

/// The problem document for an error raised outside a handler (or a
/// handler's own error, already rendered), keeping the route's path pattern
/// for metrics.
pub fn problem_from_error(err: poem::Error) -> poem::Response {
    use poem_openapi::error::{
        AuthorizationError, ContentTypeError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    };

    let pattern = err.data::<poem::PathPattern>().cloned();
    let api_error = if err.is_from_response() {
        // A handler's ApiError, already rendered as a problem document.
        let mut response = err.into_response();
        if let Some(pattern) = pattern {
            response.set_data(pattern);
        }
        return response;
    } else if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        ApiError::bad_request(
            "invalid_body",
            format!("the request body is invalid: {}", e.reason),
        )
    } else if let Some(e) = err.downcast_ref::<ParseParamError>()
        && e.name.eq_ignore_ascii_case("X-Customer-Token")
    {
        // A missing credential is 401, as a missing cart token is.
        ApiError::unauthorized(
            "session_required",
            "send the signed-in shopper's session token as `X-Customer-Token`",
        )
    } else if let Some(e) = err.downcast_ref::<ParseParamError>() {
        ApiError::bad_request(
            "invalid_parameter",
            format!("parameter `{}` is invalid: {}", e.name, e.reason),
        )
    } else if let Some(e) = err.downcast_ref::<ParsePathError>() {
        // poem-openapi names path parameters `param0`, `param1`... in its
        // errors, which would mean nothing to the caller; the reason does.
        ApiError::bad_request(
            "invalid_parameter",
            format!("a value in the URL path is invalid: {}", e.reason),
        )
    } else if let Some(e) = err.downcast_ref::<ContentTypeError>() {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("{e}; send `Content-Type: application/json`"),
        )
    } else if err.downcast_ref::<AuthorizationError>().is_some() {
        ApiError::unauthorized(
            "missing_api_key",
            "send an API key as `Authorization: Bearer <key>`",
        )
    } else {
        match err.status() {
            StatusCode::NOT_FOUND => ApiError::not_found(
                "route_not_found",
                "no such endpoint; the API reference is at /docs",
            ),
            StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not accept that HTTP method; see /docs",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                err.to_string(),
            ),
            status if status.is_client_error() => {
                ApiError::new(status, "bad_request", err.to_string())
            }
            _ => ApiError::internal(&err),
        }
    };
    let mut response = problem_response(&api_error);
    if let Some(pattern) = pattern {
        response.set_data(pattern);
    }
    response
}

/// Render an error as a response with the problem content type, whatever
/// its status (including ones outside the declared enum, like 405 and 415).
pub fn problem_response(err: &ApiError) -> poem::Response {
    let problem = err.problem();
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = poem::Response::builder()
        .status(StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .content_type("application/problem+json");
    match err {
        ApiError::TooManyRequests(_, after) | ApiError::Unavailable(_, after) => {
            response = response.header("Retry-After", after.to_string());
        }
        _ => {}
    }
    response.body(body)
}
