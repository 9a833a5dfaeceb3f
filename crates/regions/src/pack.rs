//! The pack model: what one file says ([`RawPack`], fields optional because
//! a child inherits what it leaves out) and the effective rules of a region
//! once inheritance is resolved ([`Region`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bazaar_domain::Currency;
use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::TaxCategory;
use crate::yaml::Pos;

/// How amounts are rounded to the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    HalfUp,
    HalfEven,
    Up,
    Down,
}

impl Rounding {
    pub const NAMES: [&'static str; 4] = ["half_up", "half_even", "up", "down"];

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "half_up" => Rounding::HalfUp,
            "half_even" => Rounding::HalfEven,
            "up" => Rounding::Up,
            "down" => Rounding::Down,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::Up => RoundingStrategy::AwayFromZero,
            Rounding::Down => RoundingStrategy::ToZero,
        }
    }
}

/// Whether tax is rounded on each line or once on the order's total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundingLevel {
    Line,
    Order,
}

/// A category's treatment: its own rate (or the standard one) and any
/// excise charged on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CategoryRate {
    /// `None`: the standard rate applies.
    pub rate: Option<Decimal>,
    /// An additional rate charged on top (cannabis excise, for example).
    pub excise: Decimal,
}

/// A change of rates from a date on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    pub effective_from: NaiveDate,
    pub rate: Option<Decimal>,
    pub categories: BTreeMap<TaxCategory, CategoryRate>,
}

/// Measures a purchase limit counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Gram,
    Kilogram,
    Ounce,
    Millilitre,
    Litre,
    Item,
}

impl Unit {
    pub const NAMES: [&'static str; 6] = ["g", "kg", "oz", "ml", "l", "item"];

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "g" => Unit::Gram,
            "kg" => Unit::Kilogram,
            "oz" => Unit::Ounce,
            "ml" => Unit::Millilitre,
            "l" => Unit::Litre,
            "item" => Unit::Item,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The amount in this unit's base (grams, millilitres or items), and
    /// which base that is.
    pub fn to_base(self, amount: Decimal) -> (Decimal, &'static str) {
        match self {
            Unit::Gram => (amount, "g"),
            Unit::Kilogram => (amount * Decimal::from(1000), "g"),
            Unit::Ounce => (amount * Decimal::new(28_349_523_125, 9), "g"),
            Unit::Millilitre => (amount, "ml"),
            Unit::Litre => (amount * Decimal::from(1000), "ml"),
            Unit::Item => (amount, "item"),
        }
    }
}

/// Over what a purchase limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Per {
    Order,
    Day,
}

