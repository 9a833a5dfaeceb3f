//! Reading and changing a cart: its region and contact, its lines. Every
//! call opens the cart with its token or its owner's session, changes it
//! only while it is open, and answers with the cart priced afterwards.

use bazaar_domain::{DomainError, validate};
use bazaar_store::tenant::carts::{self as store, Access, Cart};
use bazaar_store::tenant::{listings, products};
use bazaar_store::{StoreError, TenantConn};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use uuid::Uuid;

use super::create::check_region;
use super::{CartRefusal, Credentials, OpenRefusal, PricedCart, contents, open, priced};
use crate::context::AccessRefusal;
use crate::regions::RegionRefusal;
use crate::{Failure, Outcome, Services, TenantKey, refusals};

/// A change of region or contact: `None` leaves a field; a
/// `contact_email` of `Some(None)` removes it.
#[derive(Debug, Clone, Default)]
pub struct CartUpdate {
    pub region: Option<String>,
    pub contact_email: Option<Option<String>>,
}

refusals! {
    /// Why a cart was not shown or changed.
    pub enum ChangeRefusal {
        Open(OpenRefusal) => delegate;
        Access(AccessRefusal) => delegate;
        Cart(CartRefusal) => delegate;
        Region(RegionRefusal) => delegate;
        Email(DomainError) => delegate;
        CheckedOut => Conflict, "cart_checked_out",
            "this cart has been checked out and cannot change; start a new cart";
        LineNotFound => NotFound, "line_not_found", "no line with that id in this cart";
        VariantNotAvailable => Unprocessable, "variant_not_available",
            "no variant with that id is sold in this storefront";
        CurrencyMismatch { variant: String, cart: String } => Unprocessable, "currency_mismatch",
            "the variant is priced in {variant}, the cart in {cart}";
        QuantityTooLarge => Unprocessable, "quantity_too_large",
            "a line holds at most 10,000 items";
    }
}

/// The cart, priced now.
pub async fn get(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    credentials: Credentials,
) -> Outcome<PricedCart, ChangeRefusal> {
    let access = open(services, key, credentials).await?;
    with_cart(services, key, id, access, |_, _| {
        async { Ok(Ok(())) }.boxed()
    })
    .await
}

/// Change the cart's region (one the tenant sells in, in force) or its
/// contact.
pub async fn update(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    credentials: Credentials,
    update: CartUpdate,
) -> Outcome<PricedCart, ChangeRefusal> {
    if let Some(region) = &update.region {
        check_region(services, key, region).await?;
    }
    if let Some(Some(email)) = &update.contact_email {
        validate::email(email)?;
    }
    let access = open(services, key, credentials).await?;
    let CartUpdate {
        region,
        contact_email,
    } = update;
    with_cart(services, key, id, access, move |conn, cart| {
        async move {
            store::update(conn, cart.id, region, contact_email).await?;
            Ok(Ok(()))
        }
        .boxed()
    })
    .await
}

/// Add `quantity` of a variant sold in the storefront, in the cart's
/// currency (to its line, when the variant is already there).
pub async fn add_line(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    credentials: Credentials,
    variant_id: Uuid,
    quantity: i32,
) -> Outcome<PricedCart, ChangeRefusal> {
    let access = open(services, key, credentials).await?;
    with_cart(services, key, id, access, move |conn, cart| {
        async move {
            let Some(variant) = sold_variant(conn, cart.brand_id, variant_id).await? else {
                return Ok(Err(ChangeRefusal::VariantNotAvailable));
            };
            if variant.currency != cart.currency {
                return Ok(Err(ChangeRefusal::CurrencyMismatch {
                    variant: variant.currency.code().to_owned(),
                    cart: cart.currency.code().to_owned(),
                }));
            }
            store::add(conn, cart.id, variant.id, quantity).await?;
            Ok(Ok(()))
        }
        .boxed()
    })
    .await
}

/// The variant `variant_id` when the brand sells its product (listed and
/// visible in its storefront); `None` otherwise.
pub(crate) async fn sold_variant(
    conn: &mut TenantConn,
    brand: Uuid,
    variant_id: Uuid,
) -> Result<Option<products::Variant>, StoreError> {
    let Some(variant) = products::variants_by_id(conn, variant_id).await? else {
        return Ok(None);
    };
    match listings::storefront_product(conn, brand, Some(variant.product_id), None).await {
        Ok(_) => Ok(Some(variant)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Set a line's quantity; 0 removes the line.
pub async fn set_quantity(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    credentials: Credentials,
    line: Uuid,
    quantity: i32,
) -> Outcome<PricedCart, ChangeRefusal> {
    let access = open(services, key, credentials).await?;
    with_cart(services, key, id, access, move |conn, cart| {
        async move {
            match store::set_quantity(conn, cart.id, line, quantity).await {
                Ok(()) => Ok(Ok(())),
                Err(StoreError::NotFound) => Ok(Err(ChangeRefusal::LineNotFound)),
                Err(e) => Err(e),
            }
        }
        .boxed()
    })
    .await
}

/// Run `work` on the open cart (checked against its token or owner, and
/// the storefront key's brand) and price the cart afterwards. A refusal
/// from `work` is answered and its transaction commits; a missing cart
/// or a line past its bounds rolls it back.
async fn with_cart<F>(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    access: Access,
    work: F,
) -> Outcome<PricedCart, ChangeRefusal>
where
    F: for<'r> FnOnce(
            &'r mut TenantConn,
            Cart,
        ) -> BoxFuture<'r, Result<Result<(), ChangeRefusal>, StoreError>>
        + Send
        + 'static,
{
    let brand = key.storefront()?;
    let regions = services.regions.clone();
    let (cart, (lines, rates)) = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let cart = store::get(conn, id, brand, &access).await?;
                if cart.status != "open" {
                    return Ok(Err(ChangeRefusal::CheckedOut));
                }
                if let Err(refusal) = work(conn, cart.clone()).await? {
                    return Ok(Err(refusal));
                }
                let cart = store::get(conn, id, brand, &access).await?;
                let contents = contents(conn, &regions, &cart).await?;
                Ok(Ok((cart, contents)))
            }
            .boxed()
        })
        .await
        .map_err(|e| -> Failure<ChangeRefusal> {
            match e {
                StoreError::NotFound => CartRefusal::NotFound.into(),
                StoreError::Constraint { .. } => ChangeRefusal::QuantityTooLarge.into(),
                other => other.into(),
            }
        })??;
    Ok(priced(&services.regions, cart, lines, &rates)?)
}
