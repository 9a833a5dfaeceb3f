//! The fake's HTTP side: routes, the secret key, form bodies, the
//! idempotency layer in front of every change, and the armed faults.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Endpoint, EndpointExt, Request, Response, Route, get, handler, post};
use serde_json::{Value, json};

use super::ledger::Intent;
use super::request::{Answer, Op, Params, param};
use super::{Fault, KeyMisuse, Keyed, SeenRequest, Shared, State, search};

pub(super) fn routes(shared: Arc<Shared>) -> impl Endpoint {
    Route::new()
        .at("/v1/payment_intents", post(create))
        .at("/v1/payment_intents/search", get(search_intents))
        .at("/v1/payment_intents/:id", get(retrieve))
        .at("/v1/payment_intents/:id/capture", post(capture))
        .at("/v1/payment_intents/:id/cancel", post(cancel))
        .at("/v1/refunds", post(refund))
        .at("/v1/refunds/:id", get(retrieve_refund))
        .at("/fake/three_d_secure/:id", get(three_d_secure))
        .data(shared)
}

#[handler]
async fn create(req: &Request, body: Vec<u8>, shared: Data<&Arc<Shared>>) -> Response {
    change(&shared, req, &body, Op::Create).await
}

#[handler]
async fn capture(
    req: &Request,
    Path(id): Path<String>,
    body: Vec<u8>,
    shared: Data<&Arc<Shared>>,
) -> Response {
    change(&shared, req, &body, Op::Capture(id)).await
}

#[handler]
async fn cancel(
    req: &Request,
    Path(id): Path<String>,
    body: Vec<u8>,
    shared: Data<&Arc<Shared>>,
) -> Response {
    change(&shared, req, &body, Op::Cancel(id)).await
}

#[handler]
async fn refund(req: &Request, body: Vec<u8>, shared: Data<&Arc<Shared>>) -> Response {
    change(&shared, req, &body, Op::Refund).await
}

#[handler]
async fn retrieve(req: &Request, Path(id): Path<String>, shared: Data<&Arc<Shared>>) -> Response {
    read(&shared, req, |state, _| {
        state.ledger.intents.get(&id).map_or_else(
            || Answer::missing("payment_intent", &id, "intent"),
            |i| Answer::ok(i.json()),
        )
    })
    .await
}

#[handler]
async fn retrieve_refund(
    req: &Request,
    Path(id): Path<String>,
    shared: Data<&Arc<Shared>>,
) -> Response {
    read(&shared, req, |state, _| {
        state.ledger.refunds.get(&id).map_or_else(
            || Answer::missing("refund", &id, "refund"),
            |r| Answer::ok(r.json()),
        )
    })
    .await
}

#[handler]
async fn search_intents(req: &Request, shared: Data<&Arc<Shared>>) -> Response {
    read(&shared, req, |state, params| {
        let Some(query) = param(params, "query") else {
            return Answer::invalid(
                "parameter_missing",
                "query",
                "Missing required param: query.".to_owned(),
            );
        };
        let limit = match param(params, "limit").map(str::parse::<usize>) {
            None => 10,
            Some(Ok(n)) if (1..=100).contains(&n) => n,
            Some(_) => {
                return Answer::invalid(
                    "parameter_invalid_integer",
                    "limit",
                    "limit must be between 1 and 100.".to_owned(),
                );
            }
        };
        let clauses = match search::parse(query) {
            Ok(clauses) => clauses,
            Err(why) => return Answer::invalid("parameter_invalid_string", "query", why),
        };
        let now = std::time::Instant::now();
        // Newest first; an intent the index has not caught up with yet is
        // not there at all.
        let found: Vec<&Intent> = state
            .ledger
            .intents
            .values()
            .rev()
            .filter(|i| i.searchable_at <= now && clauses.iter().all(|c| c.matches(i)))
            .collect();
        Answer::ok(json!({
            "object": "search_result",
            "url": "/v1/payment_intents/search",
            "has_more": found.len() > limit,
            "next_page": null,
            "data": found.iter().take(limit).map(|i| i.json()).collect::<Vec<Value>>(),
        }))
    })
    .await
}

