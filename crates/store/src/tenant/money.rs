//! Marketplace money: where the money of each paid order goes. A ledger of
//! entries per account (each vendor's, and the marketplace's own for its
//! commission), written in the same transaction as the change it records:
//! the sale when an order is paid, the refund when one is made, the payout
//! when a vendor is paid. So, always, per currency:
//!
//! charges − refunds = Σ entries + Σ payouts
//!
//! (the entries of a payout cancel its payout row). A vendor's balance is
//! the sum of its entries; it can go below zero when a refund comes after a
//! payout, and is then owed back by the vendor.

use chrono::{DateTime, Utc};
use diesel::dsl;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Numeric, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::prepared::prepared;
use crate::schema::tenant::{
    commission_rates, money_ledger, orders, payouts, vendor_orders, vendors,
};
use crate::{StoreError, TenantConn};
use bazaar_domain::{Currency, Money};

/// One ledger entry to write: the account (a vendor, or `None` for the
/// marketplace), what it records and the signed amount.
struct Entry {
    vendor: Option<Uuid>,
    kind: &'static str,
    amount: Decimal,
}

async fn write(
    conn: &mut TenantConn,
    order: Option<Uuid>,
    currency: Currency,
    reference: Option<Uuid>,
    entries: Vec<Entry>,
) -> Result<(), StoreError> {
    let rows: Vec<_> = entries
        .into_iter()
        .filter(|e| !e.amount.is_zero())
        .map(|e| {
            (
                money_ledger::vendor_id.eq(e.vendor),
                money_ledger::order_id.eq(order),
                money_ledger::kind.eq(e.kind),
                money_ledger::amount.eq(e.amount),
                money_ledger::currency.eq(currency),
                money_ledger::reference.eq(reference),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(money_ledger::table)
            .values(rows)
            .execute(conn.pg())
            .await?;
    }
    Ok(())
}

/// A refund of a paid order that was made.
#[derive(Debug, Clone, Copy)]
pub struct RefundMade {
    pub id: Uuid,
    pub order_id: Uuid,
    pub amount: Decimal,
    pub currency: Currency,
    /// A refund of one vendor's part is that vendor's alone.
    pub vendor_order: Option<Uuid>,
}

/// A vendor's part of an order as the ledger shares it.
#[derive(QueryableByName)]
struct Part {
    #[diesel(sql_type = SqlUuid)]
    vendor_id: Uuid,
    /// What the vendor's part cost the shopper (goods and shipping, taxed).
    #[diesel(sql_type = Numeric)]
    total: Decimal,
    /// The commission on its goods before tax, line by line at each
    /// line's rate, not yet rounded.
    #[diesel(sql_type = Numeric)]
    commission: Decimal,
}

/// One vendor's part of an authorised order, captured.
#[derive(Debug, Clone, Copy)]
pub struct CapturedPart {
    /// The capture (the entries' reference).
    pub capture: Uuid,
    pub vendor_order: Uuid,
    /// Its share of the order's loyalty discount.
    pub discount: Decimal,
}

/// Record a sale: each vendor is credited its part, the commission on its
/// goods (each line at its vendor's, its category's or the tenant's rate)
/// moves to the marketplace, and a loyalty discount is the marketplace's
/// cost. Called once per order when its money is taken at checkout (its
/// vendor orders exist), or once per part (`part`) as each is captured.
pub async fn record_sale(
    conn: &mut TenantConn,
    order: Uuid,
    part: Option<CapturedPart>,
) -> Result<(), StoreError> {
    let (currency, order_discount): (Currency, Decimal) = orders::table
        .find(order)
        .select((orders::currency, orders::discount_total))
        .get_result(conn.pg())
        .await?;
    let discount = part.map_or(order_discount, |p| p.discount);
    // Each line's rate: its vendor's own, else the nearest category up
    // the product's path that has one, else the tenant's.
    let parts: Vec<Part> = prepared(
        "SELECT vo.vendor_id, vo.total, COALESCE(( \
           SELECT sum(l.net * COALESCE( \
             (SELECT r.rate FROM commission_rates r WHERE r.vendor_id = l.vendor_id), \
             (SELECT r.rate FROM commission_rates r \
                JOIN categories c ON c.id = r.category_id \
                JOIN variants v ON v.id = l.variant_id \
                JOIN products p ON p.id = v.product_id \
                JOIN categories pc ON pc.id = p.category_id \
               WHERE pc.path = c.path OR pc.path LIKE c.path || '/%' \
               ORDER BY c.depth DESC LIMIT 1), \
             (SELECT r.rate FROM commission_rates r \
               WHERE r.vendor_id IS NULL AND r.category_id IS NULL), \
             0)) \
           FROM order_lines l WHERE l.order_id = vo.order_id AND l.vendor_id = vo.vendor_id \
         ), 0) AS commission \
         FROM vendor_orders vo WHERE vo.order_id = $1 AND ($2::uuid IS NULL OR vo.id = $2) \
         ORDER BY vo.vendor_id",
    )
    .bind::<SqlUuid, _>(order)
    .bind::<Nullable<SqlUuid>, _>(part.map(|p| p.vendor_order))
    .load(conn.pg())
    .await?;
    let mut entries = Vec::new();
    for part in parts {
        let commission = Money::rounded(part.commission, currency).amount();
        entries.push(Entry {
            vendor: Some(part.vendor_id),
            kind: "sale",
            amount: part.total,
        });
        entries.push(Entry {
            vendor: Some(part.vendor_id),
            kind: "commission",
            amount: -commission,
        });
        entries.push(Entry {
            vendor: None,
            kind: "commission",
            amount: commission,
        });
    }
    entries.push(Entry {
        vendor: None,
        kind: "discount",
        amount: -discount,
    });
    write(
        conn,
        Some(order),
        currency,
        part.map(|p| p.capture),
        entries,
    )
    .await
}

/// Share an order's loyalty discount among its vendor parts (given as id
/// and total, in a stable order) in proportion to their totals, the last
/// part taking the rounding, so the shares add up to the discount exactly
/// and each part's capture is its total less its share.
pub fn discount_shares(
    discount: Decimal,
    currency: Currency,
    parts: &[(Uuid, Decimal)],
) -> Vec<(Uuid, Decimal)> {
    let total: Decimal = parts.iter().map(|(_, t)| *t).sum();
    let mut given = Decimal::ZERO;
    parts
        .iter()
        .enumerate()
        .map(|(at, (id, part))| {
            let share = if at + 1 == parts.len() {
                discount - given
            } else if total.is_zero() {
                Decimal::ZERO
            } else {
                Money::rounded(discount * *part / total, currency).amount()
            };
            given += share;
            (*id, share)
        })
        .collect()
}

/// Record a refund that was made: the vendors whose lines it gives back
/// are debited their lines' share; the rest of it (a refund by amount, or
/// more or less than the lines' share) is shared among the order's vendors
/// in proportion to their parts; each vendor gets back the commission on
/// what it gives back. (A charge given back from a cancelled order was
/// never a sale: its refund is not recorded here.)
pub async fn record_refund(conn: &mut TenantConn, refund: RefundMade) -> Result<(), StoreError> {
    #[derive(QueryableByName)]
    struct Sold {
        #[diesel(sql_type = SqlUuid)]
        vendor_id: Uuid,
        #[diesel(sql_type = Numeric)]
        total: Decimal,
        #[diesel(sql_type = Numeric)]
        commission: Decimal,
        #[diesel(sql_type = Numeric)]
        lines: Decimal,
    }
    let sold: Vec<Sold> = prepared(
        "SELECT m.vendor_id, \
         COALESCE(sum(m.amount) FILTER (WHERE m.kind = 'sale'), 0) AS total, \
         -COALESCE(sum(m.amount) FILTER (WHERE m.kind = 'commission'), 0) AS commission, \
         COALESCE((SELECT sum(rl.amount) FROM refund_lines rl JOIN order_lines l ON l.id = rl.order_line_id \
                   WHERE rl.refund_id = $2 AND l.vendor_id = m.vendor_id), 0) AS lines \
         FROM money_ledger m WHERE m.order_id = $1 AND m.vendor_id IS NOT NULL \
         GROUP BY m.vendor_id ORDER BY m.vendor_id",
    )
    .bind::<SqlUuid, _>(refund.order_id)
    .bind::<SqlUuid, _>(refund.id)
    .load(conn.pg())
    .await?;
    let currency = refund.currency;
    let part_vendor: Option<Uuid> = match refund.vendor_order {
        Some(part) => Some(
            vendor_orders::table
                .find(part)
                .select(vendor_orders::vendor_id)
                .get_result(conn.pg())
                .await?,
        ),
        None => None,
    };
    // A part's refund is shared by that vendor alone.
    let parts: Vec<(Decimal, Decimal)> = sold
        .iter()
        .map(|s| match part_vendor {
            Some(v) if v != s.vendor_id => (Decimal::ZERO, Decimal::ZERO),
            _ => (s.lines, s.total),
        })
        .collect();
    let shares = share(refund.amount, currency, &parts);
    let mut entries = Vec::new();
    for (part, given) in sold.iter().zip(shares) {
        let commission = if part.total.is_zero() {
            Decimal::ZERO
        } else {
            Money::rounded(given * part.commission / part.total, currency).amount()
        };
        entries.push(Entry {
            vendor: Some(part.vendor_id),
            kind: "refund",
            amount: -given,
        });
        entries.push(Entry {
            vendor: Some(part.vendor_id),
            kind: "commission_refund",
            amount: commission,
        });
        entries.push(Entry {
            vendor: None,
            kind: "commission_refund",
            amount: -commission,
        });
    }
    write(
        conn,
        Some(refund.order_id),
        currency,
        Some(refund.id),
        entries,
    )
    .await
}

/// Share `amount` among parts given as (their lines' share, their total):
/// each part first takes its lines' share; what remains is spread in
/// proportion to the totals when it is more (shipping, goodwill), or taken
/// off the lines' shares in proportion when it is less (a partial refund
/// of a line), the last part taking the rounding so the shares add up to
/// `amount` exactly.
fn share(amount: Decimal, currency: Currency, parts: &[(Decimal, Decimal)]) -> Vec<Decimal> {
    let mut shares: Vec<Decimal> = parts.iter().map(|(lines, _)| *lines).collect();
    let remainder = amount - shares.iter().copied().sum::<Decimal>();
    if remainder.is_zero() || shares.is_empty() {
        return shares;
    }
    let weights: Vec<Decimal> = if remainder < Decimal::ZERO {
        shares.clone()
    } else {
        parts.iter().map(|(_, total)| *total).collect()
    };
    let total: Decimal = weights.iter().copied().sum();
    // The last part with weight takes the rounding.
    let last = weights
        .iter()
        .rposition(|w| !w.is_zero())
        .unwrap_or(shares.len() - 1);
    let mut spread = Decimal::ZERO;
    for (at, weight) in weights.iter().enumerate() {
        let part = if at == last {
            remainder - spread
        } else if total.is_zero() {
            Decimal::ZERO
        } else {
            Money::rounded(remainder * *weight / total, currency).amount()
        };
        spread += part;
        shares[at] += part;
    }
    shares
}

/// Whose a commission rate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateOf {
    Tenant,
    Vendor(Uuid),
    /// A category's, for its products and those of the categories below.
    Category(Uuid),
}

/// The commission rates: the tenant's, the vendors' and the categories'.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rates {
    pub tenant: Decimal,
    pub vendors: Vec<(Uuid, Decimal)>,
    pub categories: Vec<(Uuid, Decimal)>,
}

