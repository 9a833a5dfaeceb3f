//! tracing set-up: JSON lines when stdout is not a terminal (or when asked),
//! readable text on a terminal. The request span's fields (request id,
//! tenant) are on every line written while serving that request.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    // A second init (tests start several servers) keeps the first.
    if json {
        let _ = tracing::subscriber::set_global_default(json_subscriber(std::io::stdout));
    } else {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter())
            .try_init();
    }
}

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tantivy=warn,poem=warn"))
}

/// JSON lines, one object per event, with the fields of the span the event
/// happened in (the request's id and tenant) on every line.
pub fn json_subscriber<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
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
