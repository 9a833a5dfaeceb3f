//! Checking one pack file against the schema, collecting every problem with
//! its position rather than stopping at the first.

use std::collections::BTreeMap;
use std::str::FromStr;

use bazaar_domain::Currency;
use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::TaxCategory;
use crate::pack::{
    CategoryRate, Exception, Per, PurchaseLimit, RawAge, RawDelivery, RawPack, RawTax, Rounding,
    RoundingLevel, Scheduled, Spanned, Unit, WEEKDAYS, Window,
};
use crate::problem::{Problem, did_you_mean};
use crate::yaml::{self, Node, Pos, Value};

struct Ctx<'a> {
    file: &'a str,
    problems: Vec<Problem>,
}

type Entries<'n> = &'n [(Node, Node)];

impl<'a> Ctx<'a> {
    fn err(&mut self, pos: Pos, message: impl Into<String>) {
        self.problems.push(Problem::new(self.file, pos, message));
    }

    fn expected(&mut self, node: &Node, what: &str, at: &str) {
        self.err(
            node.pos,
            format!("`{at}` must be {what}, found {}", node.kind()),
        );
    }

    /// The entries of a mapping, after reporting unknown and repeated keys.
    fn map<'n>(&mut self, node: &'n Node, at: &str, allowed: &[&str]) -> Option<Entries<'n>> {
        let Value::Map(entries) = &node.value else {
            self.expected(node, "a mapping", at);
            return None;
        };
        let mut seen: Vec<&str> = Vec::new();
        for (key, _) in entries {
            let Some(name) = scalar(key) else {
                self.err(key.pos, format!("keys in `{at}` must be plain words"));
                continue;
            };
            if seen.contains(&name) {
                self.err(key.pos, format!("`{name}` appears twice in `{at}`"));
            }
            seen.push(name);
            if !allowed.is_empty() && !allowed.contains(&name) {
                let hint = did_you_mean(name, allowed)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("; expected one of {}", allowed.join(", ")));
                let place = if at.is_empty() {
                    "a pack".to_owned()
                } else {
                    format!("`{at}`")
                };
                self.err(key.pos, format!("unknown key `{name}` in {place}{hint}"));
            }
        }
        Some(entries)
    }

    fn string(&mut self, node: &Node, at: &str) -> Option<String> {
        match &node.value {
            Value::Scalar { text, .. } if !node.is_null() && !text.trim().is_empty() => {
                Some(text.clone())
            }
            _ => {
                self.expected(node, "a non-empty string", at);
                None
            }
        }
    }

    fn bool(&mut self, node: &Node, at: &str) -> Option<bool> {
        match &node.value {
            Value::Scalar {
                text,
                quoted: false,
            } if text == "true" => Some(true),
            Value::Scalar {
                text,
                quoted: false,
            } if text == "false" => Some(false),
            _ => {
                self.expected(node, "true or false", at);
                None
            }
        }
    }

    fn decimal(&mut self, node: &Node, at: &str) -> Option<Decimal> {
        let parsed = match &node.value {
            Value::Scalar { text, .. } => Decimal::from_str(text.trim()).ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.expected(node, "a decimal number such as \"0.0725\"", at);
        }
        parsed
    }

    fn rate(&mut self, node: &Node, at: &str) -> Option<Decimal> {
        let rate = self.decimal(node, at)?;
        if rate < Decimal::ZERO || rate >= Decimal::ONE {
            self.err(
                node.pos,
                format!("`{at}` is {rate}, out of range: a rate is a fraction from 0 up to (not including) 1, e.g. \"0.0725\" for 7.25%"),
            );
            return None;
        }
        Some(rate)
    }

    fn integer(&mut self, node: &Node, at: &str, max: u64) -> Option<u64> {
        let parsed = match &node.value {
            Value::Scalar {
                text,
                quoted: false,
            } => text.parse::<u64>().ok(),
            _ => None,
        };
        match parsed {
            Some(n) if n <= max => Some(n),
            Some(n) => {
                self.err(
                    node.pos,
                    format!("`{at}` is {n}, more than the maximum of {max}"),
                );
                None
            }
            None => {
                self.expected(node, "a whole number", at);
                None
            }
        }
    }

    fn date(&mut self, node: &Node, at: &str) -> Option<NaiveDate> {
        let parsed = match &node.value {
            Value::Scalar { text, .. } => NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.expected(node, "a date such as 2027-01-01", at);
        }
        parsed
    }

    fn list<'n>(&mut self, node: &'n Node, at: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.expected(node, "a list", at);
                None
            }
        }
    }

    fn category(&mut self, node: &Node, at: &str) -> Option<TaxCategory> {
        let name = self.string(node, at)?;
        let found = TaxCategory::parse(&name);
        if found.is_none() {
            let names: Vec<&str> = TaxCategory::ALL.iter().map(|c| c.as_str()).collect();
            let hint = did_you_mean(&name, &names)
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("known categories: {}", TaxCategory::names()));
            self.err(
                node.pos,
                format!("unknown tax category `{name}` in `{at}`; {hint}"),
            );
        }
        found
    }

    fn one_of<T>(
        &mut self,
        node: &Node,
        at: &str,
        names: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let raw = self.string(node, at)?;
        let found = parse(&raw);
        if found.is_none() {
            self.err(
                node.pos,
                format!("`{at}` is `{raw}`; expected one of {}", names.join(", ")),
            );
        }
        found
    }
}

