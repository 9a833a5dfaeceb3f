//! `/v1/regions`: the region packs in force, their effective rules and
//! versions, the reload status, and quotes (tax, delivery, age and limit
//! checks for a prospective order). The edge of `bazaar_commerce::regions`.

use bazaar_commerce::regions::{self, LineInput, Quoted};
use bazaar_regions::TaxCategory;
use bazaar_regions::pack::{Region, Unit};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use rust_decimal::Decimal;

use super::Tag;
use crate::auth::{ApiKey, Principal};
use crate::decimal::DecimalString;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::timestamp::Timestamp;
use crate::types::{QuotedWindow, RuleViolation};

/// A region in force, in brief.
#[derive(Debug, Object)]
pub struct RegionSummary {
    /// ISO 3166 code, e.g. `US-CA`.
    pub code: String,
    pub name: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// IANA time zone the region's hours are in.
    pub timezone: String,
    /// The pack this one extends, if any.
    pub extends: Option<String>,
    /// Content hash of this pack and every pack it extends; orders record it.
    pub version: String,
}

impl From<&Region> for RegionSummary {
    fn from(r: &Region) -> Self {
        Self {
            code: r.code.clone(),
            name: r.name.clone(),
            currency: r.currency.code().to_owned(),
            timezone: r.timezone.name().to_owned(),
            extends: r.lineage.get(1).cloned(),
            version: r.version.clone(),
        }
    }
}

/// The regions in force.
#[derive(Debug, Object)]
pub struct RegionList {
    pub items: Vec<RegionSummary>,
}

/// A category's own treatment.
#[derive(Debug, Object)]
pub struct CategoryTax {
    pub category: String,
    /// The category's rate (decimal string); absent means the standard rate.
    pub rate: Option<String>,
    /// An additional rate charged on top (decimal string).
    pub excise: String,
}

/// A change of rates from a date on.
#[derive(Debug, Object)]
pub struct ScheduledChange {
    pub effective_from: chrono::NaiveDate,
    pub rate: Option<String>,
    pub categories: Vec<CategoryTax>,
}

#[derive(Debug, Object)]
pub struct TaxRules {
    /// The standard rate, a decimal string such as `0.0725`.
    pub rate: String,
    /// Whether prices include tax (VAT-style).
    pub inclusive: bool,
    /// `half_up`, `half_even`, `up` or `down`, to the currency's minor unit.
    pub rounding: String,
    /// `line` or `order`.
    pub rounding_level: String,
    pub categories: Vec<CategoryTax>,
    pub scheduled: Vec<ScheduledChange>,
}

#[derive(Debug, Object)]
pub struct DayHours {
    /// `monday` ... `sunday`.
    pub day: String,
    /// Windows in local time, `HH:MM-HH:MM`.
    pub windows: Vec<String>,
}

#[derive(Debug, Object)]
pub struct DeliveryException {
    pub date: chrono::NaiveDate,
    /// Windows that replace the weekday's on this date; empty means closed.
    pub windows: Vec<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Object)]
pub struct DeliveryRules {
    pub hours: Vec<DayHours>,
    pub exceptions: Vec<DeliveryException>,
    /// Smallest order delivered (decimal string in the region's currency).
    pub minimum_order: Option<String>,
    pub lead_time_minutes: u32,
}

#[derive(Debug, Object)]
pub struct AgeRules {
    pub required: bool,
    pub minimum_age: u8,
    /// Categories it applies to; absent means every category.
    pub categories: Option<Vec<String>>,
}

#[derive(Debug, Object)]
pub struct PurchaseLimit {
    pub category: String,
    pub max_quantity: String,
    pub unit: String,
    /// `order` or `day`.
    pub per: String,
}

/// A region's effective rules, inheritance resolved.
#[derive(Debug, Object)]
pub struct RegionRules {
    #[oai(flatten)]
    pub summary: RegionSummary,
    /// This pack and the packs it extends, nearest first.
    pub lineage: Vec<String>,
    /// Where the figures come from.
    pub sources: Vec<String>,
    pub notes: Vec<String>,
    pub tax: TaxRules,
    pub delivery: DeliveryRules,
    pub age_verification: AgeRules,
    pub purchase_limits: Vec<PurchaseLimit>,
    pub restricted_categories: Vec<String>,
}

