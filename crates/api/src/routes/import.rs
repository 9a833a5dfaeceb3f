//! `POST /v1/products/import`: vendors moving from another platform load
//! products and variants as JSON rows or CSV. Each row is one variant,
//! matched by SKU (an idempotent upsert); rows with the same `product_slug`
//! make one product. Bad rows are reported with their row number and a
//! reason; good rows are applied (each in its own savepoint).

use std::collections::BTreeMap;
use std::str::FromStr;

use bazaar_domain::{Currency, Slug, ids, validate};
use bazaar_store::db::savepoint;
use bazaar_store::tenant::listings::{self, Refresh};
use bazaar_store::tenant::products::{
    self as store, NewProduct, NewVariant, ProductChanges, VariantChanges,
};
use bazaar_store::tenant::{brands, categories};
use bazaar_store::{StoreError, TenantConn};
use futures_util::FutureExt;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiRequest, Enum, Object, OpenApi};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::Tag;
use super::products::{MAX_VARIANTS, price};
use crate::auth::ApiKey;
use crate::decimal::DecimalString;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// At most this many rows per import.
pub const MAX_ROWS: usize = 10_000;

const COLUMNS: &[&str] = &[
    "sku",
    "product_slug",
    "product_title",
    "price",
    "currency",
    "description",
    "category_path",
    "compare_at_price",
    "weight_grams",
    "tax_category",
    "age_restricted",
    "status",
    "variant_title",
];

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RowStatus {
    Created,
    Updated,
    Unchanged,
    Failed,
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

#[derive(Debug, Object)]
pub struct ImportResult {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub failed: u32,
    pub rows: Vec<RowResult>,
}

/// A row's cells as text (JSON numbers are kept apart so money can refuse
/// them).
#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    Number(String),
}

type Row = BTreeMap<String, Cell>;

/// A row checked and ready to apply.
#[derive(Debug, Clone)]
struct Checked {
    sku: String,
    product_slug: String,
    product_title: Option<String>,
    description: Option<String>,
    category_path: Option<String>,
    status: Option<String>,
    variant_title: Option<String>,
    price: Option<Decimal>,
    currency: Option<String>,
    compare_at_price: Option<Decimal>,
    weight_grams: Option<Decimal>,
    tax_category: Option<String>,
    age_restricted: Option<bool>,
    options: BTreeMap<String, String>,
}

fn text(row: &Row, col: &str) -> Result<Option<String>, (String, String)> {
    match row.get(col) {
        None => Ok(None),
        Some(Cell::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Cell::Text(t)) => Ok(Some(t.trim().to_owned())),
        Some(Cell::Number(n)) => Err((
            "invalid_value".into(),
            format!("`{col}` must be text, got the number {n}"),
        )),
    }
}

fn decimal(row: &Row, col: &str) -> Result<Option<Decimal>, (String, String)> {
    match row.get(col) {
        Some(Cell::Number(n)) => Err((
            "invalid_amount".into(),
            format!(
                "`{col}` must be a decimal string (\"{n}\"), not a JSON number, which can lose precision"
            ),
        )),
        _ => text(row, col)?
            .map(|t| {
                Decimal::from_str(&t).map_err(|_| {
                    (
                        "invalid_amount".into(),
                        format!("`{col}` is `{t}`, not a decimal number"),
                    )
                })
            })
            .transpose(),
    }
}