fn scalar(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

fn get<'n>(entries: Entries<'n>, key: &str) -> Option<&'n Node> {
    entries
        .iter()
        .find(|(k, _)| scalar(k) == Some(key))
        .map(|(_, v)| v)
}

const TOP: &[&str] = &[
    "code",
    "name",
    "extends",
    "currency",
    "timezone",
    "sources",
    "notes",
    "tax",
    "delivery",
    "age_verification",
    "purchase_limits",
    "restricted_categories",
];

/// Check one file's text. Returns the pack (when its code could be read)
/// and every problem found.
pub fn check_file(file: &str, text: &str) -> (Option<RawPack>, Vec<Problem>) {
    let mut ctx = Ctx {
        file,
        problems: Vec::new(),
    };
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            ctx.err(
                Pos { line: 1, col: 1 },
                "the file is empty; a pack needs at least `code` and `name`",
            );
            return (None, ctx.problems);
        }
        Err(e) => {
            ctx.err(e.pos, format!("not valid YAML: {}", e.message));
            return (None, ctx.problems);
        }
    };
    let Some(entries) = ctx.map(&root, "", TOP) else {
        return (None, ctx.problems);
    };

    let code = match get(entries, "code") {
        Some(node) => ctx.string(node, "code").map(|value| Spanned {
            value,
            pos: node.pos,
        }),
        None => {
            ctx.err(root.pos, "missing `code` (the region code, e.g. US-CA)");
            None
        }
    };
    if let Some(code) = &code
        && let Err(e) = bazaar_domain::validate::region_code(&code.value)
    {
        ctx.err(code.pos, e.message);
    }
    let name = match get(entries, "name") {
        Some(node) => ctx.string(node, "name"),
        None => {
            ctx.err(root.pos, "missing `name` (the region's display name)");
            None
        }
    };
    let extends = get(entries, "extends").and_then(|node| {
        ctx.string(node, "extends").map(|value| Spanned {
            value,
            pos: node.pos,
        })
    });
    let currency = get(entries, "currency").and_then(|node| {
        let raw = ctx.string(node, "currency")?;
        match Currency::parse(&raw) {
            Ok(currency) => Some(Spanned {
                value: currency,
                pos: node.pos,
            }),
            Err(e) => {
                ctx.err(node.pos, format!("unknown currency: {}", e.message));
                None
            }
        }
    });
    let timezone = get(entries, "timezone").and_then(|node| {
        let raw = ctx.string(node, "timezone")?;
        let tz = raw.parse::<Tz>().ok();
        if tz.is_none() {
            ctx.err(node.pos, format!("unknown time zone `{raw}`; use an IANA name such as America/Los_Angeles or Europe/Berlin"));
        }
        tz
    });
    let sources = get(entries, "sources")
        .and_then(|node| ctx.list(node, "sources"))
        .map(|items| {
            items
                .iter()
                .filter_map(|n| ctx.string(n, "sources[]"))
                .collect()
        })
        .unwrap_or_default();
    let notes = get(entries, "notes").and_then(|node| ctx.string(node, "notes"));
    let tax = get(entries, "tax").and_then(|node| tax(&mut ctx, node));
    let delivery = get(entries, "delivery").and_then(|node| delivery(&mut ctx, node));
    let age_verification = get(entries, "age_verification").and_then(|node| age(&mut ctx, node));
    let purchase_limits = get(entries, "purchase_limits")
        .map(|node| limits(&mut ctx, node))
        .unwrap_or_default();
    let restricted_categories = get(entries, "restricted_categories")
        .and_then(|node| ctx.list(node, "restricted_categories"))
        .map(|items| {
            items
                .iter()
                .filter_map(|n| ctx.category(n, "restricted_categories"))
                .collect()
        })
        .unwrap_or_default();

    let pack = code.map(|code| RawPack {
        file: file.to_owned(),
        code,
        name,
        extends,
        currency,
        timezone,
        sources,
        notes,
        tax,
        delivery,
        age_verification,
        purchase_limits,
        restricted_categories,
        content_hash: hex::encode(Sha256::digest(text.as_bytes())),
    });
    (pack, ctx.problems)
}

