//! Registration: an account in the storefront key's brand (or the tenant's
//! shared accounts), signed in at once. The verification email's token
//! goes to the tenant through the outbox; the API never returns it.

use bazaar_store::StoreError;
use bazaar_store::tenant::customers::{self as store, Purpose};
use chrono::NaiveDate;
use futures_util::FutureExt;

use super::auth::{PasswordRefusal, check_password, hash_password};
use super::fields::{self, Field, FieldRefusal};
use super::login::{GuestCart, NewSession, open_session};
use super::throttle::{self, ThrottleRefusal};
use crate::context::AccessRefusal;
use crate::{Failure, Outcome, Services, TenantKey, from_now, refusals};

/// A registration as the shopper filled it in.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// A guest cart to keep as the account's cart.
    pub cart: Option<GuestCart>,
    /// The client's address, for throttling.
    pub client: String,
}

refusals! {
    /// Why an account was not opened.
    pub enum RegisterRefusal {
        Access(AccessRefusal) => delegate;
        Field(FieldRefusal) => delegate;
        Password(PasswordRefusal) => delegate;
        Throttle(ThrottleRefusal) => delegate;
        EmailTaken => Conflict, "email_taken",
            "an account with this email exists; sign in, or reset the password";
    }
}

/// Open an account and sign it in; a verification email is requested
/// through the `customer.email_verification_requested` outbox event.
#[tracing::instrument(skip_all)]
pub async fn register(
    services: &Services,
    key: &TenantKey,
    registration: Registration,
) -> Outcome<NewSession, RegisterRefusal> {
    let brand = key.storefront()?;
    let Registration {
        email,
        password,
        name,
        date_of_birth,
        cart,
        client,
    } = registration;
    let email = fields::email(&email)?;
    check_password(&password, &email)?;
    let name = fields::optional(Field::Name, name, 200)?;
    fields::check_birth_date(date_of_birth)?;
    throttle::from_address(services, &client).await?;
    let hash = hash_password(password).await?;
    let ttl = services.settings.customers.verify_token_ttl;
    let customer = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let realm = store::settings(conn).await?.realm(brand);
                let customer = store::create(
                    conn,
                    &store::NewCustomer {
                        realm,
                        brand_id: brand,
                        email: &email,
                        password_hash: &hash,
                        name: name.as_deref(),
                        date_of_birth,
                    },
                )
                .await?;
                let expires = from_now(ttl);
                store::issue_token(conn, &customer, Purpose::VerifyEmail, expires).await?;
                Ok(customer)
            }
            .boxed()
        })
        .await
        .map_err(|e| -> Failure<RegisterRefusal> {
            match e {
                StoreError::Conflict { .. } => RegisterRefusal::EmailTaken.into(),
                other => other.into(),
            }
        })?;
    tracing::info!(customer.id = %customer.id, "customer registered");
    Ok(open_session(services, key, brand, customer, cart).await?)
}
