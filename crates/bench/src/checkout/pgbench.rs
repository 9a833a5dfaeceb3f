//! The plain-SQL baseline: pgbench running the writes of a checkout.

use super::DISTINCT;

/// The same two transactions a checkout makes (reserve and place the order;
/// then commit the reservation and mark it paid), as plain SQL.
pub(super) fn script(hot: bool) -> String {
    let pick = if hot {
        format!("\\set n {DISTINCT}")
    } else {
        format!("\\set n random(0, {})", DISTINCT - 1)
    };
    format!(
        "{pick}
\\set order_id 0
BEGIN;
SELECT variant_id, warehouse_id, vendor_id FROM bench_variants WHERE n = :n \\gset
SELECT on_hand - reserved AS available FROM stock_levels WHERE variant_id = ':variant_id' ORDER BY warehouse_id FOR UPDATE;
UPDATE stock_levels SET reserved = reserved + 1, updated_at = now() WHERE variant_id = ':variant_id' AND warehouse_id = ':warehouse_id';
INSERT INTO inventory_movements (id, variant_id, warehouse_id, kind, on_hand_delta, reserved_delta, actor) VALUES (gen_random_uuid(), ':variant_id', ':warehouse_id', 'reserve', 0, 1, 'pgbench');
INSERT INTO orders (id, cart_id, brand_id, region, region_version, currency, status, subtotal, tax_total, excise_total, total) SELECT gen_random_uuid(), gen_random_uuid(), id, 'US-CA', 'x', 'USD', 'pending_payment', 30, 2.18, 0, 32.18 FROM brands LIMIT 1 RETURNING id AS order_id \\gset
INSERT INTO order_lines (id, order_id, variant_id, vendor_id, sku, title, tax_category, quantity, unit_price, net, tax, excise, gross) VALUES (gen_random_uuid(), ':order_id', ':variant_id', ':vendor_id', 's', 't', 'general', 1, 30, 30, 2.18, 0, 32.18);
INSERT INTO reservations (id, order_id, variant_id, warehouse_id, quantity, expires_at) VALUES (gen_random_uuid(), ':order_id', ':variant_id', ':warehouse_id', 1, now() + interval '15 minutes');
INSERT INTO payments (id, order_id, gateway, status, amount, currency) VALUES (gen_random_uuid(), ':order_id', 'sandbox', 'pending', 32.18, 'USD');
INSERT INTO order_events (order_id, to_status) VALUES (':order_id', 'pending_payment');
COMMIT;
BEGIN;
SELECT status FROM orders WHERE id = ':order_id' FOR UPDATE;
UPDATE reservations SET status = 'committed' WHERE order_id = ':order_id' AND status = 'held';
UPDATE stock_levels SET on_hand = on_hand - 1, reserved = reserved - 1, updated_at = now() WHERE variant_id = ':variant_id' AND warehouse_id = ':warehouse_id';
INSERT INTO inventory_movements (id, variant_id, warehouse_id, kind, on_hand_delta, reserved_delta, actor) VALUES (gen_random_uuid(), ':variant_id', ':warehouse_id', 'commit', -1, -1, 'pgbench');
UPDATE orders SET status = 'paid', updated_at = now() WHERE id = ':order_id';
UPDATE payments SET status = 'succeeded', charge_id = 'ch', attempts = 1 WHERE order_id = ':order_id';
INSERT INTO vendor_orders (id, order_id, vendor_id, status, total) VALUES (gen_random_uuid(), ':order_id', ':vendor_id', 'pending', 32.18);
INSERT INTO order_events (order_id, from_status, to_status) VALUES (':order_id', 'pending_payment', 'paid');
COMMIT;
"
    )
}

/// Run pgbench (the machine's PostgreSQL tools) and return transactions/s.
pub(super) fn run(
    server: &str,
    database: &str,
    schema: &bazaar_store::TenantSchema,
    script: &str,
    clients: usize,
    seconds: u32,
) -> anyhow::Result<f64> {
    let path = std::env::temp_dir().join(format!("bazaar-bench-{}.sql", std::process::id()));
    std::fs::write(&path, script)?;
    let bin = [
        "/usr/lib/postgresql/17/bin/pgbench",
        "/usr/lib/postgresql/16/bin/pgbench",
        "/usr/lib/postgresql/15/bin/pgbench",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .unwrap_or("pgbench");
    let host = server
        .trim_start_matches("postgres://")
        .trim_start_matches("postgresql://");
    let (user, hostport) = host.split_once('@').unwrap_or(("postgres", host));
    let (h, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    // The server's connection slots are shared with whatever else runs on
    // the machine: when another session holds the few that pgbench's
    // clients need, wait for them rather than lose the run's API figures.
    const ATTEMPTS: u32 = 5;
    let mut attempt = 1;
    loop {
        let out = std::process::Command::new(bin)
            .args([
                "-n",
                "-h",
                h,
                "-p",
                port,
                "-U",
                user,
                "-c",
                &clients.to_string(),
                "-j",
                "2",
                "-T",
                &seconds.to_string(),
                "-f",
            ])
            .arg(&path)
            .arg(database)
            .env("PGOPTIONS", format!("-c search_path={}", schema.as_str()))
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        let tps = text
            .lines()
            .find(|l| l.starts_with("tps = "))
            .and_then(|l| l.split_whitespace().nth(2)?.parse().ok());
        if let Some(tps) = tps {
            std::fs::remove_file(&path).ok();
            return Ok(tps);
        }
        if attempt == ATTEMPTS || !text.contains("too many clients") {
            std::fs::remove_file(&path).ok();
            anyhow::bail!("pgbench gave no tps:\n{text}");
        }
        eprintln!(
            "pgbench: the server has fewer than {clients} free connections (attempt {attempt} of {ATTEMPTS}); retrying in 30 s"
        );
        std::thread::sleep(std::time::Duration::from_secs(30));
        attempt += 1;
    }
}