fn category_rates(ctx: &mut Ctx<'_>, node: &Node, at: &str) -> BTreeMap<TaxCategory, CategoryRate> {
    let mut out = BTreeMap::new();
    let Some(entries) = ctx.map(node, at, &[]) else {
        return out;
    };
    for (key, value) in entries {
        let Some(category) = ctx.category(key, at) else {
            continue;
        };
        let here = format!("{at}.{category}");
        let Some(fields) = ctx.map(value, &here, &["rate", "exempt", "excise"]) else {
            continue;
        };
        let mut rate = get(fields, "rate").and_then(|n| ctx.rate(n, &format!("{here}.rate")));
        if let Some(exempt) =
            get(fields, "exempt").and_then(|n| ctx.bool(n, &format!("{here}.exempt")))
        {
            if exempt && rate.is_some_and(|r| !r.is_zero()) {
                ctx.err(
                    value.pos,
                    format!("`{here}` is exempt but also has a rate; keep one"),
                );
            }
            if exempt {
                rate = Some(Decimal::ZERO);
            }
        }
        let excise = get(fields, "excise")
            .and_then(|n| ctx.rate(n, &format!("{here}.excise")))
            .unwrap_or_default();
        out.insert(category, CategoryRate { rate, excise });
    }
    out
}

fn tax(ctx: &mut Ctx<'_>, node: &Node) -> Option<RawTax> {
    let entries = ctx.map(
        node,
        "tax",
        &[
            "rate",
            "inclusive",
            "rounding",
            "rounding_level",
            "categories",
            "scheduled",
        ],
    )?;
    let mut tax = RawTax {
        rate: get(entries, "rate").and_then(|n| ctx.rate(n, "tax.rate")),
        inclusive: get(entries, "inclusive").and_then(|n| ctx.bool(n, "tax.inclusive")),
        rounding: get(entries, "rounding")
            .and_then(|n| ctx.one_of(n, "tax.rounding", &Rounding::NAMES, Rounding::parse)),
        rounding_level: get(entries, "rounding_level").and_then(|n| {
            ctx.one_of(n, "tax.rounding_level", &["line", "order"], |s| match s {
                "line" => Some(RoundingLevel::Line),
                "order" => Some(RoundingLevel::Order),
                _ => None,
            })
        }),
        categories: get(entries, "categories")
            .map(|n| category_rates(ctx, n, "tax.categories"))
            .unwrap_or_default(),
        scheduled: Vec::new(),
    };
    if let Some(list) = get(entries, "scheduled").and_then(|n| ctx.list(n, "tax.scheduled")) {
        for (i, item) in list.iter().enumerate() {
            let at = format!("tax.scheduled[{i}]");
            let Some(fields) = ctx.map(item, &at, &["effective_from", "rate", "categories"]) else {
                continue;
            };
            let Some(effective_from) = (match get(fields, "effective_from") {
                Some(n) => ctx.date(n, &format!("{at}.effective_from")),
                None => {
                    ctx.err(item.pos, format!("`{at}` needs `effective_from`"));
                    None
                }
            }) else {
                continue;
            };
            tax.scheduled.push(Scheduled {
                effective_from,
                rate: get(fields, "rate").and_then(|n| ctx.rate(n, &format!("{at}.rate"))),
                categories: get(fields, "categories")
                    .map(|n| category_rates(ctx, n, &format!("{at}.categories")))
                    .unwrap_or_default(),
            });
        }
        tax.scheduled.sort_by_key(|s| s.effective_from);
    }
    Some(tax)
}

