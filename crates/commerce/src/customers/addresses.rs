//! The signed-in shopper's addresses. Each is in a region the tenant sells
//! in; marking one a default takes that default from the others.

use bazaar_store::StoreError;
use bazaar_store::tenant::customers::{self as store, Address, AddressFields};
use futures_util::FutureExt;
use uuid::Uuid;

use super::fields::{Field, FieldRefusal, optional, trimmed};
use super::{CustomerRefusal, signed_in};
use crate::regions::{RegionRefusal, check_enabled};
use crate::{Failure, Outcome, Services, TenantKey, refusals};

/// An address as the shopper typed it.
#[derive(Debug, Clone)]
pub struct AddressInput {
    /// Who receives deliveries here.
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub region: String,
    pub phone: Option<String>,
    pub default_shipping: bool,
    pub default_billing: bool,
}

refusals! {
    /// Why an address was not stored or found.
    pub enum AddressRefusal {
        Customer(CustomerRefusal) => delegate;
        Field(FieldRefusal) => delegate;
        Region(RegionRefusal) => delegate;
        NotFound => NotFound, "address_not_found", "no address with that id is visible to this key";
        /// Another request made another address the default at the same time.
        ShippingDefaultTaken => Conflict, "shipping_taken",
            "another address already has this shipping";
        BillingDefaultTaken => Conflict, "billing_taken",
            "another address already has this billing";
    }
}

/// The account's addresses.
pub async fn list(
    services: &Services,
    key: &TenantKey,
    session: &str,
) -> Outcome<Vec<Address>, CustomerRefusal> {
    let me = signed_in(services, key, session).await?;
    let id = me.customer();
    Ok(services
        .db
        .tenant_read(&key.schema, move |conn| store::addresses(conn, id).boxed())
        .await?)
}

/// Add an address.
pub async fn add(
    services: &Services,
    key: &TenantKey,
    session: &str,
    input: AddressInput,
) -> Outcome<Address, AddressRefusal> {
    let me = signed_in(services, key, session).await?;
    let fields = checked(services, key, input).await?;
    let id = me.customer();
    Ok(services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move { store::add_address(conn, id, &fields).await }.boxed()
        })
        .await?)
}

/// Replace an address's fields.
pub async fn replace(
    services: &Services,
    key: &TenantKey,
    session: &str,
    address: Uuid,
    input: AddressInput,
) -> Outcome<Address, AddressRefusal> {
    let me = signed_in(services, key, session).await?;
    let fields = checked(services, key, input).await?;
    let id = me.customer();
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move { store::update_address(conn, id, address, &fields).await }.boxed()
        })
        .await
        .map_err(refused)
}

/// Remove an address.
pub async fn remove(
    services: &Services,
    key: &TenantKey,
    session: &str,
    address: Uuid,
) -> Outcome<(), AddressRefusal> {
    let me = signed_in(services, key, session).await?;
    let id = me.customer();
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            store::delete_address(conn, id, address).boxed()
        })
        .await
        .map_err(refused)
}

/// The stored form of `a`: its region one the tenant sells in, its text
/// trimmed and within bounds.
async fn checked(
    services: &Services,
    key: &TenantKey,
    a: AddressInput,
) -> Outcome<AddressFields, AddressRefusal> {
    let region = a.region.trim().to_owned();
    check_enabled(services, key, &region).await?;
    Ok(AddressFields {
        name: trimmed(Field::Name, &a.name, 200)?,
        line1: trimmed(Field::Line1, &a.line1, 200)?,
        line2: optional(Field::Line2, a.line2, 200)?,
        city: trimmed(Field::City, &a.city, 100)?,
        postal_code: trimmed(Field::PostalCode, &a.postal_code, 20)?,
        region,
        phone: optional(Field::Phone, a.phone, 40)?,
        default_shipping: a.default_shipping,
        default_billing: a.default_billing,
    })
}

/// What the store's refusals of an address write mean to the shopper.
fn refused(err: StoreError) -> Failure<AddressRefusal> {
    match err {
        StoreError::NotFound => AddressRefusal::NotFound.into(),
        StoreError::Conflict { constraint } if constraint == "customer_addresses_shipping_key" => {
            AddressRefusal::ShippingDefaultTaken.into()
        }
        StoreError::Conflict { constraint } if constraint == "customer_addresses_billing_key" => {
            AddressRefusal::BillingDefaultTaken.into()
        }
        other => other.into(),
    }
}
