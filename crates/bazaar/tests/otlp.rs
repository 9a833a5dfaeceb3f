//! Trace export: with `otlp_endpoint` configured, the request spans of a
//! running server reach an OTLP/HTTP collector (here a local stand-in), a
//! request with a W3C `traceparent` continuing the caller's trace and one
//! without starting its own. Its own test binary: the subscriber and the
//! exporter are set up once per process.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bazaar::config::Config;
use bazaar::{logging, runtime};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use poem::Request;
use poem::listener::{Acceptor, Listener, TcpListener};
use prost::Message;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";

/// What the collector was sent: method, path, content type, body.
type Received = Arc<Mutex<Vec<(String, String, String, Vec<u8>)>>>;

/// A collector that accepts anything and keeps it.
async fn collector() -> (String, Received) {
    let received = Received::default();
    let keep = received.clone();
    let endpoint = poem::endpoint::make(move |req: Request| {
        let keep = keep.clone();
        async move {
            let method = req.method().to_string();
            let path = req.uri().path().to_owned();
            let content_type = req.content_type().unwrap_or_default().to_owned();
            let body = req.into_body().into_vec().await.unwrap_or_default();
            keep.lock()
                .expect("lock")
                .push((method, path, content_type, body));
            ""
        }
    });
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("collector listens");
    let addr = *acceptor.local_addr()[0]
        .as_socket_addr()
        .expect("socket address");
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(endpoint));
    (format!("http://{addr}"), received)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .map(|value| match value {
            Value::StringValue(s) => s.clone(),
            Value::IntValue(i) => i.to_string(),
            other => format!("{other:?}"),
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_spans_are_exported_and_continue_the_callers_trace() {
    let (collector, received) = collector().await;
    let regions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../regions");
    let env = [
        ("BAZAAR_OTLP_ENDPOINT", collector.clone()),
        ("BAZAAR_OTLP_SERVICE_NAME", "bazaar-otlp-test".to_owned()),
        // Never connected to: /healthz does not touch the database.
        (
            "BAZAAR_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none".to_owned(),
        ),
        (
            "BAZAAR_PLATFORM_KEY",
            "otlp-test-platform-key-0123456789".to_owned(),
        ),
        ("BAZAAR_REGIONS_DIR", regions.display().to_string()),
        ("BAZAAR_SEARCH", "false".to_owned()),
        ("BAZAAR_LOG_FORMAT", "json".to_owned()),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    let config = Config::load(Some(Path::new("/dev/null")), env, &[]).expect("config");
    logging::init(&config).expect("trace export set up");

    let db = bazaar_store::Db::new(&bazaar_store::DbConfig {
        primary_url: config.database_url.clone().expect("set above"),
        replica_urls: Vec::new(),
        max_connections: 1,
        acquire_timeout: Duration::from_millis(100),
        replica_max_lag: Duration::from_secs(30),
    });
    let key = config.platform_key.clone().expect("set above");
    let state = runtime::state(&config, db, &key).expect("state");
    let server = runtime::RunningServer::start(
        state,
        "127.0.0.1:0".parse().expect("addr"),
        Duration::from_secs(5),
    )
    .await
    .expect("server starts");
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::new();
    let continued = client
        .get(format!("{base}/healthz"))
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01"))
        .header("x-request-id", "otlp-continued")
        .send()
        .await
        .expect("sent");
    assert_eq!(continued.status(), 200);
    let fresh = client
        .get(format!("{base}/healthz"))
        .header("x-request-id", "otlp-fresh")
        .send()
        .await
        .expect("sent");
    assert_eq!(fresh.status(), 200);
    server.shutdown().await.expect("server stops");
    // Sends what the batch processor still holds.
    logging::shutdown().await;

    let received = received.lock().expect("lock").clone();
    assert!(!received.is_empty(), "nothing reached the collector");
    let mut spans = Vec::new();
    for (method, path, content_type, body) in &received {
        assert_eq!(
            (method.as_str(), path.as_str()),
            ("POST", "/v1/traces"),
            "OTLP/HTTP traces path"
        );
        assert_eq!(content_type, "application/x-protobuf");
        let export = ExportTraceServiceRequest::decode(body.as_slice()).expect("OTLP protobuf");
        for resource in export.resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| kv.value.as_ref()?.value.clone());
            assert_eq!(service, Some(Value::StringValue("bazaar-otlp-test".into())));
            spans.extend(resource.scope_spans.into_iter().flat_map(|s| s.spans));
        }
    }
    // The incoming trace id is in an export, as its raw 16 bytes.
    let raw_id: Vec<u8> = (0..TRACE_ID.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&TRACE_ID[i..i + 2], 16).expect("hex"))
        .collect();
    assert!(
        received
            .iter()
            .any(|(.., body)| body.windows(raw_id.len()).any(|w| w == raw_id)),
        "no export carries the trace id"
    );
    let request = |id: &str| {
        spans
            .iter()
            .find(|s| attribute(s, "request_id").as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no span for request {id} in {spans:#?}"))
    };
    let continued = request("otlp-continued");
    assert_eq!(continued.name, "GET /healthz");
    assert_eq!(hex(&continued.trace_id), TRACE_ID, "the caller's trace");
    assert_eq!(hex(&continued.parent_span_id), CALLER_SPAN_ID);
    assert_eq!(
        attribute(continued, "http.route").as_deref(),
        Some("/healthz")
    );
    assert_eq!(
        attribute(continued, "http.response.status_code").as_deref(),
        Some("200")
    );
    let fresh = request("otlp-fresh");
    assert!(fresh.parent_span_id.is_empty(), "a root span: {fresh:?}");
    assert_ne!(hex(&fresh.trace_id), TRACE_ID, "a trace of its own");
    assert_eq!(fresh.trace_id.len(), 16);
}
