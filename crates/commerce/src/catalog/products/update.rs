//! Changing a product's own fields (its variants are changed one by one,
//! in [`crate::catalog::variants`]).

use std::collections::BTreeMap;

use bazaar_domain::{Slug, validate};
use bazaar_store::StoreError;
use bazaar_store::tenant::categories;
use bazaar_store::tenant::products::{self as store, ProductChanges, ProductWithVariants};
use futures_util::FutureExt;
use uuid::Uuid;

use super::{ProductRefusal, Status, attributes, images, load, write};
use crate::{Outcome, Services, TenantKey};

/// Changes to a product; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProductEdit {
    /// `Some(None)` takes the product out of its category.
    pub category_id: Option<Option<Uuid>>,
    pub slug: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub attributes: Option<BTreeMap<String, serde_json::Value>>,
    pub images: Option<Vec<String>>,
    pub status: Option<Status>,
}

/// Change a product and answer it as it is afterwards.
#[tracing::instrument(skip_all, fields(product.id = %id))]
pub async fn update(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    edit: ProductEdit,
) -> Outcome<ProductWithVariants, ProductRefusal> {
    let changes = ProductChanges {
        category_id: edit.category_id,
        slug: edit
            .slug
            .map(|s| Slug::parse(&s).map(|s| s.to_string()))
            .transpose()?,
        title: edit
            .title
            .map(|t| validate::display_name("title", &t))
            .transpose()?,
        description: edit.description,
        attributes: edit.attributes.map(attributes).transpose()?,
        images: edit.images.map(images).transpose()?,
        status: edit.status.map(|s| s.as_str().to_owned()),
    };
    write(services, key, id, move |conn| {
        async move {
            if let Some(Some(c)) = changes.category_id
                && matches!(categories::get(conn, c).await, Err(StoreError::NotFound))
            {
                return Ok(Err(ProductRefusal::CategoryNotFound));
            }
            if changes != ProductChanges::default() {
                store::update(conn, id, changes).await?;
            }
            Ok(Ok(()))
        }
        .boxed()
    })
    .await?;
    load(services, key, id).await
}
