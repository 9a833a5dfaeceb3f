//! The load: concurrent buyers checking out prepared carts over HTTP.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Mutex;

pub(super) struct LoadResult {
    pub rate: f64,
    pub p50: f64,
    pub p99: f64,
    pub paid: usize,
    pub refused: usize,
}

pub(super) async fn load(
    base: &str,
    key: &str,
    carts: Vec<(uuid::Uuid, String)>,
    buyers: usize,
) -> anyhow::Result<LoadResult> {
    let queue = Arc::new(Mutex::new(carts));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(buyers)
        .build()?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..buyers {
        let (queue, client, base, key) = (
            queue.clone(),
            client.clone(),
            base.to_owned(),
            key.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let Some((cart, token)) = queue.lock().await.pop() else {
                    break;
                };
                let t = Instant::now();
                let resp = client
                    .post(format!("{base}/v1/carts/{cart}/checkout"))
                    .bearer_auth(&key)
                    .header("X-Cart-Token", &token)
                    .header("Idempotency-Key", cart.to_string())
                    .json(&serde_json::json!({ "payment_token": "tok_success" }))
                    .send()
                    .await;
                let ok = match resp {
                    Ok(r) => r.status().as_u16() == 201,
                    Err(_) => false,
                };
                seen.push((t.elapsed(), ok));
            }
            seen
        }));
    }
    let mut latencies = Vec::new();
    let (mut paid, mut refused) = (0, 0);
    for task in tasks {
        for (d, ok) in task.await? {
            latencies.push(d);
            if ok { paid += 1 } else { refused += 1 }
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| {
        latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1]
            .as_secs_f64()
            * 1000.0
    };
    Ok(LoadResult {
        rate: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
        paid,
        refused,
    })
}
