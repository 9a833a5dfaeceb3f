//! `POST /v1/products/import`: the edge of
//! `bazaar_commerce::catalog::import`. Vendors moving from another
//! platform load products and variants as JSON rows or CSV; each row is
//! one variant, matched by SKU, and gets a result.

use std::collections::BTreeMap;

use bazaar_commerce::catalog::import::{
    self, ImportReport, ImportSource, RowResult as Row, RowStatus as Status,
};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiRequest, Enum, Object, OpenApi};
use uuid::Uuid;

use super::Tag;
use crate::auth::ApiKey;
use crate::error::ApiResult;
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

#[derive(Debug, ApiRequest)]
pub enum ImportBody {
    /// `{"rows": [{"sku": "TEE-M", "product_slug": "tee", ...}]}`
    Json(Json<ImportJson>),
    /// A CSV file with a header row naming the columns (vendor keys only).
    #[oai(content_type = "text/csv")]
    Csv(PlainText<String>),
}

impl From<ImportBody> for ImportSource {
    fn from(body: ImportBody) -> Self {
        match body {
            ImportBody::Json(Json(j)) => ImportSource::Json {
                vendor_id: j.vendor_id,
                rows: j.rows,
            },
            ImportBody::Csv(PlainText(text)) => ImportSource::Csv(text),
        }
    }
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
    /// Import products
    ///
    /// Upserts variants by SKU from JSON rows or a CSV file (`Content-Type:
    /// text/csv`, header row required). Applying the same file twice changes
    /// nothing. Each row gets a result; bad rows are skipped, good rows
    /// applied.
    #[oai(path = "/import", method = "post", operation_id = "import_products")]
    async fn import(&self, auth: ApiKey, body: ImportBody) -> ApiResult<Json<ImportResult>> {
        let key = auth.0.tenant()?;
        let report = import::import(&self.state, key, body.into()).await?;
        Ok(Json(report.into()))
    }
}
