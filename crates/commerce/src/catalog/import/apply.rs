//! Writing one checked row: find or create its product by slug, then
//! update or add its variant by SKU, changing only what differs.

use bazaar_domain::{Currency, ids};
use bazaar_store::tenant::categories;
use bazaar_store::tenant::products::{
    self as store, NewProduct, NewVariant, ProductChanges, VariantChanges,
};
use bazaar_store::{StoreError, TenantConn};
use uuid::Uuid;

use super::rows::Checked;
use super::{RowFailure, RowStatus};
use crate::catalog::products::{MAX_VARIANTS, codes, options_json};

/// Apply one checked row for `vendor_id`; `Ok(Err(..))` is a row-level
/// failure. The products it touched are added to `touched`.
pub(super) async fn apply(
    conn: &mut TenantConn,
    vendor_id: Uuid,
    row: Checked,
    currencies: &[Currency],
    touched: &mut Vec<Uuid>,
) -> Result<Result<RowStatus, RowFailure>, StoreError> {
    let category_id = match &row.category_path {
        Some(path) => match categories::find_by_path(conn, path).await? {
            Some(c) => Some(c.id),
            None => {
                return Ok(Err(RowFailure::new(
                    "category_not_found",
                    format!("no category with path `{path}`"),
                )));
            }
        },
        None => None,
    };
    if let Some(c) = &row.currency
        && !currencies.contains(c)
    {
        return Ok(Err(RowFailure::new(
            "currency_not_sold",
            format!(
                "the tenant does not sell in {c}; its brands sell in [{}]",
                codes(currencies)
            ),
        )));
    }
    let options = options_json(&row.options);
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
                return Ok(Err(RowFailure::new(
                    "missing_product_title",
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
        Some(v) if v.product_id != product.id => Ok(Err(RowFailure::new(
            "sku_taken",
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
                currency: row.currency.filter(|c| *c != v.currency),
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
            let (Some(price), Some(currency)) = (row.price, row.currency) else {
                return Ok(Err(RowFailure::new(
                    "missing_price",
                    format!(
                        "SKU `{}` is new: `price` and `currency` are required",
                        row.sku
                    ),
                )));
            };
            let count = store::variant_count(conn, product.id).await?;
            if count as usize >= MAX_VARIANTS {
                return Ok(Err(RowFailure::new(
                    "too_many_variants",
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