impl Per {
    pub fn as_str(self) -> &'static str {
        match self {
            Per::Order => "order",
            Per::Day => "day",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseLimit {
    pub category: TaxCategory,
    pub max_quantity: Decimal,
    pub unit: Unit,
    pub per: Per,
}

/// A delivery window in local time, as minutes since midnight; `end` may be
/// 1440 (`24:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: u16,
    pub end: u16,
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub date: NaiveDate,
    pub hours: Vec<Window>,
    pub reason: Option<String>,
}

/// A value with where it was written, for problems found after parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub pos: Pos,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawTax {
    pub rate: Option<Decimal>,
    pub inclusive: Option<bool>,
    pub rounding: Option<Rounding>,
    pub rounding_level: Option<RoundingLevel>,
    pub categories: BTreeMap<TaxCategory, CategoryRate>,
    pub scheduled: Vec<Scheduled>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawDelivery {
    pub hours: BTreeMap<u8, Vec<Window>>,
    pub exceptions: Vec<Exception>,
    pub minimum_order: Option<Decimal>,
    pub lead_time_minutes: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawAge {
    pub required: Option<bool>,
    pub minimum_age: Option<u8>,
    pub categories: Option<Vec<TaxCategory>>,
}

/// What one file says.
#[derive(Debug, Clone, PartialEq)]
pub struct RawPack {
    pub file: String,
    pub code: Spanned<String>,
    pub name: Option<String>,
    pub extends: Option<Spanned<String>>,
    pub currency: Option<Spanned<Currency>>,
    pub timezone: Option<Tz>,
    pub sources: Vec<String>,
    pub notes: Option<String>,
    pub tax: Option<RawTax>,
    pub delivery: Option<RawDelivery>,
    pub age_verification: Option<RawAge>,
    pub purchase_limits: Vec<PurchaseLimit>,
    pub restricted_categories: Vec<TaxCategory>,
    /// SHA-256 of the file's bytes.
    pub content_hash: String,
}

/// Tax rules in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxRules {
    pub rate: Decimal,
    pub inclusive: bool,
    pub rounding: Rounding,
    pub rounding_level: RoundingLevel,
    pub categories: BTreeMap<TaxCategory, CategoryRate>,
    pub scheduled: Vec<Scheduled>,
}

impl TaxRules {
    /// The standard rate and category overrides in force on `date`.
    pub fn on(&self, date: NaiveDate) -> (Decimal, BTreeMap<TaxCategory, CategoryRate>) {
        let mut rate = self.rate;
        let mut categories = self.categories.clone();
        for change in self.scheduled.iter().filter(|s| s.effective_from <= date) {
            if let Some(r) = change.rate {
                rate = r;
            }
            categories.extend(change.categories.iter().map(|(k, v)| (*k, *v)));
        }
        (rate, categories)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryRules {
    /// Windows per weekday (0 = Monday); a missing day is closed.
    pub hours: BTreeMap<u8, Vec<Window>>,
    pub exceptions: Vec<Exception>,
    pub minimum_order: Option<Decimal>,
    pub lead_time_minutes: u32,
}

impl DeliveryRules {
    /// The windows of a local date.
    pub fn windows_on(&self, date: NaiveDate) -> &[Window] {
        if let Some(exception) = self.exceptions.iter().find(|e| e.date == date) {
            return &exception.hours;
        }
        self.hours
            .get(&(chrono::Datelike::weekday(&date).num_days_from_monday() as u8))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

pub fn weekday_name(day: u8) -> &'static str {
    WEEKDAYS[usize::from(day % 7)]
}

pub fn weekday(day: u8) -> Weekday {
    Weekday::try_from(day % 7).unwrap_or(Weekday::Mon)
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgeRules {
    pub required: bool,
    pub minimum_age: u8,
    /// `None`: every category.
    pub categories: Option<Vec<TaxCategory>>,
}

impl AgeRules {
    pub fn applies_to(&self, category: TaxCategory) -> bool {
        self.required
            && self
                .categories
                .as_ref()
                .is_none_or(|cats| cats.contains(&category))
    }
}

/// The effective rules of one region: its pack with every ancestor's rules
/// folded in.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// The chain of packs this region was built from, itself first.
    pub lineage: Vec<String>,
    pub currency: Currency,
    pub timezone: Tz,
    pub sources: Vec<String>,
    pub notes: Vec<String>,
    pub tax: TaxRules,
    pub delivery: DeliveryRules,
    pub age_verification: AgeRules,
    pub purchase_limits: Vec<PurchaseLimit>,
    pub restricted_categories: Vec<TaxCategory>,
    /// SHA-256 of this pack's file.
    pub pack_hash: String,
    /// SHA-256 over the whole lineage's files: changes whenever any pack
    /// this region inherits from changes. Orders record it.
    pub version: String,
}

/// A validated, resolved set of regions, swapped in as a whole.
#[derive(Debug, Clone, Default)]
pub struct RegionSet {
    pub regions: HashMap<String, Arc<Region>>,
}

impl RegionSet {
    pub fn get(&self, code: &str) -> Option<&Arc<Region>> {
        self.regions.get(code)
    }

    /// Regions sorted by code.
    pub fn sorted(&self) -> Vec<Arc<Region>> {
        let mut all: Vec<Arc<Region>> = self.regions.values().cloned().collect();
        all.sort_by(|a, b| a.code.cmp(&b.code));
        all
    }
}
