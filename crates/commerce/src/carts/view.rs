//! A cart as a shopper sees it: every line, priced live under the cart's
//! region pack when it can still be bought, each vendor's shipping, the
//! totals, the delivery window, whether an age check is needed, and the
//! rules the cart breaks.

use std::sync::Arc;

use bazaar_regions::Region;
use bazaar_regions::quote::{DeliveryStatus, LineTax, Totals, Violation, ViolationCode};
use bazaar_store::tenant::carts::{Cart, PricedLine};
use bazaar_store::tenant::shipping::Rate;
use uuid::Uuid;

use super::{CartRefusal, Priced, available, price_cart};

/// A line of a priced cart.
#[derive(Debug, Clone)]
pub struct LineQuote {
    pub line: PricedLine,
    /// False when the product is no longer sold in the brand (or in the
    /// cart's currency): such a line is not priced.
    pub available: bool,
    /// The line's tax, when it is priced.
    pub tax: Option<LineTax>,
}

/// Shipping for one vendor's part of the cart.
#[derive(Debug, Clone)]
pub struct ShippingQuote {
    pub vendor_id: Uuid,
    /// The region whose rate applies (the cart's region or a parent).
    pub rate_region: String,
    pub tax: LineTax,
}

/// A cart priced now.
#[derive(Debug, Clone)]
pub struct PricedCart {
    pub cart: Cart,
    /// The region pack it is priced with.
    pub region: Arc<Region>,
    pub lines: Vec<LineQuote>,
    /// One entry per vendor with a shipping rate for the region.
    pub shipping: Vec<ShippingQuote>,
    pub totals: Totals,
    pub delivery: DeliveryStatus,
    /// Whether checking out needs a verified age: the pack's rule, or a
    /// variant's own flag.
    pub age_verification_required: bool,
    /// Rules of the region the cart breaks as it stands. Age is not among
    /// them: it is settled at checkout, against the customer's
    /// verification.
    pub violations: Vec<Violation>,
}

/// Price `cart` with its lines and shipping rates.
pub fn priced(
    regions: &bazaar_regions::Registry,
    cart: Cart,
    lines: Vec<PricedLine>,
    rates: &[Rate],
) -> Result<PricedCart, CartRefusal> {
    let Priced {
        region,
        quote,
        shipments,
    } = price_cart(regions, &cart, &lines, rates)?;
    let currency = cart.currency;
    let age_restricted = lines
        .iter()
        .any(|l| available(l, currency) && l.age_restricted);
    let mut taxed = quote.lines.into_iter();
    let lines = lines
        .into_iter()
        .map(|line| {
            let available = available(&line, currency);
            LineQuote {
                tax: if available { taxed.next() } else { None },
                available,
                line,
            }
        })
        .collect();
    Ok(PricedCart {
        cart,
        region,
        lines,
        shipping: shipments
            .into_iter()
            .zip(quote.shipping)
            .map(|((vendor_id, rate_region), tax)| ShippingQuote {
                vendor_id,
                rate_region,
                tax,
            })
            .collect(),
        totals: quote.totals,
        delivery: quote.delivery,
        age_verification_required: quote.age_verification_required || age_restricted,
        violations: quote
            .violations
            .into_iter()
            .filter(|v| v.code != ViolationCode::AgeVerificationRequired)
            .collect(),
    })
}
