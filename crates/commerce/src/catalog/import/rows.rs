//! An import's rows: read from CSV or JSON, then each checked on its own
//! into what [`super::apply`] writes. A row that breaks a rule fails alone,
//! with a stable code and a reason.

use std::collections::BTreeMap;
use std::str::FromStr;

use bazaar_domain::{Currency, DomainError, Slug, validate};
use rust_decimal::Decimal;

use super::{ImportRefusal, RowFailure};
use crate::Refusal;
use crate::prices;

/// The columns an import knows, besides `option.<name>`.
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

/// A row's cell as text (JSON numbers are kept apart so money can refuse
/// them).
#[derive(Debug, Clone)]
pub(super) enum Cell {
    Text(String),
    Number(String),
}

pub(super) type Row = BTreeMap<String, Cell>;

/// A row checked and ready to apply.
#[derive(Debug, Clone)]
pub(super) struct Checked {
    pub sku: String,
    pub product_slug: String,
    pub product_title: Option<String>,
    pub description: Option<String>,
    pub category_path: Option<String>,
    pub status: Option<String>,
    pub variant_title: Option<String>,
    pub price: Option<Decimal>,
    pub currency: Option<Currency>,
    pub compare_at_price: Option<Decimal>,
    pub weight_grams: Option<Decimal>,
    pub tax_category: Option<String>,
    pub age_restricted: Option<bool>,
    pub options: BTreeMap<String, String>,
}

fn known(column: &str) -> bool {
    COLUMNS.contains(&column) || column.starts_with("option.")
}

/// The rows of a CSV file with a header row naming the columns.
pub(super) fn csv_rows(text: &str) -> Result<Vec<Row>, ImportRefusal> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ImportRefusal::CsvHeader {
            error: e.to_string(),
        })?
        .clone();
    if let Some(h) = headers.iter().find(|h| !known(h)) {
        return Err(ImportRefusal::UnknownColumn {
            column: h.to_owned(),
            columns: COLUMNS.join(", "),
        });
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| ImportRefusal::CsvRow {
            row: i + 1,
            error: e.to_string(),
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

/// JSON rows: objects of column name to value.
pub(super) fn json_rows(
    rows: Vec<BTreeMap<String, serde_json::Value>>,
) -> Result<Vec<Row>, ImportRefusal> {
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            row.into_iter()
                .map(|(k, v)| {
                    if !known(&k) {
                        return Err(ImportRefusal::UnknownRowColumn {
                            row: i + 1,
                            column: k,
                            columns: COLUMNS.join(", "),
                        });
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

/// The row's SKU as sent, for its result (even when the row fails).
pub(super) fn sku_of(row: &Row) -> Option<String> {
    match row.get("sku") {
        Some(Cell::Text(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

fn text(row: &Row, col: &str) -> Result<Option<String>, RowFailure> {
    match row.get(col) {
        None => Ok(None),
        Some(Cell::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Cell::Text(t)) => Ok(Some(t.trim().to_owned())),
        Some(Cell::Number(n)) => Err(RowFailure::new(
            "invalid_value",
            format!("`{col}` must be text, got the number {n}"),
        )),
    }
}

fn decimal(row: &Row, col: &str) -> Result<Option<Decimal>, RowFailure> {
    match row.get(col) {
        Some(Cell::Number(n)) => Err(RowFailure::new(
            "invalid_amount",
            format!(
                "`{col}` must be a decimal string (\"{n}\"), not a JSON number, which can lose precision"
            ),
        )),
        _ => text(row, col)?
            .map(|t| {
                Decimal::from_str(&t).map_err(|_| {
                    RowFailure::new(
                        "invalid_amount",
                        format!("`{col}` is `{t}`, not a decimal number"),
                    )
                })
            })
            .transpose(),
    }
}

fn domain(e: DomainError) -> RowFailure {
    RowFailure::new(e.code, e.message)
}

/// Check one row's cells.
pub(super) fn check(row: &Row) -> Result<Checked, RowFailure> {
    let sku =
        text(row, "sku")?.ok_or_else(|| RowFailure::new("missing_sku", "`sku` is required"))?;
    if sku.len() > 64
        || !sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(RowFailure::new(
            "invalid_sku",
            format!("`{sku}` is not a SKU: use 1-64 letters, digits, `.`, `_` or `-`"),
        ));
    }
    let product_slug = text(row, "product_slug")?
        .ok_or_else(|| RowFailure::new("missing_product_slug", "`product_slug` is required"))?;
    Slug::parse(&product_slug).map_err(domain)?;
    let currency = text(row, "currency")?
        .map(|c| Currency::parse(&c))
        .transpose()
        .map_err(domain)?;
    let dp_check = |value: Option<Decimal>, col: &str| -> Result<Option<Decimal>, RowFailure> {
        match (value, &currency) {
            (Some(v), Some(c)) => prices::amount(v, *c, col)
                .map(Some)
                .map_err(|e| RowFailure::new(e.code(), e.to_string())),
            (Some(v), None) if v.is_sign_negative() => Err(RowFailure::new(
                "invalid_price",
                format!("`{col}` cannot be negative"),
            )),
            (v, _) => Ok(v),
        }
    };
    let tax_category = text(row, "tax_category")?;
    if let Some(t) = &tax_category
        && bazaar_regions::TaxCategory::for_product(t).is_none()
    {
        return Err(RowFailure::new(
            "unknown_tax_category",
            format!("`{t}` is not a tax category"),
        ));
    }
    let age_restricted = match text(row, "age_restricted")?.as_deref() {
        None => None,
        Some("true" | "yes" | "1") => Some(true),
        Some("false" | "no" | "0") => Some(false),
        Some(other) => {
            return Err(RowFailure::new(
                "invalid_value",
                format!("`age_restricted` is `{other}`; use true or false"),
            ));
        }
    };
    let status = text(row, "status")?;
    if let Some(s) = &status
        && !["draft", "active", "archived"].contains(&s.as_str())
    {
        return Err(RowFailure::new(
            "invalid_status",
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
