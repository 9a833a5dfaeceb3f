//! Vendors' shipping rates per region and currency. The rate for a
//! vendor's part of an order is the one for the most specific region of
//! the order's region chain (`US-CA`, then `US`) that the vendor has set.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct Rate {
    #[diesel(sql_type = SqlUuid)]
    pub vendor_id: Uuid,
    #[diesel(sql_type = Text)]
    pub region: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Numeric)]
    pub flat: Decimal,
    #[diesel(sql_type = Numeric)]
    pub per_item: Decimal,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub free_over: Option<Decimal>,
    #[diesel(sql_type = Timestamptz)]
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

macro_rules! columns {
    () => {
        "vendor_id, region, currency::text AS currency, flat, per_item, free_over, updated_at"
    };
}

/// Set (create or replace) a vendor's rate for a region and currency.
pub async fn put(conn: &mut TenantConn, rate: &Rate) -> Result<Rate, StoreError> {
    Ok(diesel::sql_query(concat!(
        "INSERT INTO shipping_rates (vendor_id, region, currency, flat, per_item, free_over) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (vendor_id, region, currency) DO UPDATE SET flat = EXCLUDED.flat, per_item = EXCLUDED.per_item, \
         free_over = EXCLUDED.free_over, updated_at = now() RETURNING ", columns!()
    ))
    .bind::<SqlUuid, _>(rate.vendor_id)
    .bind::<Text, _>(&rate.region)
    .bind::<Text, _>(&rate.currency)
    .bind::<Numeric, _>(rate.flat)
    .bind::<Numeric, _>(rate.per_item)
    .bind::<Nullable<Numeric>, _>(rate.free_over)
    .get_result(conn.pg())
    .await?)
}

/// A vendor's rates, by region and currency.
pub async fn of_vendor(conn: &mut TenantConn, vendor: Uuid) -> Result<Vec<Rate>, StoreError> {
    Ok(diesel::sql_query(concat!(
        "SELECT ",
        columns!(),
        " FROM shipping_rates WHERE vendor_id = $1 ORDER BY region, currency"
    ))
    .bind::<SqlUuid, _>(vendor)
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
    diesel::sql_query(concat!(
        "DELETE FROM shipping_rates WHERE vendor_id = $1 AND region = $2 AND currency = $3 RETURNING ", columns!()
    ))
    .bind::<SqlUuid, _>(vendor)
    .bind::<Text, _>(region)
    .bind::<Text, _>(currency)
    .get_result(conn.pg())
    .await
    .map_err(StoreError::from)
}

/// The rate each of `vendors` charges for `regions` (most specific first)
/// in `currency`; vendors without one are absent.
pub async fn for_order(
    conn: &mut TenantConn,
    vendors: &[Uuid],
    regions: &[String],
    currency: &str,
) -> Result<Vec<Rate>, StoreError> {
    if vendors.is_empty() {
        return Ok(Vec::new());
    }
    // Run on every checkout: kept prepared.
    Ok(crate::prepared::prepared(concat!(
        "SELECT DISTINCT ON (vendor_id) ",
        columns!(),
        " FROM shipping_rates \
         WHERE vendor_id = ANY($1) AND region = ANY($2) AND currency = $3 \
         ORDER BY vendor_id, array_position($2, region)"
    ))
    .bind::<Array<SqlUuid>, _>(vendors)
    .bind::<Array<Text>, _>(regions)
    .bind::<Text, _>(currency)
    .load(conn.pg())
    .await?)
}