fn check(row: &Row) -> Result<Checked, (String, String)> {
    let domain = |e: bazaar_domain::DomainError| (e.code.to_owned(), e.message);
    let api = |e: ApiError| (e.problem().code.clone(), e.problem().detail.clone());
    let sku = text(row, "sku")?
        .ok_or_else(|| ("missing_sku".to_owned(), "`sku` is required".to_owned()))?;
    if sku.len() > 64
        || !sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err((
            "invalid_sku".into(),
            format!("`{sku}` is not a SKU: use 1-64 letters, digits, `.`, `_` or `-`"),
        ));
    }
    let product_slug = text(row, "product_slug")?.ok_or_else(|| {
        (
            "missing_product_slug".to_owned(),
            "`product_slug` is required".to_owned(),
        )
    })?;
    Slug::parse(&product_slug).map_err(domain)?;
    let currency = text(row, "currency")?
        .map(|c| Currency::parse(&c).map(|c| c.code().to_owned()))
        .transpose()
        .map_err(domain)?;
    let dp_check =
        |value: Option<Decimal>, col: &str| -> Result<Option<Decimal>, (String, String)> {
            match (value, &currency) {
                (Some(v), Some(c)) => price(DecimalString(v), c, col).map(Some).map_err(api),
                (Some(v), None) if v.is_sign_negative() => Err((
                    "invalid_price".into(),
                    format!("`{col}` cannot be negative"),
                )),
                (v, _) => Ok(v),
            }
        };
    let tax_category = text(row, "tax_category")?;
    if let Some(t) = &tax_category
        && bazaar_regions::TaxCategory::for_product(t).is_none()
    {
        return Err((
            "unknown_tax_category".into(),
            format!("`{t}` is not a tax category"),
        ));
    }
    let age_restricted = match text(row, "age_restricted")?.as_deref() {
        None => None,
        Some("true" | "yes" | "1") => Some(true),
        Some("false" | "no" | "0") => Some(false),
        Some(other) => {
            return Err((
                "invalid_value".into(),
                format!("`age_restricted` is `{other}`; use true or false"),
            ));
        }
    };
    let status = text(row, "status")?;
    if let Some(s) = &status
        && !["draft", "active", "archived"].contains(&s.as_str())
    {
        return Err((
            "invalid_status".into(),
            format!("`status` is `{s}`; use draft, active or archived"),
        ));
    }
    let options = row
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("option.").map(|name| (name, v)))
        .filter_map(|(name, v)| match v {
            Cell::Text(t) if !t.trim().is_empty() => Some((name.to_owned(), t.trim().to_owned())),
            Cell::Number(n) => Some((name.to_owned(), n.clone())),
            _ => None,
        })
        .collect();
    Ok(Checked {
        product_title: text(row, "product_title")?
            .map(|t| validate::display_name("product_title", &t))
            .transpose()
            .map_err(domain)?,
        description: text(row, "description")?,
        category_path: text(row, "category_path")?.map(|p| p.trim_matches('/').to_owned()),
        variant_title: text(row, "variant_title")?,
        price: dp_check(decimal(row, "price")?, "price")?,
        compare_at_price: dp_check(decimal(row, "compare_at_price")?, "compare_at_price")?,
        weight_grams: decimal(row, "weight_grams")?,
        currency,
        tax_category,
        age_restricted,
        status,
        options,
        sku,
        product_slug,
    })
}

