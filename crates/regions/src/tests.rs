//! Tests of loading, checking, inheritance and evaluation.

use std::path::Path;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;

use crate::TaxCategory;
use crate::pack::Unit;
use crate::quote::{QuoteLine, QuoteRequest, quote};
use crate::resolve::{load_dir, load_texts};

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn shipped() -> crate::RegionSet {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../regions");
    load_dir(&dir).unwrap_or_else(|problems| {
        panic!(
            "shipped packs are invalid:\n{}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

const BASE: &str = "code: US\nname: United States\ncurrency: USD\ntimezone: America/New_York\n\
sources: [\"test\"]\ntax:\n  rate: \"0\"\n";

/// Load `files` and return the problems as printed lines.
fn problems(files: &[(&str, &str)]) -> Vec<String> {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    match load_texts(&files) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn shipped_packs_load_with_their_seed_figures() {
    let set = shipped();
    for code in [
        "US", "US-CA", "US-CO", "US-NY", "US-WA", "DE", "GB", "CA-ON",
    ] {
        let region = set.get(code).unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!(region.version.len(), 64);
        assert!(!region.sources.is_empty(), "{code} cites its sources");
    }
    let ca = set.get("US-CA").expect("US-CA");
    assert_eq!(ca.tax.rate, dec("0.0725"));
    assert_eq!(ca.lineage, ["US-CA", "US"]);
    assert_eq!(ca.currency.code(), "USD");
    assert!(ca.age_verification.applies_to(TaxCategory::CannabisFlower));
    assert_eq!(ca.age_verification.minimum_age, 21);
    let co = set.get("US-CO").expect("US-CO");
    assert_eq!(co.tax.rate, dec("0.029"));
    let de = set.get("DE").expect("DE");
    assert!(de.tax.inclusive);
}

#[test]
fn each_class_of_error_is_reported_at_its_line() {
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("US.yaml", "code: US\nname: U\ncurency: USD\n")],
            "US.yaml:3:1: unknown key `curency` in a pack; did you mean `currency`?",
        ),
        (
            vec![(
                "US.yaml",
                "code: US\nname: U\ncurrency: USD\ntimezone: UTC\nsources: [x]\ntax:\n  rate: [1]\n",
            )],
            "US.yaml:7:9: `tax.rate` must be a decimal number such as \"0.0725\", found a list",
        ),
        (
            vec![(
                "US.yaml",
                "code: US\nname: U\ncurrency: USD\ntimezone: UTC\nsources: [x]\ntax:\n  inclusive: yes\n  rate: \"0\"\n",
            )],
            "US.yaml:7:14: `tax.inclusive` must be true or false, found a string",
        ),
        (
            vec![(
                "US.yaml",
                "code: US\nname: U\ncurrency: USD\ntimezone: UTC\nsources: [x]\ntax:\n  rate: \"7.25\"\n",
            )],
            "US.yaml:7:9: `tax.rate` is 7.25, out of range: a rate is a fraction from 0 up to (not including) 1, e.g. \"0.0725\" for 7.25%",
        ),
        (
            vec![(
                "US.yaml",
                "code: US\nname: U\ncurrency: USD\ntimezone: America/Los_Angles\nsources: [x]\ntax: {rate: \"0\"}\n",
            )],
            "US.yaml:4:11: unknown time zone `America/Los_Angles`; use an IANA name such as America/Los_Angeles or Europe/Berlin",
        ),
        (
            vec![(
                "US.yaml",
                "code: US\nname: U\ncurrency: USX\ntimezone: UTC\nsources: [x]\ntax: {rate: \"0\"}\n",
            )],
            "US.yaml:3:11: unknown currency: `USX` is not an ISO 4217 currency code (e.g. USD, EUR, GBP)",
        ),
        (
            vec![(
                "US.yaml",
                "code: US\nname: U\ncurrency: USD\ntimezone: UTC\nsources: [x]\ntax: {rate: \"0\"}\ndelivery:\n  hours:\n    monday: [\"8:00-22:00\"]\n",
            )],
            "US.yaml:9:14: `8:00-22:00` is not an hour range; write it as \"08:00-22:00\" with times from 00:00 to 24:00",
        ),
        (
            vec![(
                "US.yaml",
                "code: US\nname: U\ncurrency: USD\ntimezone: UTC\nsources: [x]\ntax: {rate: \"0\"}\ndelivery:\n  hours:\n    monday: [\"22:00-08:00\"]\n",
            )],
            "US.yaml:9:14: `22:00-08:00` ends before it starts; a window must end after it starts on the same day (split overnight windows across two days)",
        ),
        (
            vec![(
                "US.yaml",
                "code: US\nname: U\ncurrency: USD\ntimezone: UTC\nsources: [x]\ntax: {rate: \"0\"}\ndelivery:\n  hours:\n    friday: [\"08:00-12:00\", \"11:00-14:00\"]\n",
            )],
            "US.yaml:9:29: `11:00-14:00` overlaps 08:00-12:00 in `delivery.hours.friday`",
        ),
        (
            vec![
                ("US.yaml", BASE),
                (
                    "US-CA.yaml",
                    "code: US-CA\nname: California\nextends: USA\nsources: [x]\n",
                ),
            ],
            "US-CA.yaml:3:10: `extends: USA` names no pack in this folder; did you mean `US`?",
        ),
        (
            vec![
                ("US.yaml", BASE),
                (
                    "US-CA.yaml",
                    "code: US-CA\nname: CA\nextends: US-NV\nsources: [x]\n",
                ),
                (
                    "US-NV.yaml",
                    "code: US-NV\nname: NV\nextends: US-CA\nsources: [x]\n",
                ),
            ],
            "US-CA.yaml:3:10: `extends` makes a cycle: US-CA -> US-NV -> US-CA",
        ),
        (
            vec![
                ("US.yaml", BASE),
                (
                    "US-CA.yaml",
                    "code: US-CA\nname: CA\nextends: US\ncurrency: EUR\nsources: [x]\n",
                ),
            ],
            "US-CA.yaml:4:11: currency EUR contradicts the parent `US`, which sells in USD",
        ),
        (
            vec![("US.yaml", BASE), ("US-2.yaml", BASE)],
            "US-2.yaml:1:7: duplicate code `US`: US.yaml defines it too",
        ),
        (
            vec![("USA.yaml", BASE)],
            "USA.yaml:1:7: code `US` does not match the file name; rename the file to US.yaml or change the code",
        ),
        (
            vec![(
                "US.yaml",
                "code: US\nname: U\ncurrency: USD\ntimezone: UTC\nsources: [x]\ntax: {rate: \"0\"}\nrestricted_categories: [weed]\n",
            )],
            "US.yaml:7:25: unknown tax category `weed` in `restricted_categories`; known categories: general, groceries, prepared_food, clothing, childrens_clothing, books, medicine, medical_devices, alcohol, tobacco, vaping, cannabis, cannabis_flower, cannabis_concentrate, cannabis_edible, digital_goods, firearms, fuel, services, shipping",
        ),
        (
            vec![(
                "US.yaml",
                "code: US\nname: U\ncurrency: USD\n  timezone: UTC\n",
            )],
            "US.yaml:4:11: not valid YAML: mapping values are not allowed in this context",
        ),
    ];
    for (files, expected) in cases {
        let got = problems(&files);
        assert!(
            got.iter().any(|line| line == expected),
            "expected\n  {expected}\ngot\n  {}",
            got.join("\n  ")
        );
    }
}

#[test]
fn every_problem_in_a_file_is_reported_not_just_the_first() {
    let got = problems(&[(
        "US.yaml",
        "code: US\nname: U\ncurrency: USX\ntimezone: Mars/Base\nsources: [x]\ntax:\n  rate: \"2\"\n  rounding: nearest\n",
    )]);
    assert_eq!(got.len(), 4, "{got:#?}");
}

#[test]
fn children_inherit_and_override_without_dropping_parent_rules() {
    let parent = "code: US\nname: U\ncurrency: USD\ntimezone: America/New_York\nsources: [p]\n\
tax:\n  rate: \"0.05\"\n  categories:\n    groceries: {exempt: true}\n    books: {rate: \"0.01\"}\n\
delivery:\n  hours:\n    monday: [\"09:00-17:00\"]\n    tuesday: [\"09:00-17:00\"]\n\
age_verification: {required: true, minimum_age: 21, categories: [alcohol]}\n\
purchase_limits:\n  - {category: alcohol, max_quantity: \"10\", unit: l, per: day}\n  - {category: tobacco, max_quantity: \"5\", unit: item, per: order}\n\
restricted_categories: [firearms]\n";
    let child = "code: US-XX\nname: X\nextends: US\ntimezone: America/Chicago\nsources: [c]\n\
tax:\n  categories:\n    books: {rate: \"0.02\"}\n\
delivery:\n  hours:\n    tuesday: [\"10:00-12:00\"]\n\
age_verification: {categories: [cannabis]}\n\
purchase_limits:\n  - {category: alcohol, max_quantity: \"4\", unit: l, per: day}\n\
restricted_categories: [fuel]\n";
    let set = load_texts(&[
        ("US.yaml".into(), parent.into()),
        ("US-XX.yaml".into(), child.into()),
    ])
    .expect("valid");
    let x = set.get("US-XX").expect("child");
    assert_eq!(x.tax.rate, dec("0.05"), "inherited");
    assert_eq!(x.timezone, chrono_tz::America::Chicago, "overridden");
    assert_eq!(
        x.tax.categories[&TaxCategory::Groceries].rate,
        Some(Decimal::ZERO)
    );
    assert_eq!(
        x.tax.categories[&TaxCategory::Books].rate,
        Some(dec("0.02"))
    );
    assert_eq!(x.delivery.hours[&0].len(), 1, "monday kept");
    assert_eq!(x.delivery.hours[&1][0].start, 600, "tuesday replaced");
    assert_eq!(
        x.age_verification.categories,
        Some(vec![TaxCategory::Alcohol, TaxCategory::Cannabis])
    );
    assert_eq!(x.purchase_limits.len(), 2);
    assert!(
        x.purchase_limits
            .iter()
            .any(|l| l.category == TaxCategory::Alcohol && l.max_quantity == dec("4"))
    );
    assert_eq!(
        x.restricted_categories,
        vec![TaxCategory::Firearms, TaxCategory::Fuel]
    );
    assert_eq!(x.sources, vec!["p".to_owned(), "c".to_owned()]);
    let parent_version = set.get("US").expect("parent").version.clone();
    assert_ne!(x.version, parent_version);
}

#[test]
fn california_cannabis_quote_matches_hand_arithmetic() {
    let set = shipped();
    let ca = set.get("US-CA").expect("US-CA");
    // 2026-11-25 12:00 in Los Angeles (PST, UTC-8).
    let at = Utc
        .with_ymd_and_hms(2026, 11, 25, 20, 0, 0)
        .single()
        .expect("time");
    let request = QuoteRequest {
        at,
        age_verified: true,
        lines: vec![
            QuoteLine {
                category: TaxCategory::CannabisFlower,
                unit_price: dec("35.00"),
                quantity: 2,
                measure: Some((dec("3.5"), Unit::Gram)),
            },
            QuoteLine {
                category: TaxCategory::General,
                unit_price: dec("9.99"),
                quantity: 1,
                measure: None,
            },
        ],
        purchased_today: Vec::new(),
        shipping: Vec::new(),
    };
    let q = quote(ca, &request);
    // 70.00 * 0.0725 = 5.075 -> 5.08 (half up); excise 70.00 * 0.15 = 10.50.
    assert_eq!(
        (q.lines[0].tax, q.lines[0].excise, q.lines[0].gross),
        (dec("5.08"), dec("10.50"), dec("85.58"))
    );
    // 9.99 * 0.0725 = 0.724275 -> 0.72.
    assert_eq!(
        (q.lines[1].tax, q.lines[1].gross),
        (dec("0.72"), dec("10.71"))
    );
    assert_eq!(q.totals.gross, dec("96.29"));
    assert!(q.delivery.open);
    assert!(q.age_verification_required);
    assert!(q.violations.is_empty(), "{:?}", q.violations);

    let unverified = quote(
        ca,
        &QuoteRequest {
            age_verified: false,
            ..request.clone()
        },
    );
    assert_eq!(unverified.violations[0].rule, "age_verification");
    assert_eq!(
        unverified.violations[0].code,
        crate::quote::ViolationCode::AgeVerificationRequired
    );

    let too_much = QuoteRequest {
        lines: vec![QuoteLine {
            category: TaxCategory::CannabisFlower,
            unit_price: dec("35.00"),
            quantity: 9,
            measure: Some((dec("3.5"), Unit::Gram)),
        }],
        ..request.clone()
    };
    let refused = quote(ca, &too_much);
    assert_eq!(refused.violations.len(), 1, "{:?}", refused.violations);
    assert_eq!(
        refused.violations[0].rule,
        "purchase_limits.cannabis_flower.day"
    );
    assert!(
        refused.violations[0].message.contains("31.5"),
        "{}",
        refused.violations[0].message
    );
}

#[test]
fn vat_inclusive_prices_are_split_not_added() {
    let set = shipped();
    let de = set.get("DE").expect("DE");
    let at = Utc
        .with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
        .single()
        .expect("time");
    let q = quote(
        de,
        &QuoteRequest {
            at,
            age_verified: false,
            lines: vec![QuoteLine {
                category: TaxCategory::General,
                unit_price: dec("119.00"),
                quantity: 1,
                measure: None,
            }],
            purchased_today: Vec::new(),
            shipping: Vec::new(),
        },
    );
    assert_eq!(
        (q.lines[0].net, q.lines[0].tax, q.lines[0].gross),
        (dec("100.00"), dec("19.00"), dec("119.00"))
    );
}

#[test]
fn delivery_windows_follow_local_time_across_daylight_saving() {
    let set = shipped();
    let ca = set.get("US-CA").expect("US-CA");
    // Clocks go back at 02:00 local on 2026-11-01. 15:30 UTC is 08:30 PDT
    // the day before (open) and 07:30 PST that day (closed until 08:00 PST,
    // which is 16:00 UTC).
    let before = Utc
        .with_ymd_and_hms(2026, 10, 31, 15, 30, 0)
        .single()
        .expect("time");
    let after = Utc
        .with_ymd_and_hms(2026, 11, 1, 15, 30, 0)
        .single()
        .expect("time");
    assert!(crate::quote::delivery_status(ca, before).open);
    let status = crate::quote::delivery_status(ca, after);
    assert!(!status.open);
    let lead = i64::from(ca.delivery.lead_time_minutes);
    let opens = Utc
        .with_ymd_and_hms(2026, 11, 1, 16, 0, 0)
        .single()
        .expect("time");
    let expected_start = opens.max(after + chrono::Duration::minutes(lead));
    let window = status.next_window.expect("a window");
    assert_eq!(window.starts_at, expected_start);
    assert_eq!(
        window.ends_at,
        Utc.with_ymd_and_hms(2026, 11, 2, 6, 0, 0)
            .single()
            .expect("time")
    );
}

mod properties {
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use crate::pack::Rounding;
    use crate::quote::{allocate, round, to_exclusive, to_inclusive};

    fn rounding() -> impl Strategy<Value = Rounding> {
        prop_oneof![
            Just(Rounding::HalfUp),
            Just(Rounding::HalfEven),
            Just(Rounding::Up),
            Just(Rounding::Down)
        ]
    }

    proptest! {
        #[test]
        fn inclusive_and_exclusive_convert_both_ways_within_a_minor_unit(
            cents in 0i64..10_000_000,
            rate_bp in 0i64..3000,
            mode in rounding(),
        ) {
            let unit = Decimal::new(1, 2);
            let net = Decimal::new(cents, 2);
            let rate = Decimal::new(rate_bp, 4);
            let gross = to_inclusive(net, rate, 2, mode);
            let back = to_exclusive(gross, rate, 2, mode);
            prop_assert!((back - net).abs() <= unit, "net {net} -> gross {gross} -> {back}");
            // From a gross price back and forth: within a minor unit for the
            // half modes; directed modes (up, down) push both conversions
            // the same way and can end two units off.
            let start = Decimal::new(cents, 2);
            let there = to_exclusive(start, rate, 2, mode);
            let again = to_inclusive(there, rate, 2, mode);
            let bound = match mode {
                Rounding::HalfUp | Rounding::HalfEven => unit,
                Rounding::Up | Rounding::Down => unit * Decimal::TWO,
            };
            prop_assert!((again - start).abs() <= bound, "gross {start} -> net {there} -> {again}");
        }

        #[test]
        fn line_and_order_rounding_differ_by_at_most_one_minor_unit_per_line(
            raw in prop::collection::vec(0i64..100_000_000, 1..40),
            mode in rounding(),
        ) {
            // Raw tax amounts with 6 decimals, rounded to cents.
            let amounts: Vec<Decimal> = raw.iter().map(|r| Decimal::new(*r, 6)).collect();
            let per_line: Decimal = amounts.iter().map(|a| round(*a, 2, mode)).sum();
            let per_order = round(amounts.iter().copied().sum(), 2, mode);
            let n = Decimal::from(amounts.len());
            let bound = match mode {
                // Half modes: each line is off by at most half a cent, the
                // order total by half a cent more.
                Rounding::HalfUp | Rounding::HalfEven => (n + Decimal::ONE) * Decimal::new(5, 3),
                Rounding::Up | Rounding::Down => n * Decimal::new(1, 2),
            };
            prop_assert!((per_line - per_order).abs() <= bound, "{per_line} vs {per_order} (bound {bound})");

            // Allocation gives lines that add up to the order's rounding.
            let parts = allocate(&amounts, 2, mode);
            prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), per_order);
            for (part, amount) in parts.iter().zip(&amounts) {
                prop_assert!((*part - *amount).abs() < Decimal::new(1, 2) * n);
            }
        }

        #[test]
        fn order_totals_equal_the_sum_of_their_lines(
            lines in prop::collection::vec((1i64..1_000_000, 1u32..20, 0usize..19), 1..30),
            shipping in prop::collection::vec(0i64..10_000, 0..4),
            shipping_taxed in any::<bool>(),
            inclusive in any::<bool>(),
            per_order in any::<bool>(),
        ) {
            use crate::TaxCategory;
            use crate::pack::RoundingLevel;
            use crate::quote::{QuoteLine, QuoteRequest, quote};
            let set = super::shipped();
            let mut region = (**set.get("US-CA").expect("US-CA")).clone();
            region.tax.inclusive = inclusive;
            region.tax.rounding_level = if per_order { RoundingLevel::Order } else { RoundingLevel::Line };
            region.purchase_limits.clear();
            if !shipping_taxed {
                region.tax.categories.insert(TaxCategory::Shipping, crate::pack::CategoryRate { rate: Some(Decimal::ZERO), excise: Decimal::ZERO });
            }
            let request = QuoteRequest {
                at: chrono::Utc::now(),
                age_verified: true,
                lines: lines
                    .iter()
                    .map(|(cents, qty, cat)| QuoteLine {
                        category: TaxCategory::ALL[*cat],
                        unit_price: Decimal::new(*cents, 2),
                        quantity: *qty,
                        measure: None,
                    })
                    .collect(),
                purchased_today: Vec::new(),
                shipping: shipping.iter().map(|c| Decimal::new(*c, 2)).collect(),
            };
            let q = quote(&region, &request);
            let sum = |f: fn(&crate::quote::LineTax) -> Decimal| q.lines.iter().chain(&q.shipping).map(f).sum::<Decimal>();
            prop_assert_eq!(q.totals.gross, sum(|l| l.gross));
            prop_assert_eq!(q.totals.tax, sum(|l| l.tax));
            prop_assert_eq!(q.totals.net + q.totals.shipping + q.totals.tax + q.totals.excise, q.totals.gross);
            prop_assert_eq!(q.shipping.len(), shipping.len());
            if !shipping_taxed {
                prop_assert!(q.shipping.iter().all(|s| s.tax.is_zero()));
            }
            for line in q.lines.iter().chain(&q.shipping) {
                prop_assert_eq!(line.net + line.tax + line.excise, line.gross);
                prop_assert!(line.tax.scale() <= 2 && line.gross.scale() <= 2);
            }
            if inclusive {
                let charged: Decimal = lines.iter().map(|(c, qty, _)| Decimal::new(*c, 2) * Decimal::from(*qty)).sum::<Decimal>()
                    + shipping.iter().map(|c| Decimal::new(*c, 2)).sum::<Decimal>();
                prop_assert_eq!(q.totals.gross, charged, "VAT-inclusive prices are what the shopper pays");
            }
        }

        #[test]
        fn inheritance_never_drops_a_parent_rule(
            parent_cats in prop::collection::btree_map(0usize..19, 0i64..2000, 0..6),
            child_cats in prop::collection::btree_map(0usize..19, 0i64..2000, 0..6),
            parent_restricted in prop::collection::btree_set(0usize..19, 0..4),
            child_restricted in prop::collection::btree_set(0usize..19, 0..4),
            parent_limits in prop::collection::btree_set(0usize..19, 0..4),
            child_limits in prop::collection::btree_set(0usize..19, 0..4),
        ) {
            use crate::TaxCategory;
            let name = |i: usize| TaxCategory::ALL[i].as_str();
            let cats = |m: &std::collections::BTreeMap<usize, i64>| m.iter()
                .map(|(c, r)| format!("{}: {{rate: \"{}\"}}", name(*c), Decimal::new(*r, 4)))
                .collect::<Vec<_>>().join(", ");
            let list = |s: &std::collections::BTreeSet<usize>| s.iter().map(|c| name(*c)).collect::<Vec<_>>().join(", ");
            let limits = |s: &std::collections::BTreeSet<usize>, q: u32| s.iter()
                .map(|c| format!("{{category: {}, max_quantity: \"{q}\", unit: item, per: order}}", name(*c)))
                .collect::<Vec<_>>().join(", ");
            let parent = format!(
                "code: US\nname: U\ncurrency: USD\ntimezone: UTC\nsources: [p]\ntax:\n  rate: \"0.05\"\n  categories: {{{}}}\nrestricted_categories: [{}]\npurchase_limits: [{}]\n",
                cats(&parent_cats), list(&parent_restricted), limits(&parent_limits, 7),
            );
            let child = format!(
                "code: US-XX\nname: X\nextends: US\nsources: [c]\ntax:\n  categories: {{{}}}\nrestricted_categories: [{}]\npurchase_limits: [{}]\n",
                cats(&child_cats), list(&child_restricted), limits(&child_limits, 3),
            );
            let set = crate::resolve::load_texts(&[("US.yaml".into(), parent), ("US-XX.yaml".into(), child)])
                .map_err(|p| TestCaseError::fail(format!("{p:?}")))?;
            let x = set.get("US-XX").expect("child");
            for (c, r) in &parent_cats {
                let cat = TaxCategory::ALL[*c];
                let want = child_cats.get(c).map_or(Decimal::new(*r, 4), |cr| Decimal::new(*cr, 4));
                prop_assert_eq!(x.tax.categories[&cat].rate, Some(want));
            }
            for c in parent_restricted.iter().chain(&child_restricted) {
                prop_assert!(x.restricted_categories.contains(&TaxCategory::ALL[*c]));
            }
            for c in &parent_limits {
                let cat = TaxCategory::ALL[*c];
                let limit = x.purchase_limits.iter().find(|l| l.category == cat);
                prop_assert!(limit.is_some(), "parent limit on {} dropped", cat);
                let want = if child_limits.contains(c) { Decimal::from(3) } else { Decimal::from(7) };
                prop_assert_eq!(limit.map(|l| l.max_quantity), Some(want));
            }
        }
    }
}
