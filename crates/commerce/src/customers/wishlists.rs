//! Wishlists: the signed-in shopper's named lists of products in the
//! storefront's brand, each shareable read-only by a link whose token can
//! be replaced or withdrawn.

use bazaar_store::StoreError;
use bazaar_store::TenantConn;
use bazaar_store::tenant::wishlists::{Item, Wishlist};
use bazaar_store::tenant::{listings, wishlists};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use uuid::Uuid;

use super::fields::{Field, FieldRefusal, trimmed};
use super::{CustomerRefusal, signed_in};
use crate::context::AccessRefusal;
use crate::{Failure, Outcome, Services, TenantKey, refusals};

/// A list with its products, most recently added first.
#[derive(Debug, Clone)]
pub struct Contents {
    pub list: Wishlist,
    pub items: Vec<Item>,
}

refusals! {
    /// Why a wishlist was not shown or changed.
    pub enum WishlistRefusal {
        Customer(CustomerRefusal) => delegate;
        Field(FieldRefusal) => delegate;
        NotFound => NotFound, "wishlist_not_found", "no wishlist with that id is visible to this key";
        /// Two lists drew the same share token.
        ShareTokenTaken => Conflict, "token_taken", "another wishlist already has this token";
        ProductNotAvailable => Unprocessable, "product_not_available",
            "no product with that id is sold in this storefront";
    }
}

refusals! {
    /// Why a shared link shows nothing.
    pub enum SharedWishlistRefusal {
        Access(AccessRefusal) => delegate;
        NotFound => NotFound, "wishlist_not_found",
            "no shared wishlist with that link in this storefront";
    }
}

/// A list's name: 1 to 100 characters.
fn list_name(name: &str) -> Result<String, FieldRefusal> {
    trimmed(Field::Name, name, 100)
}

/// The shopper's lists in this brand.
pub async fn list(
    services: &Services,
    key: &TenantKey,
    session: &str,
) -> Outcome<Vec<Wishlist>, CustomerRefusal> {
    let me = signed_in(services, key, session).await?;
    let (id, brand) = (me.customer(), me.brand());
    Ok(services
        .db
        .tenant_read(&key.schema, move |conn| {
            wishlists::list(conn, id, Some(brand)).boxed()
        })
        .await?)
}

/// Start a list.
pub async fn create(
    services: &Services,
    key: &TenantKey,
    session: &str,
    name: &str,
) -> Outcome<Wishlist, WishlistRefusal> {
    let me = signed_in(services, key, session).await?;
    let name = list_name(name)?;
    let (id, brand) = (me.customer(), me.brand());
    Ok(services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move { wishlists::create(conn, id, brand, &name).await }.boxed()
        })
        .await?)
}

/// One of the shopper's lists with its products.
pub async fn get(
    services: &Services,
    key: &TenantKey,
    session: &str,
    list: Uuid,
) -> Outcome<Contents, WishlistRefusal> {
    change(services, key, session, list, |_, _, _| {
        async { Ok(Ok(())) }.boxed()
    })
    .await
}

/// Rename a list.
pub async fn rename(
    services: &Services,
    key: &TenantKey,
    session: &str,
    list: Uuid,
    name: &str,
) -> Outcome<Contents, WishlistRefusal> {
    let name = list_name(name)?;
    change(services, key, session, list, move |conn, list, _| {
        async move {
            wishlists::rename(conn, list, &name).await?;
            Ok(Ok(()))
        }
        .boxed()
    })
    .await
}

/// Delete a list.
pub async fn delete(
    services: &Services,
    key: &TenantKey,
    session: &str,
    list: Uuid,
) -> Outcome<(), WishlistRefusal> {
    let me = signed_in(services, key, session).await?;
    let (customer, brand) = (me.customer(), me.brand());
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                wishlists::get(conn, customer, brand, list).await?;
                wishlists::delete(conn, list).await
            }
            .boxed()
        })
        .await
        .map_err(refused)
}

