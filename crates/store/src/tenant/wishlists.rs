//! Wishlists: named lists of a customer's products in one brand, each
//! shareable read-only through a link token that can be withdrawn.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct Wishlist {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub customer_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub brand_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub share_token: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub items: i64,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

macro_rules! columns {
    () => {
        "w.id, w.customer_id, w.brand_id, w.name, w.share_token, \
     (SELECT count(*) FROM wishlist_items i WHERE i.wishlist_id = w.id) AS items, w.created_at"
    };
}

/// A product on a list, as the list's brand shows it now.
#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct Item {
    #[diesel(sql_type = SqlUuid)]
    pub product_id: Uuid,
    #[diesel(sql_type = Text)]
    pub title: String,
    /// Whether the brand still sells it.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub available: bool,
    #[diesel(sql_type = Timestamptz)]
    pub added_at: DateTime<Utc>,
}

pub async fn create(
    conn: &mut TenantConn,
    customer: Uuid,
    brand: Uuid,
    name: &str,
) -> Result<Wishlist, StoreError> {
    let id = bazaar_domain::ids::new_id();
    diesel::sql_query(
        "INSERT INTO wishlists (id, customer_id, brand_id, name) VALUES ($1, $2, $3, $4)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(customer)
    .bind::<SqlUuid, _>(brand)
    .bind::<Text, _>(name)
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
    Ok(diesel::sql_query(concat!(
        "SELECT ",
        columns!(),
        " FROM wishlists w WHERE w.customer_id = $1 AND ($2::uuid IS NULL OR w.brand_id = $2) \
         ORDER BY w.id LIMIT 500"
    ))
    .bind::<SqlUuid, _>(customer)
    .bind::<Nullable<SqlUuid>, _>(brand)
    .load(conn.pg())
    .await?)
}

/// One of the customer's lists in the brand, locked for the transaction.
pub async fn get(
    conn: &mut TenantConn,
    customer: Uuid,
    brand: Uuid,
    id: Uuid,
) -> Result<Wishlist, StoreError> {
    Ok(diesel::sql_query(concat!(
        "SELECT ",
        columns!(),
        " FROM wishlists w WHERE w.id = $1 AND w.customer_id = $2 AND w.brand_id = $3 FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(customer)
    .bind::<SqlUuid, _>(brand)
    .get_result(conn.pg())
    .await?)
}

/// A shared list by its link token, in the brand.
pub async fn shared(
    conn: &mut TenantConn,
    brand: Uuid,
    token: &str,
) -> Result<Wishlist, StoreError> {
    Ok(diesel::sql_query(concat!(
        "SELECT ",
        columns!(),
        " FROM wishlists w WHERE w.share_token = $1 AND w.brand_id = $2"
    ))
    .bind::<Text, _>(token)
    .bind::<SqlUuid, _>(brand)
    .get_result(conn.pg())
    .await?)
}

pub async fn rename(conn: &mut TenantConn, id: Uuid, name: &str) -> Result<(), StoreError> {
    diesel::sql_query("UPDATE wishlists SET name = $2, updated_at = now() WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(name)
        .execute(conn.pg())
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut TenantConn, id: Uuid) -> Result<(), StoreError> {
    diesel::sql_query("DELETE FROM wishlists WHERE id = $1")
        .bind::<SqlUuid, _>(id)
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
    diesel::sql_query("UPDATE wishlists SET share_token = $2, updated_at = now() WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .bind::<Nullable<Text>, _>(token.as_deref())
        .execute(conn.pg())
        .await?;
    Ok(token)
}

/// Add a product (adding it again is a no-op).
pub async fn add(conn: &mut TenantConn, id: Uuid, product: Uuid) -> Result<(), StoreError> {
    diesel::sql_query(
        "INSERT INTO wishlist_items (wishlist_id, product_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(product)
    .execute(conn.pg())
    .await?;
    Ok(())
}

/// Remove a product; `false` when it was not on the list.
pub async fn remove(conn: &mut TenantConn, id: Uuid, product: Uuid) -> Result<bool, StoreError> {
    let n =
        diesel::sql_query("DELETE FROM wishlist_items WHERE wishlist_id = $1 AND product_id = $2")
            .bind::<SqlUuid, _>(id)
            .bind::<SqlUuid, _>(product)
            .execute(conn.pg())
            .await?;
    Ok(n > 0)
}

/// The list's products, most recently added first.
pub async fn items(conn: &mut TenantConn, list: &Wishlist) -> Result<Vec<Item>, StoreError> {
    Ok(diesel::sql_query(
        "SELECT i.product_id, p.title, (p.status = 'active' AND COALESCE(l.visible, false)) AS available, i.added_at \
         FROM wishlist_items i JOIN products p ON p.id = i.product_id \
         LEFT JOIN listings l ON l.product_id = i.product_id AND l.brand_id = $2 \
         WHERE i.wishlist_id = $1 ORDER BY i.added_at DESC, i.product_id LIMIT 1000",
    )
    .bind::<SqlUuid, _>(list.id)
    .bind::<SqlUuid, _>(list.brand_id)
    .load(conn.pg())
    .await?)
}
