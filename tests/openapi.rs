//! The committed OpenAPI document is what the server serves, and it
//! documents every operation fully.

use std::path::Path;

use serde_json::Value;

use crate::support::{TestApp, e2e};

#[e2e]
async fn committed_document_matches_the_server() {
    let app = TestApp::start().await;
    let served = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .expect("spec");
    assert_eq!(served.status().as_u16(), 200);
    let served: Value = served.json().await.expect("json");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json");
    let committed = std::fs::read_to_string(&path).expect("openapi/openapi.json is committed");
    let committed: Value = serde_json::from_str(&committed).expect("committed document is JSON");
    assert!(
        committed == served,
        "openapi/openapi.json differs from the served document: run `cargo run -p bazaar -- openapi` and commit it"
    );
    app.stop().await;
}

#[e2e]
async fn every_operation_is_fully_documented() {
    let app = TestApp::start().await;
    let spec = bazaar_api::openapi_json(&app.state);
    let spec: Value = serde_json::from_str(&spec).expect("json");
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    let paths = spec["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            if method == "parameters" {
                continue;
            }
            operations += 1;
            let at = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{at}: summary"
            );
            assert!(op["operationId"].is_string(), "{at}: operationId");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{at}: tag"
            );
            assert!(
                op["security"].as_array().is_some_and(|s| !s.is_empty()),
                "{at}: security"
            );
            let responses = op["responses"].as_object().expect("responses");
            for status in ["400", "401", "403", "404", "503"] {
                let response = &responses[status];
                assert!(
                    response["content"]["application/problem+json"].is_object(),
                    "{at}: {status} problem document"
                );
            }
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{at}: a success response"
            );
            for param in op["parameters"].as_array().into_iter().flatten() {
                assert!(
                    param["description"].is_string() || param["in"] == "path",
                    "{at}: parameter {} has no description",
                    param["name"]
                );
            }
        }
    }
    assert!(operations >= 20, "found {operations} operations");
    app.stop().await;
}

#[e2e]
async fn docs_are_served_from_the_binary() {
    let app = TestApp::start().await;
    let docs = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .expect("docs");
    assert_eq!(docs.status().as_u16(), 200);
    let html = docs.text().await.expect("html");
    assert!(
        html.contains("swagger") || html.contains("Swagger"),
        "an OpenAPI UI"
    );
    for marker in ["src=\"http", "href=\"http", "src='http", "href='http"] {
        assert!(!html.contains(marker), "no CDN assets ({marker})");
    }
    app.stop().await;
}