pub async fn rates(conn: &mut TenantConn) -> Result<Rates, StoreError> {
    let all: Vec<(Option<Uuid>, Option<Uuid>, Decimal)> = commission_rates::table
        .order(commission_rates::id)
        .select((
            commission_rates::vendor_id,
            commission_rates::category_id,
            commission_rates::rate,
        ))
        .load(conn.pg())
        .await?;
    let mut rates = Rates::default();
    for (vendor, category, rate) in all {
        match (vendor, category) {
            (Some(v), _) => rates.vendors.push((v, rate)),
            (None, Some(c)) => rates.categories.push((c, rate)),
            (None, None) => rates.tenant = rate,
        }
    }
    Ok(rates)
}

/// Set a rate (`None` removes a vendor's or a category's). Applies to
/// orders paid from now on.
pub async fn set_rate(
    conn: &mut TenantConn,
    of: RateOf,
    rate: Option<Decimal>,
) -> Result<(), StoreError> {
    let (vendor, category) = match of {
        RateOf::Tenant => (None, None),
        RateOf::Vendor(v) => (Some(v), None),
        RateOf::Category(c) => (None, Some(c)),
    };
    match rate {
        Some(rate) => {
            diesel::insert_into(commission_rates::table)
                .values((
                    commission_rates::vendor_id.eq(vendor),
                    commission_rates::category_id.eq(category),
                    commission_rates::rate.eq(rate),
                ))
                .on_conflict((commission_rates::vendor_id, commission_rates::category_id))
                .do_update()
                .set((
                    commission_rates::rate.eq(rate),
                    commission_rates::updated_at.eq(dsl::now),
                ))
                .execute(conn.pg())
                .await?;
        }
        None => {
            diesel::delete(
                commission_rates::table
                    .filter(commission_rates::vendor_id.is_not_distinct_from(vendor))
                    .filter(commission_rates::category_id.is_not_distinct_from(category)),
            )
            .execute(conn.pg())
            .await?;
        }
    }
    Ok(())
}