/// The page a shopper is sent to for the challenge, so an end-to-end test
/// can pass (`?passed=true`) or fail it over HTTP.
#[handler]
async fn three_d_secure(
    req: &Request,
    Path(id): Path<String>,
    shared: Data<&Arc<Shared>>,
) -> Response {
    let passed = req.uri().query().is_some_and(|q| q.contains("passed=true"));
    if shared.lock().ledger.complete_action(&id, passed) {
        Response::builder().body("challenge completed")
    } else {
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body("no payment waits for this challenge")
    }
}

fn api_error() -> Answer {
    Answer::error(
        500,
        "api_error",
        None,
        "An unknown error occurred (the fake was told to fail).".to_owned(),
    )
}

fn authorized(shared: &Shared, req: &Request) -> Result<(), Answer> {
    let unauthorized = |message: String| Answer::error(401, "invalid_request_error", None, message);
    match req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
    {
        Some(key) if key == shared.secret_key => Ok(()),
        Some(key) => {
            let tail = key
                .get(key.len().saturating_sub(4)..)
                .unwrap_or_default();
            Err(unauthorized(format!(
                "Invalid API Key provided: sk_test_****{tail}"
            )))
        }
        None => Err(unauthorized(
            "You did not provide an API key. Provide it in the Authorization header, using Bearer auth."
                .to_owned(),
        )),
    }
}

/// `application/x-www-form-urlencoded` pairs, in order.
fn decode(raw: &[u8]) -> Option<Params> {
    fn unescape(s: &str) -> Option<String> {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).ok()
    }
    std::str::from_utf8(raw)
        .ok()?
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((unescape(k)?, unescape(v)?))
        })
        .collect()
}

fn form(req: &Request, body: &[u8]) -> Result<Params, Answer> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let form_encoded = req
        .header("content-type")
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return Err(Answer::error(
            400,
            "invalid_request_error",
            None,
            "Send parameters form-encoded (application/x-www-form-urlencoded).".to_owned(),
        ));
    }
    decode(body).ok_or_else(|| {
        Answer::error(
            400,
            "invalid_request_error",
            None,
            "The body is not valid form encoding.".to_owned(),
        )
    })
}

/// What Stripe compares a key's reuse by: the endpoint and the
/// parameters, in any order.
fn fingerprint(path: &str, params: &Params) -> String {
    let mut sorted = params.clone();
    sorted.sort();
    format!("{path}?{sorted:?}")
}

fn respond(answer: &Answer, replayed: bool) -> Response {
    let mut response = Response::builder()
        .status(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .content_type("application/json")
        .header("request-id", "req_fake");
    if replayed {
        response = response.header("idempotent-replayed", "true");
    }
    response.body(answer.body.to_string())
}

/// A body that fails as soon as it is read: the server gives up on the
/// connection mid-response.
struct Broken;

impl tokio::io::AsyncRead for Broken {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Poll::Ready(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "the fake stripe dropped the connection",
        )))
    }
}

/// Record the request, then deliver its answer as the fault says.
async fn finish(
    shared: &Shared,
    mut seen: SeenRequest,
    answer: &Answer,
    replayed: bool,
    fault: Option<Fault>,
) -> Response {
    seen.status = answer.status;
    seen.replayed = replayed;
    seen.fault = fault.clone();
    shared.lock().log.push(seen);
    match fault {
        Some(Fault::Hang(delay)) => {
            tokio::time::sleep(delay).await;
            respond(answer, replayed)
        }
        Some(Fault::DropConnection) => Response::builder()
            .content_type("application/json")
            .body(Body::from_async_read(Broken)),
        _ => respond(answer, replayed),
    }
}

fn seen(req: &Request) -> SeenRequest {
    SeenRequest {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        idempotency_key: req.header("idempotency-key").map(str::to_owned),
        params: Vec::new(),
        status: 0,
        replayed: false,
        fault: None,
    }
}

