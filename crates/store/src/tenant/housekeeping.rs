//! The periodic work of one tenant schema, run in one transaction by the
//! server's housekeeping job: pending orders past their hold are cancelled
//! (their stock released), stock that became available goes to open
//! backorders, loyalty points past their date expire, and Idempotency-Keys
//! past their 24 hours, ended sessions and spent tokens are forgotten.

use chrono::{DateTime, Utc};

use crate::tenant::{backorders, customers, idempotency, loyalty, orders};
use crate::{StoreError, TenantConn};

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Orders cancelled because their hold expired before payment.
    pub expired: usize,
    /// Backorders filled from available stock.
    pub filled: usize,
    /// Loyalty points expired.
    pub points_expired: i64,
}

/// Variants whose backorders are filled per run, at most.
const FILL_BATCH: i64 = 100;

pub async fn run(conn: &mut TenantConn, now: DateTime<Utc>) -> Result<Report, StoreError> {
    let expired = orders::expire(conn, now).await?;
    let mut filled = 0;
    for variant in backorders::fillable(conn, FILL_BATCH).await? {
        filled += backorders::fill(conn, variant, None).await?;
    }
    // Customer rows are locked after stock rows, so points come back last.
    for order in &expired {
        loyalty::restore(conn, *order).await?;
    }
    let expired = expired.len();
    let points_expired = loyalty::expire(conn, now).await?;
    idempotency::purge(conn, now - chrono::Duration::hours(24)).await?;
    customers::purge_expired(conn, now).await?;
    Ok(Report {
        expired,
        filled,
        points_expired,
    })
}
