//! Evaluating a region's rules for a prospective order: tax per line and in
//! total, whether delivery is open and the next window, age verification,
//! purchase limits and restricted categories. Everything is decimal
//! arithmetic rounded to the currency's minor unit by the pack's rule.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::TaxCategory;
use crate::pack::{Per, Region, Rounding, RoundingLevel, Unit, Window};

/// One line of a prospective order.
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteLine {
    pub category: TaxCategory,
    /// Price of one item: net when the region is exclusive, gross
    /// (tax included) when inclusive.
    pub unit_price: Decimal,
    pub quantity: u32,
    /// How much of a limited measure one item holds (3.5 g of flower).
    pub measure: Option<(Decimal, Unit)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuoteRequest {
    pub at: DateTime<Utc>,
    pub age_verified: bool,
    pub lines: Vec<QuoteLine>,
    /// Amounts the customer already bought today, for per-day limits.
    pub purchased_today: Vec<(TaxCategory, Decimal, Unit)>,
    /// Shipping charges (one per shipment: net when the region is
    /// exclusive, gross when inclusive), taxed as the `shipping` category.
    pub shipping: Vec<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTax {
    pub category: TaxCategory,
    pub rate: Decimal,
    pub excise_rate: Decimal,
    pub net: Decimal,
    pub tax: Decimal,
    pub excise: Decimal,
    pub gross: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// The goods, before tax.
    pub net: Decimal,
    /// Shipping, before tax.
    pub shipping: Decimal,
    /// Tax on goods and shipping.
    pub tax: Decimal,
    pub excise: Decimal,
    pub gross: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryWindow {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// Whether `at` falls inside a delivery window (local time).
    pub open: bool,
    /// The first window a delivery ordered at `at` can use, given the lead
    /// time (the current one when it is still usable).
    pub next_window: Option<DeliveryWindow>,
}

/// A rule the order breaks, named so a person can find it in the pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the pack: `age_verification`, `purchase_limits.cannabis_flower.day`,
    /// `restricted_categories`, `delivery.minimum_order`.
    pub rule: String,
    pub code: ViolationCode,
    pub message: String,
}

/// What kind of rule an order breaks: a closed set, so a program can
/// branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViolationCode {
    /// A line's category may not be sold in the region.
    RestrictedCategory,
    /// The region requires a verified age for a line's category.
    AgeVerificationRequired,
    /// A purchase limit counts a measure (grams, millilitres) the line lacks.
    MeasureRequired,
    /// A purchase limit counts a measure the line's unit cannot convert to.
    IncompatibleMeasure,
    /// Over a purchase limit (per order or per day).
    PurchaseLimitExceeded,
    /// Below the region's minimum order for delivery.
    BelowMinimumOrder,
}

impl ViolationCode {
    pub const ALL: [ViolationCode; 6] = [
        Self::RestrictedCategory,
        Self::AgeVerificationRequired,
        Self::MeasureRequired,
        Self::IncompatibleMeasure,
        Self::PurchaseLimitExceeded,
        Self::BelowMinimumOrder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RestrictedCategory => "restricted_category",
            Self::AgeVerificationRequired => "age_verification_required",
            Self::MeasureRequired => "measure_required",
            Self::IncompatibleMeasure => "incompatible_measure",
            Self::PurchaseLimitExceeded => "purchase_limit_exceeded",
            Self::BelowMinimumOrder => "below_minimum_order",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub lines: Vec<LineTax>,
    /// The tax on each shipping charge, in request order.
    pub shipping: Vec<LineTax>,
    pub totals: Totals,
    pub delivery: DeliveryStatus,
    pub age_verification_required: bool,
    pub violations: Vec<Violation>,
}

/// Round to the currency's minor unit with the pack's rule.
pub fn round(amount: Decimal, dp: u32, rounding: Rounding) -> Decimal {
    amount.round_dp_with_strategy(dp, rounding.strategy())
}

/// The gross price of a net one at `rate`, rounded.
pub fn to_inclusive(net: Decimal, rate: Decimal, dp: u32, rounding: Rounding) -> Decimal {
    round(net * (Decimal::ONE + rate), dp, rounding)
}

/// The net price of a gross one at `rate`, rounded.
pub fn to_exclusive(gross: Decimal, rate: Decimal, dp: u32, rounding: Rounding) -> Decimal {
    round(gross / (Decimal::ONE + rate), dp, rounding)
}

/// Round each amount so the parts add up to the rounded total: each is cut
/// to the minor unit, then the minor units left over go to the parts that
/// lost the most (largest remainder).
pub fn allocate(raw: &[Decimal], dp: u32, rounding: Rounding) -> Vec<Decimal> {
    let total = round(raw.iter().copied().sum(), dp, rounding);
    let mut parts: Vec<Decimal> = raw.iter().map(|r| r.trunc_with_scale(dp)).collect();
    let unit = Decimal::new(1, dp);
    let mut left = total - parts.iter().copied().sum::<Decimal>();
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|&a, &b| {
        (raw[b] - parts[b])
            .cmp(&(raw[a] - parts[a]))
            .then(a.cmp(&b))
    });
    let step = if left >= Decimal::ZERO { unit } else { -unit };
    let mut i = 0;
    while !left.is_zero() && !order.is_empty() {
        parts[order[i % order.len()]] += step;
        left -= step;
        i += 1;
    }
    parts
}

fn line_rates(
    standard: Decimal,
    categories: &std::collections::BTreeMap<TaxCategory, crate::pack::CategoryRate>,
    category: TaxCategory,
) -> (Decimal, Decimal) {
    let rule = categories
        .get(&category)
        .or_else(|| category.parent().and_then(|p| categories.get(&p)));
    match rule {
        Some(c) => (c.rate.unwrap_or(standard), c.excise),
        None => (standard, Decimal::ZERO),
    }
}

/// Evaluate `request` against `region`.
pub fn quote(region: &Region, request: &QuoteRequest) -> Quote {
    let dp = region.currency.minor_units();
    let rounding = region.tax.rounding;
    let local = request.at.with_timezone(&region.timezone);
    let date = local.date_naive();

    // Raw (unrounded) tax and excise per line, at the rates in force on
    // the local date.
    let (standard, categories) = region.tax.on(date);
    let mut raw = Vec::with_capacity(request.lines.len() + request.shipping.len());
    let charged = request
        .lines
        .iter()
        .map(|l| (l.category, l.unit_price * Decimal::from(l.quantity)))
        .chain(request.shipping.iter().map(|s| (TaxCategory::Shipping, *s)));
    for (category, amount) in charged {
        let (rate, excise_rate) = line_rates(standard, &categories, category);
        let (base, tax, excise) = if region.tax.inclusive {
            let net = amount / (Decimal::ONE + rate + excise_rate);
            (net, net * rate, net * excise_rate)
        } else {
            (amount, amount * rate, amount * excise_rate)
        };
        raw.push((category, rate, excise_rate, amount, base, tax, excise));
    }
    let (taxes, excises): (Vec<Decimal>, Vec<Decimal>) = match region.tax.rounding_level {
        RoundingLevel::Line => raw
            .iter()
            .map(|r| (round(r.5, dp, rounding), round(r.6, dp, rounding)))
            .unzip(),
        RoundingLevel::Order => (
            allocate(&raw.iter().map(|r| r.5).collect::<Vec<_>>(), dp, rounding),
            allocate(&raw.iter().map(|r| r.6).collect::<Vec<_>>(), dp, rounding),
        ),
    };
    let mut lines: Vec<LineTax> = raw
        .iter()
        .zip(taxes.iter().zip(excises.iter()))
        .map(|(r, (&tax, &excise))| {
            let amount = round(r.3, dp, rounding);
            let (net, gross) = if region.tax.inclusive {
                (amount - tax - excise, amount)
            } else {
                (amount, amount + tax + excise)
            };
            LineTax {
                category: r.0,
                rate: r.1,
                excise_rate: r.2,
                net,
                tax,
                excise,
                gross,
            }
        })
        .collect();
    let shipping = lines.split_off(request.lines.len());
    let all = || lines.iter().chain(shipping.iter());
    let totals = Totals {
        net: lines.iter().map(|l| l.net).sum(),
        shipping: shipping.iter().map(|l| l.net).sum(),
        tax: all().map(|l| l.tax).sum(),
        excise: all().map(|l| l.excise).sum(),
        gross: all().map(|l| l.gross).sum(),
    };
    let goods_gross: Decimal = lines.iter().map(|l| l.gross).sum();

    let mut violations = Vec::new();
    let code = &region.code;
    for line in &request.lines {
        if let Some(rule) = region
            .restricted_categories
            .iter()
            .find(|r| line.category.is_within(**r))
        {
            violations.push(Violation {
                rule: "restricted_categories".into(),
                code: ViolationCode::RestrictedCategory,
                message: format!(
                    "{} cannot be sold in {code} (restricted category `{rule}`)",
                    line.category
                ),
            });
        }
    }
    let age = &region.age_verification;
    let gated: Vec<TaxCategory> = request
        .lines
        .iter()
        .map(|l| l.category)
        .filter(|c| age.applies_to(*c) || c.parent().is_some_and(|p| age.applies_to(p)))
        .collect();
    let age_verification_required = !gated.is_empty();
    if age_verification_required && !request.age_verified {
        violations.push(Violation {
            rule: "age_verification".into(),
            code: ViolationCode::AgeVerificationRequired,
            message: format!(
                "{code} requires verified age {}+ for {}",
                age.minimum_age,
                gated
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    for limit in &region.purchase_limits {
        let (max, base) = limit.unit.to_base(limit.max_quantity);
        let mut total = Decimal::ZERO;
        let mut problem = None;
        for line in request
            .lines
            .iter()
            .filter(|l| l.category.is_within(limit.category))
        {
            let per_item = match (line.measure, limit.unit) {
                (_, Unit::Item) => (Decimal::ONE, "item"),
                (Some((amount, unit)), _) => unit.to_base(amount),
                (None, _) => {
                    problem = Some((
                        ViolationCode::MeasureRequired,
                        format!(
                            "{code} limits {} by {}; the line needs its measure per item",
                            limit.category,
                            limit.unit.as_str()
                        ),
                    ));
                    continue;
                }
            };
            if per_item.1 != base {
                problem = Some((
                    ViolationCode::IncompatibleMeasure,
                    format!(
                        "{code} limits {} in {}, but the line is measured in {}",
                        limit.category,
                        limit.unit.as_str(),
                        per_item.1
                    ),
                ));
                continue;
            }
            total += per_item.0 * Decimal::from(line.quantity);
        }
        if limit.per == Per::Day {
            for (category, amount, unit) in &request.purchased_today {
                let (amount, b) = unit.to_base(*amount);
                if category.is_within(limit.category) && b == base {
                    total += amount;
                }
            }
        }
        let rule = format!("purchase_limits.{}.{}", limit.category, limit.per.as_str());
        if let Some((code, message)) = problem {
            violations.push(Violation {
                rule: rule.clone(),
                code,
                message,
            });
        }
        if total > max {
            violations.push(Violation {
                rule,
                code: ViolationCode::PurchaseLimitExceeded,
                message: format!(
                    "{code} allows at most {} {} of {} per {}; this is {} {base}",
                    limit.max_quantity.normalize(),
                    limit.unit.as_str(),
                    limit.category,
                    limit.per.as_str(),
                    total.round_dp(3).normalize()
                ),
            });
        }
    }
    if let Some(minimum) = region.delivery.minimum_order {
        let subtotal = if region.tax.inclusive {
            goods_gross
        } else {
            totals.net
        };
        if !request.lines.is_empty() && subtotal < minimum {
            violations.push(Violation {
                rule: "delivery.minimum_order".into(),
                code: ViolationCode::BelowMinimumOrder,
                message: format!(
                    "{code} delivers orders of at least {minimum} {}; this one is {subtotal}",
                    region.currency.code()
                ),
            });
        }
    }

    Quote {
        lines,
        shipping,
        totals,
        delivery: delivery_status(region, request.at),
        age_verification_required,
        violations,
    }
}

/// The UTC instant of `minutes` past local midnight on `date`; a time that
/// falls in a daylight-saving gap moves to the first valid minute after it.
fn local_instant(region: &Region, date: NaiveDate, minutes: u16) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    let mut local = midnight + Duration::minutes(i64::from(minutes));
    for _ in 0..=120 {
        if let Some(t) = region.timezone.from_local_datetime(&local).earliest() {
            return Some(t.with_timezone(&Utc));
        }
        local += Duration::minutes(1);
    }
    None
}

/// Whether delivery is open at `at`, and the first window usable by an
/// order placed then (after the lead time).
pub fn delivery_status(region: &Region, at: DateTime<Utc>) -> DeliveryStatus {
    let local = at.with_timezone(&region.timezone);
    let today = local.date_naive();
    let minute = (chrono::Timelike::hour(&local) * 60 + chrono::Timelike::minute(&local)) as u16;
    let open = region
        .delivery
        .windows_on(today)
        .iter()
        .any(|w| w.start <= minute && minute < w.end);
    let ready = at + Duration::minutes(i64::from(region.delivery.lead_time_minutes));
    let mut next_window = None;
    'days: for offset in 0..15 {
        let date = today + Duration::days(offset);
        for &Window { start, end } in region.delivery.windows_on(date) {
            let (Some(starts_at), Some(ends_at)) = (
                local_instant(region, date, start),
                local_instant(region, date, end),
            ) else {
                continue;
            };
            if ends_at > ready {
                next_window = Some(DeliveryWindow {
                    starts_at: starts_at.max(ready),
                    ends_at,
                });
                break 'days;
            }
        }
    }
    DeliveryStatus { open, next_window }
}
