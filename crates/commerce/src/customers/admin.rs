//! The tenant admin's side of customers: finding accounts, recording and
//! revoking age verifications (with who did it, for the audit trail), and
//! erasing an account on request.

use bazaar_store::page::PageRequest;
use bazaar_store::tenant::customers::{self as store, AgeVerification, Customer};
use bazaar_store::tenant::loyalty;
use bazaar_store::{Page, StoreError};
use chrono::NaiveDate;
use futures_util::FutureExt;
use uuid::Uuid;

use super::{CustomerRefusal, actor, not_found, privacy};
use crate::context::AccessRefusal;
use crate::{Failure, Outcome, Services, TenantKey, refusals};

/// An account as the tenant's admins see it.
#[derive(Debug, Clone)]
pub struct CustomerRecord {
    pub customer: Customer,
    /// Every age verification, newest first (revoked ones too).
    pub age_verifications: Vec<AgeVerification>,
    /// The balance as the ledger sums it.
    pub loyalty_ledger_sum: i64,
}

/// An age verification as the admin recorded it.
#[derive(Debug, Clone)]
pub struct AgeCheck {
    /// The date of birth as checked; it becomes the account's.
    pub date_of_birth: NaiveDate,
    /// How it was checked, e.g. `id_document`.
    pub method: String,
    /// The checker's reference.
    pub reference: Option<String>,
}

refusals! {
    /// Why an admin's change to an account was refused.
    pub enum AdminRefusal {
        Access(AccessRefusal) => delegate;
        Customer(CustomerRefusal) => delegate;
        InvalidMethod => Unprocessable, "invalid_method",
            "`method` needs 1 to 64 characters, e.g. `id_document`";
        InvalidReference => Unprocessable, "invalid_reference",
            "`reference` is at most 200 characters";
        InvalidDateOfBirth => Unprocessable, "invalid_date_of_birth",
            "`date_of_birth` must be a past date after 1900";
        /// Another verification was recorded at the same time.
        VerificationTaken => Conflict, "current_taken", "another customer already has this current";
        NoVerification => NotFound, "age_verification_not_found",
            "this customer has no age verification in force";
    }
}

/// Active accounts, oldest id first; optionally the one with `email`.
pub async fn list(
    services: &Services,
    key: &TenantKey,
    email: Option<String>,
    page: PageRequest,
) -> Outcome<Page<Customer>, AccessRefusal> {
    key.admin()?;
    Ok(services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move { store::list(conn, email.as_deref(), page).await }.boxed()
        })
        .await?)
}

/// One account with its verifications and ledger sum.
pub async fn record(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
) -> Outcome<CustomerRecord, AdminRefusal> {
    key.admin()?;
    let (customer, age_verifications, (_, loyalty_ledger_sum)) = services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                let c = store::get(conn, id, None).await?;
                let v = store::verifications(conn, id).await?;
                let b = loyalty::balances(conn, id).await?;
                Ok((c, v, b))
            }
            .boxed()
        })
        .await
        .map_err(not_found)?;
    Ok(CustomerRecord {
        customer,
        age_verifications,
        loyalty_ledger_sum,
    })
}

/// Erase an account, as the shopper's own deletion does.
pub async fn erase(services: &Services, key: &TenantKey, id: Uuid) -> Outcome<(), AdminRefusal> {
    key.admin()?;
    Ok(privacy::erase(services, key, id).await?)
}

/// Record an age verification, replacing the one in force.
pub async fn verify_age(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    check: AgeCheck,
) -> Outcome<AgeVerification, AdminRefusal> {
    key.admin()?;
    let AgeCheck {
        date_of_birth,
        method,
        reference,
    } = check;
    let method = method.trim().to_owned();
    if method.is_empty() || method.len() > 64 {
        return Err(AdminRefusal::InvalidMethod.into());
    }
    if reference.as_ref().is_some_and(|r| r.len() > 200) {
        return Err(AdminRefusal::InvalidReference.into());
    }
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(date_of_birth);
    if date_of_birth >= chrono::Utc::now().date_naive() || date_of_birth < earliest {
        return Err(AdminRefusal::InvalidDateOfBirth.into());
    }
    let by = actor(key);
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                store::get(conn, id, None).await?;
                store::verify_age(conn, id, date_of_birth, &method, reference.as_deref(), &by).await
            }
            .boxed()
        })
        .await
        .map_err(|e| -> Failure<AdminRefusal> {
            match e {
                StoreError::Conflict { constraint }
                    if constraint == "age_verifications_current_key" =>
                {
                    AdminRefusal::VerificationTaken.into()
                }
                other => not_found(other).into(),
            }
        })
}

/// Revoke the verification in force.
pub async fn revoke_age_verification(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
) -> Outcome<(), AdminRefusal> {
    key.admin()?;
    let by = actor(key);
    let revoked = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                store::get(conn, id, None).await?;
                store::revoke_verification(conn, id, &by).await
            }
            .boxed()
        })
        .await
        .map_err(not_found)?;
    if !revoked {
        return Err(AdminRefusal::NoVerification.into());
    }
    Ok(())
}