/// Add a product sold in the storefront (adding it twice keeps one entry).
pub async fn add_product(
    services: &Services,
    key: &TenantKey,
    session: &str,
    list: Uuid,
    product: Uuid,
) -> Outcome<Contents, WishlistRefusal> {
    change(services, key, session, list, move |conn, list, brand| {
        async move {
            match listings::storefront_product(conn, brand, Some(product), None).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => return Ok(Err(WishlistRefusal::ProductNotAvailable)),
                Err(e) => return Err(e),
            }
            wishlists::add(conn, list, product).await?;
            Ok(Ok(()))
        }
        .boxed()
    })
    .await
}

/// Take a product off a list. Idempotent: a product that is not on it
/// (already removed, by a retry whose first answer was lost) leaves the
/// list as it is.
pub async fn remove_product(
    services: &Services,
    key: &TenantKey,
    session: &str,
    list: Uuid,
    product: Uuid,
) -> Outcome<Contents, WishlistRefusal> {
    change(services, key, session, list, move |conn, list, _| {
        async move {
            wishlists::remove(conn, list, product).await?;
            Ok(Ok(()))
        }
        .boxed()
    })
    .await
}

/// Share a list with a new read-only link token (an earlier one stops
/// working), or (`share = false`) stop sharing it.
pub async fn share(
    services: &Services,
    key: &TenantKey,
    session: &str,
    list: Uuid,
    share: bool,
) -> Outcome<Contents, WishlistRefusal> {
    change(services, key, session, list, move |conn, list, _| {
        async move {
            wishlists::set_shared(conn, list, share).await?;
            Ok(Ok(()))
        }
        .boxed()
    })
    .await
}

/// A list shared in the storefront key's brand, by its link token.
pub async fn shared(
    services: &Services,
    key: &TenantKey,
    token: String,
) -> Outcome<Contents, SharedWishlistRefusal> {
    let brand = key.storefront()?;
    if token.len() > 200 {
        return Err(SharedWishlistRefusal::NotFound.into());
    }
    let found = services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                let list = wishlists::shared(conn, brand, &token).await?;
                let items = wishlists::items(conn, &list).await?;
                Ok(Contents { list, items })
            }
            .boxed()
        })
        .await;
    match found {
        Ok(contents) => Ok(contents),
        Err(StoreError::NotFound) => Err(SharedWishlistRefusal::NotFound.into()),
        Err(other) => Err(other.into()),
    }
}

/// Run `work` on one of the shopper's lists (locked; given the list's id
/// and the brand) and return the list as it is afterwards. A refusal from
/// `work` is answered and its transaction commits.
async fn change<F>(
    services: &Services,
    key: &TenantKey,
    session: &str,
    id: Uuid,
    work: F,
) -> Outcome<Contents, WishlistRefusal>
where
    F: for<'r> FnOnce(
            &'r mut TenantConn,
            Uuid,
            Uuid,
        ) -> BoxFuture<'r, Result<Result<(), WishlistRefusal>, StoreError>>
        + Send
        + 'static,
{
    let me = signed_in(services, key, session).await?;
    let (customer, brand) = (me.customer(), me.brand());
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                wishlists::get(conn, customer, brand, id).await?;
                if let Err(refusal) = work(conn, id, brand).await? {
                    return Ok(Err(refusal));
                }
                let list = wishlists::get(conn, customer, brand, id).await?;
                let items = wishlists::items(conn, &list).await?;
                Ok(Ok(Contents { list, items }))
            }
            .boxed()
        })
        .await
        .map_err(refused)?
        .map_err(Failure::Refused)
}

/// What the store's refusals of a list mean to the shopper.
fn refused(err: StoreError) -> Failure<WishlistRefusal> {
    match err {
        StoreError::NotFound => WishlistRefusal::NotFound.into(),
        StoreError::Conflict { constraint } if constraint == "wishlists_share_token_key" => {
            WishlistRefusal::ShareTokenTaken.into()
        }
        other => other.into(),
    }
}