/// A vendor's money in one currency, by kind of entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Balance {
    pub currency: Currency,
    /// What its parts of paid orders cost the shoppers.
    pub sales: Decimal,
    /// The marketplace's commission, net of what refunds gave back.
    pub commission: Decimal,
    /// What refunds took back.
    pub refunds: Decimal,
    pub payouts: Decimal,
    /// What can be paid out (below zero: owed by the vendor).
    pub available: Decimal,
}

/// A vendor's balances, one per currency it has sold in.
pub async fn balances(conn: &mut TenantConn, vendor: Uuid) -> Result<Vec<Balance>, StoreError> {
    let sums: Vec<(Currency, String, Option<Decimal>)> = money_ledger::table
        .filter(money_ledger::vendor_id.eq(vendor))
        .group_by((money_ledger::currency, money_ledger::kind))
        .select((
            money_ledger::currency,
            money_ledger::kind,
            dsl::sum(money_ledger::amount),
        ))
        .order((money_ledger::currency, money_ledger::kind))
        .load(conn.pg())
        .await?;
    let mut out: Vec<Balance> = Vec::new();
    for (currency, kind, sum) in sums {
        let sum = sum.unwrap_or_default();
        let at = match out.iter().position(|b| b.currency == currency) {
            Some(at) => at,
            None => {
                out.push(Balance {
                    currency,
                    sales: Decimal::ZERO,
                    commission: Decimal::ZERO,
                    refunds: Decimal::ZERO,
                    payouts: Decimal::ZERO,
                    available: Decimal::ZERO,
                });
                out.len() - 1
            }
        };
        let b = &mut out[at];
        match kind.as_str() {
            "sale" => b.sales += sum,
            "commission" | "commission_refund" => b.commission -= sum,
            "refund" => b.refunds -= sum,
            "payout" => b.payouts -= sum,
            _ => {}
        }
        b.available += sum;
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = payouts, check_for_backend(diesel::pg::Pg))]
pub struct PayoutRow {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub amount: Decimal,
    pub currency: Currency,
    pub reference: Option<String>,
    pub requested_by: String,
    pub request_hash: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewPayout {
    pub id: Uuid,
    pub vendor_id: Uuid,
    /// `None`: everything available.
    pub amount: Option<Decimal>,
    pub currency: Currency,
    pub reference: Option<String>,
    pub requested_by: String,
    pub request_hash: String,
}

/// Why a payout was not recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum PayoutShort {
    /// More than is available (which is given).
    Over(Decimal),
    /// Nothing is available.
    Nothing,
}