/// A POST: authenticated, through the idempotency layer, then done.
async fn change(shared: &Arc<Shared>, req: &Request, body: &[u8], op: Op) -> Response {
    let mut seen = seen(req);
    let key = seen.idempotency_key.clone();
    let params = match authorized(shared, req).and_then(|()| form(req, body)) {
        Ok(params) => params,
        Err(answer) => return finish(shared, seen, &answer, false, None).await,
    };
    seen.params = params.clone();
    let fault = shared.lock().take_fault(true, key.as_deref());
    if fault == Some(Fault::FailBefore) {
        return finish(shared, seen, &api_error(), false, fault).await;
    }
    let fingerprint = fingerprint(&seen.path, &params);
    let refused = {
        let mut state = shared.lock();
        match reserve(
            &mut state,
            key.as_deref(),
            &fingerprint,
            &seen.path,
            &op,
            &params,
        ) {
            Ok(()) => None,
            Err((answer, replayed)) => Some((answer, replayed)),
        }
    };
    if let Some((answer, replayed)) = refused {
        return finish(shared, seen, &answer, replayed, fault).await;
    }
    // Run to the end even if the client gives up waiting, as Stripe does:
    // a request stopped half-way would leave its key reserved for ever.
    let work = {
        let shared = shared.clone();
        let stall = match &fault {
            Some(Fault::Stall(delay)) => Some(*delay),
            _ => None,
        };
        let fail = fault == Some(Fault::FailAfterChange);
        tokio::spawn(async move {
            if let Some(delay) = stall {
                tokio::time::sleep(delay).await;
            }
            let mut state = shared.lock();
            let lag = state.search_lag;
            let mut answer = state.ledger.execute(&op, &params, &shared.base_url, lag);
            if fail {
                answer = api_error();
            }
            if let Some(key) = key {
                state.keys.insert(
                    key,
                    Keyed::Done {
                        fingerprint,
                        answer: answer.clone(),
                    },
                );
            }
            answer
        })
    };
    let answer = work.await.unwrap_or_else(|_| api_error());
    finish(shared, seen, &answer, false, fault).await
}

/// Stripe's idempotency layer: a saved answer replayed (`Err((answer,
/// true))`), a misuse or a concurrent use refused, a request that fails
/// validation refused without reserving the key; otherwise the key is
/// reserved for this request.
fn reserve(
    state: &mut State,
    key: Option<&str>,
    fingerprint: &str,
    path: &str,
    op: &Op,
    params: &Params,
) -> Result<(), (Answer, bool)> {
    if let Some(key) = key {
        let same = match state.keys.get(key) {
            None => None,
            Some(Keyed::InFlight { fingerprint: f }) => Some((f == fingerprint, None)),
            Some(Keyed::Done {
                fingerprint: f,
                answer,
            }) => Some((f == fingerprint, Some(answer.clone()))),
        };
        match same {
            None => {}
            Some((true, Some(saved))) => return Err((saved, true)),
            Some((true, None)) => {
                return Err((
                    Answer::error(
                        409,
                        "idempotency_error",
                        Some("idempotency_key_in_use"),
                        "There is currently another in-progress request using this Idempotency Key. Try again later."
                            .to_owned(),
                    ),
                    false,
                ));
            }
            Some((false, _)) => {
                state.misuses.push(KeyMisuse {
                    key: key.to_owned(),
                    path: path.to_owned(),
                });
                return Err((
                    Answer::error(
                        400,
                        "idempotency_error",
                        None,
                        format!(
                            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
                        ),
                    ),
                    false,
                ));
            }
        }
    }
    op.validate(params).map_err(|answer| (answer, false))?;
    if let Some(key) = key {
        state.keys.insert(
            key.to_owned(),
            Keyed::InFlight {
                fingerprint: fingerprint.to_owned(),
            },
        );
    }
    Ok(())
}

/// A GET: authenticated, answered from the books.
async fn read(
    shared: &Shared,
    req: &Request,
    answer: impl FnOnce(&State, &Params) -> Answer,
) -> Response {
    let mut seen = seen(req);
    if let Err(refused) = authorized(shared, req) {
        return finish(shared, seen, &refused, false, None).await;
    }
    let Some(params) = decode(req.uri().query().unwrap_or_default().as_bytes()) else {
        let refused = Answer::error(
            400,
            "invalid_request_error",
            None,
            "The query string is not valid form encoding.".to_owned(),
        );
        return finish(shared, seen, &refused, false, None).await;
    };
    seen.params = params.clone();
    let fault = shared.lock().take_fault(false, None);
    let answer = match fault {
        // Nothing to change on a read: any failure is a plain 500.
        Some(Fault::FailBefore | Fault::FailAfterChange) => api_error(),
        _ => answer(&shared.lock(), &params),
    };
    finish(shared, seen, &answer, false, fault).await
}