fn categories(
    map: &std::collections::BTreeMap<TaxCategory, bazaar_regions::pack::CategoryRate>,
) -> Vec<CategoryTax> {
    map.iter()
        .map(|(c, r)| CategoryTax {
            category: c.to_string(),
            rate: r.rate.map(|d| d.normalize().to_string()),
            excise: r.excise.normalize().to_string(),
        })
        .collect()
}

impl From<&Region> for RegionRules {
    fn from(r: &Region) -> Self {
        Self {
            summary: r.into(),
            lineage: r.lineage.clone(),
            sources: r.sources.clone(),
            notes: r.notes.clone(),
            tax: TaxRules {
                rate: r.tax.rate.normalize().to_string(),
                inclusive: r.tax.inclusive,
                rounding: r.tax.rounding.as_str().to_owned(),
                rounding_level: match r.tax.rounding_level {
                    bazaar_regions::pack::RoundingLevel::Line => "line",
                    bazaar_regions::pack::RoundingLevel::Order => "order",
                }
                .to_owned(),
                categories: categories(&r.tax.categories),
                scheduled: r
                    .tax
                    .scheduled
                    .iter()
                    .map(|s| ScheduledChange {
                        effective_from: s.effective_from,
                        rate: s.rate.map(|d| d.normalize().to_string()),
                        categories: categories(&s.categories),
                    })
                    .collect(),
            },
            delivery: DeliveryRules {
                hours: r
                    .delivery
                    .hours
                    .iter()
                    .map(|(day, ws)| DayHours {
                        day: bazaar_regions::pack::weekday_name(*day).to_owned(),
                        windows: ws.iter().map(ToString::to_string).collect(),
                    })
                    .collect(),
                exceptions: r
                    .delivery
                    .exceptions
                    .iter()
                    .map(|e| DeliveryException {
                        date: e.date,
                        windows: e.hours.iter().map(ToString::to_string).collect(),
                        reason: e.reason.clone(),
                    })
                    .collect(),
                minimum_order: r.delivery.minimum_order.map(|d| d.to_string()),
                lead_time_minutes: r.delivery.lead_time_minutes,
            },
            age_verification: AgeRules {
                required: r.age_verification.required,
                minimum_age: r.age_verification.minimum_age,
                categories: r
                    .age_verification
                    .categories
                    .as_ref()
                    .map(|cs| cs.iter().map(ToString::to_string).collect()),
            },
            purchase_limits: r
                .purchase_limits
                .iter()
                .map(|l| PurchaseLimit {
                    category: l.category.to_string(),
                    max_quantity: l.max_quantity.normalize().to_string(),
                    unit: l.unit.as_str().to_owned(),
                    per: l.per.as_str().to_owned(),
                })
                .collect(),
            restricted_categories: r
                .restricted_categories
                .iter()
                .map(ToString::to_string)
                .collect(),
        }
    }
}

/// A problem in a region pack.
#[derive(Debug, Object)]
pub struct PackProblem {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// What the region registry is serving and how its last reload went.
#[derive(Debug, Object)]
pub struct RegionStatus {
    /// Active version per region.
    pub regions: Vec<RegionSummary>,
    /// When the active set was loaded.
    pub loaded_at: Timestamp,
    /// When the folder was last found changed and validated.
    pub last_attempt_at: Timestamp,
    /// Problems of the last attempt; empty when it succeeded. While
    /// non-empty, the previous good set keeps serving.
    pub last_errors: Vec<PackProblem>,
    /// Successful loads since the server started.
    pub reloads: u64,
}

/// Measures a purchase limit may count in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum MeasureUnit {
    G,
    Kg,
    Oz,
    Ml,
    L,
    Item,
}

impl From<MeasureUnit> for Unit {
    fn from(u: MeasureUnit) -> Self {
        match u {
            MeasureUnit::G => Unit::Gram,
            MeasureUnit::Kg => Unit::Kilogram,
            MeasureUnit::Oz => Unit::Ounce,
            MeasureUnit::Ml => Unit::Millilitre,
            MeasureUnit::L => Unit::Litre,
            MeasureUnit::Item => Unit::Item,
        }
    }
}

