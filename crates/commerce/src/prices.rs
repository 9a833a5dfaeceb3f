//! Amounts a seller sets (variant prices, a brand's price for a listing,
//! shipping rates): never negative, no finer than the currency's minor
//! unit, and of a size the database holds.

use bazaar_domain::{Currency, DomainError};
use rust_decimal::Decimal;

use crate::refusals;

refusals! {
    /// Why an amount is refused; `field` names it as the caller sent it.
    pub enum PriceRefusal {
        /// The currency is not an ISO 4217 code.
        Currency(DomainError) => delegate;
        Negative { field: String } => Unprocessable, "invalid_price", "`{field}` cannot be negative";
        TooPrecise { field: String, currency: String, decimals: u32 } => Unprocessable,
            "invalid_price", "`{field}` has more decimals than {currency} allows ({decimals})";
        TooLarge { field: String } => Unprocessable, "invalid_price", "`{field}` is too large";
    }
}

/// `value` as an amount in `currency`: not negative, no finer than its
/// minor unit, below 10^18.
pub fn amount(value: Decimal, currency: Currency, field: &str) -> Result<Decimal, PriceRefusal> {
    let decimals = currency.minor_units();
    let value = value.normalize();
    let field = field.to_owned();
    if value.is_sign_negative() {
        return Err(PriceRefusal::Negative { field });
    }
    if value.scale() > decimals {
        return Err(PriceRefusal::TooPrecise {
            field,
            currency: currency.code().to_owned(),
            decimals,
        });
    }
    if value >= Decimal::from(1_000_000_000_000_000i64) {
        return Err(PriceRefusal::TooLarge { field });
    }
    Ok(value)
}

/// `amount` at exactly the currency's minor units (`32.1800` → `32.18`):
/// what a provider is sent, and what a refund's share is rounded to, so a
/// computed amount and the same amount read back from a NUMERIC(19,4)
/// column are identical.
pub(crate) fn in_minor_units(amount: Decimal, currency: Currency) -> Decimal {
    bazaar_domain::Money::rounded(amount, currency).amount()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    /// A resumed charge sends the first amount: the computed total and the
    /// stored one are the same at the currency's minor units.
    #[test]
    fn amounts_in_minor_units_do_not_depend_on_the_stored_scale() {
        let usd = Currency::parse("USD").expect("USD");
        let computed = Decimal::from_str("32.18").expect("decimal");
        let stored = Decimal::from_str("32.1800").expect("decimal");
        assert_eq!(in_minor_units(computed, usd).to_string(), "32.18");
        assert_eq!(in_minor_units(stored, usd).to_string(), "32.18");
        let yen = Decimal::from_str("1200.0000").expect("decimal");
        assert_eq!(
            in_minor_units(yen, Currency::parse("JPY").expect("JPY")).to_string(),
            "1200"
        );
    }
}
