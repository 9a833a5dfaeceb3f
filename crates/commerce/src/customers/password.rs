//! Passwords forgotten and changed. A reset request is accepted whether or
//! not the email has an account, so it tells an outsider nothing; when it
//! has one, the reset token goes to the tenant through the outbox. A new
//! password ends the account's other sessions.

use bazaar_store::tenant::customers::{self as store, Purpose};
use futures_util::FutureExt;

use super::auth::{PasswordRefusal, check_password, hash_password, verify_password};
use super::email::TokenRefusal;
use super::fields::{self, FieldRefusal};
use super::throttle::{self, ThrottleRefusal};
use super::{CustomerRefusal, account};
use crate::context::AccessRefusal;
use crate::sessions::forget_sessions;
use crate::{Outcome, Services, TenantKey, from_now, refusals};

refusals! {
    /// Why a reset was not requested.
    pub enum ResetRequestRefusal {
        Access(AccessRefusal) => delegate;
        Field(FieldRefusal) => delegate;
        Throttle(ThrottleRefusal) => delegate;
    }
}

refusals! {
    /// Why a reset was not done.
    pub enum ResetRefusal {
        Access(AccessRefusal) => delegate;
        Password(PasswordRefusal) => delegate;
        Token(TokenRefusal) => delegate;
    }
}

refusals! {
    /// Why the password was not changed.
    pub enum PasswordChangeRefusal {
        Customer(CustomerRefusal) => delegate;
        Password(PasswordRefusal) => delegate;
        WrongPassword => Unprocessable, "wrong_password", "the current password is wrong";
    }
}

/// Ask for a reset link for `email`, sent from `client`.
pub async fn request_reset(
    services: &Services,
    key: &TenantKey,
    email: &str,
    client: &str,
) -> Outcome<(), ResetRequestRefusal> {
    let brand = key.storefront()?;
    let email = fields::email(email)?;
    throttle::from_address(services, client).await?;
    let expires = from_now(services.settings.customers.reset_token_ttl);
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let realm = store::settings(conn).await?.realm(brand);
                if let Some((customer, _)) = store::by_email(conn, realm, &email).await? {
                    store::issue_token(conn, &customer, Purpose::ResetPassword, expires).await?;
                }
                Ok(())
            }
            .boxed()
        })
        .await?;
    Ok(())
}

/// Set a new password with the token of the reset email (once, before it
/// expires). The email counts as verified; every session ends.
pub async fn confirm_reset(
    services: &Services,
    key: &TenantKey,
    token: String,
    password: String,
) -> Outcome<(), ResetRefusal> {
    key.storefront()?;
    check_password(&password, "")?;
    let hash = hash_password(password).await?;
    let ended = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let Some(id) = store::use_token(conn, &token, Purpose::ResetPassword).await? else {
                    return Ok(None);
                };
                store::set_password(conn, id, &hash).await?;
                // The reset link reached the inbox: the email works.
                store::mark_email_verified(conn, id).await?;
                Ok(Some(store::close_sessions(conn, id, None).await?))
            }
            .boxed()
        })
        .await?
        .ok_or(TokenRefusal::Invalid)?;
    forget_sessions(services, &key.schema, &ended).await;
    Ok(())
}

/// Change the password, given the current one; every other session of the
/// account ends.
pub async fn change(
    services: &Services,
    key: &TenantKey,
    session: &str,
    current: String,
    new: String,
) -> Outcome<(), PasswordChangeRefusal> {
    let (me, customer) = account(services, key, session).await?;
    check_password(&new, customer.email.as_deref().unwrap_or(""))?;
    let id = customer.id;
    let stored = services
        .db
        .tenant_read(&key.schema, move |conn| {
            store::password_hash(conn, id).boxed()
        })
        .await?;
    if !verify_password(current, stored).await? {
        return Err(PasswordChangeRefusal::WrongPassword.into());
    }
    let hash = hash_password(new).await?;
    let keep = me.token_hash().to_vec();
    let ended = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                store::set_password(conn, id, &hash).await?;
                store::close_sessions(conn, id, Some(&keep)).await
            }
            .boxed()
        })
        .await?;
    forget_sessions(services, &key.schema, &ended).await;
    Ok(())
}
