//! `POST /v1/products/import` (JSON rows) and `POST
//! /v1/products/import/csv` (a CSV file): the edge of
//! `bazaar_commerce::catalog::import`. Vendors moving from another
//! platform load products and variants; each row is one variant, matched
//! by SKU, and gets a result. The two bodies are two operations, not one
//! with two content types, so a generated client has a typed method for
//! each (generators handle a CSV body only as a file of its own).

use std::collections::BTreeMap;

use bazaar_commerce::catalog::import::{
    self, ImportReport, ImportSource, RowResult as Row, RowStatus as Status,
};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, Enum, Object, OpenApi};
use uuid::Uuid;

use super::Tag;
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Rows as JSON: each an object of column name to value. Money and
/// quantities are decimal strings; options are `option.<name>` columns.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ImportJson {
    /// Required with a tenant admin key; a vendor key imports for itself.
    pub vendor_id: Option<Uuid>,
    pub rows: Vec<BTreeMap<String, serde_json::Value>>,
}

/// A CSV file with a header row naming the columns.
#[derive(Debug, ApiRequest)]
pub enum CsvBody {
    /// `sku,product_slug,price,currency,option.size` then one row per variant.
    #[oai(content_type = "text/csv")]
    Csv(Binary<Vec<u8>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RowStatus {
    Created,
    Updated,
    Unchanged,
    Failed,
}

impl From<Status> for RowStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Created => RowStatus::Created,
            Status::Updated => RowStatus::Updated,
            Status::Unchanged => RowStatus::Unchanged,
            Status::Failed => RowStatus::Failed,
        }
    }
}

#[derive(Debug, Object)]
pub struct RowResult {
    /// 1-based row number (for CSV, the data row after the header).
    pub row: u32,
    pub sku: Option<String>,
    pub status: RowStatus,
    /// Why the row failed: a stable code.
    pub code: Option<String>,
    pub message: Option<String>,
}

impl From<Row> for RowResult {
    fn from(r: Row) -> Self {
        let (code, message) = r.failure.map(|f| (f.code, f.message)).unzip();
        Self {
            row: r.row,
            sku: r.sku,
            status: r.status.into(),
            code,
            message,
        }
    }
}

#[derive(Debug, Object)]
pub struct ImportResult {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub failed: u32,
    pub rows: Vec<RowResult>,
}

impl From<ImportReport> for ImportResult {
    fn from(r: ImportReport) -> Self {
        Self {
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            failed: r.failed,
            rows: r.rows.into_iter().map(RowResult::from).collect(),
        }
    }
}

pub struct ImportApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/products", tag = "Tag::Products")]
impl ImportApi {
    /// Import products from JSON rows
    ///
    /// Upserts variants by SKU from JSON rows. Applying the same rows twice
    /// changes nothing. Each row gets a result; bad rows are skipped, good
    /// rows applied.
    #[oai(path = "/import", method = "post", operation_id = "import_products")]
    async fn import(&self, auth: ApiKey, body: Json<ImportJson>) -> ApiResult<Json<ImportResult>> {
        let key = auth.0.tenant()?;
        let source = ImportSource::Json {
            vendor_id: body.0.vendor_id,
            rows: body.0.rows,
        };
        let report = import::import(&self.state, key, source).await?;
        Ok(Json(report.into()))
    }

    /// Import products from a CSV file
    ///
    /// The CSV form of `import_products` (`Content-Type: text/csv`, UTF-8,
    /// a header row naming the columns), for vendor keys: the file's rows
    /// are the vendor's own.
    #[oai(
        path = "/import/csv",
        method = "post",
        operation_id = "import_products_csv"
    )]
    async fn import_csv(&self, auth: ApiKey, body: CsvBody) -> ApiResult<Json<ImportResult>> {
        let key = auth.0.tenant()?;
        let CsvBody::Csv(Binary(bytes)) = body;
        let text = String::from_utf8(bytes).map_err(|e| {
            ApiError::bad_request(
                "invalid_csv",
                format!(
                    "the file is not UTF-8 text (invalid bytes at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        let report = import::import(&self.state, key, ImportSource::Csv(text)).await?;
        Ok(Json(report.into()))
    }
}
