//! Products and their variants, owned by a vendor.

use bazaar_domain::Currency;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::page::{Page, PageRequest};
use crate::schema::tenant::{backorders, cart_lines, order_lines, products, variants};
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub category_id: Option<Uuid>,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub attributes: serde_json::Value,
    pub images: Vec<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = products)]
pub struct NewProduct {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub category_id: Option<Uuid>,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub attributes: serde_json::Value,
    pub images: Vec<String>,
    pub status: String,
}

#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = products)]
pub struct ProductChanges {
    pub category_id: Option<Option<Uuid>>,
    pub slug: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub attributes: Option<serde_json::Value>,
    pub images: Option<Vec<String>>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = variants)]
pub struct Variant {
    pub id: Uuid,
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    pub sku: String,
    pub title: String,
    pub options: serde_json::Value,
    pub price: Decimal,
    pub currency: Currency,
    pub compare_at_price: Option<Decimal>,
    pub weight_grams: Option<Decimal>,
    pub tax_category: String,
    pub age_restricted: bool,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub backorder_limit: i32,
    pub low_stock_threshold: Option<i32>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = variants)]
pub struct NewVariant {
    pub id: Uuid,
    pub product_id: Uuid,
    pub vendor_id: Uuid,
    pub sku: String,
    pub title: String,
    pub options: serde_json::Value,
    pub price: Decimal,
    pub currency: Currency,
    pub compare_at_price: Option<Decimal>,
    pub weight_grams: Option<Decimal>,
    pub tax_category: String,
    pub age_restricted: bool,
    pub position: i32,
    pub backorder_limit: i32,
    pub low_stock_threshold: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = variants)]
pub struct VariantChanges {
    pub sku: Option<String>,
    pub title: Option<String>,
    pub options: Option<serde_json::Value>,
    pub price: Option<Decimal>,
    pub currency: Option<Currency>,
    pub compare_at_price: Option<Option<Decimal>>,
    pub weight_grams: Option<Option<Decimal>>,
    pub tax_category: Option<String>,
    pub age_restricted: Option<bool>,
    pub backorder_limit: Option<i32>,
    pub low_stock_threshold: Option<Option<i32>>,
}

/// A product with its variants.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductWithVariants {
    pub product: Product,
    pub variants: Vec<Variant>,
}

pub async fn create(
    conn: &mut TenantConn,
    product: NewProduct,
    new_variants: Vec<NewVariant>,
) -> Result<ProductWithVariants, StoreError> {
    let product: Product = diesel::insert_into(products::table)
        .values(&product)
        .returning(Product::as_returning())
        .get_result(conn.pg())
        .await?;
    let variants = if new_variants.is_empty() {
        Vec::new()
    } else {
        diesel::insert_into(variants::table)
            .values(&new_variants)
            .returning(Variant::as_returning())
            .get_results(conn.pg())
            .await?
    };
    Ok(ProductWithVariants { product, variants })
}

/// A product, optionally only if `vendor` owns it (vendor keys).
pub async fn get(
    conn: &mut TenantConn,
    id: Uuid,
    vendor: Option<Uuid>,
) -> Result<ProductWithVariants, StoreError> {
    let mut query = products::table
        .find(id)
        .select(Product::as_select())
        .into_boxed();
    if let Some(vendor) = vendor {
        query = query.filter(products::vendor_id.eq(vendor));
    }
    let product = query.get_result(conn.pg()).await?;
    let variants = variants_of(conn, &[product.id]).await?;
    Ok(ProductWithVariants { product, variants })
}

/// Variants of these products, in display order.
pub async fn variants_of(conn: &mut TenantConn, ids: &[Uuid]) -> Result<Vec<Variant>, StoreError> {
    Ok(variants::table
        .filter(variants::product_id.eq_any(ids))
        .order((variants::product_id, variants::position, variants::id))
        .select(Variant::as_select())
        .load(conn.pg())
        .await?)
}

