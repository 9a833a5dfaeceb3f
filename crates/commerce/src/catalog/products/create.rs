//! Creating a product with its variants.

use std::collections::BTreeMap;

use bazaar_domain::{Scope, Slug, ids, validate};
use bazaar_store::StoreError;
use bazaar_store::tenant::listings::{self, Refresh};
use bazaar_store::tenant::products::{self as store, NewProduct, ProductWithVariants};
use bazaar_store::tenant::{brands, categories};
use futures_util::FutureExt;
use uuid::Uuid;

use super::{MAX_VARIANTS, ProductRefusal, Status, attributes, images, new_variant, write_failure};
use crate::catalog::variants::VariantDraft;
use crate::{Failure, Outcome, Services, TenantKey, acting, catalog_cache};

/// A new product as the vendor describes it.
#[derive(Debug, Clone)]
pub struct ProductDraft {
    /// Required with a tenant admin key; a vendor key creates for itself.
    pub vendor_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub attributes: BTreeMap<String, serde_json::Value>,
    pub images: Vec<String>,
    /// Default [`Status::Draft`].
    pub status: Option<Status>,
    /// 1 to [`MAX_VARIANTS`].
    pub variants: Vec<VariantDraft>,
}

/// Create a product with its variants (in currencies the tenant's brands
/// sell in) and list it where its vendor's products are listed.
#[tracing::instrument(skip_all, fields(product.slug = %draft.slug))]
pub async fn create(
    services: &Services,
    key: &TenantKey,
    draft: ProductDraft,
) -> Outcome<ProductWithVariants, ProductRefusal> {
    let vendor_id = acting::vendor_for(key, draft.vendor_id)?;
    let is_vendor_key = key.scope == Scope::Vendor;
    if draft.variants.is_empty() {
        return Err(ProductRefusal::VariantsRequired.into());
    }
    if draft.variants.len() > MAX_VARIANTS {
        return Err(ProductRefusal::TooManyVariants {
            max: MAX_VARIANTS,
            have: draft.variants.len(),
        }
        .into());
    }
    let product = NewProduct {
        id: ids::new_id(),
        vendor_id,
        category_id: draft.category_id,
        slug: Slug::parse(&draft.slug)?.to_string(),
        title: validate::display_name("title", &draft.title)?,
        description: draft.description,
        attributes: attributes(draft.attributes)?,
        images: images(draft.images)?,
        status: draft.status.unwrap_or(Status::Draft).as_str().to_owned(),
    };
    let drafts = draft.variants;
    let category = draft.category_id;
    let created = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                if let Err(e) = acting::check_vendor(conn, vendor_id, is_vendor_key).await? {
                    return Ok(Err(e.into()));
                }
                if let Some(c) = category
                    && matches!(categories::get(conn, c).await, Err(StoreError::NotFound))
                {
                    return Ok(Err(ProductRefusal::CategoryNotFound));
                }
                let currencies = brands::currencies(conn).await?;
                let mut variants = Vec::with_capacity(drafts.len());
                let mut skus = Vec::new();
                for (i, draft) in drafts.into_iter().enumerate() {
                    match new_variant(draft, vendor_id, i as i32, &currencies) {
                        Ok(mut v) => {
                            if skus.contains(&v.sku) {
                                return Ok(Err(ProductRefusal::DuplicateSku { sku: v.sku }));
                            }
                            skus.push(v.sku.clone());
                            v.product_id = product.id;
                            variants.push(v);
                        }
                        Err(e) => return Ok(Err(e)),
                    }
                }
                let id = product.id;
                let created = store::create(conn, product, variants).await?;
                listings::refresh(conn, Refresh::Products(&[id])).await?;
                Ok(Ok(created))
            }
            .boxed()
        })
        .await
        .map_err(write_failure)?
        .map_err(Failure::Refused)?;
    catalog_cache::bump(services, key.tenant_id).await;
    Ok(created)
}
