//! Holding request bodies to the document: what the check of a JSON body
//! against its operation's schema costs, against the JSON parse every
//! such request needs anyway (poem-openapi parses the body once more after
//! the check; the check itself is the added work).

use std::hint::black_box;
use std::time::Instant;

use bazaar_api::conformance::RequestSchemas;
use poem::http::Method;

pub fn run(document: &str, rounds: usize) -> anyhow::Result<()> {
    let schemas = RequestSchemas::from_document(document);
    let bodies = [
        (
            "POST /v1/products (a product with 3 variants)",
            Method::POST,
            "/v1/products",
            r#"{"vendor_id":"01a2377d-2032-72b2-bd7f-7c6bb3b2c8d7","slug":"tee","title":"Organic tee",
               "description":"Soft and heavy cotton.","attributes":{"colour":"blue","organic":"true"},
               "status":"active","variants":[
               {"sku":"TEE-S","price":"25.00","currency":"USD","options":{"size":"S"},"tax_category":"general"},
               {"sku":"TEE-M","price":"25.00","currency":"USD","options":{"size":"M"},"tax_category":"general"},
               {"sku":"TEE-L","price":"27.00","currency":"USD","options":{"size":"L"},"tax_category":"general"}]}"#,
        ),
        (
            "POST /v1/carts/{id}/checkout",
            Method::POST,
            "/v1/carts/01a2377d-20ff-707f-8a26-1416002df3c5/checkout",
            r#"{"payment_token":"tok_success"}"#,
        ),
    ];
    println!("Request conformance, single thread, best of 3 x {rounds} bodies\n");
    println!("| body | parse only (µs) | parse + check (µs) | check / parse |\n|---|---|---|---|");
    for (name, method, path, body) in bodies {
        let schema = schemas
            .schema_for(&method, path)
            .ok_or_else(|| anyhow::anyhow!("no schema for {path}"))?
            .clone();
        let (mut parse, mut checked) = (f64::MAX, f64::MAX);
        for _ in 0..3 {
            let started = Instant::now();
            for _ in 0..rounds {
                let value: serde_json::Value = serde_json::from_str(black_box(body))?;
                black_box(value);
            }
            parse = parse.min(started.elapsed().as_secs_f64() * 1e6 / rounds as f64);
            let started = Instant::now();
            for _ in 0..rounds {
                let value: serde_json::Value = serde_json::from_str(black_box(body))?;
                schemas
                    .check(&schema, &value)
                    .map_err(|v| anyhow::anyhow!("{v:?}"))?;
                black_box(value);
            }
            checked = checked.min(started.elapsed().as_secs_f64() * 1e6 / rounds as f64);
        }
        println!(
            "| {name} | {parse:.2} | {checked:.2} | {:.2} |",
            (checked - parse) / parse
        );
    }
    Ok(())
}