/// Apply one checked row; `Ok(Err(..))` is a row-level failure.
async fn apply(
    conn: &mut TenantConn,
    vendor_id: Uuid,
    row: Checked,
    currencies: &[String],
    touched: &mut Vec<Uuid>,
) -> Result<Result<RowStatus, (String, String)>, StoreError> {
    let category_id = match &row.category_path {
        Some(path) => match categories::find_by_path(conn, path).await? {
            Some(c) => Some(c.id),
            None => {
                return Ok(Err((
                    "category_not_found".into(),
                    format!("no category with path `{path}`"),
                )));
            }
        },
        None => None,
    };
    if let Some(c) = &row.currency
        && !currencies.contains(c)
    {
        return Ok(Err((
            "currency_not_sold".into(),
            format!(
                "the tenant does not sell in {c}; its brands sell in [{}]",
                currencies.join(", ")
            ),
        )));
    }
    let options = serde_json::Value::Object(
        row.options
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    );
    let mut status = RowStatus::Unchanged;
    let product = match store::find_by_slug(conn, vendor_id, &row.product_slug).await? {
        Some(existing) => {
            let changes = ProductChanges {
                title: row.product_title.clone().filter(|t| *t != existing.title),
                description: row
                    .description
                    .clone()
                    .filter(|d| *d != existing.description),
                category_id: category_id
                    .filter(|c| Some(*c) != existing.category_id)
                    .map(Some),
                status: row.status.clone().filter(|s| *s != existing.status),
                ..Default::default()
            };
            if changes != ProductChanges::default() {
                store::update(conn, existing.id, changes).await?;
                status = RowStatus::Updated;
            }
            existing
        }
        None => {
            let Some(title) = row.product_title.clone() else {
                return Ok(Err((
                    "missing_product_title".into(),
                    format!(
                        "product `{}` is new: `product_title` is required",
                        row.product_slug
                    ),
                )));
            };
            let new = NewProduct {
                id: ids::new_id(),
                vendor_id,
                category_id,
                slug: row.product_slug.clone(),
                title,
                description: row.description.clone().unwrap_or_default(),
                attributes: serde_json::json!({}),
                images: Vec::new(),
                status: row.status.clone().unwrap_or_else(|| "draft".into()),
            };
            status = RowStatus::Created;
            store::create(conn, new, Vec::new()).await?.product
        }
    };
    touched.push(product.id);
    match store::find_variant_by_sku(conn, vendor_id, &row.sku).await? {
        Some(v) if v.product_id != product.id => Ok(Err((
            "sku_taken".into(),
            format!(
                "SKU `{}` belongs to another product of this vendor",
                row.sku
            ),
        ))),
        Some(v) => {
            let changes = VariantChanges {
                title: row.variant_title.clone().filter(|t| *t != v.title),
                options: (!row.options.is_empty() && options != v.options).then_some(options),
                price: row.price.filter(|p| *p != v.price),
                currency: row.currency.clone().filter(|c| *c != v.currency.trim()),
                compare_at_price: row
                    .compare_at_price
                    .filter(|p| Some(*p) != v.compare_at_price)
                    .map(Some),
                weight_grams: row
                    .weight_grams
                    .filter(|w| Some(*w) != v.weight_grams)
                    .map(Some),
                tax_category: row.tax_category.clone().filter(|t| *t != v.tax_category),
                age_restricted: row.age_restricted.filter(|a| *a != v.age_restricted),
                sku: None,
                backorder_limit: None,
                low_stock_threshold: None,
            };
            if changes != VariantChanges::default() {
                store::update_variant(conn, product.id, v.id, changes).await?;
                if status == RowStatus::Unchanged {
                    status = RowStatus::Updated;
                }
            }
            Ok(Ok(status))
        }
        None => {
            let (Some(price), Some(currency)) = (row.price, row.currency.clone()) else {
                return Ok(Err((
                    "missing_price".into(),
                    format!(
                        "SKU `{}` is new: `price` and `currency` are required",
                        row.sku
                    ),
                )));
            };
            let count = store::variant_count(conn, product.id).await?;
            if count as usize >= MAX_VARIANTS {
                return Ok(Err((
                    "too_many_variants".into(),
                    format!(
                        "product `{}` already has {MAX_VARIANTS} variants",
                        row.product_slug
                    ),
                )));
            }
            store::add_variant(
                conn,
                NewVariant {
                    id: ids::new_id(),
                    product_id: product.id,
                    vendor_id,
                    title: row.variant_title.clone().unwrap_or_else(|| {
                        if row.options.is_empty() {
                            row.sku.clone()
                        } else {
                            row.options
                                .values()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(" / ")
                        }
                    }),
                    sku: row.sku.clone(),
                    options,
                    price,
                    currency,
                    compare_at_price: row.compare_at_price,
                    weight_grams: row.weight_grams,
                    tax_category: row.tax_category.clone().unwrap_or_else(|| "general".into()),
                    age_restricted: row.age_restricted.unwrap_or(false),
                    position: count as i32,
                    backorder_limit: 0,
                    low_stock_threshold: None,
                },
            )
            .await?;
            Ok(Ok(if status == RowStatus::Unchanged {
                RowStatus::Created
            } else {
                status
            }))
        }
    }
}

