//! Proving an email address: the token of the verification email, spent
//! once, and sending that email again. The token goes to the tenant
//! through the outbox (the tenant sends the email).

use bazaar_store::tenant::customers::{self as store, Purpose};
use futures_util::FutureExt;

use super::{CustomerRefusal, account};
use crate::context::AccessRefusal;
use crate::{Outcome, Services, TenantKey, from_now, refusals};

refusals! {
    /// A one-time link (email verification, password reset) that does not
    /// work.
    pub enum TokenRefusal {
        Invalid => Unprocessable, "invalid_token",
            "this link is invalid, already used or expired; ask for a new one";
    }
}

refusals! {
    /// Why an email was not verified.
    pub enum VerifyEmailRefusal {
        Access(AccessRefusal) => delegate;
        Token(TokenRefusal) => delegate;
    }
}

refusals! {
    /// Why no verification email was requested.
    pub enum ResendRefusal {
        Customer(CustomerRefusal) => delegate;
        AlreadyVerified => Conflict, "email_already_verified",
            "this account's email is already verified";
    }
}

/// Verify the account's email with the token of the verification email;
/// each token works once.
pub async fn verify(
    services: &Services,
    key: &TenantKey,
    token: String,
) -> Outcome<(), VerifyEmailRefusal> {
    key.storefront()?;
    let done = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let Some(id) = store::use_token(conn, &token, Purpose::VerifyEmail).await? else {
                    return Ok(false);
                };
                store::mark_email_verified(conn, id).await?;
                Ok(true)
            }
            .boxed()
        })
        .await?;
    if !done {
        return Err(TokenRefusal::Invalid.into());
    }
    Ok(())
}

/// Request the verification email again (a new token; earlier ones stop
/// working).
pub async fn resend(
    services: &Services,
    key: &TenantKey,
    session: &str,
) -> Outcome<(), ResendRefusal> {
    let (_, customer) = account(services, key, session).await?;
    if customer.email_verified_at.is_some() {
        return Err(ResendRefusal::AlreadyVerified.into());
    }
    let expires = from_now(services.settings.customers.verify_token_ttl);
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move { store::issue_token(conn, &customer, Purpose::VerifyEmail, expires).await }
                .boxed()
        })
        .await?;
    Ok(())
}
