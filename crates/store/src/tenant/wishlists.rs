//! Wishlists: named lists of a customer's products in one brand, each
//! shareable read-only through a link token that can be withdrawn.

use chrono::{DateTime, Utc};
use diesel::dsl;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::schema::tenant::{listings, products, wishlist_items, wishlists};
use crate::sql::coalesce;
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = wishlists, check_for_backend(diesel::pg::Pg))]
pub struct Wishlist {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub brand_id: Uuid,
    pub name: String,
    pub share_token: Option<String>,
    #[diesel(select_expression = item_count(), select_expression_type = item_count)]
    pub items: i64,
    pub created_at: DateTime<Utc>,
}

/// How many products the list holds (a subquery per list).
#[dsl::auto_type]
fn item_count() -> _ {
    wishlist_items::table
        .filter(wishlist_items::wishlist_id.eq(wishlists::id))
        .count()
        .single_value()
        .assume_not_null()
}

/// A product on a list, as the list's brand shows it now.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct Item {
    pub product_id: Uuid,
    pub title: String,
    /// Whether the brand still sells it.
    pub available: bool,
    pub added_at: DateTime<Utc>,
}

pub async fn create(
    conn: &mut TenantConn,
    customer: Uuid,
    brand: Uuid,
    name: &str,
) -> Result<Wishlist, StoreError> {
    let id = bazaar_domain::ids::new_id();
    diesel::insert_into(wishlists::table)
        .values((
            wishlists::id.eq(id),
            wishlists::customer_id.eq(customer),
            wishlists::brand_id.eq(brand),
            wishlists::name.eq(name),
        ))
        .execute(conn.pg())
        .await?;
    get(conn, customer, brand, id).await
}

/// The customer's lists in the brand (in every brand with `None`), oldest
/// first.
pub async fn list(
    conn: &mut TenantConn,
    customer: Uuid,
    brand: Option<Uuid>,
) -> Result<Vec<Wishlist>, StoreError> {
    let mut query = wishlists::table
        .filter(wishlists::customer_id.eq(customer))
        .select(Wishlist::as_select())
        .order(wishlists::id)
        .limit(500)
        .into_boxed();
    if let Some(brand) = brand {
        query = query.filter(wishlists::brand_id.eq(brand));
    }
    Ok(query.load(conn.pg()).await?)
}

/// One of the customer's lists in the brand, locked for the transaction.
pub async fn get(
    conn: &mut TenantConn,
    customer: Uuid,
    brand: Uuid,
    id: Uuid,
) -> Result<Wishlist, StoreError> {
    Ok(wishlists::table
        .find(id)
        .filter(wishlists::customer_id.eq(customer))
        .filter(wishlists::brand_id.eq(brand))
        .select(Wishlist::as_select())
        .for_update()
        .get_result(conn.pg())
        .await?)
}

/// A shared list by its link token, in the brand.
pub async fn shared(
    conn: &mut TenantConn,
    brand: Uuid,
    token: &str,
) -> Result<Wishlist, StoreError> {
    Ok(wishlists::table
        .filter(wishlists::share_token.eq(token))
        .filter(wishlists::brand_id.eq(brand))
        .select(Wishlist::as_select())
        .get_result(conn.pg())
        .await?)
}

pub async fn rename(conn: &mut TenantConn, id: Uuid, name: &str) -> Result<(), StoreError> {
    diesel::update(wishlists::table.find(id))
        .set((wishlists::name.eq(name), wishlists::updated_at.eq(dsl::now)))
        .execute(conn.pg())
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut TenantConn, id: Uuid) -> Result<(), StoreError> {
    diesel::delete(wishlists::table.find(id))
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// Share the list (a new token each time, so a leaked link can be
/// replaced) or stop sharing it (`share = false`).
pub async fn set_shared(
    conn: &mut TenantConn,
    id: Uuid,
    share: bool,
) -> Result<Option<String>, StoreError> {
    let token = share.then(|| crate::secret::generate("wl_"));
    diesel::update(wishlists::table.find(id))
        .set((
            wishlists::share_token.eq(token.as_deref()),
            wishlists::updated_at.eq(dsl::now),
        ))
        .execute(conn.pg())
        .await?;
    Ok(token)
}

/// Add a product (adding it again is a no-op).
pub async fn add(conn: &mut TenantConn, id: Uuid, product: Uuid) -> Result<(), StoreError> {
    diesel::insert_into(wishlist_items::table)
        .values((
            wishlist_items::wishlist_id.eq(id),
            wishlist_items::product_id.eq(product),
        ))
        .on_conflict_do_nothing()
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// Remove a product; `false` when it was not on the list.
pub async fn remove(conn: &mut TenantConn, id: Uuid, product: Uuid) -> Result<bool, StoreError> {
    let n = diesel::delete(wishlist_items::table.find((id, product)))
        .execute(conn.pg())
        .await?;
    Ok(n > 0)
}

/// The list's products, most recently added first.
pub async fn items(conn: &mut TenantConn, list: &Wishlist) -> Result<Vec<Item>, StoreError> {
    Ok(wishlist_items::table
        .inner_join(products::table)
        .left_join(
            listings::table.on(listings::product_id
                .eq(wishlist_items::product_id)
                .and(listings::brand_id.eq(list.brand_id))),
        )
        .filter(wishlist_items::wishlist_id.eq(list.id))
        .order((wishlist_items::added_at.desc(), wishlist_items::product_id))
        .limit(1000)
        .select((
            wishlist_items::product_id,
            products::title,
            products::status
                .eq("active")
                .and(coalesce(listings::visible.nullable(), false)),
            wishlist_items::added_at,
        ))
        .load(conn.pg())
        .await?)
}
