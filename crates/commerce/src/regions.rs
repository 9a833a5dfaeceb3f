//! Which regions a tenant may sell in: packs in force, and the tenant's own
//! list.

use bazaar_domain::{DomainError, validate};
use bazaar_store::control::tenants;

use crate::{Outcome, Services, TenantKey, refusals};

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
    }
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
