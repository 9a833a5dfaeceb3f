//! A cart priced live: its lines read with their listings, each vendor's
//! shipping rate for the cart's region, and the region pack's quote (tax
//! per line, shipping, delivery window, rules broken).

use bazaar_domain::Currency;
use bazaar_regions::TaxCategory;
use bazaar_regions::pack::Unit;
use bazaar_regions::quote::{QuoteLine, QuoteRequest, quote};
use bazaar_store::StoreError;
use bazaar_store::tenant::carts::{self as store, Cart, PricedLine};
use bazaar_store::tenant::shipping::{self, Rate};
use chrono::Utc;
use uuid::Uuid;

use super::CartRefusal;

/// Whether a line can be bought: still shown in the brand, in its currency.
pub fn available(line: &PricedLine, currency: Currency) -> bool {
    line.visible == Some(true) && line.currency == currency
}

/// A cart priced with its region pack; `quote.lines` follow the cart's
/// available lines in order, `quote.shipping` follows `shipments`.
pub struct Priced {
    pub region: std::sync::Arc<bazaar_regions::Region>,
    pub quote: bazaar_regions::quote::Quote,
    /// The vendor and rate of each shipping charge.
    pub shipments: Vec<(Uuid, String)>,
}

/// What a cart holds: its lines, priced from the catalog, and the shipping
/// rate of each vendor in it for the cart's region (most specific first).
pub async fn contents(
    conn: &mut bazaar_store::TenantConn,
    regions: &bazaar_regions::Registry,
    cart: &Cart,
) -> Result<(Vec<PricedLine>, Vec<Rate>), StoreError> {
    let lines = store::lines(conn, cart).await?;
    let mut vendors: Vec<Uuid> = lines.iter().map(|l| l.vendor_id).collect();
    vendors.sort();
    vendors.dedup();
    let lineage = regions
        .current()
        .get(&cart.region)
        .map_or_else(|| vec![cart.region.clone()], |r| r.lineage.clone());
    let rates = shipping::for_order(conn, &vendors, &lineage, cart.currency).await?;
    Ok((lines, rates))
}

/// Price `cart` with its lines and shipping rates under its region pack as
/// it is in force now.
pub fn price_cart(
    regions: &bazaar_regions::Registry,
    cart: &Cart,
    lines: &[PricedLine],
    rates: &[Rate],
) -> Result<Priced, CartRefusal> {
    let set = regions.current();
    let region = set
        .get(&cart.region)
        .cloned()
        .ok_or_else(|| CartRefusal::RegionNotFound {
            region: cart.region.clone(),
        })?;
    let currency = cart.currency;
    let priced: Vec<&PricedLine> = lines.iter().filter(|l| available(l, currency)).collect();
    let mut request = QuoteRequest {
        at: Utc::now(),
        age_verified: false,
        lines: priced
            .iter()
            .map(|l| QuoteLine {
                category: TaxCategory::parse(&l.tax_category).unwrap_or(TaxCategory::General),
                unit_price: l.listing_price.unwrap_or(l.price),
                quantity: u32::try_from(l.quantity).unwrap_or(0),
                measure: l.weight_grams.map(|g| (g, Unit::Gram)),
            })
            .collect(),
        purchased_today: Vec::new(),
        shipping: Vec::new(),
    };
    // Each vendor's part ships at the vendor's rate, on its goods as
    // priced (gross in inclusive regions, net otherwise).
    let mut shipments = Vec::new();
    for rate in rates {
        let part = request
            .lines
            .iter()
            .zip(&priced)
            .filter(|(_, l)| l.vendor_id == rate.vendor_id);
        let (goods, items) = part.fold((rust_decimal::Decimal::ZERO, 0i64), |(g, n), (q, _)| {
            (
                g + q.unit_price * rust_decimal::Decimal::from(q.quantity),
                n + i64::from(q.quantity),
            )
        });
        if items > 0 {
            request.shipping.push(rate.charge(goods, items));
            shipments.push((rate.vendor_id, rate.region.clone()));
        }
    }
    let quote = quote(&region, &request);
    Ok(Priced {
        region,
        quote,
        shipments,
    })
}
