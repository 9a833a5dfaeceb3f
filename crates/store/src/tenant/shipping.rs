//! Vendors' shipping rates per region and currency. The rate for a
//! vendor's part of an order is the one for the most specific region of
//! the order's region chain (`US-CA`, then `US`) that the vendor has set.

use bazaar_domain::Currency;
use chrono::{DateTime, Utc};
use diesel::pg::expression::functions::array_position;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::schema::tenant::shipping_rates;
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = shipping_rates, check_for_backend(diesel::pg::Pg))]
pub struct Rate {
    pub vendor_id: Uuid,
    pub region: String,
    pub currency: Currency,
    pub flat: Decimal,
    pub per_item: Decimal,
    pub free_over: Option<Decimal>,
    pub updated_at: DateTime<Utc>,
}

impl Rate {
    /// The charge for a part whose goods come to `goods` in `items` units.
    pub fn charge(&self, goods: Decimal, items: i64) -> Decimal {
        if self.free_over.is_some_and(|threshold| goods >= threshold) {
            return Decimal::ZERO;
        }
        self.flat + self.per_item * Decimal::from(items)
    }
}

/// Set (create or replace) a vendor's rate for a region and currency.
pub async fn put(conn: &mut TenantConn, rate: &Rate) -> Result<Rate, StoreError> {
    Ok(diesel::insert_into(shipping_rates::table)
        .values((
            shipping_rates::vendor_id.eq(rate.vendor_id),
            shipping_rates::region.eq(&rate.region),
            shipping_rates::currency.eq(&rate.currency),
            shipping_rates::flat.eq(rate.flat),
            shipping_rates::per_item.eq(rate.per_item),
            shipping_rates::free_over.eq(rate.free_over),
        ))
        .on_conflict((
            shipping_rates::vendor_id,
            shipping_rates::region,
            shipping_rates::currency,
        ))
        .do_update()
        .set((
            shipping_rates::flat.eq(excluded(shipping_rates::flat)),
            shipping_rates::per_item.eq(excluded(shipping_rates::per_item)),
            shipping_rates::free_over.eq(excluded(shipping_rates::free_over)),
            shipping_rates::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Rate::as_returning())
        .get_result(conn.pg())
        .await?)
}

/// A vendor's rates, by region and currency.
pub async fn of_vendor(conn: &mut TenantConn, vendor: Uuid) -> Result<Vec<Rate>, StoreError> {
    Ok(shipping_rates::table
        .filter(shipping_rates::vendor_id.eq(vendor))
        .order((shipping_rates::region, shipping_rates::currency))
        .select(Rate::as_select())
        .load(conn.pg())
        .await?)
}

/// Remove a rate, returning it; `NotFound` when there was none.
pub async fn delete(
    conn: &mut TenantConn,
    vendor: Uuid,
    region: &str,
    currency: &str,
) -> Result<Rate, StoreError> {
    Ok(
        diesel::delete(shipping_rates::table.find((vendor, region, currency)))
            .returning(Rate::as_returning())
            .get_result(conn.pg())
            .await?,
    )
}

/// The rate each of `vendors` charges for `regions` (most specific first)
/// in `currency`; vendors without one are absent.
pub async fn for_order(
    conn: &mut TenantConn,
    vendors: &[Uuid],
    regions: &[String],
    currency: Currency,
) -> Result<Vec<Rate>, StoreError> {
    if vendors.is_empty() {
        return Ok(Vec::new());
    }
    Ok(shipping_rates::table
        .filter(shipping_rates::vendor_id.eq_any(vendors))
        .filter(shipping_rates::region.eq_any(regions))
        .filter(shipping_rates::currency.eq(currency))
        .distinct_on(shipping_rates::vendor_id)
        .order((
            shipping_rates::vendor_id,
            array_position(regions.into_sql::<Array<Text>>(), shipping_rates::region),
        ))
        .select(Rate::as_select())
        .load(conn.pg())
        .await?)
}