/// An amount of a measured good.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Measure {
    /// A decimal string, e.g. `"3.5"`.
    pub quantity: DecimalString,
    pub unit: MeasureUnit,
}

/// One line of a prospective order.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct QuoteLineInput {
    /// The line's tax category (`general`, `groceries`, `cannabis_flower`, ...).
    pub tax_category: String,
    /// Price of one item as a decimal string (net in exclusive regions,
    /// tax-inclusive in VAT regions), at most the currency's minor units.
    pub unit_price: DecimalString,
    /// How many items, 1 to 10000.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub quantity: u32,
    /// How much of a limited measure one item holds (e.g. 3.5 g).
    pub measure: Option<Measure>,
}

/// An amount already bought today in a category, for per-day limits.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PriorPurchase {
    pub tax_category: String,
    /// A decimal string.
    pub quantity: DecimalString,
    pub unit: MeasureUnit,
}

/// A prospective order to evaluate.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct QuoteInput {
    /// The moment to evaluate at (default: now).
    pub at: Option<Timestamp>,
    /// Whether the customer's age has been verified.
    #[oai(default)]
    pub age_verified: bool,
    /// The order's lines, 1 to 500.
    #[oai(validator(min_items = 1, max_items = 500))]
    pub lines: Vec<QuoteLineInput>,
    /// What the customer bought earlier today, for per-day limits.
    #[oai(default)]
    pub purchased_today: Vec<PriorPurchase>,
}

#[derive(Debug, Object)]
pub struct QuotedLine {
    pub tax_category: String,
    /// The sales tax or VAT rate applied.
    pub rate: String,
    /// An excise rate charged on top, `0` when none.
    pub excise_rate: String,
    pub net: String,
    pub tax: String,
    pub excise: String,
    pub gross: String,
}

#[derive(Debug, Object)]
pub struct QuotedTotals {
    /// The goods, before tax.
    pub subtotal: String,
    pub tax_total: String,
    pub excise_total: String,
    /// Goods, tax and excise (named as an order's totals are).
    pub total: String,
}

#[derive(Debug, Object)]
pub struct QuotedDelivery {
    /// Whether `at` falls inside a delivery window.
    pub open: bool,
    /// The first window an order placed at `at` can be delivered in.
    pub next_window: Option<QuotedWindow>,
    pub minimum_order: Option<String>,
    pub lead_time_minutes: u32,
}

#[derive(Debug, Object)]
pub struct QuotedAge {
    /// Whether this order needs a verified age.
    pub required: bool,
    pub minimum_age: u8,
}

/// Tax, delivery and compliance for a prospective order.
#[derive(Debug, Object)]
pub struct QuoteResult {
    pub region: String,
    /// The region version the quote was computed with.
    pub version: String,
    pub currency: String,
    /// Whether prices include tax.
    pub inclusive: bool,
    pub at: Timestamp,
    pub lines: Vec<QuotedLine>,
    pub totals: QuotedTotals,
    pub delivery: QuotedDelivery,
    pub age_verification: QuotedAge,
    /// Every rule the order breaks; empty when it may be placed.
    pub violations: Vec<RuleViolation>,
}

impl From<QuoteInput> for regions::QuoteInput {
    fn from(body: QuoteInput) -> Self {
        Self {
            at: body.at.map(|t| t.0),
            age_verified: body.age_verified,
            lines: body
                .lines
                .into_iter()
                .map(|l| LineInput {
                    tax_category: l.tax_category,
                    unit_price: l.unit_price.0,
                    quantity: l.quantity,
                    measure: l.measure.map(|m| (m.quantity.0, Unit::from(m.unit))),
                })
                .collect(),
            purchased_today: body
                .purchased_today
                .into_iter()
                .map(|p| (p.tax_category, p.quantity.0, Unit::from(p.unit)))
                .collect(),
        }
    }
}

fn money(value: Decimal, dp: u32) -> String {
    let mut v = value;
    v.rescale(dp);
    v.to_string()
}

