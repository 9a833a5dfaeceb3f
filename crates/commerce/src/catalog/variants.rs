//! A product's variants, added, changed and removed one at a time; each
//! change answers the whole product as it is afterwards.

use std::collections::BTreeMap;

use bazaar_domain::{Currency, validate};
use bazaar_store::StoreError;
use bazaar_store::tenant::brands;
use bazaar_store::tenant::products::{self as store, ProductWithVariants, Variant, VariantChanges};
use futures_util::FutureExt;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::products::{
    MAX_VARIANTS, ProductRefusal, codes, load, new_variant, options_json, sku, tax_category, write,
};
use crate::{Outcome, Services, TenantKey, prices};

/// A new variant as the vendor describes it.
#[derive(Debug, Clone)]
pub struct VariantDraft {
    pub sku: String,
    /// Defaults to the option values joined, or the SKU.
    pub title: Option<String>,
    pub options: BTreeMap<String, String>,
    pub price: Decimal,
    /// A currency one of the tenant's brands sells in.
    pub currency: String,
    pub compare_at_price: Option<Decimal>,
    pub weight_grams: Option<Decimal>,
    /// Default `general`.
    pub tax_category: Option<String>,
    pub age_restricted: bool,
    pub backorder_limit: i32,
    pub low_stock_threshold: Option<i32>,
}

/// Changes to a variant; `None` leaves a field as it is, `Some(None)`
/// clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct VariantEdit {
    pub sku: Option<String>,
    pub title: Option<String>,
    pub options: Option<BTreeMap<String, String>>,
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    pub compare_at_price: Option<Option<Decimal>>,
    pub weight_grams: Option<Option<Decimal>>,
    pub tax_category: Option<String>,
    pub age_restricted: Option<bool>,
    pub backorder_limit: Option<i32>,
    /// `Some(None)` turns low-stock events off.
    pub low_stock_threshold: Option<Option<i32>>,
}

/// Add a variant to a product (at most [`MAX_VARIANTS`]).
#[tracing::instrument(skip_all, fields(product.id = %id))]
pub async fn add(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    draft: VariantDraft,
) -> Outcome<ProductWithVariants, ProductRefusal> {
    write(services, key, id, move |conn| {
        async move {
            let count = store::variant_count(conn, id).await?;
            if count as usize >= MAX_VARIANTS {
                return Ok(Err(ProductRefusal::VariantLimit { max: MAX_VARIANTS }));
            }
            let product = store::get(conn, id, None).await?;
            let currencies = brands::currencies(conn).await?;
            let mut variant =
                match new_variant(draft, product.product.vendor_id, count as i32, &currencies) {
                    Ok(v) => v,
                    Err(e) => return Ok(Err(e)),
                };
            variant.product_id = id;
            store::add_variant(conn, variant).await?;
            Ok(Ok(()))
        }
        .boxed()
    })
    .await?;
    load(services, key, id).await
}

/// Change a variant of a product.
#[tracing::instrument(skip_all, fields(product.id = %id, variant.id = %variant_id))]
pub async fn update(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    variant_id: Uuid,
    edit: VariantEdit,
) -> Outcome<ProductWithVariants, ProductRefusal> {
    write(services, key, id, move |conn| {
        async move {
            let product = store::get(conn, id, None).await?;
            let Some(current) = product.variants.iter().find(|v| v.id == variant_id) else {
                return Ok(Err(ProductRefusal::VariantNotFound));
            };
            let currencies = brands::currencies(conn).await?;
            let changes = match changes(edit, current, &currencies) {
                Ok(c) => c,
                Err(e) => return Ok(Err(e)),
            };
            if changes != VariantChanges::default() {
                store::update_variant(conn, id, variant_id, changes).await?;
            }
            Ok(Ok(()))
        }
        .boxed()
    })
    .await?;
    load(services, key, id).await
}

/// The checked changes to `current`; amounts are checked against the
/// variant's currency after the change.
fn changes(
    edit: VariantEdit,
    current: &Variant,
    currencies: &[Currency],
) -> Result<VariantChanges, ProductRefusal> {
    let currency = match &edit.currency {
        Some(c) => {
            let c = Currency::parse(c)?;
            if !currencies.contains(&c) {
                return Err(ProductRefusal::CurrencyNotSold {
                    currency: c.code().to_owned(),
                    sold: codes(currencies),
                });
            }
            c
        }
        None => current.currency,
    };
    let optional = |v: Option<Option<Decimal>>,
                    field: &str|
     -> Result<Option<Option<Decimal>>, ProductRefusal> {
        Ok(match v {
            None => None,
            Some(None) => Some(None),
            Some(Some(p)) => Some(Some(prices::amount(p, currency, field)?)),
        })
    };
    Ok(VariantChanges {
        sku: edit.sku.as_deref().map(sku).transpose()?,
        title: edit
            .title
            .as_deref()
            .map(|t| validate::display_name("title", t))
            .transpose()?,
        options: edit.options.as_ref().map(options_json),
        price: edit
            .price
            .map(|p| prices::amount(p, currency, "price"))
            .transpose()?,
        compare_at_price: optional(edit.compare_at_price, "compare_at_price")?,
        weight_grams: optional(edit.weight_grams, "weight_grams")?,
        tax_category: edit
            .tax_category
            .map(|c| tax_category(Some(c)))
            .transpose()?,
        age_restricted: edit.age_restricted,
        backorder_limit: edit.backorder_limit,
        low_stock_threshold: match edit.low_stock_threshold {
            None => None,
            Some(None) => Some(None),
            Some(Some(t)) if t >= 0 => Some(Some(t)),
            Some(Some(_)) => return Err(ProductRefusal::NegativeThreshold),
        },
        currency: edit.currency.as_ref().map(|_| currency),
    })
}

/// Remove a variant from a product. A variant that was ordered stays, for
/// the orders' history (archive the product, or zero the variant's stock,
/// to stop selling it); one that is only in carts leaves those carts (a
/// cart would refuse it at checkout anyway).
#[tracing::instrument(skip_all, fields(product.id = %id, variant.id = %variant_id))]
pub async fn delete(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    variant_id: Uuid,
) -> Outcome<ProductWithVariants, ProductRefusal> {
    write(services, key, id, move |conn| {
        async move {
            if store::variant_ordered(conn, variant_id).await? {
                return Ok(Err(ProductRefusal::VariantOrdered));
            }
            let carts = store::remove_from_carts(conn, variant_id).await?;
            match store::delete_variant(conn, id, variant_id).await {
                Ok(()) => {
                    tracing::info!(carts, "variant deleted and taken out of carts");
                    Ok(Ok(()))
                }
                Err(StoreError::NotFound) => Ok(Err(ProductRefusal::VariantNotFound)),
                // Ordered between the check and the delete.
                Err(StoreError::Constraint { .. }) => Ok(Err(ProductRefusal::VariantOrdered)),
                Err(e) => Err(e),
            }
        }
        .boxed()
    })
    .await?;
    load(services, key, id).await
}