/// Pay a vendor from its balance: the payout and its ledger entry, with
/// the vendor's row locked so two payouts cannot both spend one balance.
/// The existing payout when `new.id` was recorded before.
pub async fn pay_out(
    conn: &mut TenantConn,
    new: &NewPayout,
) -> Result<Result<PayoutRow, PayoutShort>, StoreError> {
    vendors::table
        .find(new.vendor_id)
        .select(vendors::id)
        .for_update()
        .get_result::<Uuid>(conn.pg())
        .await?;
    if let Some(existing) = payouts::table
        .find(new.id)
        .select(PayoutRow::as_select())
        .first(conn.pg())
        .await
        .optional()?
    {
        return Ok(Ok(existing));
    }
    let available: Option<Decimal> = money_ledger::table
        .filter(money_ledger::vendor_id.eq(new.vendor_id))
        .filter(money_ledger::currency.eq(new.currency))
        .select(dsl::sum(money_ledger::amount))
        .get_result(conn.pg())
        .await?;
    let available = available.unwrap_or_default();
    let amount = new.amount.unwrap_or(available);
    if available <= Decimal::ZERO && new.amount.is_none() {
        return Ok(Err(PayoutShort::Nothing));
    }
    if amount > available {
        return Ok(Err(PayoutShort::Over(available.max(Decimal::ZERO))));
    }
    let row = diesel::insert_into(payouts::table)
        .values((
            payouts::id.eq(new.id),
            payouts::vendor_id.eq(new.vendor_id),
            payouts::amount.eq(amount),
            payouts::currency.eq(new.currency),
            payouts::reference.eq(&new.reference),
            payouts::requested_by.eq(&new.requested_by),
            payouts::request_hash.eq(&new.request_hash),
        ))
        .returning(PayoutRow::as_returning())
        .get_result(conn.pg())
        .await?;
    write(
        conn,
        None,
        new.currency,
        Some(new.id),
        vec![Entry {
            vendor: Some(new.vendor_id),
            kind: "payout",
            amount: -amount,
        }],
    )
    .await?;
    Ok(Ok(row))
}

