//! Region packs: how fast a quote is evaluated in-process, against the bare
//! tax arithmetic it contains; and how long checking and loading 200 packs
//! takes, against only parsing the same files as YAML.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bazaar_regions::pack::Unit;
use bazaar_regions::quote::{QuoteLine, QuoteRequest, quote};
use bazaar_regions::{TaxCategory, resolve};
use chrono::{TimeZone, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

pub fn run(quotes: usize, loads: usize) -> anyhow::Result<()> {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../regions");
    let set = resolve::load_dir(&shipped).map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let ca = set
        .get("US-CA")
        .ok_or_else(|| anyhow::anyhow!("no US-CA pack"))?;
    let request = QuoteRequest {
        at: Utc
            .with_ymd_and_hms(2026, 11, 25, 20, 0, 0)
            .single()
            .unwrap_or_else(Utc::now),
        age_verified: true,
        lines: vec![
            line(
                TaxCategory::CannabisFlower,
                "35.00",
                2,
                Some(("3.5", Unit::Gram)),
            ),
            line(TaxCategory::CannabisEdible, "18.00", 1, None),
            line(TaxCategory::General, "9.99", 3, None),
        ],
        purchased_today: Vec::new(),
        shipping: Vec::new(),
    };

    // Warm up, then measure each twice, interleaved.
    for _ in 0..(quotes / 10) {
        black_box(quote(ca, black_box(&request)));
    }
    let mut engine = Vec::new();
    let mut arithmetic = Vec::new();
    for _ in 0..2 {
        let started = Instant::now();
        for _ in 0..quotes {
            black_box(quote(ca, black_box(&request)));
        }
        engine.push(started.elapsed());
        let started = Instant::now();
        for _ in 0..quotes {
            black_box(bare_tax(black_box(&request)));
        }
        arithmetic.push(started.elapsed());
    }
    let per_sec = |d: &Vec<Duration>| {
        quotes as f64 / d.iter().min().copied().unwrap_or_default().as_secs_f64()
    };
    let (q, b) = (per_sec(&engine), per_sec(&arithmetic));
    println!(
        "Quote evaluation, single thread, {quotes} quotes of a 3-line US-CA cart (best of 2)\n"
    );
    println!("| method | quotes/s | µs per quote |\n|---|---|---|");
    println!(
        "| full quote (tax, excise, delivery window, age, limits, restrictions) | {q:.0} | {:.2} |",
        1e6 / q
    );
    println!(
        "| baseline: the bare tax and excise arithmetic of the same lines | {b:.0} | {:.2} |",
        1e6 / b
    );
    println!("\nfull quote / bare arithmetic: {:.2}x the time\n", b / q);

    let dir = generate_200(&shipped)?;
    let files = resolve::read_dir(&dir).map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let mut load = Vec::new();
    let mut parse = Vec::new();
    for _ in 0..loads {
        let started = Instant::now();
        let set =
            resolve::load_dir(&dir).map_err(|p| anyhow::anyhow!("{:?}", &p[..p.len().min(3)]))?;
        load.push(started.elapsed());
        anyhow::ensure!(set.regions.len() == 200, "loaded {}", set.regions.len());
        let started = Instant::now();
        for (_, text) in resolve::read_dir(&dir).map_err(|p| anyhow::anyhow!("{p:?}"))? {
            black_box(serde_yaml::from_str::<serde_yaml::Value>(&text)?);
        }
        parse.push(started.elapsed());
    }
    std::fs::remove_dir_all(&dir).ok();
    let median = |d: &mut Vec<Duration>| {
        d.sort();
        d[d.len() / 2]
    };
    let (l, p) = (median(&mut load), median(&mut parse));
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    println!(
        "Checking and loading 200 packs ({} KiB, 10 parents with 19 children each), median of {loads}\n",
        bytes / 1024
    );
    println!("| method | ms |\n|---|---|");
    println!(
        "| read, check every rule, resolve inheritance, hash versions | {:.1} |",
        l.as_secs_f64() * 1000.0
    );
    println!(
        "| baseline: read and parse the same files with serde_yaml only | {:.1} |",
        p.as_secs_f64() * 1000.0
    );
    println!(
        "\nfull load / parse only: {:.2}x",
        l.as_secs_f64() / p.as_secs_f64()
    );
    Ok(())
}

fn line(
    category: TaxCategory,
    price: &str,
    quantity: u32,
    measure: Option<(&str, Unit)>,
) -> QuoteLine {
    QuoteLine {
        category,
        unit_price: price.parse().unwrap_or_default(),
        quantity,
        measure: measure.map(|(q, u)| (q.parse().unwrap_or_default(), u)),
    }
}

/// The irreducible work: rate times amount, rounded, per line, with the
/// rates already known.
fn bare_tax(request: &QuoteRequest) -> Decimal {
    let rate = Decimal::new(725, 4);
    let excise = Decimal::new(15, 2);
    let mut total = Decimal::ZERO;
    for line in &request.lines {
        let amount = line.unit_price * Decimal::from(line.quantity);
        let tax = (amount * rate).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let ex =
            (amount * excise).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        total += amount + tax + ex;
    }
    total
}

/// 10 parent packs (copies of US with new codes) with 19 children each
/// (copies of US-CA), in a fresh temporary folder.
fn generate_200(shipped: &Path) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("bazaar-bench-regions-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let parent = std::fs::read_to_string(shipped.join("US.yaml"))?;
    let child = std::fs::read_to_string(shipped.join("US-CA.yaml"))?;
    for p in 0..10u8 {
        let code = format!("Q{}", (b'A' + p) as char);
        std::fs::write(
            dir.join(format!("{code}.yaml")),
            parent.replacen("code: US\n", &format!("code: {code}\n"), 1),
        )?;
        for c in 1..20 {
            let child_code = format!("{code}-{c}");
            let text = child
                .replacen("code: US-CA\n", &format!("code: {child_code}\n"), 1)
                .replacen("extends: US\n", &format!("extends: {code}\n"), 1);
            std::fs::write(dir.join(format!("{child_code}.yaml")), text)?;
        }
    }
    Ok(dir)
}
