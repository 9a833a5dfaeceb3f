//! `/v1/categories`: the tenant's category tree. Tenant admins shape it;
//! every tenant key reads it.

use bazaar_domain::{Slug, validate};
use bazaar_store::StoreError;
use bazaar_store::tenant::categories::{self as store, TreeError};
use bazaar_store::tenant::listings::{self, Refresh};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag};
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A category in the tree.
#[derive(Debug, Object)]
pub struct Category {
    pub id: Uuid,
    /// The parent category; absent at the root.
    pub parent_id: Option<Uuid>,
    pub slug: String,
    pub name: String,
    /// Slugs from the root, e.g. `electronics/phones`; filter browses with it.
    pub path: String,
    /// 0 at the root.
    pub depth: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::Category> for Category {
    fn from(c: store::Category) -> Self {
        Self {
            id: c.id,
            parent_id: c.parent_id,
            slug: c.slug,
            name: c.name,
            path: c.path,
            depth: c.depth,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The whole tree, parents before their children.
#[derive(Debug, Object)]
pub struct CategoryTree {
    pub items: Vec<Category>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateCategory {
    /// The parent; absent for a top-level category.
    pub parent_id: Option<Uuid>,
    /// Unique among its siblings; part of the path.
    pub slug: String,
    pub name: String,
}

/// A rename or a move; absent fields stay as they are. `parent_id: null`
/// moves the category to the top level.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateCategory {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub parent_id: MaybeUndefined<Uuid>,
}

fn tree_error(e: TreeError) -> ApiError {
    match e {
        TreeError::Cycle => ApiError::unprocessable(
            "category_cycle",
            "a category cannot move under itself or one of its descendants",
        ),
        TreeError::HasProducts(n) => ApiError::conflict(
            "category_in_use",
            format!("{n} product(s) are in this category; move them to another category first"),
        ),
        TreeError::HasChildren => ApiError::conflict(
            "category_has_children",
            "this category has subcategories; move or delete them first",
        ),
        TreeError::Store(StoreError::Conflict { .. }) => ApiError::conflict(
            "path_taken",
            "a category with this slug already exists under that parent",
        ),
        TreeError::Store(e) => ApiError::from_store(e, "category"),
    }
}

pub struct CategoriesApi {
    pub state: AppState,
}

#[OpenApi(prefix_path = "/v1/categories", tag = "Tag::Categories")]
impl CategoriesApi {
    /// Create a category
    #[oai(path = "/", method = "post", operation_id = "create_category")]
    async fn create(
        &self,
        auth: ApiKey,
        body: Json<CreateCategory>,
    ) -> ApiResult<Created<Category>> {
        let key = auth.0.tenant()?;
        key.admin()?;
        let body = body.0;
        let slug = Slug::parse(&body.slug)?.to_string();
        let name = validate::display_name("name", &body.name)?;
        let parent = body.parent_id;
        let category = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move { store::create(conn, parent, &slug, &name).await }.boxed()
            })
            .await
            .map_err(|e| match (e, parent) {
                (StoreError::NotFound, Some(_)) => {
                    ApiError::unprocessable("parent_not_found", "no category with that `parent_id`")
                }
                (e, _) => tree_error(TreeError::Store(e)),
            })?;
        Ok(Created::Created(Json(category.into())))
    }

    /// The category tree
    #[oai(path = "/", method = "get", operation_id = "list_categories")]
    async fn list(&self, auth: ApiKey) -> ApiResult<Json<CategoryTree>> {
        let key = auth.0.tenant()?;
        let all = self
            .state
            .db
            .tenant_read(&key.schema, |conn| store::all(conn).boxed())
            .await?;
        Ok(Json(CategoryTree {
            items: all.into_iter().map(Category::from).collect(),
        }))
    }

    /// Get a category
    #[oai(path = "/:category_id", method = "get", operation_id = "get_category")]
    async fn get(&self, auth: ApiKey, category_id: Path<Uuid>) -> ApiResult<Json<Category>> {
        let key = auth.0.tenant()?;
        let id = category_id.0;
        let category = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| store::get(conn, id).boxed())
            .await
            .map_err(|e| ApiError::from_store(e, "category"))?;
        Ok(Json(category.into()))
    }

    /// Rename or move a category
    ///
    /// Products stay linked; the paths of the category and everything below
    /// it follow, and storefront filters see the change at once.
    #[oai(
        path = "/:category_id",
        method = "patch",
        operation_id = "update_category"
    )]
    async fn update(
        &self,
        auth: ApiKey,
        category_id: Path<Uuid>,
        body: Json<UpdateCategory>,
    ) -> ApiResult<Json<Category>> {
        let key = auth.0.tenant()?;
        key.admin()?;
        let body = body.0;
        let slug = body
            .slug
            .map(|s| Slug::parse(&s).map(|s| s.to_string()))
            .transpose()?;
        let name = body
            .name
            .map(|n| validate::display_name("name", &n))
            .transpose()?;
        let parent = match body.parent_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(id)),
        };
        let id = category_id.0;
        let result = self
            .state
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
                        Err(TreeError::Store(e)) => Err(e),
                        Err(other) => Ok(Err(other)),
                    }
                }
                .boxed()
            })
            .await
            .map_err(|e| tree_error(TreeError::Store(e)))?;
        let category = result.map_err(tree_error)?;
        bazaar_commerce::catalog_cache::bump(&self.state, key.tenant_id).await;
        Ok(Json(category.into()))
    }

    /// Delete a category
    ///
    /// Refused while products or subcategories are in it.
    #[oai(
        path = "/:category_id",
        method = "delete",
        operation_id = "delete_category"
    )]
    async fn delete(&self, auth: ApiKey, category_id: Path<Uuid>) -> ApiResult<Json<Category>> {
        let key = auth.0.tenant()?;
        key.admin()?;
        let id = category_id.0;
        let result = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    match store::delete(conn, id).await {
                        Ok(c) => Ok(Ok(c)),
                        Err(TreeError::Store(e)) => Err(e),
                        Err(other) => Ok(Err(other)),
                    }
                }
                .boxed()
            })
            .await
            .map_err(|e| tree_error(TreeError::Store(e)))?;
        Ok(Json(result.map_err(tree_error)?.into()))
    }
}
