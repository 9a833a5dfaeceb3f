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
        AddressField(crate::customers::fields::FieldRefusal) => delegate;
        InvalidCountry { country: String } => Unprocessable, "invalid_country",
            "`{country}` is not a country code: give ISO 3166-1 alpha-2 (`US`, `DE`) and the subdivision apart (`CA`)";
        /// No pack the tenant sells under covers the address.
        AddressNotServed { tried: String } => Unprocessable, "address_not_served",
            "this storefront does not deliver there: no region it sells in covers the address (tried {tried})";
        AddressNotFound => NotFound, "address_not_found",
            "no address with that id in the signed-in customer's address book";
        SavedAddressNeedsCustomer => Unprocessable, "customer_cart_required",
            "only a signed-in customer's cart can use their saved addresses; send the address itself";
        AddressRequired => Invalid, "address_required",
            "send either `address` or `customer_address_id`, not both";
        /// The cart has an address: its region is the address's.
        RegionSetByAddress { region: String } => Conflict, "region_set_by_address",
            "the cart's shipping address puts it in {region}; change the address to change the region";
    }
}

/// Where a cart's order goes, as the shopper typed it.
#[derive(Debug, Clone)]
pub struct AddressInput {
    /// Who receives it.
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 (`US`).
    pub country: String,
    /// The subdivision's ISO 3166-2 suffix (`CA` for California), when
    /// the country has them.
    pub subdivision: Option<String>,
    pub phone: Option<String>,
}

/// Where to send the cart's order.
#[derive(Debug, Clone)]
pub enum Destination {
    Address(AddressInput),
    /// One of the signed-in customer's saved addresses.
    Saved(Uuid),
}

/// The region packs an address could be priced under, most specific
/// first: its subdivision's (`US-CA`), then its country's (`US`).
pub fn region_candidates(country: &str, subdivision: Option<&str>) -> Vec<String> {
    let mut out = Vec::with_capacity(2);
    if let Some(sub) = subdivision {
        out.push(format!("{country}-{sub}"));
    }
    out.push(country.to_owned());
    out
}

/// The address's document, its text checked and trimmed.
fn checked_address(a: AddressInput) -> Result<serde_json::Value, ChangeRefusal> {
    use crate::customers::fields::{Field, optional, trimmed};
    let country = a.country.trim().to_ascii_uppercase();
    let subdivision = a
        .subdivision
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty());
    let letters = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    if country.len() != 2
        || !country.bytes().all(|b| b.is_ascii_uppercase())
        || subdivision.as_deref().is_some_and(|s| !letters(s, 1..=3))
    {
        return Err(ChangeRefusal::InvalidCountry { country });
    }
    Ok(serde_json::json!({
        "name": trimmed(Field::Name, &a.name, 200)?,
        "line1": trimmed(Field::Line1, &a.line1, 200)?,
        "line2": optional(Field::Line2, a.line2, 200)?,
        "city": trimmed(Field::City, &a.city, 100)?,
        "postal_code": trimmed(Field::PostalCode, &a.postal_code, 20)?,
        "country": country,
        "subdivision": subdivision,
        "phone": optional(Field::Phone, a.phone, 40)?,
    }))
}

/// Send the cart's order to an address (typed in, or one of the signed-in
/// customer's): the cart's region becomes the most specific pack the
/// tenant sells under that covers it (subdivision, else country), so the
/// cart is priced and checked where the goods go.
pub async fn set_destination(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    credentials: Credentials,
    destination: Destination,
) -> Outcome<PricedCart, ChangeRefusal> {
    // A typed address is checked before the cart is opened; a saved one
    // is read inside the cart's transaction.
    let destination = match destination {
        Destination::Address(a) => Ok(checked_address(a)?),
        Destination::Saved(id) => Err(id),
    };
    let tenant = bazaar_store::control::tenants::get(&services.db, key.tenant_id).await?;
    let regions = services.regions.clone();
    let access = open(services, key, credentials).await?;
    with_cart(services, key, id, access, move |conn, cart| {
        async move {
            let address = match destination {
                Ok(typed) => typed,
                Err(saved) => {
                    let Some(customer) = cart.customer_id else {
                        return Ok(Err(ChangeRefusal::SavedAddressNeedsCustomer));
                    };
                    let a = match bazaar_store::tenant::customers::address(conn, customer, saved)
                        .await
                    {
                        Ok(a) => a,
                        Err(StoreError::NotFound) => {
                            return Ok(Err(ChangeRefusal::AddressNotFound));
                        }
                        Err(e) => return Err(e),
                    };
                    // A saved address names its region as an ISO 3166-2
                    // code (`US-CA`) or a country (`DE`).
                    let (country, subdivision) = match a.region.split_once('-') {
                        Some((c, s)) => (c.to_owned(), Some(s.to_owned())),
                        None => (a.region.clone(), None),
                    };
                    serde_json::json!({
                        "name": a.name, "line1": a.line1, "line2": a.line2, "city": a.city,
                        "postal_code": a.postal_code, "country": country,
                        "subdivision": subdivision, "phone": a.phone,
                    })
                }
            };
            let tried = region_candidates(
                address["country"].as_str().unwrap_or_default(),
                address["subdivision"].as_str(),
            );
            let set = regions.current();
            let Some(region) = tried
                .iter()
                .find(|code| set.get(code).is_some() && tenant.regions.contains(code))
            else {
                return Ok(Err(ChangeRefusal::AddressNotServed {
                    tried: tried.join(", "),
                }));
            };
            store::set_shipping_address(conn, cart.id, Some(&address), region).await?;
            Ok(Ok(()))
        }
        .boxed()
    })
    .await
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
            if let Some(asked) = &region
                && cart.shipping_address.is_some()
                && *asked != cart.region
            {
                return Ok(Err(ChangeRefusal::RegionSetByAddress {
                    region: cart.region,
                }));
            }
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
