//! Signing in and out. An unknown email is answered exactly as a wrong
//! password (the same refusal, after the same hashing work), so sign-in
//! tells an outsider nothing about who shops here. Failed attempts are
//! limited per account and attempts per client address.

use bazaar_store::StoreError;
use bazaar_store::tenant::carts;
use bazaar_store::tenant::customers::{self as store, Customer};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use uuid::Uuid;

use super::auth::verify_password;
use super::throttle::{self, ACCOUNT_ATTEMPTS, ThrottleRefusal, Window};
use super::{CustomerRefusal, signed_in};
use crate::context::AccessRefusal;
use crate::sessions::forget_sessions;
use crate::{Outcome, Services, TenantKey, from_now, refusals};

/// A guest cart to bring into the account at sign-in.
#[derive(Debug, Clone)]
pub struct GuestCart {
    pub cart_id: Uuid,
    /// The cart's token.
    pub token: String,
}

/// A sign-in as the shopper asked for it.
#[derive(Debug, Clone)]
pub struct Login {
    pub email: String,
    pub password: String,
    /// A guest cart to merge into the account's cart.
    pub cart: Option<GuestCart>,
    /// The client's address, for throttling.
    pub client: String,
}

/// A new session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Shown once: the shopper sends it as `X-Customer-Token`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub customer: Customer,
    /// The account's working cart after bringing the guest cart in (the
    /// guest cart itself, or the cart it was merged into); `None` when no
    /// cart was given or it could not be brought in.
    pub cart_id: Option<Uuid>,
}

refusals! {
    /// Why a sign-in was refused.
    pub enum LoginRefusal {
        Access(AccessRefusal) => delegate;
        Throttle(ThrottleRefusal) => delegate;
        /// An unknown email or a wrong password: the same answer.
        InvalidCredentials => Unauthenticated, "invalid_credentials",
            "the email or the password is wrong";
    }
}

/// Sign in to the storefront key's brand (or the tenant's shared accounts).
#[tracing::instrument(skip_all)]
pub async fn login(
    services: &Services,
    key: &TenantKey,
    login: Login,
) -> Outcome<NewSession, LoginRefusal> {
    let brand = key.storefront()?;
    let email = login.email.trim().to_lowercase();
    if email.is_empty() || email.len() > 320 || login.password.len() > 1024 {
        return Err(LoginRefusal::InvalidCredentials.into());
    }
    throttle::from_address(services, &login.client).await?;
    let lookup = email.clone();
    let (realm, found) = services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                let realm = store::settings(conn).await?.realm(brand);
                Ok((realm, store::by_email(conn, realm, &lookup).await?))
            }
            .boxed()
        })
        .await?;
    // Count the attempt before checking the password, so parallel guesses
    // cannot all slip under the limit; a success clears it.
    let account = Window::account(services, &key.schema, realm, &email);
    account.hit(services, ACCOUNT_ATTEMPTS).await?;
    let (customer, hash) = match found {
        Some((c, h)) => (Some(c), Some(h)),
        None => (None, None),
    };
    let ok = verify_password(login.password, hash).await?;
    let Some(customer) = customer.filter(|_| ok) else {
        tracing::info!("customer sign-in refused");
        return Err(LoginRefusal::InvalidCredentials.into());
    };
    account.clear(services).await;
    let session = open_session(services, key, brand, customer, login.cart).await?;
    tracing::info!(customer.id = %session.customer.id, "customer signed in");
    Ok(session)
}

/// Open a session for the account and bring the guest cart in.
pub(super) async fn open_session(
    services: &Services,
    key: &TenantKey,
    brand: Uuid,
    customer: Customer,
    cart: Option<GuestCart>,
) -> Result<NewSession, StoreError> {
    let expires_at = from_now(services.settings.customers.session_ttl);
    let id = customer.id;
    let (token, cart_id) = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                // A cart that can no longer be brought in (checked out,
                // merged, someone else's, a stale token) is ignored: it
                // must not stop the shopper signing in.
                let cart_id = match cart {
                    None => None,
                    Some(g) => {
                        let access = carts::Access::Token(g.token);
                        match carts::get(conn, g.cart_id, brand, &access).await {
                            Ok(c) if c.status == "open" => carts::adopt(conn, &c, id).await?,
                            Ok(_) | Err(StoreError::NotFound) => None,
                            Err(e) => return Err(e),
                        }
                    }
                };
                let token = store::open_session(conn, id, brand, expires_at).await?;
                Ok((token, cart_id))
            }
            .boxed()
        })
        .await?;
    Ok(NewSession {
        token,
        expires_at,
        customer,
        cart_id,
    })
}

/// End the session.
pub async fn logout(
    services: &Services,
    key: &TenantKey,
    session: &str,
) -> Outcome<(), CustomerRefusal> {
    let me = signed_in(services, key, session).await?;
    let hash = me.token_hash().to_vec();
    let closing = hash.clone();
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move { store::close_session(conn, &closing).await }.boxed()
        })
        .await?;
    forget_sessions(services, &key.schema, &[hash]).await;
    Ok(())
}

/// End every session of the account, this one included.
pub async fn logout_everywhere(
    services: &Services,
    key: &TenantKey,
    session: &str,
) -> Outcome<(), CustomerRefusal> {
    let me = signed_in(services, key, session).await?;
    let id = me.customer();
    let ended = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            store::close_sessions(conn, id, None).boxed()
        })
        .await?;
    forget_sessions(services, &key.schema, &ended).await;
    Ok(())
}
