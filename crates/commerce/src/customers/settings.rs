//! The tenant's customer settings: whether accounts are per brand or
//! shared by every brand, and the loyalty rule (points earned per unit of
//! currency, what a point is worth, when points expire).

use bazaar_store::StoreError;
use bazaar_store::tenant::customers::{self as store, Settings};
use futures_util::FutureExt;
use rust_decimal::Decimal;

use crate::context::AccessRefusal;
use crate::{Failure, Outcome, Services, TenantKey, refusals};

refusals! {
    /// Why the settings were not changed.
    pub enum SettingsRefusal {
        Access(AccessRefusal) => delegate;
        TooPrecise => Unprocessable, "invalid_loyalty_rule",
            "loyalty rates have at most 4 decimal places";
        PointsPerUnit => Unprocessable, "invalid_loyalty_rule",
            "`loyalty_points_per_unit` must be between 0 and 10000";
        PointValue => Unprocessable, "invalid_loyalty_rule",
            "`loyalty_point_value` must be more than 0 (and at most 1000000)";
        /// Sharing accounts would put two accounts with one email in one realm.
        AccountsConflict => Conflict, "accounts_conflict",
            "two brands have accounts with the same email, so accounts cannot be shared \
             yet; erase or change one of each pair first";
    }
}

/// The settings in force.
pub async fn get(services: &Services, key: &TenantKey) -> Outcome<Settings, AccessRefusal> {
    key.admin()?;
    Ok(services
        .db
        .tenant_read(&key.schema, |conn| store::settings(conn).boxed())
        .await?)
}

/// Replace the settings. Switching the account scope moves every account
/// to its new realm, or changes nothing when two brands' accounts share an
/// email.
pub async fn update(
    services: &Services,
    key: &TenantKey,
    new: Settings,
) -> Outcome<Settings, SettingsRefusal> {
    key.admin()?;
    let (per_unit, value) = (new.loyalty_points_per_unit, new.loyalty_point_value);
    if per_unit.scale() > 4 || value.scale() > 4 {
        return Err(SettingsRefusal::TooPrecise.into());
    }
    if per_unit < Decimal::ZERO || per_unit > Decimal::from(10_000) {
        return Err(SettingsRefusal::PointsPerUnit.into());
    }
    if value <= Decimal::ZERO || value > Decimal::from(1_000_000) {
        return Err(SettingsRefusal::PointValue.into());
    }
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move { store::update_settings(conn, &new).await }.boxed()
        })
        .await
        .map_err(|e| -> Failure<SettingsRefusal> {
            match e {
                StoreError::Conflict { .. } => SettingsRefusal::AccountsConflict.into(),
                other => other.into(),
            }
        })
}
