//! Which regions a tenant may sell in (packs in force, and the tenant's own
//! list), the packs themselves as any key may read them, and quotes of a
//! prospective order under a pack.

use std::sync::Arc;

use bazaar_domain::{DomainError, Scope, validate};
use bazaar_regions::pack::Unit;
use bazaar_regions::quote::{self, Quote, QuoteLine, QuoteRequest};
use bazaar_regions::registry::Status;
use bazaar_regions::{Region, TaxCategory};
use bazaar_store::control::tenants;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::{AccessRefusal, Outcome, Services, TenantKey, refusals};

refusals! {
    /// Why a region cannot be used.
    pub enum RegionRefusal {
        /// The code is not a region code (`US-CA`, `DE`).
        Invalid(DomainError) => delegate;
        /// No pack in force for these codes.
        Unknown { unknown: String, known: String } => Unprocessable, "unknown_region",
            "no region pack for {unknown}; regions in force: {known}";
        /// The tenant does not sell there.
        NotEnabled { region: String, enabled: String } => Unprocessable, "region_not_enabled",
            "the tenant does not sell in `{region}`; its regions are [{enabled}]";
        /// No pack in force with this code (the pack asked for by name).
        NotFound { code: String, known: String } => NotFound, "region_not_found",
            "no region `{code}`; regions in force: {known}";
        /// An amount of a quote's line that is negative, too fine or absurd.
        InvalidAmount { field: String, dp: u32, value: Decimal } => Unprocessable, "invalid_amount",
            "`{field}` must be a non-negative amount with at most {dp} decimals, e.g. \"12.50\"; got `{value}`";
        /// A quote's line names no tax category.
        UnknownTaxCategory { field: String, raw: String, names: String } => Unprocessable,
            "unknown_tax_category", "`{field}` is `{raw}`, not a tax category; use one of {names}";
    }
}