/// A vendor's payouts, newest first.
pub async fn payouts_of(conn: &mut TenantConn, vendor: Uuid) -> Result<Vec<PayoutRow>, StoreError> {
    Ok(payouts::table
        .filter(payouts::vendor_id.eq(vendor))
        .order((payouts::created_at.desc(), payouts::id))
        .select(PayoutRow::as_select())
        .load(conn.pg())
        .await?)
}

/// A provider's final answer to a money request (a refund or a capture).
#[derive(Debug, Clone, PartialEq)]
pub enum Answer<'a> {
    /// Made, with the provider's id for it.
    Made(&'a str),
    /// Refused, with the provider's code.
    Refused(&'a str),
}

impl<'a> From<&'a Result<String, String>> for Answer<'a> {
    /// `Ok(provider id)` is made, `Err(code)` refused.
    fn from(answer: &'a Result<String, String>) -> Self {
        match answer {
            Ok(provider_id) => Answer::Made(provider_id),
            Err(code) => Answer::Refused(code),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn shares_add_up_to_the_refund_exactly() {
        let usd = Currency::parse("USD").expect("usd");
        // Lines only.
        assert_eq!(
            share(
                d("10.00"),
                usd,
                &[(d("10.00"), d("30.00")), (d("0"), d("20.00"))]
            ),
            [d("10.00"), d("0")]
        );
        // By amount: in proportion to the parts, the last takes the cents.
        let by_amount = share(
            d("10.00"),
            usd,
            &[(d("0"), d("10.00")), (d("0"), d("20.00"))],
        );
        assert_eq!(by_amount, [d("3.33"), d("6.67")]);
        // Less than the lines' share: taken off the lines' vendors only.
        let less = share(
            d("8.00"),
            usd,
            &[(d("10.00"), d("10.00")), (d("0"), d("10.00"))],
        );
        assert_eq!(less, [d("8.00"), d("0")]);
        let split = share(
            d("3.00"),
            usd,
            &[(d("2.00"), d("9.00")), (d("2.00"), d("9.00"))],
        );
        assert_eq!(split, [d("1.50"), d("1.50")]);
        // More than the lines' share: the rest by the parts' totals.
        let more = share(
            d("12.00"),
            usd,
            &[(d("10.00"), d("30.00")), (d("0"), d("10.00"))],
        );
        assert_eq!(more, [d("11.50"), d("0.50")]);
    }
}
