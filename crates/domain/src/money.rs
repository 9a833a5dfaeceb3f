//! An amount of one currency, always carried at exactly that currency's
//! minor units: `Money` is how every price, total and charge leaves the
//! domain, so a stored `32.1800` and a computed `32.18` are one value and
//! print the same (`"32.18"`; `"1200"` for JPY).

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::{Currency, DomainError};

/// An amount in a currency, scaled to the currency's minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// The amount exactly as given; refused when it has more decimals than
    /// the currency has minor units (`"9.999"` dollars) or does not fit.
    pub fn exact(amount: Decimal, currency: Currency) -> Result<Self, DomainError> {
        let dp = currency.minor_units();
        let normal = amount.normalize();
        if normal.scale() > dp {
            return Err(DomainError::new(
                "too_many_decimals",
                format!(
                    "{amount} has more decimals than {} allows ({dp})",
                    currency.code()
                ),
            ));
        }
        Ok(Self::scaled(normal, currency))
    }

    /// The amount rounded half away from zero to the currency's minor
    /// units: for computed amounts (tax, shares of a total).
    pub fn rounded(amount: Decimal, currency: Currency) -> Self {
        let dp = currency.minor_units();
        Self::scaled(
            amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero),
            currency,
        )
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self::scaled(Decimal::ZERO, currency)
    }

    /// An amount counted in minor units (cents for USD, yen for JPY).
    pub fn from_minor_units(units: i64, currency: Currency) -> Self {
        Self::scaled(Decimal::new(units, currency.minor_units()), currency)
    }

    fn scaled(mut amount: Decimal, currency: Currency) -> Self {
        amount.rescale(currency.minor_units());
        Self { amount, currency }
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in minor units, when it fits an `i64`.
    pub fn minor_units(&self) -> Option<i64> {
        let mut units = self.amount;
        units.set_scale(0).ok()?;
        i64::try_from(units).ok()
    }

    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// The sum, when both are in the same currency and it does not overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.amount.checked_add(other.amount))
            .flatten()
            .map(|amount| Self::scaled(amount, self.currency))
    }

    /// The difference, when both are in the same currency.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.amount.checked_sub(other.amount))
            .flatten()
            .map(|amount| Self::scaled(amount, self.currency))
    }
}

/// The amount alone, at the currency's minor units: the API's and the
/// payment providers' decimal string.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.amount, f)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").expect("USD")
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn stored_and_computed_amounts_are_one_value() {
        let stored = Money::exact(dec("32.1800"), usd()).expect("fits");
        let computed = Money::exact(dec("32.18"), usd()).expect("fits");
        assert_eq!(stored, computed);
        assert_eq!(stored.to_string(), "32.18");
        assert_eq!(
            Money::exact(dec("35"), usd()).expect("fits").to_string(),
            "35.00"
        );
    }

    #[test]
    fn minor_units_follow_the_currency() {
        let jpy = Currency::parse("JPY").expect("JPY");
        let kwd = Currency::parse("KWD").expect("KWD");
        assert_eq!(Money::rounded(dec("1200.4"), jpy).to_string(), "1200");
        assert_eq!(Money::rounded(dec("1.2345"), kwd).to_string(), "1.235");
        assert_eq!(Money::from_minor_units(1999, usd()).to_string(), "19.99");
        assert_eq!(
            Money::exact(dec("19.99"), usd())
                .expect("fits")
                .minor_units(),
            Some(1999)
        );
    }

    #[test]
    fn too_many_decimals_are_refused_not_rounded() {
        let err = Money::exact(dec("9.999"), usd()).expect_err("three decimals");
        assert_eq!(err.code, "too_many_decimals");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(Money::rounded(dec("0.125"), usd()).to_string(), "0.13");
        assert_eq!(Money::rounded(dec("-0.125"), usd()).to_string(), "-0.13");
    }

    #[test]
    fn arithmetic_needs_one_currency() {
        let a = Money::exact(dec("1.10"), usd()).expect("fits");
        let b = Money::exact(dec("2.25"), usd()).expect("fits");
        assert_eq!(a.checked_add(b).map(|m| m.to_string()), Some("3.35".into()));
        assert_eq!(b.checked_sub(a).map(|m| m.to_string()), Some("1.15".into()));
        let eur = Money::zero(Currency::parse("EUR").expect("EUR"));
        assert_eq!(a.checked_add(eur), None);
    }
}