/// Products oldest first, optionally of one vendor.
pub async fn list(
    conn: &mut TenantConn,
    page: PageRequest,
    vendor: Option<Uuid>,
) -> Result<Page<ProductWithVariants>, StoreError> {
    let mut query = products::table
        .select(Product::as_select())
        .order(products::id)
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(products::id.gt(after));
    }
    if let Some(vendor) = vendor {
        query = query.filter(products::vendor_id.eq(vendor));
    }
    let rows: Vec<Product> = query.load(conn.pg()).await?;
    let page = Page::from_overfetch(rows, page.limit, |p| p.id);
    let ids: Vec<Uuid> = page.items.iter().map(|p| p.id).collect();
    let mut variants = variants_of(conn, &ids).await?;
    Ok(page.map(|product| {
        let (mine, rest): (Vec<Variant>, Vec<Variant>) = std::mem::take(&mut variants)
            .into_iter()
            .partition(|v| v.product_id == product.id);
        variants = rest;
        ProductWithVariants {
            product,
            variants: mine,
        }
    }))
}

pub async fn update(
    conn: &mut TenantConn,
    id: Uuid,
    changes: ProductChanges,
) -> Result<Product, StoreError> {
    Ok(diesel::update(products::table.find(id))
        .set((changes, products::updated_at.eq(diesel::dsl::now)))
        .returning(Product::as_returning())
        .get_result(conn.pg())
        .await?)
}

pub async fn add_variant(conn: &mut TenantConn, new: NewVariant) -> Result<Variant, StoreError> {
    Ok(diesel::insert_into(variants::table)
        .values(&new)
        .returning(Variant::as_returning())
        .get_result(conn.pg())
        .await?)
}

pub async fn update_variant(
    conn: &mut TenantConn,
    product_id: Uuid,
    id: Uuid,
    changes: VariantChanges,
) -> Result<Variant, StoreError> {
    Ok(diesel::update(
        variants::table
            .filter(variants::id.eq(id))
            .filter(variants::product_id.eq(product_id)),
    )
    .set((changes, variants::updated_at.eq(diesel::dsl::now)))
    .returning(Variant::as_returning())
    .get_result(conn.pg())
    .await?)
}

pub async fn delete_variant(
    conn: &mut TenantConn,
    product_id: Uuid,
    id: Uuid,
) -> Result<(), StoreError> {
    let n = diesel::delete(
        variants::table
            .filter(variants::id.eq(id))
            .filter(variants::product_id.eq(product_id)),
    )
    .execute(conn.pg())
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Whether an order (or a backorder) holds the variant: it is then part
/// of order history and stays.
pub async fn variant_ordered(conn: &mut TenantConn, id: Uuid) -> Result<bool, StoreError> {
    let in_orders: bool = diesel::select(diesel::dsl::exists(
        order_lines::table.filter(order_lines::variant_id.eq(id)),
    ))
    .get_result(conn.pg())
    .await?;
    if in_orders {
        return Ok(true);
    }
    Ok(diesel::select(diesel::dsl::exists(
        backorders::table.filter(backorders::variant_id.eq(id)),
    ))
    .get_result(conn.pg())
    .await?)
}

/// Take the variant out of every cart holding it; returns how many lines.
pub async fn remove_from_carts(conn: &mut TenantConn, id: Uuid) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(cart_lines::table.filter(cart_lines::variant_id.eq(id)))
            .execute(conn.pg())
            .await?,
    )
}

pub async fn variant_count(conn: &mut TenantConn, product_id: Uuid) -> Result<i64, StoreError> {
    Ok(variants::table
        .filter(variants::product_id.eq(product_id))
        .count()
        .get_result(conn.pg())
        .await?)
}

/// The vendor's product with this slug.
pub async fn find_by_slug(
    conn: &mut TenantConn,
    vendor_id: Uuid,
    slug: &str,
) -> Result<Option<Product>, StoreError> {
    Ok(products::table
        .filter(products::vendor_id.eq(vendor_id))
        .filter(products::slug.eq(slug))
        .select(Product::as_select())
        .get_result(conn.pg())
        .await
        .optional()?)
}

/// The vendor's variant with this SKU.
pub async fn find_variant_by_sku(
    conn: &mut TenantConn,
    vendor_id: Uuid,
    sku: &str,
) -> Result<Option<Variant>, StoreError> {
    Ok(variants::table
        .filter(variants::vendor_id.eq(vendor_id))
        .filter(variants::sku.eq(sku))
        .select(Variant::as_select())
        .get_result(conn.pg())
        .await
        .optional()?)
}

/// A variant by id.
pub async fn variants_by_id(
    conn: &mut TenantConn,
    id: Uuid,
) -> Result<Option<Variant>, StoreError> {
    Ok(variants::table
        .find(id)
        .select(Variant::as_select())
        .get_result(conn.pg())
        .await
        .optional()?)
}
