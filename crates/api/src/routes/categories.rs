//! `/v1/categories`: the tenant's category tree, the edge of
//! `bazaar_commerce::catalog::categories`. Tenant admins shape it; every
//! tenant key reads it.

use bazaar_commerce::catalog::categories::{self, CategoryEdit};
use bazaar_store::tenant::categories as store;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag};
use crate::auth::ApiKey;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::timestamp::Timestamp;

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
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
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
            created_at: c.created_at.into(),
            updated_at: c.updated_at.into(),
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

impl From<UpdateCategory> for CategoryEdit {
    fn from(c: UpdateCategory) -> Self {
        Self {
            slug: c.slug,
            name: c.name,
            parent_id: match c.parent_id {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(id) => Some(Some(id)),
            },
        }
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
        let body = body.0;
        let category =
            categories::create(&self.state, key, body.parent_id, &body.slug, &body.name).await?;
        Ok(Created::Created(Json(category.into())))
    }

    /// The category tree
    #[oai(path = "/", method = "get", operation_id = "list_categories")]
    async fn list(&self, auth: ApiKey) -> ApiResult<Json<CategoryTree>> {
        let key = auth.0.tenant()?;
        let all = categories::all(&self.state, key).await?;
        Ok(Json(CategoryTree {
            items: all.into_iter().map(Category::from).collect(),
        }))
    }

    /// Get a category
    #[oai(path = "/:category_id", method = "get", operation_id = "get_category")]
    async fn get(&self, auth: ApiKey, category_id: Path<Uuid>) -> ApiResult<Json<Category>> {
        let key = auth.0.tenant()?;
        let category = categories::get(&self.state, key, category_id.0).await?;
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
        let category = categories::update(&self.state, key, category_id.0, body.0.into()).await?;
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
        let category = categories::delete(&self.state, key, category_id.0).await?;
        Ok(Json(category.into()))
    }
}
