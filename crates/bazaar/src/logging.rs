//! tracing set-up: JSON lines when stdout is not a terminal (or when asked),
//! readable text on a terminal. The request span's fields (request id,
//! tenant) are on every line written while serving that request.
//!
//! With `otlp_endpoint` configured, spans are also exported as
//! OpenTelemetry traces: `tracing-opentelemetry` turns each span into an
//! OpenTelemetry span (the request span is the root, or continues the
//! caller's `traceparent`), the SDK's batch processor collects them on its
//! own thread, and `opentelemetry-otlp` sends them as protobuf over HTTP to
//! `<otlp_endpoint>/v1/traces`, through the reqwest client Bazaar already
//! has (no gRPC stack). The standard `OTEL_*` variables of the SDK still
//! apply (`OTEL_EXPORTER_OTLP_HEADERS` for a collector's credentials,
//! `OTEL_TRACES_SAMPLER`, `OTEL_BSP_*`). Unconfigured, the subscriber is
//! exactly the plain one: no layer, no exporter, no propagator.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{Config, LogFormat};

/// The trace exporter installed by [`init`], flushed by [`shutdown`].
static TRACER_PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Install the process's subscriber (a second call, as when tests start
/// several servers, keeps the first) and, with `otlp_endpoint` set, the
/// trace exporter. Call from inside the tokio runtime: the exporter sends
/// on it.
pub fn init(config: &Config) -> anyhow::Result<()> {
    let json = match config.log_format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let provider = match &config.otlp_endpoint {
        Some(endpoint) => Some(tracer_provider(endpoint, &config.otlp_service_name)?),
        None => None,
    };
    let installed = match (&provider, json) {
        (None, true) => {
            tracing::subscriber::set_global_default(json_subscriber(std::io::stdout)).is_ok()
        }
        (None, false) => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .try_init()
            .is_ok(),
        (Some(provider), true) => tracing::subscriber::set_global_default(
            json_subscriber(std::io::stdout).with(otel_layer(provider)),
        )
        .is_ok(),
        (Some(provider), false) => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .finish()
            .with(otel_layer(provider))
            .try_init()
            .is_ok(),
    };
    if let Some(provider) = provider {
        if installed && TRACER_PROVIDER.set(provider).is_ok() {
            opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
            tracing::info!(
                otlp.endpoint = config.otlp_endpoint.as_deref().unwrap_or_default(),
                service.name = %config.otlp_service_name,
                "exporting traces"
            );
        } else {
            tracing::warn!("a subscriber was already installed: traces are not exported");
        }
    }
    Ok(())
}

/// Export the spans still queued and stop the exporter. Waits 5 seconds
/// at most, so a collector that does not answer cannot hold up an exit.
/// Call once, before the process exits.
pub async fn shutdown() {
    let Some(provider) = TRACER_PROVIDER.get().cloned() else {
        return;
    };
    // Shutting down blocks until the batch is sent, and the sending runs
    // on this runtime: block a thread of the blocking pool, not a worker.
    match tokio::task::spawn_blocking(move || provider.shutdown()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::warn!(error = %err, "could not flush the trace exporter"),
        Err(err) => tracing::warn!(error = %err, "the trace exporter's shutdown panicked"),
    }
}

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tantivy=warn,poem=warn"))
}

/// JSON lines, one object per event, with the fields of the span the event
/// happened in (the request's id and tenant) on every line.
pub fn json_subscriber<W>(
    writer: W,
) -> impl tracing::Subscriber + for<'s> LookupSpan<'s> + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(writer)
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .finish()
}

fn otel_layer<S>(provider: &SdkTracerProvider) -> OpenTelemetryLayer<S, Tracer>
where
    S: tracing::Subscriber + for<'s> LookupSpan<'s>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("bazaar"))
}

/// Where OTLP/HTTP receivers take traces under a collector's base URL.
fn traces_url(endpoint: &str) -> String {
    let base = endpoint.trim_end_matches('/');
    if base.ends_with("/v1/traces") {
        base.to_owned()
    } else {
        format!("{base}/v1/traces")
    }
}

/// The SDK's tracer provider: batches on its own thread, exports OTLP
/// protobuf over HTTP to the collector at `endpoint`.
fn tracer_provider(endpoint: &str, service_name: &str) -> anyhow::Result<SdkTracerProvider> {
    let runtime = tokio::runtime::Handle::try_current()
        .context("trace export must be set up inside the tokio runtime")?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .context("cannot build the HTTP client for trace export")?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(traces_url(endpoint))
        .with_http_client(OtlpClient { client, runtime })
        .build()
        .context("cannot set up trace export (otlp_endpoint)")?;
    let resource = Resource::builder()
        .with_service_name(service_name.to_owned())
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// The exporter's HTTP client: reqwest, run on the application's runtime.
/// The batch processor exports from its own thread, outside any runtime,
/// where a reqwest future cannot run; it waits for a task spawned here
/// instead.
#[derive(Debug)]
struct OtlpClient {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

/// A collector's answer is a small status document; read no more.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

#[async_trait::async_trait]
impl HttpClient for OtlpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let client = self.client.clone();
        self.runtime
            .spawn(async move {
                let mut response = client.execute(request).await?;
                let status = response.status();
                let headers = std::mem::take(response.headers_mut());
                let mut body = Vec::new();
                while let Some(chunk) = response.chunk().await? {
                    if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err(HttpError::from("the collector's response is too large"));
                    }
                    body.extend_from_slice(&chunk);
                }
                let mut answer = Response::builder().status(status).body(Bytes::from(body))?;
                *answer.headers_mut() = headers;
                Ok(answer)
            })
            .await?
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use poem::{EndpointExt, IntoEndpoint};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_of_a_request_carries_its_request_id() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = super::json_subscriber(move || writer.clone());
        let metrics = Arc::new(bazaar_api::metrics::Metrics::default());
        let app = poem::endpoint::make(|_| async {
            tracing::info!(order.id = "o-1", "handling the request");
            "ok"
        })
        .into_endpoint()
        .around(move |ep, req| bazaar_api::middleware::observe(metrics.clone(), ep, req));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        tracing::subscriber::with_default(subscriber, || {
            runtime.block_on(async {
                let resp = poem::test::TestClient::new(app)
                    .get("/")
                    .header("x-request-id", "req-42")
                    .send()
                    .await;
                resp.assert_status_is_ok();
                resp.assert_header("x-request-id", "req-42");
            })
        });
        let text = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf8");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        for line in &lines {
            assert_eq!(line["span"]["request_id"], "req-42", "{line}");
        }
        assert_eq!(lines[0]["message"], "handling the request");
        assert_eq!(lines[1]["message"], "request finished");
        assert_eq!(lines[1]["http.status"], 200);
    }
}
