//! Bad input of every kind gets a 4xx problem document with a stable code,
//! never a 5xx.

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{PLATFORM_KEY, TestApp, e2e};

/// What to send: method, path, key, raw body, content type.
struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    key: Option<String>,
    body: Option<String>,
    content_type: Option<&'static str>,
    authorization: Option<&'static str>,
    status: u16,
    code: &'static str,
}

fn case(
    name: &'static str,
    method: &'static str,
    path: &str,
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        name,
        method,
        path: path.to_owned(),
        key: None,
        body: None,
        content_type: Some("application/json"),
        authorization: None,
        status,
        code,
    }
}

impl Case {
    fn key(mut self, key: &str) -> Self {
        self.key = Some(key.to_owned());
        self
    }
    fn body(mut self, body: &str) -> Self {
        self.body = Some(body.to_owned());
        self
    }
    fn content_type(mut self, ct: Option<&'static str>) -> Self {
        self.content_type = ct;
        self
    }
    fn authorization(mut self, raw: &'static str) -> Self {
        self.authorization = Some(raw);
        self
    }
}

#[e2e]
async fn bad_inputs_get_problem_documents() {
    let app = TestApp::builder().max_body_bytes(2048).start().await;
    let t = app.tenant().await;
    let admin = t.admin_key.as_str();
    let brand = app.brand(admin, "err-brand").await;
    let big = format!(
        r#"{{"slug":"big","name":"{}","currency":"USD"}}"#,
        "x".repeat(4096)
    );
    let cases = vec![
        case("malformed json", "POST", "/v1/brands", 400, "invalid_body")
            .key(admin)
            .body(r#"{"slug": "a""#),
        case("wrong type", "POST", "/v1/brands", 422, "invalid_field")
            .key(admin)
            .body(r#"{"slug":"wt","name":"x","currency":"USD","domains":"not-a-list"}"#),
        case("missing field", "POST", "/v1/brands", 400, "invalid_body")
            .key(admin)
            .body(r#"{"slug":"mf","name":"x"}"#),
        case("unknown field", "POST", "/v1/brands", 400, "invalid_body")
            .key(admin)
            .body(r#"{"slug":"uf","name":"x","currency":"USD","colour":"red"}"#),
        case("not an object", "POST", "/v1/brands", 400, "invalid_body")
            .key(admin)
            .body("[1,2]"),
        case("empty body", "POST", "/v1/brands", 400, "invalid_body")
            .key(admin)
            .body(""),
        case(
            "oversized body",
            "POST",
            "/v1/brands",
            413,
            "payload_too_large",
        )
        .key(admin)
        .body(&big),
        case(
            "form content type",
            "POST",
            "/v1/brands",
            415,
            "unsupported_media_type",
        )
        .key(admin)
        .body("slug=x")
        .content_type(Some("application/x-www-form-urlencoded")),
        case(
            "unknown route",
            "GET",
            "/v1/nothing-here",
            404,
            "route_not_found",
        )
        .key(admin),
        case(
            "unknown root route",
            "GET",
            "/wp-admin",
            404,
            "route_not_found",
        ),
        case(
            "wrong method",
            "DELETE",
            "/v1/brands",
            405,
            "method_not_allowed",
        )
        .key(admin),
        case("missing key", "GET", "/v1/brands", 401, "missing_api_key"),
        case("basic auth", "GET", "/v1/brands", 401, "missing_api_key")
            .authorization("Basic dXNlcjpwYXNz"),
        case("unknown key", "GET", "/v1/brands", 401, "invalid_api_key")
            .key("bz_ta_000000000000000000000000"),
        case("absurd key", "GET", "/v1/brands", 401, "invalid_api_key").key(&"k".repeat(500)),
        case(
            "bad uuid in path",
            "GET",
            "/v1/brands/not-a-uuid",
            400,
            "invalid_parameter",
        )
        .key(admin),
        case(
            "limit zero",
            "GET",
            "/v1/brands?limit=0",
            400,
            "invalid_parameter",
        )
        .key(admin),
        case(
            "limit too big",
            "GET",
            "/v1/brands?limit=100000",
            400,
            "invalid_parameter",
        )
        .key(admin),
        case(
            "limit not a number",
            "GET",
            "/v1/brands?limit=ten",
            400,
            "invalid_parameter",
        )
        .key(admin),
        case(
            "bad cursor",
            "GET",
            "/v1/brands?cursor=yesterday",
            400,
            "invalid_parameter",
        )
        .key(admin),
        case("bad slug", "POST", "/v1/brands", 422, "invalid_slug")
            .key(admin)
            .body(r#"{"slug":"Not OK","name":"x","currency":"USD"}"#),
        case(
            "bad currency",
            "POST",
            "/v1/brands",
            422,
            "invalid_currency",
        )
        .key(admin)
        .body(r#"{"slug":"bc","name":"x","currency":"usd"}"#),
        case("bad domain", "POST", "/v1/brands", 422, "invalid_domain")
            .key(admin)
            .body(r#"{"slug":"bd","name":"x","currency":"USD","domains":["http://shop"]}"#),
        case(
            "region not enabled",
            "POST",
            "/v1/brands",
            422,
            "region_not_enabled",
        )
        .key(admin)
        .body(r#"{"slug":"rn","name":"x","currency":"USD","default_region":"DE"}"#),
        case(
            "malformed region",
            "POST",
            "/v1/brands",
            422,
            "invalid_region",
        )
        .key(admin)
        .body(r#"{"slug":"mr","name":"x","currency":"USD","default_region":"germany"}"#),
        case("bad email", "POST", "/v1/vendors", 422, "invalid_email")
            .key(admin)
            .body(r#"{"slug":"be","name":"x","contact_email":"not-an-email"}"#),
        case(
            "bad vendor status",
            "POST",
            "/v1/vendors",
            422,
            "invalid_field",
        )
        .key(admin)
        .body(r#"{"slug":"bs","name":"x","contact_email":"a@b.example","status":"vip"}"#),
        case("duplicate slug", "POST", "/v1/brands", 409, "slug_taken")
            .key(admin)
            .body(r#"{"slug":"err-brand","name":"x","currency":"USD"}"#),
        case(
            "patch with nothing valid",
            "PATCH",
            &format!("/v1/brands/{brand}"),
            422,
            "invalid_currency",
        )
        .key(admin)
        .body(r#"{"currency":"EURO"}"#),
        case(
            "tenant endpoint with platform key",
            "GET",
            "/v1/vendors",
            403,
            "tenant_key_required",
        )
        .key(PLATFORM_KEY),
    ];
    let client = reqwest::Client::new();
    for c in cases {
        let mut req = client.request(
            c.method.parse().expect("method"),
            format!("{}{}", app.base, c.path),
        );
        if let Some(key) = &c.key {
            req = req.bearer_auth(key);
        }
        if let Some(raw) = c.authorization {
            req = req.header("authorization", raw);
        }
        if let Some(body) = c.body.clone() {
            req = req.body(body);
            if let Some(ct) = c.content_type {
                req = req.header("content-type", ct);
            }
        }
        let resp = req.send().await.expect("sent");
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let has_request_id = resp.headers().contains_key("x-request-id");
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        assert_eq!(
            (status, body["code"].as_str()),
            (c.status, Some(c.code)),
            "{}: {body}",
            c.name
        );
        assert_eq!(ct, "application/problem+json", "{}", c.name);
        assert_eq!(body["status"], c.status, "{}", c.name);
        assert!(
            body["title"].is_string() && body["type"].is_string(),
            "{}: {body}",
            c.name
        );
        assert!(
            body["detail"].as_str().is_some_and(|d| d.len() > 10),
            "{}: a person needs a real message: {body}",
            c.name
        );
        assert!(has_request_id, "{}", c.name);
    }
    app.stop().await;
}

#[e2e]
async fn chunked_body_over_the_limit_is_refused() {
    let app = TestApp::builder().max_body_bytes(2048).start().await;
    let t = app.tenant().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /v1/brands HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        t.admin_key
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let chunk = format!(
        r#"{{"slug":"chunky","name":"{}","currency":"USD"}}"#,
        "y".repeat(5000)
    );
    stream
        .write_all(format!("{:x}\r\n{chunk}\r\n0\r\n\r\n", chunk.len()).as_bytes())
        .await
        .expect("body");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("response");
    let status: u16 = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    assert_eq!(
        status, 413,
        "413 whether the length was declared or not, got: {response}"
    );
    assert!(
        response.contains("2048 bytes"),
        "names the limit: {response}"
    );
    // Nothing was created.
    let brands = app.get("/v1/brands", &t.admin_key).await.expect(200);
    assert_eq!(brands["items"].as_array().map(Vec::len), Some(0));
    app.stop().await;
}

/// Send `request` as raw bytes on a fresh connection and read the whole
/// answer (the server closes after a parse error).
async fn raw_exchange(app: &TestApp, request: &[u8]) -> (u16, String, serde_json::Value) {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    // The server may answer and close before reading everything.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete response: {response:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {response}"));
    (status, head.to_ascii_lowercase(), body)
}

/// Requests hyper refuses while parsing, before any route or middleware
/// runs, still answer with a problem document and a request id.
#[e2e]
async fn requests_the_http_parser_refuses_get_problem_documents() {
    let app = TestApp::start().await;
    let long_uri = format!(
        "GET /v1/brands?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let big_header = format!(
        "GET /v1/brands HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n",
        "b".repeat(600_000)
    );
    let many_headers = format!(
        "GET /v1/brands HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..150)
            .map(|i| format!("X-H{i}: v\r\n"))
            .collect::<String>()
    );
    let cases: [(&str, Vec<u8>, u16, &str); 4] = [
        ("long URI", long_uri.into_bytes(), 414, "uri_too_long"),
        (
            "600 KB header",
            big_header.into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "150 headers",
            many_headers.into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "NUL in a header",
            b"GET /v1/brands HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\n\r\n".to_vec(),
            400,
            "malformed_request",
        ),
    ];
    for (name, request, status, code) in cases {
        let (got, head, body) = raw_exchange(&app, &request).await;
        assert_eq!(got, status, "{name}: {body}");
        assert!(
            head.contains("\r\ncontent-type: application/problem+json"),
            "{name}: {head}"
        );
        assert!(head.contains("\r\nx-request-id: "), "{name}: {head}");
        assert_eq!(body["code"], code, "{name}: {body}");
        assert_eq!(body["status"], status, "{name}");
        assert!(
            body["detail"].as_str().is_some_and(|d| d.len() > 20),
            "{name}"
        );
    }
    // The server is unharmed, and its own 400s are untouched.
    let (status, head, body) = raw_exchange(
        &app,
        b"GET /v1/brands?limit=zero HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "invalid_api_key", "{body}");
    assert!(head.contains("\r\nx-request-id: "));
    app.stop().await;
}

/// Text PostgreSQL cannot store and JSON of the wrong type are refused
/// with the field named, before any SQL (they were 500s and silent
/// conversions), in every place a client can put them.
#[e2e]
async fn nul_characters_and_wrong_json_types_are_refused_with_the_field() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let admin = t.admin_key.as_str();
    let brand = app.brand(admin, "nul-brand").await;
    let (_, storefront) = app
        .key(
            admin,
            json!({ "name": "web", "scope": "storefront", "brand_id": brand }),
        )
        .await;

    // A NUL in a field the storefront key can reach, and in nested and
    // free-form JSON (attribute keys and values).
    let nul = app
        .post(
            "/v1/customers",
            &storefront,
            json!({ "email": "n@example.com", "password": "a long passphrase", "name": "N\u{0}" }),
        )
        .await
        .expect_problem(422, "invalid_field");
    assert_eq!(nul["details"]["field"], "name");
    let vendor = app.vendor(admin, "nul-vendor").await;
    for (attributes, field) in [
        (json!({ "k\u{0}": "v" }), "attributes"),
        (json!({ "k": "v\u{0}" }), "attributes.k"),
    ] {
        let refused = app
            .post(
                "/v1/products",
                admin,
                json!({ "vendor_id": vendor, "slug": "nul", "title": "T", "attributes": attributes,
                        "variants": [{ "sku": "N1", "price": "1.00", "currency": "USD" }] }),
            )
            .await
            .expect_problem(422, "invalid_field");
        assert_eq!(refused["details"]["field"], field, "{refused}");
    }

    // In the URL, and in a CSV upload.
    app.get("/v1/storefront/products?category=%00", &storefront)
        .await
        .expect_problem(400, "invalid_parameter");
    app.get("/v1/brands/a%00b", admin)
        .await
        .expect_problem(400, "invalid_parameter");
    let vendor_key = app
        .key(
            admin,
            json!({ "name": "v", "scope": "vendor", "vendor_id": vendor }),
        )
        .await
        .1;
    let csv = app
        .client
        .post(format!("{}/v1/products/import/csv", app.base))
        .bearer_auth(&vendor_key)
        .header("content-type", "text/csv")
        .body("sku,product_slug,price,currency\nA\0,a,1.00,USD\n")
        .send()
        .await
        .expect("sent");
    assert_eq!(csv.status().as_u16(), 400);

    // Wrong JSON types are refused, not converted.
    for (body, field) in [
        (
            json!({ "slug": "wt1", "name": 12345, "currency": "USD" }),
            "name",
        ),
        (
            json!({ "slug": "wt2", "name": true, "currency": "USD" }),
            "name",
        ),
        (
            json!({ "slug": "wt3", "name": "x", "currency": "USD", "domains": [1] }),
            "domains[0]",
        ),
    ] {
        let refused = app
            .post("/v1/brands", admin, body)
            .await
            .expect_problem(422, "invalid_field");
        assert_eq!(refused["details"]["field"], field, "{refused}");
    }
    // A 405 names what the path does take (RFC 9110), and a missing
    // session is 401 like a missing cart token.
    let wrong = app
        .send(reqwest::Method::DELETE, "/v1/brands", Some(admin), None)
        .await;
    assert_eq!(wrong.status, 405);
    assert_eq!(
        wrong.headers.get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, POST"),
        "{:?}",
        wrong.headers
    );
    app.get("/v1/customers/me", &storefront)
        .await
        .expect_problem(401, "session_required");
    assert_eq!(
        app.get("/v1/brands?limit=100", admin).await.expect(200)["items"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "nothing was created from a refused body (only nul-brand exists)"
    );
    app.stop().await;
}

/// A problem's `type` leads to its catalog entry, served without a key,
/// and the catalog agrees with what the server answers.
#[e2e]
async fn problem_types_lead_to_the_catalog() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let missing = app
        .get(
            "/v1/brands/00000000-0000-0000-0000-000000000000",
            &t.admin_key,
        )
        .await
        .expect_problem(404, "brand_not_found");
    assert_eq!(missing["type"], "/v1/problems/brand_not_found");
    assert_eq!(missing["title"], "Brand not found");

    // Followed without a key.
    let entry: serde_json::Value = app
        .client
        .get(format!("{}{}", app.base, missing["type"].as_str().unwrap()))
        .send()
        .await
        .expect("catalog entry")
        .json()
        .await
        .expect("json");
    assert_eq!(entry["code"], "brand_not_found");
    assert_eq!(entry["status"], 404);
    assert_eq!(entry["type"], missing["type"]);
    assert_eq!(entry["title"], missing["title"]);

    let list = app
        .client
        .get(format!("{}/v1/problems", app.base))
        .send()
        .await
        .expect("catalog");
    assert_eq!(list.status().as_u16(), 200);
    let list: serde_json::Value = list.json().await.expect("json");
    let items = list["items"].as_array().expect("items");
    assert!(items.len() > 100, "every code: {}", items.len());
    let out_of_stock = items
        .iter()
        .find(|i| i["code"] == "out_of_stock")
        .expect("out_of_stock is listed");
    assert_eq!(out_of_stock["status"], 409);
    assert!(
        out_of_stock["details"]
            .as_array()
            .is_some_and(|d| !d.is_empty()),
        "names its details: {out_of_stock}"
    );
    let codes: Vec<&str> = items.iter().filter_map(|i| i["code"].as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(codes, sorted, "once each, by code");

    let unknown = app
        .client
        .get(format!("{}/v1/problems/no_such_code", app.base))
        .send()
        .await
        .expect("unknown");
    assert_eq!(unknown.status().as_u16(), 404);
    let unknown: serde_json::Value = unknown.json().await.expect("json");
    assert_eq!(unknown["code"], "problem_type_not_found");
    app.stop().await;
}
