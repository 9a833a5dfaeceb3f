//! Region packs over HTTP: listing, effective rules, status, quotes, and
//! hot reload under load.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{PLATFORM_KEY, TestApp, e2e, shipped_regions, unique};

#[e2e]
async fn regions_are_listed_with_rules_and_versions() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let list = app.get("/v1/regions", &t.admin_key).await.expect(200);
    let codes: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        [
            "CA-ON", "DE", "GB", "US", "US-CA", "US-CO", "US-NY", "US-WA"
        ]
    );

    let ca = app.get("/v1/regions/US-CA", &t.admin_key).await.expect(200);
    assert_eq!(ca["extends"], "US");
    assert_eq!(ca["lineage"], json!(["US-CA", "US"]));
    assert_eq!(ca["tax"]["rate"], "0.0725");
    assert_eq!(ca["timezone"], "America/Los_Angeles");
    assert_eq!(ca["age_verification"]["minimum_age"], 21);
    assert!(ca["sources"].as_array().is_some_and(|s| s.len() > 2));
    assert_eq!(ca["version"].as_str().map(str::len), Some(64));

    app.get("/v1/regions/XX", &t.admin_key)
        .await
        .expect_problem(404, "region_not_found");

    let status = app
        .get("/v1/regions/status", PLATFORM_KEY)
        .await
        .expect(200);
    assert_eq!(status["regions"].as_array().map(Vec::len), Some(8));
    assert_eq!(status["last_errors"], json!([]));
    // Storefront keys can read rules and quote, but not the operator status.
    let brand = app.brand(&t.admin_key, "rg").await;
    let (_, sf) = app
        .key(
            &t.admin_key,
            json!({ "name": "sf", "scope": "storefront", "brand_id": brand }),
        )
        .await;
    app.get("/v1/regions/US-CO", &sf).await.expect(200);
    app.get("/v1/regions/status", &sf)
        .await
        .expect_problem(403, "insufficient_scope");
    app.stop().await;
}

fn cart(age_verified: bool, grams_per_item: &str, quantity: u32) -> Value {
    json!({
        "at": "2026-11-25T20:00:00Z",
        "age_verified": age_verified,
        "lines": [
            { "tax_category": "cannabis_flower", "unit_price": "35.00", "quantity": quantity,
              "measure": { "quantity": grams_per_item, "unit": "g" } },
            { "tax_category": "general", "unit_price": "9.99", "quantity": 1 }
        ]
    })
}

#[e2e]
async fn quote_computes_tax_delivery_and_violations() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let q = app
        .post(
            "/v1/regions/US-CA/quote",
            &t.admin_key,
            cart(true, "3.5", 2),
        )
        .await
        .expect(200);
    assert_eq!(q["lines"][0]["tax"], "5.08");
    assert_eq!(q["lines"][0]["excise"], "10.50");
    assert_eq!(q["lines"][0]["gross"], "85.58");
    assert_eq!(q["lines"][1]["tax"], "0.72");
    assert_eq!(
        q["totals"],
        json!({ "subtotal": "79.99", "tax_total": "5.80", "excise_total": "10.50", "total": "96.29" })
    );
    assert_eq!(q["delivery"]["open"], true);
    assert_eq!(q["age_verification"]["required"], true);
    assert_eq!(q["violations"], json!([]));
    assert_eq!(q["currency"], "USD");

    let refused = app
        .post(
            "/v1/regions/US-CA/quote",
            &t.admin_key,
            cart(false, "3.5", 9),
        )
        .await
        .expect(200);
    let rules: Vec<&str> = refused["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| v["rule"].as_str().expect("rule"))
        .collect();
    assert_eq!(
        rules,
        ["age_verification", "purchase_limits.cannabis_flower.day"]
    );

    // Closed at 05:00 local; the next window opens at 08:00 (16:00 UTC).
    let mut night = cart(true, "3.5", 1);
    night["at"] = json!("2026-11-25T13:00:00Z");
    let closed = app
        .post("/v1/regions/US-CA/quote", &t.admin_key, night)
        .await
        .expect(200);
    assert_eq!(closed["delivery"]["open"], false);
    assert!(
        closed["delivery"]["next_window"]["starts_at"]
            .as_str()
            .is_some_and(|s| s.starts_with("2026-11-25T16:00:00"))
    );

    // Germany includes VAT in prices and restricts cannabis.
    let de = app
        .post("/v1/regions/DE/quote", &t.admin_key, cart(true, "3.5", 1))
        .await
        .expect(200);
    assert_eq!(de["inclusive"], true);
    assert_eq!(de["lines"][1]["gross"], "9.99");
    assert_eq!(de["lines"][1]["tax"], "1.60");
    assert!(
        de["violations"]
            .as_array()
            .expect("v")
            .iter()
            .any(|v| v["code"] == "restricted_category")
    );
    app.stop().await;
}

#[e2e]
async fn bad_quotes_get_problem_documents() {
    let app = TestApp::start().await;
    let t = app.tenant().await;
    let key = t.admin_key.as_str();
    let line = |price: Value, category: &str, quantity: u32| json!({ "lines": [{ "tax_category": category, "unit_price": price, "quantity": quantity }] });
    let cases = [
        (line(json!("12.345"), "general", 1), 422, "invalid_amount"),
        (line(json!("-1.00"), "general", 1), 422, "invalid_amount"),
        (line(json!(12.5), "general", 1), 422, "invalid_field"),
        (line(json!("twelve"), "general", 1), 400, "invalid_body"),
        (line(json!("12.00"), "weed", 1), 422, "unknown_tax_category"),
        (line(json!("12.00"), "general", 0), 400, "invalid_body"),
        (json!({ "lines": [] }), 400, "invalid_body"),
        (
            json!({ "lines": [{ "tax_category": "general", "unit_price": "1.00", "quantity": 1 }], "at": "tomorrow" }),
            400,
            "invalid_body",
        ),
    ];
    for (body, status, code) in cases {
        let detail = app
            .post("/v1/regions/US-CA/quote", key, body.clone())
            .await
            .expect_problem(status, code);
        if body["lines"][0]["unit_price"] == json!(12.5) {
            assert!(
                detail["detail"].as_str().is_some_and(
                    |d| d.contains("`lines[0].unit_price` must be a string (e.g. \"12.50\")")
                ),
                "{detail}"
            );
        }
    }
    app.post(
        "/v1/regions/ZZ/quote",
        key,
        line(json!("1.00"), "general", 1),
    )
    .await
    .expect_problem(404, "region_not_found");
    app.stop().await;
}

