//! Customers: a storefront's shoppers signing up, in and out, proving their
//! email, resetting a forgotten password, keeping their profile and
//! addresses; what a signed-in shopper owns (orders, carts, wishlists,
//! loyalty points); their data taken away or erased; and the tenant
//! admin's side (accounts, age verification, customer settings).
//!
//! A signed-in call presents the session token (`X-Customer-Token`);
//! [`signed_in`] resolves it for the storefront key's brand, and every
//! lookup goes through the session's customer, so another customer's
//! order, cart or list is simply not found.

pub mod addresses;
pub mod admin;
pub mod auth;
pub mod carts;
pub mod email;
pub mod fields;
pub mod login;
pub mod loyalty;
pub mod orders;
pub mod password;
pub mod privacy;
pub mod profile;
pub mod register;
pub mod settings;
pub mod throttle;
pub mod wishlists;

use bazaar_store::StoreError;
use bazaar_store::tenant::customers::{self as store, Customer};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::context::AccessRefusal;
use crate::sessions::{self, SessionRefusal, Shopper};
use crate::{Failure, Outcome, Services, TenantKey, refusals};

refusals! {
    /// Why a call about one customer cannot go ahead.
    pub enum CustomerRefusal {
        Access(AccessRefusal) => delegate;
        Session(SessionRefusal) => delegate;
        /// No active account with that id (erased, or never was).
        NotFound => NotFound, "customer_not_found",
            "no customer with that id is visible to this key";
    }
}

/// A shopper signed in to a storefront: the storefront key's brand and the
/// session's customer. Only [`signed_in`] makes one.
#[derive(Debug, Clone)]
pub struct SignedIn {
    brand: Uuid,
    shopper: Shopper,
}

impl SignedIn {
    /// The brand of the storefront key.
    pub fn brand(&self) -> Uuid {
        self.brand
    }

    /// The customer the session belongs to.
    pub fn customer(&self) -> Uuid {
        self.shopper.customer_id
    }

    /// The hash of the session's token.
    pub fn token_hash(&self) -> &[u8] {
        &self.shopper.token_hash
    }
}

/// The shopper signed in with `session` on the storefront key's brand.
pub async fn signed_in(
    services: &Services,
    key: &TenantKey,
    session: &str,
) -> Outcome<SignedIn, CustomerRefusal> {
    let brand = key.storefront()?;
    let shopper = sessions::shopper(services, key, session).await?;
    Ok(SignedIn { brand, shopper })
}

/// The signed-in shopper and their account as it is now.
pub async fn account(
    services: &Services,
    key: &TenantKey,
    session: &str,
) -> Outcome<(SignedIn, Customer), CustomerRefusal> {
    let me = signed_in(services, key, session).await?;
    let id = me.customer();
    let customer = services
        .db
        .tenant_read(&key.schema, move |conn| store::get(conn, id, None).boxed())
        .await
        .map_err(not_found)?;
    Ok((me, customer))
}

/// A missing customer row, after the transaction, as its refusal.
fn not_found(err: StoreError) -> Failure<CustomerRefusal> {
    match err {
        StoreError::NotFound => CustomerRefusal::NotFound.into(),
        other => other.into(),
    }
}

/// Who acted, for the audit trail: the admin key.
fn actor(key: &TenantKey) -> String {
    format!("key:{}", key.key_id)
}