/// Check a list of region codes and return it de-duplicated, in order.
pub fn codes(raw: Vec<String>) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for code in raw {
        validate::region_code(&code)?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

/// Refuse region codes that are not in force, naming the ones that are.
pub fn check_in_force(services: &Services, codes: &[String]) -> Result<(), RegionRefusal> {
    let set = services.regions.current();
    let unknown: Vec<&str> = codes
        .iter()
        .filter(|c| set.get(c).is_none())
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = set.sorted().iter().map(|r| r.code.clone()).collect();
    Err(RegionRefusal::Unknown {
        unknown: unknown.join(", "),
        known: known.join(", "),
    })
}

/// Refuse a region the key's tenant does not sell in (checked against the
/// tenant's list, whatever packs are in force).
pub async fn check_enabled(
    services: &Services,
    key: &TenantKey,
    region: &str,
) -> Outcome<(), RegionRefusal> {
    validate::region_code(region)?;
    let tenant = tenants::get(&services.db, key.tenant_id).await?;
    if tenant.regions.iter().any(|r| r == region) {
        return Ok(());
    }
    Err(RegionRefusal::NotEnabled {
        region: region.to_owned(),
        enabled: tenant.regions.join(", "),
    }
    .into())
}

/// Check region codes (a vendor's regions served) against the key's
/// tenant: each a region code, each one the tenant sells in; returned
/// de-duplicated, in order.
pub async fn check_all_enabled(
    services: &Services,
    key: &TenantKey,
    raw: &[String],
) -> Outcome<Vec<String>, RegionRefusal> {
    let regions = codes(raw.to_vec())?;
    if regions.is_empty() {
        return Ok(regions);
    }
    let tenant = tenants::get(&services.db, key.tenant_id).await?;
    if let Some(outside) = regions.iter().find(|r| !tenant.regions.contains(r)) {
        return Err(RegionRefusal::NotEnabled {
            region: outside.clone(),
            enabled: tenant.regions.join(", "),
        }
        .into());
    }
    Ok(regions)
}

/// The packs in force, by code.
pub fn in_force(services: &Services) -> Vec<Arc<Region>> {
    services.regions.current().sorted()
}

/// The pack in force with this code; any valid key may read it.
pub fn get(services: &Services, code: &str) -> Result<Arc<Region>, RegionRefusal> {
    let set = services.regions.current();
    set.get(code).cloned().ok_or_else(|| {
        let known: Vec<String> = set.sorted().iter().map(|r| r.code.clone()).collect();
        RegionRefusal::NotFound {
            code: code.to_owned(),
            known: known.join(", "),
        }
    })
}

/// What the registry serves and how its last reload went.
#[derive(Debug)]
pub struct Served {
    /// The packs in force, by code.
    pub regions: Vec<Arc<Region>>,
    pub status: Status,
}

/// The packs in force and the last reload, for the platform operator and
/// tenant admins (`key` is `None` for the platform).
pub fn served(services: &Services, key: Option<&TenantKey>) -> Result<Served, AccessRefusal> {
    if let Some(key) = key {
        key.require(&[Scope::TenantAdmin])?;
    }
    Ok(Served {
        regions: in_force(services),
        status: services.regions.status(),
    })
}

/// One line of a prospective order, as the caller wrote it.
#[derive(Debug, Clone)]
pub struct LineInput {
    pub tax_category: String,
    pub unit_price: Decimal,
    pub quantity: u32,
    /// How much of a limited measure one item holds.
    pub measure: Option<(Decimal, Unit)>,
}

/// A prospective order to quote.
#[derive(Debug, Clone)]
pub struct QuoteInput {
    /// The moment to evaluate at (default: now).
    pub at: Option<DateTime<Utc>>,
    pub age_verified: bool,
    pub lines: Vec<LineInput>,
    /// What the customer bought earlier today: category, quantity, unit.
    pub purchased_today: Vec<(String, Decimal, Unit)>,
}

/// A quote and what it was computed with.
#[derive(Debug)]
pub struct Quoted {
    pub region: Arc<Region>,
    pub at: DateTime<Utc>,
    pub quote: Quote,
}

/// Tax, delivery and compliance for a prospective order in the region
/// `code`; any valid key may ask.
#[tracing::instrument(skip_all, fields(region = %code))]
pub fn quote(services: &Services, code: &str, input: QuoteInput) -> Result<Quoted, RegionRefusal> {
    let region = get(services, code)?;
    let dp = region.currency.minor_units();
    let mut lines = Vec::with_capacity(input.lines.len());
    for (i, line) in input.lines.iter().enumerate() {
        let measure = match line.measure {
            Some((quantity, unit)) => Some((
                amount(quantity, &format!("lines[{i}].measure.quantity"), 6)?,
                unit,
            )),
            None => None,
        };
        lines.push(QuoteLine {
            category: category(&line.tax_category, &format!("lines[{i}].tax_category"))?,
            unit_price: amount(line.unit_price, &format!("lines[{i}].unit_price"), dp)?,
            quantity: line.quantity,
            measure,
        });
    }
    let mut purchased_today = Vec::new();
    for (i, (raw, quantity, unit)) in input.purchased_today.iter().enumerate() {
        purchased_today.push((
            category(raw, &format!("purchased_today[{i}].tax_category"))?,
            amount(*quantity, &format!("purchased_today[{i}].quantity"), 6)?,
            *unit,
        ));
    }
    let at = input.at.unwrap_or_else(Utc::now);
    let request = QuoteRequest {
        at,
        age_verified: input.age_verified,
        lines,
        purchased_today,
        shipping: Vec::new(),
    };
    let quote = quote::quote(&region, &request);
    Ok(Quoted { region, at, quote })
}

/// Check an amount: not negative, no finer than `dp` decimals, not absurd.
fn amount(value: Decimal, field: &str, dp: u32) -> Result<Decimal, RegionRefusal> {
    let value = value.normalize();
    if value.is_sign_negative() || value.scale() > dp || value > Decimal::from(1_000_000_000) {
        return Err(RegionRefusal::InvalidAmount {
            field: field.to_owned(),
            dp,
            value,
        });
    }
    Ok(value)
}

fn category(raw: &str, field: &str) -> Result<TaxCategory, RegionRefusal> {
    TaxCategory::parse(raw).ok_or_else(|| RegionRefusal::UnknownTaxCategory {
        field: field.to_owned(),
        raw: raw.to_owned(),
        names: TaxCategory::names(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked_and_de_duplicated_in_order() {
        let codes = codes(vec!["US-CA".into(), "DE".into(), "US-CA".into()]).expect("valid");
        assert_eq!(codes, ["US-CA", "DE"]);
        assert!(super::codes(vec!["us-ca".into()]).is_err());
    }

    #[test]
    fn amounts_past_the_currency_are_refused_with_the_field() {
        let err = amount(Decimal::new(1234, 3), "lines[0].unit_price", 2).expect_err("too fine");
        assert_eq!(
            err.to_string(),
            "`lines[0].unit_price` must be a non-negative amount with at most 2 decimals, e.g. \"12.50\"; got `1.234`"
        );
        assert_eq!(
            amount(Decimal::new(1250, 2), "x", 2).expect("ok"),
            Decimal::new(125, 1)
        );
    }
}