#[e2e]
async fn tenants_may_only_sell_in_regions_in_force() {
    let app = TestApp::start().await;
    let refused = app
        .post(
            "/v1/platform/tenants",
            PLATFORM_KEY,
            json!({ "slug": unique("nr"), "name": "X", "regions": ["US-CA", "FR"] }),
        )
        .await
        .expect_problem(422, "unknown_region");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("FR") && d.contains("US-CA"))
    );
    app.stop().await;
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
        }
    }
}

/// Replace `from` with `to` in a pack, atomically (write then rename, as
/// editors and deploy tools do).
fn edit(dir: &std::path::Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} has no `{from}`");
    let tmp = dir.join(format!(".{file}.tmp"));
    std::fs::write(&tmp, text.replacen(from, to, 1)).expect("write");
    std::fs::rename(&tmp, &path).expect("rename");
}

async fn wait_for(app: &TestApp, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = app
            .get("/v1/regions/status", PLATFORM_KEY)
            .await
            .expect(200);
        if check(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn version_of(status: &Value, code: &str) -> String {
    status["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .find(|r| r["code"] == code)
        .expect("region")["version"]
        .as_str()
        .expect("v")
        .to_owned()
}

#[e2e]
async fn hot_reload_swaps_whole_sets_and_keeps_the_last_good_one() {
    let dir = std::env::temp_dir().join(unique("bazaar-regions-"));
    copy_dir(&shipped_regions(), &dir);
    let app = TestApp::builder().regions_dir(&dir).start().await;
    let t = app.tenant().await;
    let first = app
        .get("/v1/regions/status", PLATFORM_KEY)
        .await
        .expect(200);
    let v1 = version_of(&first, "US-CA");

    // Buyers quote continuously while the packs change under them.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut buyers = Vec::new();
    for _ in 0..4 {
        let (client, base, key, stop) = (
            app.client.clone(),
            app.base.clone(),
            t.admin_key.clone(),
            stop.clone(),
        );
        buyers.push(tokio::spawn(async move {
            let mut seen: Vec<(u16, String, String)> = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let resp = client
                    .post(format!("{base}/v1/regions/US-CA/quote"))
                    .bearer_auth(&key)
                    .json(&json!({ "lines": [{ "tax_category": "general", "unit_price": "100.00", "quantity": 1 }] }))
                    .send()
                    .await
                    .expect("sent");
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or_default();
                seen.push((status, body["version"].as_str().unwrap_or("").to_owned(), body["lines"][0]["tax"].as_str().unwrap_or("").to_owned()));
            }
            seen
        }));
    }

    // A valid edit swaps in...
    edit(
        &dir,
        "US-CA.yaml",
        "rate: \"0.0725\"\n",
        "rate: \"0.0800\"\n",
    );
    let second = wait_for(&app, "the valid edit", |s| version_of(s, "US-CA") != v1).await;
    let v2 = version_of(&second, "US-CA");
    assert_eq!(second["last_errors"], json!([]));

    // ...an invalid edit anywhere in the folder is refused whole...
    edit(&dir, "US-CO.yaml", "rate: \"0.029\"", "rate: \"2.9\"");
    let broken = wait_for(&app, "the rejection", |s| {
        s["last_errors"].as_array().is_some_and(|e| !e.is_empty())
    })
    .await;
    let error = &broken["last_errors"][0];
    assert!(
        error["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("US-CO.yaml")),
        "{error}"
    );
    assert!(error["line"].as_u64().is_some_and(|l| l > 1));
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("out of range"))
    );
    assert_eq!(
        version_of(&broken, "US-CA"),
        v2,
        "the last good set keeps serving"
    );
    let co = app.get("/v1/regions/US-CO", &t.admin_key).await.expect(200);
    assert_eq!(
        co["tax"]["rate"], "0.029",
        "US-CO is not taken down by its bad edit"
    );

    // ...and fixing it clears the errors.
    edit(&dir, "US-CO.yaml", "rate: \"2.9\"", "rate: \"0.029\"");
    wait_for(&app, "the fix", |s| s["last_errors"] == json!([])).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);

    let mut by_version: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut total = 0;
    for buyer in buyers {
        for (status, version, tax) in buyer.await.expect("buyer") {
            total += 1;
            assert_eq!(status, 200, "no request fails during a reload");
            by_version.entry(version).or_default().push(tax);
        }
    }
    assert!(total > 20, "only {total} requests ran");
    // Each response is wholly old or wholly new: its tax matches its version.
    for (version, taxes) in &by_version {
        let want = if *version == v1 {
            "7.25"
        } else if *version == v2 {
            "8.00"
        } else {
            panic!("unknown version {version}")
        };
        assert!(
            taxes.iter().all(|t| t == want),
            "version {version} answered {taxes:?}"
        );
    }
    assert!(
        by_version.contains_key(&v2),
        "some requests saw the new set"
    );
    app.stop().await;
    std::fs::remove_dir_all(&dir).ok();
}
