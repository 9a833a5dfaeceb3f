//! The signed-in shopper's own account: reading it with its age
//! verification, and changing the profile. A new email must be verified
//! again; a verified date of birth changes only through a new verification.

use bazaar_store::StoreError;
use bazaar_store::tenant::customers::{
    self as store, AgeVerification, Customer, ProfileChanges, Purpose,
};
use chrono::NaiveDate;
use futures_util::FutureExt;

use super::fields::{self, Field, FieldRefusal};
use super::throttle::{self, ThrottleRefusal};
use super::{CustomerRefusal, account};
use crate::{Failure, Outcome, Services, TenantKey, from_now, refusals};

/// The account with the age verification in force, if any.
#[derive(Debug, Clone)]
pub struct Me {
    pub customer: Customer,
    pub age_verification: Option<AgeVerification>,
}

/// Profile changes as the shopper sent them: `None` leaves a field,
/// `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    /// A new email; it must be verified again.
    pub email: Option<String>,
    pub name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub date_of_birth: Option<Option<NaiveDate>>,
    /// The client's address: a new email is throttled like a sign-in.
    pub client: String,
}

refusals! {
    /// Why the profile was not changed.
    pub enum ProfileRefusal {
        Customer(CustomerRefusal) => delegate;
        Field(FieldRefusal) => delegate;
        Throttle(ThrottleRefusal) => delegate;
        DateOfBirthVerified => Conflict, "date_of_birth_verified",
            "the date of birth was verified and cannot be changed here; \
             ask the shop to record a new verification";
        EmailTaken => Conflict, "email_taken", "another account already uses this email";
    }
}

/// The signed-in account.
pub async fn get(
    services: &Services,
    key: &TenantKey,
    session: &str,
) -> Outcome<Me, CustomerRefusal> {
    let (_, customer) = account(services, key, session).await?;
    let id = customer.id;
    let age_verification = services
        .db
        .tenant_read(&key.schema, move |conn| {
            store::current_verification(conn, id).boxed()
        })
        .await?;
    Ok(Me {
        customer,
        age_verification,
    })
}

/// Change the profile; a new email gets a verification email.
pub async fn update(
    services: &Services,
    key: &TenantKey,
    session: &str,
    update: ProfileUpdate,
) -> Outcome<Customer, ProfileRefusal> {
    let (_, customer) = account(services, key, session).await?;
    if update.email.is_some() {
        // A taken email is refused: throttled like sign-ins, so a session
        // cannot probe which emails have accounts.
        throttle::from_address(services, &update.client).await?;
    }
    let email = match update.email {
        Some(e) => Some(fields::email(&e)?).filter(|e| Some(e) != customer.email.as_ref()),
        None => None,
    };
    let date_of_birth = match update.date_of_birth {
        Some(Some(d)) => {
            fields::check_birth_date(Some(d))?;
            Some(Some(d))
        }
        other => other,
    };
    let changes = ProfileChanges {
        name: fields::patch(Field::Name, update.name, 200)?,
        phone: fields::patch(Field::Phone, update.phone, 40)?,
        date_of_birth,
        email: email.clone(),
    };
    let id = customer.id;
    let ttl = services.settings.customers.verify_token_ttl;
    let changing_dob =
        changes.date_of_birth.is_some() && changes.date_of_birth != Some(customer.date_of_birth);
    let updated = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                if changing_dob && store::current_verification(conn, id).await?.is_some() {
                    return Ok(Err(ProfileRefusal::DateOfBirthVerified));
                }
                let updated = store::update_profile(conn, id, changes).await?;
                if email.is_some() {
                    store::revoke_tokens(conn, id).await?;
                    let expires = from_now(ttl);
                    store::issue_token(conn, &updated, Purpose::VerifyEmail, expires).await?;
                }
                Ok(Ok(updated))
            }
            .boxed()
        })
        .await
        .map_err(|e| -> Failure<ProfileRefusal> {
            match e {
                StoreError::Conflict { .. } => ProfileRefusal::EmailTaken.into(),
                other => other.into(),
            }
        })??;
    Ok(updated)
}