/// Parse `HH:MM-HH:MM` into minutes since midnight.
fn window(raw: &str) -> Result<Window, String> {
    let minutes = |t: &str| -> Option<u16> {
        let (h, m) = t.trim().split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
    };
    let Some((start, end)) = raw.split_once('-') else {
        return Err(format!(
            "`{raw}` is not an hour range; write it as \"08:00-22:00\""
        ));
    };
    match (minutes(start), minutes(end)) {
        (Some(start), Some(end)) if start < end && start < 1440 => Ok(Window { start, end }),
        (Some(_), Some(_)) => Err(format!(
            "`{raw}` ends before it starts; a window must end after it starts on the same day (split overnight windows across two days)"
        )),
        _ => Err(format!(
            "`{raw}` is not an hour range; write it as \"08:00-22:00\" with times from 00:00 to 24:00"
        )),
    }
}

fn windows(ctx: &mut Ctx<'_>, node: &Node, at: &str) -> Vec<Window> {
    let Some(items) = ctx.list(node, at) else {
        return Vec::new();
    };
    let mut out: Vec<(Window, Pos)> = Vec::new();
    for item in items {
        let Some(raw) = ctx.string(item, at) else {
            continue;
        };
        match window(&raw) {
            Ok(w) => {
                if let Some((other, _)) =
                    out.iter().find(|(o, _)| w.start < o.end && o.start < w.end)
                {
                    ctx.err(item.pos, format!("`{raw}` overlaps {} in `{at}`", other));
                } else {
                    out.push((w, item.pos));
                }
            }
            Err(message) => ctx.err(item.pos, message),
        }
    }
    let mut windows: Vec<Window> = out.into_iter().map(|(w, _)| w).collect();
    windows.sort_by_key(|w| w.start);
    windows
}

