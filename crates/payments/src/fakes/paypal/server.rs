//! The HTTP side: which call a request is, tokens, faults, and the answer.

use poem::http::{Method, StatusCode};
use poem::web::headers::authorization::Basic;
use poem::web::headers::{Authorization as AuthorizationHeader, HeaderMapExt};
use poem::{Request, Response};
use serde_json::Value;

use super::wire::{internal_error, invalid, not_found, unauthorized};
use super::{Call, Fault, Op, Refusal, Shared};

pub(super) async fn serve(shared: &Shared, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let Some((op, id)) = route(&method, &path) else {
        let Refusal(status, body) = not_found();
        return respond(status, Some(body));
    };
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let request_id = header("paypal-request-id");
    let representation = header("prefer").is_some_and(|p| p.contains("return=representation"));
    let bearer = header("authorization").and_then(|a| a.strip_prefix("Bearer ").map(str::to_owned));
    let basic = req
        .headers()
        .typed_get::<AuthorizationHeader<Basic>>()
        .is_some_and(|a| a.username() == shared.client_id && a.password() == shared.client_secret);
    let bytes = req.into_body().into_bytes().await.unwrap_or_default();

    let (status, body, delay) = {
        let mut state = shared.lock();
        *state.calls.entry(op).or_default() += 1;
        let mut call = Call {
            op,
            id,
            path,
            request_id,
            representation,
            body: Value::Null,
        };
        if op != Op::Token {
            if !state.authorized(bearer.as_deref()) {
                state.rejected_tokens += 1;
                return respond(401, Some(unauthorized()));
            }
            if !bytes.is_empty() {
                match serde_json::from_slice(&bytes) {
                    Ok(body) => call.body = body,
                    Err(_) => {
                        let Refusal(status, body) =
                            invalid("MALFORMED_REQUEST_JSON", "The body is not valid JSON.");
                        return respond(status, Some(body));
                    }
                }
            }
        }
        let fault = state.take_fault(op);
        if let Some(Fault::Before) = fault {
            return respond(500, Some(internal_error()));
        }
        let (status, body) = if op == Op::Token {
            let (status, body) = state.token(basic, &bytes);
            (status, Some(body))
        } else {
            state.handle(call)
        };
        match fault {
            Some(Fault::After) => (500, Some(internal_error()), None),
            Some(Fault::Hang(delay)) => (status, body, Some(delay)),
            _ => (status, body, None),
        }
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    respond(status, body)
}

/// The call a method and path name, with the resource id in the path.
fn route(method: &Method, path: &str) -> Option<(Op, String)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let op = match (method.as_str(), parts.as_slice()) {
        ("POST", ["v1", "oauth2", "token"]) => Op::Token,
        ("POST", ["v2", "checkout", "orders"]) => Op::CreateOrder,
        ("GET", ["v2", "checkout", "orders", _]) => Op::GetOrder,
        ("PATCH", ["v2", "checkout", "orders", _]) => Op::PatchOrder,
        ("POST", ["v2", "checkout", "orders", _, "capture"]) => Op::CaptureOrder,
        ("POST", ["v2", "checkout", "orders", _, "authorize"]) => Op::AuthorizeOrder,
        ("GET", ["v2", "payments", "authorizations", _]) => Op::GetAuthorization,
        ("POST", ["v2", "payments", "authorizations", _, "capture"]) => Op::CaptureAuthorization,
        ("POST", ["v2", "payments", "authorizations", _, "void"]) => Op::VoidAuthorization,
        ("GET", ["v2", "payments", "captures", _]) => Op::GetCapture,
        ("POST", ["v2", "payments", "captures", _, "refund"]) => Op::RefundCapture,
        ("GET", ["v2", "payments", "refunds", _]) => Op::GetRefund,
        _ => return None,
    };
    let id = parts.get(3).map_or_else(String::new, |s| (*s).to_owned());
    Some((op, id))
}

fn respond(status: u16, body: Option<Value>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match body {
        Some(body) => Response::builder()
            .status(status)
            .content_type("application/json")
            .body(body.to_string()),
        None => Response::builder().status(status).finish(),
    }
}
