//! The category tree. Each category stores its path of slugs from the root;
//! "everything under electronics" is a prefix range on an index, and a move
//! or rename rewrites the paths of the subtree in one statement.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::schema::tenant::{categories, products};
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct Category {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub slug: String,
    pub name: String,
    pub path: String,
    pub depth: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a tree change was refused.
#[derive(Debug)]
pub enum TreeError {
    /// Moving a category under itself or one of its descendants.
    Cycle,
    /// The category still has products (in it or below it).
    HasProducts(i64),
    /// The category still has children.
    HasChildren,
    Store(StoreError),
}

impl From<StoreError> for TreeError {
    fn from(e: StoreError) -> Self {
        TreeError::Store(e)
    }
}

impl From<diesel::result::Error> for TreeError {
    fn from(e: diesel::result::Error) -> Self {
        TreeError::Store(e.into())
    }
}

fn child_path(parent: Option<&Category>, slug: &str) -> (String, i32) {
    match parent {
        Some(p) => (format!("{}/{slug}", p.path), p.depth + 1),
        None => (slug.to_owned(), 0),
    }
}

pub async fn create(
    conn: &mut TenantConn,
    parent_id: Option<Uuid>,
    slug: &str,
    name: &str,
) -> Result<Category, StoreError> {
    let parent = match parent_id {
        Some(id) => Some(get(conn, id).await?),
        None => None,
    };
    let (path, depth) = child_path(parent.as_ref(), slug);
    Ok(diesel::insert_into(categories::table)
        .values((
            categories::id.eq(bazaar_domain::ids::new_id()),
            categories::parent_id.eq(parent_id),
            categories::slug.eq(slug),
            categories::name.eq(name),
            categories::path.eq(&path),
            categories::depth.eq(depth),
        ))
        .returning(Category::as_returning())
        .get_result(conn.pg())
        .await?)
}

pub async fn get(conn: &mut TenantConn, id: Uuid) -> Result<Category, StoreError> {
    Ok(categories::table
        .find(id)
        .select(Category::as_select())
        .get_result(conn.pg())
        .await?)
}

pub async fn find_by_path(
    conn: &mut TenantConn,
    path: &str,
) -> Result<Option<Category>, StoreError> {
    Ok(categories::table
        .filter(categories::path.eq(path))
        .select(Category::as_select())
        .get_result(conn.pg())
        .await
        .optional()?)
}

/// The whole tree, ordered by path (parents before their children).
pub async fn all(conn: &mut TenantConn) -> Result<Vec<Category>, StoreError> {
    Ok(categories::table
        .order(categories::path)
        .select(Category::as_select())
        .load(conn.pg())
        .await?)
}

/// Rename (new name and/or slug) and/or move (new parent, `Some(None)` for
/// the root) a category; its subtree's paths follow. Returns the category
/// and its old path (listings under it need refreshing).
pub async fn update(
    conn: &mut TenantConn,
    id: Uuid,
    name: Option<&str>,
    slug: Option<&str>,
    parent: Option<Option<Uuid>>,
) -> Result<(Category, String), TreeError> {
    let current = get(conn, id).await?;
    let new_parent = match parent {
        Some(Some(pid)) => {
            let p = get(conn, pid).await?;
            if p.id == current.id || p.path.starts_with(&format!("{}/", current.path)) {
                return Err(TreeError::Cycle);
            }
            Some(p)
        }
        Some(None) => None,
        None => match current.parent_id {
            Some(pid) => Some(get(conn, pid).await?),
            None => None,
        },
    };
    let slug = slug.unwrap_or(&current.slug);
    let (path, depth) = child_path(new_parent.as_ref(), slug);
    if path != current.path {
        // Rewrite this category's path and every descendant's prefix.
        // String surgery on every path of the subtree: fixed raw SQL.
        crate::prepared::prepared(
            "UPDATE categories SET path = $1 || substr(path, length($2) + 1), \
             depth = depth + $3, updated_at = now() \
             WHERE path = $2 OR path LIKE $2 || '/%'",
        )
        .bind::<Text, _>(&path)
        .bind::<Text, _>(&current.path)
        .bind::<Integer, _>(depth - current.depth)
        .execute(conn.pg())
        .await?;
    }
    let updated = diesel::update(categories::table.find(id))
        .set((
            categories::name.eq(name.unwrap_or(&current.name)),
            categories::slug.eq(slug),
            categories::parent_id.eq(new_parent.as_ref().map(|p| p.id)),
            categories::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Category::as_returning())
        .get_result(conn.pg())
        .await?;
    Ok((updated, current.path))
}

/// Delete a category that has no children and no products.
pub async fn delete(conn: &mut TenantConn, id: Uuid) -> Result<Category, TreeError> {
    let category = get(conn, id).await?;
    let in_use: i64 = products::table
        .filter(products::category_id.eq(id))
        .count()
        .get_result(conn.pg())
        .await?;
    if in_use > 0 {
        return Err(TreeError::HasProducts(in_use));
    }
    let children: i64 = categories::table
        .filter(categories::parent_id.eq(id))
        .count()
        .get_result(conn.pg())
        .await?;
    if children > 0 {
        return Err(TreeError::HasChildren);
    }
    diesel::delete(categories::table.find(id))
        .execute(conn.pg())
        .await?;
    Ok(category)
}
