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

/// A JSON value that refuses an object with the same key twice (as strict
/// parsers and client generators do; `serde_json::Value` keeps the last).
struct Strict;

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Strict;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Strict, A::Error> {
                let mut seen = std::collections::HashSet::new();
                while let Some(key) = map.next_key::<String>()? {
                    if !seen.insert(key.clone()) {
                        return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    map.next_value::<Strict>()?;
                }
                Ok(Strict)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Strict, A::Error> {
                while seq.next_element::<Strict>()?.is_some() {}
                Ok(Strict)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
                Ok(Strict)
            }
            fn visit_unit<E>(self) -> Result<Strict, E> {
                Ok(Strict)
            }
        }
        d.deserialize_any(Visit)
    }
}

#[e2e]
async fn the_document_has_no_duplicate_keys() {
    let app = TestApp::start().await;
    let spec = bazaar_api::openapi_json(&app.state);
    if let Err(err) = serde_json::from_str::<Strict>(&spec) {
        panic!("a strict parser refuses the document: {err}");
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json");
    let committed = std::fs::read_to_string(&path).expect("openapi/openapi.json is committed");
    if let Err(err) = serde_json::from_str::<Strict>(&committed) {
        panic!("a strict parser refuses openapi/openapi.json: {err}");
    }
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
            // Only the problem catalog is public.
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            assert_eq!(secured, !path.starts_with("/v1/problems"), "{at}: security");
            let responses = op["responses"].as_object().expect("responses");
            let mut errors = vec!["400", "404", "503"];
            if secured {
                errors.extend(["401", "403"]);
            }
            for status in errors {
                let response = &responses[status];
                assert!(
                    response["content"]["application/problem+json"].is_object(),
                    "{at}: {status} problem document"
                );
            }
            // Statuses an operation cannot answer are not listed.
            let has_body = op.get("requestBody").is_some();
            assert_eq!(responses.contains_key("413"), has_body, "{at}: 413");
            assert_eq!(responses.contains_key("415"), has_body, "{at}: 415");
            if method == "get" {
                assert!(
                    !responses.contains_key("409"),
                    "{at}: a read has no conflict"
                );
            }
            let throttled = bazaar_api::openapi_doc::THROTTLED
                .contains(&op["operationId"].as_str().unwrap_or_default());
            assert_eq!(responses.contains_key("429"), throttled, "{at}: 429");
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
