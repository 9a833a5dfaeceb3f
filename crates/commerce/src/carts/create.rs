//! A new cart in the storefront key's brand: a guest's, opened by the
//! token it is created with, or a signed-in shopper's, opened by their
//! session.

use bazaar_domain::{DomainError, validate};
use bazaar_store::StoreError;
use bazaar_store::tenant::{brands, carts as store};
use futures_util::FutureExt;

use super::{CartRefusal, PricedCart, priced};
use crate::context::AccessRefusal;
use crate::regions::{self, RegionRefusal};
use crate::sessions::{self, SessionRefusal};
use crate::{Failure, Outcome, Services, TenantKey, refusals};

/// A cart as the shopper asked for it.
#[derive(Debug, Clone, Default)]
pub struct NewCart {
    /// A region the tenant sells in; default: the brand's default region.
    pub region: Option<String>,
    /// For order updates and abandoned-cart recovery.
    pub contact_email: Option<String>,
    /// A signed-in shopper's session: the cart becomes theirs.
    pub session: Option<String>,
}

/// A new cart and what opens it.
#[derive(Debug, Clone)]
pub struct CreatedCart {
    pub cart: PricedCart,
    /// The cart's token, shown once; `None` for a signed-in shopper's
    /// cart, which opens only with their session.
    pub token: Option<String>,
}

refusals! {
    /// Why a cart was not created.
    pub enum CreateRefusal {
        Access(AccessRefusal) => delegate;
        Session(SessionRefusal) => delegate;
        Email(DomainError) => delegate;
        Region(RegionRefusal) => delegate;
        Cart(CartRefusal) => delegate;
        BrandNotFound => NotFound, "brand_not_found", "no brand with that id is visible to this key";
        RegionRequired => Unprocessable, "region_required",
            "the brand has no default region; say which region the cart is in (`region`)";
    }
}

/// Check a region for a cart of the key's tenant: sold in, and in force.
pub(super) async fn check_region(
    services: &Services,
    key: &TenantKey,
    region: &str,
) -> Outcome<(), RegionRefusal> {
    regions::check_enabled(services, key, region).await?;
    Ok(regions::check_in_force(services, &[region.to_owned()])?)
}

/// Create a cart, priced (empty) under its region pack.
#[tracing::instrument(skip_all)]
pub async fn create(
    services: &Services,
    key: &TenantKey,
    new: NewCart,
) -> Outcome<CreatedCart, CreateRefusal> {
    let brand_id = key.storefront()?;
    let customer = match &new.session {
        Some(token) => Some(sessions::shopper(services, key, token).await?.customer_id),
        None => None,
    };
    if let Some(email) = &new.contact_email {
        validate::email(email)?;
    }
    let brand = services
        .db
        .tenant_read(&key.schema, move |conn| brands::get(conn, brand_id).boxed())
        .await
        .map_err(|e| -> Failure<CreateRefusal> {
            match e {
                StoreError::NotFound => CreateRefusal::BrandNotFound.into(),
                other => other.into(),
            }
        })?;
    let region = new
        .region
        .or(brand.default_region.clone())
        .ok_or(CreateRefusal::RegionRequired)?;
    check_region(services, key, &region).await?;
    let currency = brand.currency;
    let email = new.contact_email;
    let (cart, token) = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                store::create(
                    conn,
                    brand_id,
                    &region,
                    currency,
                    email.as_deref(),
                    customer,
                )
                .await
            }
            .boxed()
        })
        .await?;
    Ok(CreatedCart {
        cart: priced(&services.regions, cart, Vec::new(), &[])?,
        token: customer.is_none().then_some(token),
    })
}