impl From<Quoted> for QuoteResult {
    fn from(
        Quoted {
            region,
            at,
            quote: q,
        }: Quoted,
    ) -> Self {
        let dp = region.currency.minor_units();
        Self {
            region: region.code.clone(),
            version: region.version.clone(),
            currency: region.currency.code().to_owned(),
            inclusive: region.tax.inclusive,
            at: at.into(),
            lines: q
                .lines
                .iter()
                .map(|l| QuotedLine {
                    tax_category: l.category.to_string(),
                    rate: l.rate.normalize().to_string(),
                    excise_rate: l.excise_rate.normalize().to_string(),
                    net: money(l.net, dp),
                    tax: money(l.tax, dp),
                    excise: money(l.excise, dp),
                    gross: money(l.gross, dp),
                })
                .collect(),
            totals: QuotedTotals {
                subtotal: money(q.totals.net, dp),
                tax_total: money(q.totals.tax, dp),
                excise_total: money(q.totals.excise, dp),
                total: money(q.totals.gross, dp),
            },
            delivery: QuotedDelivery {
                open: q.delivery.open,
                next_window: q.delivery.next_window.map(|w| QuotedWindow {
                    starts_at: w.starts_at.into(),
                    ends_at: w.ends_at.into(),
                }),
                minimum_order: region.delivery.minimum_order.map(|m| money(m, dp)),
                lead_time_minutes: region.delivery.lead_time_minutes,
            },
            age_verification: QuotedAge {
                required: q.age_verification_required,
                minimum_age: region.age_verification.minimum_age,
            },
            violations: q.violations.into_iter().map(RuleViolation::from).collect(),
        }
    }
}

pub struct RegionsApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/regions", tag = "Tag::Regions")]
impl RegionsApi {
    /// List regions
    ///
    /// Every region pack in force with its version. Any valid key may ask.
    #[oai(path = "/", method = "get", operation_id = "list_regions")]
    async fn list(&self, auth: ApiKey) -> ApiResult<Json<RegionList>> {
        // Any valid key may read the rules; the extractor checked it.
        let _ = &auth;
        Ok(Json(RegionList {
            items: regions::in_force(&self.state)
                .iter()
                .map(|r| RegionSummary::from(r.as_ref()))
                .collect(),
        }))
    }

    /// Region pack status
    ///
    /// Active version per region, the last reload and its problems
    /// (platform and tenant admin keys).
    #[oai(path = "/status", method = "get", operation_id = "region_status")]
    async fn status(&self, auth: ApiKey) -> ApiResult<Json<RegionStatus>> {
        let key = match &auth.0 {
            Principal::Tenant(key) => Some(key),
            Principal::Platform => None,
        };
        let served = regions::served(&self.state, key)?;
        let status = served.status;
        Ok(Json(RegionStatus {
            regions: served
                .regions
                .iter()
                .map(|r| RegionSummary::from(r.as_ref()))
                .collect(),
            loaded_at: status.loaded_at.into(),
            last_attempt_at: status.last_attempt_at.into(),
            last_errors: status
                .last_errors
                .iter()
                .map(|p| PackProblem {
                    file: p.file.clone(),
                    line: u32::try_from(p.line).unwrap_or(u32::MAX),
                    column: u32::try_from(p.col).unwrap_or(u32::MAX),
                    message: p.message.clone(),
                })
                .collect(),
            reloads: status.reloads,
        }))
    }

    /// Get a region's rules
    ///
    /// The effective rules, inheritance resolved, and the version.
    #[oai(path = "/:code", method = "get", operation_id = "get_region")]
    async fn get(&self, auth: ApiKey, code: Path<String>) -> ApiResult<Json<RegionRules>> {
        // Any valid key may read the rules; the extractor checked it.
        let _ = &auth;
        let region = regions::get(&self.state, &code.0)?;
        Ok(Json(RegionRules::from(region.as_ref())))
    }

    /// Quote an order in a region
    ///
    /// Tax per line and in total, whether delivery is open and the next
    /// window, whether age verification is required, and every rule the
    /// order would break. Amounts are decimal strings.
    #[oai(path = "/:code/quote", method = "post", operation_id = "quote_region")]
    async fn quote(
        &self,
        auth: ApiKey,
        code: Path<String>,
        body: Json<QuoteInput>,
    ) -> ApiResult<Json<QuoteResult>> {
        // Any valid key may read the rules; the extractor checked it.
        let _ = &auth;
        let quoted = regions::quote(&self.state, &code.0, body.0.into())?;
        Ok(Json(quoted.into()))
    }
}