fn parse_csv(text: &str) -> ApiResult<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            ApiError::bad_request("invalid_csv", format!("the CSV header cannot be read: {e}"))
        })?
        .clone();
    for h in headers.iter() {
        if !COLUMNS.contains(&h) && !h.starts_with("option.") {
            return Err(ApiError::bad_request(
                "unknown_column",
                format!(
                    "unknown column `{h}`; columns are {} and option.<name>",
                    COLUMNS.join(", ")
                ),
            ));
        }
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            ApiError::bad_request("invalid_csv", format!("data row {}: {e}", i + 1))
        })?;
        rows.push(
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), Cell::Text(v.to_owned())))
                .collect(),
        );
    }
    Ok(rows)
}

fn json_rows(rows: Vec<BTreeMap<String, serde_json::Value>>) -> ApiResult<Vec<Row>> {
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            row.into_iter()
                .map(|(k, v)| {
                    if !COLUMNS.contains(&k.as_str()) && !k.starts_with("option.") {
                        return Err(ApiError::bad_request(
                            "unknown_column",
                            format!(
                                "row {}: unknown column `{k}`; columns are {} and option.<name>",
                                i + 1,
                                COLUMNS.join(", ")
                            ),
                        ));
                    }
                    let cell = match v {
                        serde_json::Value::String(s) => Cell::Text(s),
                        serde_json::Value::Number(n) => Cell::Number(n.to_string()),
                        serde_json::Value::Bool(b) => Cell::Text(b.to_string()),
                        serde_json::Value::Null => Cell::Text(String::new()),
                        other => Cell::Number(other.to_string()),
                    };
                    Ok((k, cell))
                })
                .collect()
        })
        .collect()
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
        let (requested, rows) = match body {
            ImportBody::Json(Json(j)) => (j.vendor_id, json_rows(j.rows)?),
            ImportBody::Csv(PlainText(text)) => (None, parse_csv(&text)?),
        };
        let vendor_id = super::products::acting_vendor(key, requested)?;
        if rows.len() > MAX_ROWS {
            return Err(ApiError::unprocessable(
                "too_many_rows",
                format!(
                    "at most {MAX_ROWS} rows per import; this has {}",
                    rows.len()
                ),
            ));
        }
        let is_vendor_key = key.vendor_id.is_some();
        let results = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    if let Err(e) =
                        super::products::check_vendor(conn, vendor_id, is_vendor_key).await?
                    {
                        return Ok(Err(e));
                    }
                    let currencies = brands::currencies(conn).await?;
                    let mut touched = Vec::new();
                    let mut out = Vec::with_capacity(rows.len());
                    for (i, row) in rows.iter().enumerate() {
                        let sku = match row.get("sku") {
                            Some(Cell::Text(s)) if !s.trim().is_empty() => {
                                Some(s.trim().to_owned())
                            }
                            _ => None,
                        };
                        let outcome = match check(row) {
                            Err(e) => Err(e),
                            Ok(checked) => {
                                savepoint::begin(conn).await?;
                                match apply(conn, vendor_id, checked, &currencies, &mut touched)
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
                                        Err((
                                            "conflict".to_owned(),
                                            "conflicts with an existing product or variant"
                                                .to_owned(),
                                        ))
                                    }
                                    Err(e) => return Err(e),
                                }
                            }
                        };
                        out.push(match outcome {
                            Ok(status) => RowResult {
                                row: i as u32 + 1,
                                sku,
                                status,
                                code: None,
                                message: None,
                            },
                            Err((code, message)) => RowResult {
                                row: i as u32 + 1,
                                sku,
                                status: RowStatus::Failed,
                                code: Some(code),
                                message: Some(message),
                            },
                        });
                    }
                    touched.sort();
                    touched.dedup();
                    listings::refresh(conn, Refresh::Products(&touched)).await?;
                    Ok(Ok(out))
                }
                .boxed()
            })
            .await??;
        bazaar_commerce::catalog_cache::bump(&self.state, key.tenant_id).await;
        let count = |s: RowStatus| results.iter().filter(|r| r.status == s).count() as u32;
        Ok(Json(ImportResult {
            created: count(RowStatus::Created),
            updated: count(RowStatus::Updated),
            unchanged: count(RowStatus::Unchanged),
            failed: count(RowStatus::Failed),
            rows: results,
        }))
    }
}
