//! The tenant's category tree. Tenant admins shape it; every tenant key
//! reads it. A rename or a move rewrites the paths below it, and the
//! listings filtered by those paths follow in the same transaction.

use bazaar_domain::{DomainError, Slug, validate};
use bazaar_store::StoreError;
use bazaar_store::tenant::categories::{self as store, Category, TreeError};
use bazaar_store::tenant::listings::{self, Refresh};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::context::AccessRefusal;
use crate::{Failure, Outcome, Services, TenantKey, catalog_cache, refusals};

refusals! {
    /// Why the tree will not change (or a category cannot be shown).
    pub enum CategoryRefusal {
        Access(AccessRefusal) => delegate;
        /// A slug or name breaks a domain rule.
        Invalid(DomainError) => delegate;
        NotFound => NotFound, "category_not_found", "no category with that id is visible to this key";
        ParentNotFound => Unprocessable, "parent_not_found", "no category with that `parent_id`";
        /// Paths are unique (`categories_path_key`).
        PathTaken => Conflict, "path_taken",
            "a category with this slug already exists under that parent";
        Cycle => Unprocessable, "category_cycle",
            "a category cannot move under itself or one of its descendants";
        InUse { products: i64 } => Conflict, "category_in_use",
            "{products} product(s) are in this category; move them to another category first";
        HasChildren => Conflict, "category_has_children",
            "this category has subcategories; move or delete them first";
    }
}

/// A store failure of a tree write (the transaction rolled back).
fn store_failure(e: StoreError) -> Failure<CategoryRefusal> {
    match e {
        StoreError::Conflict { .. } => CategoryRefusal::PathTaken.into(),
        StoreError::NotFound => CategoryRefusal::NotFound.into(),
        other => Failure::Store(other),
    }
}

/// Split a tree change's error: a refusal (the transaction commits,
/// nothing having been written) or a store failure (it rolls back).
fn tree_refusal(e: TreeError) -> Result<CategoryRefusal, StoreError> {
    match e {
        TreeError::Cycle => Ok(CategoryRefusal::Cycle),
        TreeError::HasProducts(products) => Ok(CategoryRefusal::InUse { products }),
        TreeError::HasChildren => Ok(CategoryRefusal::HasChildren),
        TreeError::Store(e) => Err(e),
    }
}

/// Changes to a category; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CategoryEdit {
    pub slug: Option<String>,
    pub name: Option<String>,
    /// `Some(None)` moves the category to the top level.
    pub parent_id: Option<Option<Uuid>>,
}

/// Create a category under `parent` (or at the top level).
#[tracing::instrument(skip_all, fields(category.slug = %slug))]
pub async fn create(
    services: &Services,
    key: &TenantKey,
    parent: Option<Uuid>,
    slug: &str,
    name: &str,
) -> Outcome<Category, CategoryRefusal> {
    key.admin()?;
    let slug = Slug::parse(slug)?.to_string();
    let name = validate::display_name("name", name)?;
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move { store::create(conn, parent, &slug, &name).await }.boxed()
        })
        .await
        .map_err(|e| match (e, parent) {
            (StoreError::NotFound, Some(_)) => CategoryRefusal::ParentNotFound.into(),
            (e, _) => store_failure(e),
        })
}

/// The whole tree, parents before their children.
pub async fn all(services: &Services, key: &TenantKey) -> Outcome<Vec<Category>, CategoryRefusal> {
    Ok(services
        .db
        .tenant_read(&key.schema, |conn| store::all(conn).boxed())
        .await?)
}

/// One category.
pub async fn get(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
) -> Outcome<Category, CategoryRefusal> {
    services
        .db
        .tenant_read(&key.schema, move |conn| store::get(conn, id).boxed())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => CategoryRefusal::NotFound.into(),
            other => Failure::Store(other),
        })
}

/// Rename or move a category: products stay linked; the paths of the
/// category and everything below it follow, and storefront filters see the
/// change at once.
#[tracing::instrument(skip_all, fields(category.id = %id))]
pub async fn update(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    edit: CategoryEdit,
) -> Outcome<Category, CategoryRefusal> {
    key.admin()?;
    let slug = edit
        .slug
        .map(|s| Slug::parse(&s).map(|s| s.to_string()))
        .transpose()?;
    let name = edit
        .name
        .map(|n| validate::display_name("name", &n))
        .transpose()?;
    let parent = edit.parent_id;
    let category = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                match store::update(conn, id, name.as_deref(), slug.as_deref(), parent).await {
                    Ok((category, old_path)) => {
                        listings::refresh(
                            conn,
                            Refresh::CategoryPaths(&[old_path, category.path.clone()]),
                        )
                        .await?;
                        Ok(Ok(category))
                    }
                    Err(e) => tree_refusal(e).map(Err),
                }
            }
            .boxed()
        })
        .await
        .map_err(store_failure)?
        .map_err(Failure::Refused)?;
    catalog_cache::bump(services, key.tenant_id).await;
    Ok(category)
}

/// Delete a category; refused while products or subcategories are in it.
#[tracing::instrument(skip_all, fields(category.id = %id))]
pub async fn delete(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
) -> Outcome<Category, CategoryRefusal> {
    key.admin()?;
    let deleted = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                match store::delete(conn, id).await {
                    Ok(c) => Ok(Ok(c)),
                    Err(e) => tree_refusal(e).map(Err),
                }
            }
            .boxed()
        })
        .await
        .map_err(store_failure)?
        .map_err(Failure::Refused)?;
    Ok(deleted)
}
