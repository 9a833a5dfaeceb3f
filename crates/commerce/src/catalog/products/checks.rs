//! The rules a product's and a variant's fields are checked against
//! before anything is written.

use std::collections::BTreeMap;

use bazaar_domain::{Currency, ids, validate};
use bazaar_regions::TaxCategory;
use bazaar_store::tenant::products::NewVariant;
use uuid::Uuid;

use super::ProductRefusal;
use crate::catalog::variants::VariantDraft;
use crate::prices;

/// 1-64 letters, digits, `.`, `_` or `-`.
pub(crate) fn sku(raw: &str) -> Result<String, ProductRefusal> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ProductRefusal::InvalidSku {
            sku: raw.to_owned(),
        })
    }
}

/// A product tax category the region packs know (default `general`).
pub(crate) fn tax_category(raw: Option<String>) -> Result<String, ProductRefusal> {
    let raw = raw.unwrap_or_else(|| "general".to_owned());
    match TaxCategory::for_product(&raw) {
        Some(c) => Ok(c.as_str().to_owned()),
        None => Err(ProductRefusal::UnknownTaxCategory {
            category: raw,
            known: TaxCategory::product_names(),
        }),
    }
}

/// At most 50 attributes, named in 1-64 characters, each a string, number
/// or boolean.
pub(super) fn attributes(
    raw: BTreeMap<String, serde_json::Value>,
) -> Result<serde_json::Value, ProductRefusal> {
    if raw.len() > 50 {
        return Err(ProductRefusal::TooManyAttributes);
    }
    for (name, value) in &raw {
        if name.is_empty() || name.len() > 64 {
            return Err(ProductRefusal::AttributeName);
        }
        if !(value.is_string() || value.is_number() || value.is_boolean()) {
            return Err(ProductRefusal::AttributeValue { name: name.clone() });
        }
    }
    Ok(serde_json::Value::Object(raw.into_iter().collect()))
}

/// At most 20 images, each an http(s) URL or a path under the CDN.
pub(super) fn images(raw: Vec<String>) -> Result<Vec<String>, ProductRefusal> {
    if raw.len() > 20 {
        return Err(ProductRefusal::TooManyImages);
    }
    for image in &raw {
        let absolute = image.starts_with("https://") || image.starts_with("http://");
        let relative = !image.contains("://") && !image.is_empty();
        if !(absolute || relative) || image.len() > 2048 || image.chars().any(char::is_whitespace) {
            return Err(ProductRefusal::InvalidImage {
                image: image.clone(),
            });
        }
    }
    Ok(raw)
}

/// Option values as the JSON object the store keeps.
pub(crate) fn options_json(options: &BTreeMap<String, String>) -> serde_json::Value {
    serde_json::Value::Object(
        options
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

/// The codes of `currencies`, for a message: "USD, EUR".
pub(crate) fn codes(currencies: &[Currency]) -> String {
    currencies
        .iter()
        .map(|c| c.code())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A checked variant ready to insert (its product id is filled in later),
/// in a currency one of the tenant's brands sells in (`currencies`).
pub(crate) fn new_variant(
    draft: VariantDraft,
    vendor_id: Uuid,
    position: i32,
    currencies: &[Currency],
) -> Result<NewVariant, ProductRefusal> {
    let currency = Currency::parse(&draft.currency)?;
    if !currencies.contains(&currency) {
        return Err(ProductRefusal::CurrencyNotSold {
            currency: currency.code().to_owned(),
            sold: codes(currencies),
        });
    }
    let sku = sku(&draft.sku)?;
    let title = match draft.title {
        Some(t) => validate::display_name("title", &t)?,
        None if !draft.options.is_empty() => draft
            .options
            .values()
            .cloned()
            .collect::<Vec<_>>()
            .join(" / "),
        None => sku.clone(),
    };
    Ok(NewVariant {
        id: ids::new_id(),
        product_id: Uuid::nil(),
        vendor_id,
        options: options_json(&draft.options),
        price: prices::amount(draft.price, currency, "price")?,
        compare_at_price: draft
            .compare_at_price
            .map(|p| prices::amount(p, currency, "compare_at_price"))
            .transpose()?,
        weight_grams: draft
            .weight_grams
            .map(|w| {
                if w.is_sign_negative() {
                    Err(ProductRefusal::NegativeWeight)
                } else {
                    Ok(w)
                }
            })
            .transpose()?,
        tax_category: tax_category(draft.tax_category)?,
        age_restricted: draft.age_restricted,
        backorder_limit: draft.backorder_limit,
        low_stock_threshold: draft.low_stock_threshold,
        position,
        currency,
        sku,
        title,
    })
}
