//! Importing products: vendors moving from another platform load products
//! and variants as JSON rows or CSV. Each row is one variant, matched by
//! SKU (an idempotent upsert); rows with the same `product_slug` make one
//! product. Bad rows are reported with their row number and a reason;
//! good rows are applied, each in its own savepoint, all in one
//! transaction.

mod apply;
mod rows;

use std::collections::BTreeMap;

use bazaar_store::StoreError;
use bazaar_store::db::savepoint;
use bazaar_store::tenant::brands;
use bazaar_store::tenant::listings::{self, Refresh};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::acting::{self, ActingRefusal};
use crate::{Failure, Outcome, Services, TenantKey, catalog_cache, refusals};

/// At most this many rows per import.
pub const MAX_ROWS: usize = 10_000;

/// What is imported.
#[derive(Debug, Clone)]
pub enum ImportSource {
    /// Rows as objects of column name to value; money and quantities as
    /// decimal strings, options as `option.<name>` columns.
    Json {
        /// Required with a tenant admin key; a vendor key imports for
        /// itself.
        vendor_id: Option<Uuid>,
        rows: Vec<BTreeMap<String, serde_json::Value>>,
    },
    /// A CSV file with a header row naming the columns (vendor keys only).
    Csv(String),
}

refusals! {
    /// Why an import was refused as a whole (nothing was applied).
    pub enum ImportRefusal {
        Acting(ActingRefusal) => delegate;
        CsvHeader { error: String } => Invalid, "invalid_csv",
            "the CSV header cannot be read: {error}";
        CsvRow { row: usize, error: String } => Invalid, "invalid_csv", "data row {row}: {error}";
        UnknownColumn { column: String, columns: String } => Invalid, "unknown_column",
            "unknown column `{column}`; columns are {columns} and option.<name>";
        UnknownRowColumn { row: usize, column: String, columns: String } => Invalid,
            "unknown_column",
            "row {row}: unknown column `{column}`; columns are {columns} and option.<name>";
        TooManyRows { max: usize, have: usize } => Unprocessable, "too_many_rows",
            "at most {max} rows per import; this has {have}";
    }
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    Created,
    Updated,
    Unchanged,
    Failed,
}

/// Why a row failed: a stable code and a reason.
#[derive(Debug, Clone)]
pub struct RowFailure {
    pub code: String,
    pub message: String,
}

impl RowFailure {
    fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// One row's result.
#[derive(Debug, Clone)]
pub struct RowResult {
    /// 1-based (for CSV, the data row after the header).
    pub row: u32,
    pub sku: Option<String>,
    pub status: RowStatus,
    /// Set when the row failed.
    pub failure: Option<RowFailure>,
}

/// Every row's result, and how many ended each way.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub failed: u32,
    pub rows: Vec<RowResult>,
}

/// Import rows for the key's vendor (or the one a tenant admin names).
/// Applying the same rows twice changes nothing.
#[tracing::instrument(skip_all)]
pub async fn import(
    services: &Services,
    key: &TenantKey,
    source: ImportSource,
) -> Outcome<ImportReport, ImportRefusal> {
    let (requested, rows) = match source {
        ImportSource::Json { vendor_id, rows } => (vendor_id, rows::json_rows(rows)?),
        ImportSource::Csv(text) => (None, rows::csv_rows(&text)?),
    };
    let vendor_id = acting::vendor_for(key, requested)?;
    if rows.len() > MAX_ROWS {
        return Err(ImportRefusal::TooManyRows {
            max: MAX_ROWS,
            have: rows.len(),
        }
        .into());
    }
    let is_vendor_key = key.vendor_id.is_some();
    let results = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                if let Err(e) = acting::check_vendor(conn, vendor_id, is_vendor_key).await? {
                    return Ok(Err(ImportRefusal::from(e)));
                }
                let currencies = brands::currencies(conn).await?;
                let mut touched = Vec::new();
                let mut out = Vec::with_capacity(rows.len());
                for (i, row) in rows.iter().enumerate() {
                    let outcome = match rows::check(row) {
                        Err(e) => Err(e),
                        Ok(checked) => {
                            savepoint::begin(conn).await?;
                            match apply::apply(conn, vendor_id, checked, &currencies, &mut touched)
                                .await
                            {
                                Ok(Ok(status)) => {
                                    savepoint::release(conn).await?;
                                    Ok(status)
                                }
                                Ok(Err(e)) => {
                                    savepoint::rollback(conn).await?;
                                    Err(e)
                                }
                                Err(StoreError::Conflict { .. }) => {
                                    savepoint::rollback(conn).await?;
                                    Err(RowFailure::new(
                                        "conflict",
                                        "conflicts with an existing product or variant",
                                    ))
                                }
                                Err(e) => return Err(e),
                            }
                        }
                    };
                    let (status, failure) = match outcome {
                        Ok(status) => (status, None),
                        Err(failure) => (RowStatus::Failed, Some(failure)),
                    };
                    out.push(RowResult {
                        row: i as u32 + 1,
                        sku: rows::sku_of(row),
                        status,
                        failure,
                    });
                }
                touched.sort();
                touched.dedup();
                listings::refresh(conn, Refresh::Products(&touched)).await?;
                Ok(Ok(out))
            }
            .boxed()
        })
        .await?
        .map_err(Failure::Refused)?;
    catalog_cache::bump(services, key.tenant_id).await;
    let count = |s: RowStatus| results.iter().filter(|r| r.status == s).count() as u32;
    Ok(ImportReport {
        created: count(RowStatus::Created),
        updated: count(RowStatus::Updated),
        unchanged: count(RowStatus::Unchanged),
        failed: count(RowStatus::Failed),
        rows: results,
    })
}