fn delivery(ctx: &mut Ctx<'_>, node: &Node) -> Option<RawDelivery> {
    let entries = ctx.map(
        node,
        "delivery",
        &["hours", "exceptions", "minimum_order", "lead_time_minutes"],
    )?;
    let mut out = RawDelivery::default();
    if let Some(hours) = get(entries, "hours").and_then(|n| ctx.map(n, "delivery.hours", &WEEKDAYS))
    {
        for (key, value) in hours {
            let Some(day) = scalar(key).and_then(|k| WEEKDAYS.iter().position(|d| *d == k)) else {
                continue;
            };
            let at = format!("delivery.hours.{}", WEEKDAYS[day]);
            out.hours.insert(day as u8, windows(ctx, value, &at));
        }
    }
    if let Some(list) = get(entries, "exceptions").and_then(|n| ctx.list(n, "delivery.exceptions"))
    {
        for (i, item) in list.iter().enumerate() {
            let at = format!("delivery.exceptions[{i}]");
            let Some(fields) = ctx.map(item, &at, &["date", "hours", "reason"]) else {
                continue;
            };
            let date = match get(fields, "date") {
                Some(n) => ctx.date(n, &format!("{at}.date")),
                None => {
                    ctx.err(item.pos, format!("`{at}` needs a `date`"));
                    None
                }
            };
            let hours = get(fields, "hours")
                .map(|n| windows(ctx, n, &format!("{at}.hours")))
                .unwrap_or_default();
            let reason = get(fields, "reason").and_then(|n| ctx.string(n, &format!("{at}.reason")));
            if let Some(date) = date {
                out.exceptions.push(Exception {
                    date,
                    hours,
                    reason,
                });
            }
        }
    }
    out.minimum_order = get(entries, "minimum_order").and_then(|n| {
        let amount = ctx.decimal(n, "delivery.minimum_order")?;
        if amount < Decimal::ZERO {
            ctx.err(n.pos, "`delivery.minimum_order` cannot be negative");
            return None;
        }
        Some(amount)
    });
    out.lead_time_minutes = get(entries, "lead_time_minutes")
        .and_then(|n| ctx.integer(n, "delivery.lead_time_minutes", 60 * 24 * 14))
        .map(|n| n as u32);
    Some(out)
}

fn age(ctx: &mut Ctx<'_>, node: &Node) -> Option<RawAge> {
    let entries = ctx.map(
        node,
        "age_verification",
        &["required", "minimum_age", "categories"],
    )?;
    Some(RawAge {
        required: get(entries, "required").and_then(|n| ctx.bool(n, "age_verification.required")),
        minimum_age: get(entries, "minimum_age")
            .and_then(|n| ctx.integer(n, "age_verification.minimum_age", 125))
            .map(|n| n as u8),
        categories: get(entries, "categories")
            .and_then(|n| ctx.list(n, "age_verification.categories"))
            .map(|items| {
                items
                    .iter()
                    .filter_map(|n| ctx.category(n, "age_verification.categories"))
                    .collect()
            }),
    })
}

fn limits(ctx: &mut Ctx<'_>, node: &Node) -> Vec<PurchaseLimit> {
    let Some(items) = ctx.list(node, "purchase_limits") else {
        return Vec::new();
    };
    let mut out: Vec<PurchaseLimit> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("purchase_limits[{i}]");
        let Some(fields) = ctx.map(item, &at, &["category", "max_quantity", "unit", "per"]) else {
            continue;
        };
        let mut need = |key: &str| {
            let found = get(fields, key);
            if found.is_none() {
                ctx.err(item.pos, format!("`{at}` needs `{key}`"));
            }
            found
        };
        let (category, max, unit, per) = (
            need("category"),
            need("max_quantity"),
            need("unit"),
            need("per"),
        );
        let category = category.and_then(|n| ctx.category(n, &format!("{at}.category")));
        let max_quantity = max.and_then(|n| {
            let q = ctx.decimal(n, &format!("{at}.max_quantity"))?;
            if q <= Decimal::ZERO {
                ctx.err(n.pos, format!("`{at}.max_quantity` must be more than 0"));
                return None;
            }
            Some(q)
        });
        let unit =
            unit.and_then(|n| ctx.one_of(n, &format!("{at}.unit"), &Unit::NAMES, Unit::parse));
        let per = per.and_then(|n| {
            ctx.one_of(n, &format!("{at}.per"), &["order", "day"], |s| match s {
                "order" => Some(Per::Order),
                "day" => Some(Per::Day),
                _ => None,
            })
        });
        if let (Some(category), Some(max_quantity), Some(unit), Some(per)) =
            (category, max_quantity, unit, per)
        {
            if out.iter().any(|l| l.category == category && l.per == per) {
                ctx.err(
                    item.pos,
                    format!(
                        "a `{category}` limit per {} is already set above",
                        per.as_str()
                    ),
                );
                continue;
            }
            out.push(PurchaseLimit {
                category,
                max_quantity,
                unit,
                per,
            });
        }
    }
    out
}
