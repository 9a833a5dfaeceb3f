//! `/v1/customers`: a storefront's shoppers signing up, in and out,
//! verifying their email, resetting a forgotten password, keeping their
//! profile and addresses, and exporting or deleting their data. All of it
//! with the brand's storefront key; the signed-in calls also take the
//! session as `X-Customer-Token`.
//!
//! Login answers an unknown email exactly as a wrong password (the same
//! code, and the same hashing work), and a reset request is accepted
//! whether or not the email has an account: neither tells an outsider who
//! shops here. Verification and reset tokens go to the tenant through the
//! outbox (the tenant sends the email); the API never returns them.

use bazaar_domain::validate;
use bazaar_store::StoreError;
use bazaar_store::tenant::customers::{
    self as store, AddressFields, Customer, ProfileChanges, Purpose,
};
use bazaar_store::tenant::{carts, loyalty, orders, wishlists};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::FutureExt;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::{Accepted, Created, NoContent, Tag, from_now};
use crate::auth::{ApiKey, TenantKey};
use crate::customer_auth::{self, Shopper, Window};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A shopper's account.
#[derive(Debug, Object)]
pub struct CustomerView {
    pub id: Uuid,
    /// The brand the account was opened in.
    pub brand_id: Uuid,
    /// Whether the account works in every brand of the tenant.
    pub shared_across_brands: bool,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub loyalty_points: i64,
    pub created_at: DateTime<Utc>,
}

impl From<Customer> for CustomerView {
    fn from(c: Customer) -> Self {
        Self {
            id: c.id,
            brand_id: c.brand_id,
            shared_across_brands: c.realm == store::SHARED_REALM,
            email: c.email,
            email_verified: c.email_verified_at.is_some(),
            name: c.name,
            phone: c.phone,
            date_of_birth: c.date_of_birth,
            loyalty_points: c.loyalty_balance,
            created_at: c.created_at,
        }
    }
}

/// A guest cart to bring into the account at sign-in.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct GuestCart {
    pub cart_id: Uuid,
    /// The cart's `X-Cart-Token`.
    pub token: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Register {
    pub email: String,
    /// 8 to 256 characters.
    pub password: String,
    pub name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// A guest cart to keep as the account's cart.
    pub cart: Option<GuestCart>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
    /// A guest cart to merge into the account's cart.
    pub cart: Option<GuestCart>,
}

/// A session: send `token` as `X-Customer-Token` on signed-in calls.
#[derive(Debug, Object)]
pub struct SessionView {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub customer: CustomerView,
    /// The account's working cart after bringing the guest cart in (the
    /// guest cart itself, or the cart it was merged into); absent when no
    /// cart was given or it could not be brought in (already checked out,
    /// merged, or not a guest cart).
    pub cart_id: Option<Uuid>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TokenInput {
    /// The token from the email.
    pub token: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ResetConfirm {
    /// The token from the reset email.
    pub token: String,
    pub password: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ProfileUpdate {
    /// A new email; it must be verified again.
    pub email: Option<String>,
    pub name: MaybeUndefined<String>,
    pub phone: MaybeUndefined<String>,
    /// Cannot change while an age verification is in force.
    pub date_of_birth: MaybeUndefined<NaiveDate>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AddressInput {
    /// Who receives deliveries here.
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// A region the tenant sells in, e.g. `US-CA`.
    pub region: String,
    pub phone: Option<String>,
    #[oai(default)]
    pub default_shipping: bool,
    #[oai(default)]
    pub default_billing: bool,
}

#[derive(Debug, Object)]
pub struct AddressView {
    pub id: Uuid,
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

impl From<store::Address> for AddressView {
    fn from(a: store::Address) -> Self {
        Self {
            id: a.id,
            name: a.name,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            postal_code: a.postal_code,
            region: a.region,
            phone: a.phone,
            default_shipping: a.default_shipping,
            default_billing: a.default_billing,
        }
    }
}

#[derive(Debug, Object)]
pub struct AddressList {
    pub items: Vec<AddressView>,
}

/// An age verification: who checked the date of birth, how and when.
#[derive(Debug, Object)]
pub struct AgeVerificationView {
    pub id: Uuid,
    pub date_of_birth: NaiveDate,
    /// How it was checked (e.g. `id_document`, `credit_bureau`).
    pub method: String,
    /// The checker's reference.
    pub reference: Option<String>,
    pub verified_at: DateTime<Utc>,
    pub verified_by: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl From<store::AgeVerification> for AgeVerificationView {
    fn from(v: store::AgeVerification) -> Self {
        Self {
            id: v.id,
            date_of_birth: v.date_of_birth,
            method: v.method,
            reference: v.reference,
            verified_at: v.verified_at,
            verified_by: v.verified_by,
            revoked_at: v.revoked_at,
            revoked_by: v.revoked_by,
        }
    }
}

/// The signed-in shopper's account with its age verification.
#[derive(Debug, Object)]
pub struct Me {
    #[oai(flatten)]
    pub customer: CustomerView,
    /// The verification in force, if any.
    pub age_verification: Option<AgeVerificationView>,
}

/// Everything the account holds, for the shopper to take away.
#[derive(Debug, Object)]
pub struct DataExport {
    pub exported_at: DateTime<Utc>,
    pub customer: CustomerView,
    pub addresses: Vec<AddressView>,
    pub age_verifications: Vec<AgeVerificationView>,
    /// Orders as placed, with their lines.
    pub orders: Vec<serde_json::Value>,
    pub wishlists: Vec<serde_json::Value>,
    pub loyalty_entries: Vec<serde_json::Value>,
    pub carts: Vec<serde_json::Value>,
}

pub(crate) fn trimmed(field: &str, value: &str, max: usize) -> ApiResult<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(ApiError::unprocessable(
            &format!("invalid_{field}"),
            format!("`{field}` needs 1 to {max} characters"),
        ));
    }
    Ok(v.to_owned())
}

fn optional(field: &str, value: Option<String>, max: usize) -> ApiResult<Option<String>> {
    value.map(|v| trimmed(field, &v, max)).transpose()
}

fn check_birth_date(date: Option<NaiveDate>) -> ApiResult<()> {
    if let Some(d) = date {
        let today = Utc::now().date_naive();
        if d > today || d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d) {
            return Err(ApiError::unprocessable(
                "invalid_date_of_birth",
                "`date_of_birth` must be a real past date (YYYY-MM-DD, after 1900)",
            ));
        }
    }
    Ok(())
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("invalid_credentials", "the email or the password is wrong")
}

fn invalid_token() -> ApiError {
    ApiError::unprocessable(
        "invalid_token",
        "this link is invalid, already used or expired; ask for a new one",
    )
}

pub struct CustomersApi {
    pub state: AppState,
}

/// The signed-in shopper of a storefront request.
pub(crate) async fn signed_in(
    state: &AppState,
    key: &TenantKey,
    token: &str,
) -> ApiResult<(Uuid, Shopper)> {
    let brand = key.storefront()?;
    let shopper = customer_auth::shopper(state, key, token).await?;
    Ok((brand, shopper))
}

impl CustomersApi {
    /// Open a session for the account and bring the guest cart in.
    async fn open_session(
        &self,
        key: &TenantKey,
        brand: Uuid,
        customer: Customer,
        cart: Option<GuestCart>,
    ) -> ApiResult<SessionView> {
        let expires_at = from_now(self.state.settings.customers.session_ttl);
        let id = customer.id;
        let (token, cart_id) = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    // A cart that can no longer be brought in (checked out,
                    // merged, someone else's, a stale token) is ignored:
                    // it must not stop the shopper signing in.
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
        Ok(SessionView {
            token,
            expires_at,
            customer: customer.into(),
            cart_id,
        })
    }

    async fn me(&self, key: &TenantKey, token: &str) -> ApiResult<(Uuid, Shopper, Customer)> {
        let (brand, shopper) = signed_in(&self.state, key, token).await?;
        let id = shopper.customer_id;
        let customer = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| store::get(conn, id, None).boxed())
            .await
            .map_err(|e| ApiError::from_store(e, "customer"))?;
        Ok((brand, shopper, customer))
    }

    async fn address_fields(&self, key: &TenantKey, a: AddressInput) -> ApiResult<AddressFields> {
        let region = a.region.trim().to_owned();
        bazaar_commerce::regions::check_enabled(&self.state, key, &region).await?;
        Ok(AddressFields {
            name: trimmed("name", &a.name, 200)?,
            line1: trimmed("line1", &a.line1, 200)?,
            line2: optional("line2", a.line2, 200)?,
            city: trimmed("city", &a.city, 100)?,
            postal_code: trimmed("postal_code", &a.postal_code, 20)?,
            region,
            phone: optional("phone", a.phone, 40)?,
            default_shipping: a.default_shipping,
            default_billing: a.default_billing,
        })
    }
}

#[OpenApi(prefix_path = "/v1/customers", tag = "Tag::Customers")]
impl CustomersApi {
    /// Register
    ///
    /// Opens an account in the storefront key's brand (or the tenant's
    /// shared accounts) and signs it in. A verification email is requested
    /// through the `customer.email_verification_requested` outbox event.
    #[oai(path = "/", method = "post", operation_id = "register_customer")]
    async fn register(
        &self,
        auth: ApiKey,
        req: &poem::Request,
        body: Json<Register>,
    ) -> ApiResult<Created<SessionView>> {
        let key = auth.0.tenant()?;
        let brand = key.storefront()?;
        let body = body.0;
        let email = body.email.trim().to_lowercase();
        validate::email(&email)?;
        customer_auth::check_password(&body.password, &email)?;
        let name = optional("name", body.name, 200)?;
        check_birth_date(body.date_of_birth)?;
        let address = customer_auth::client_address(&self.state, req);
        Window::address(&self.state, &address)
            .hit(&self.state, "sign-in attempts from this address")
            .await?;
        let hash = customer_auth::hash_password(body.password).await?;
        let ttl = self.state.settings.customers.verify_token_ttl;
        let dob = body.date_of_birth;
        let customer = self
            .state
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
                            date_of_birth: dob,
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
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ApiError::conflict(
                    "email_taken",
                    "an account with this email exists; sign in, or reset the password",
                ),
                other => other.into(),
            })?;
        tracing::info!(customer.id = %customer.id, "customer registered");
        let session = self.open_session(key, brand, customer, body.cart).await?;
        Ok(Created::Created(Json(session)))
    }

    /// Sign in
    ///
    /// An unknown email and a wrong password get the same answer. Failed
    /// attempts are limited per account and attempts per client address;
    /// past the limit the answer is 429 with `Retry-After`. A guest cart
    /// given here is merged into the account's cart.
    #[oai(path = "/login", method = "post", operation_id = "login_customer")]
    async fn login(
        &self,
        auth: ApiKey,
        req: &poem::Request,
        body: Json<Login>,
    ) -> ApiResult<Json<SessionView>> {
        let key = auth.0.tenant()?;
        let brand = key.storefront()?;
        let body = body.0;
        let email = body.email.trim().to_lowercase();
        if email.is_empty() || email.len() > 320 || body.password.len() > 1024 {
            return Err(invalid_credentials());
        }
        let address = customer_auth::client_address(&self.state, req);
        Window::address(&self.state, &address)
            .hit(&self.state, "sign-in attempts from this address")
            .await?;
        let lookup = email.clone();
        let (realm, found) = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                async move {
                    let realm = store::settings(conn).await?.realm(brand);
                    Ok((realm, store::by_email(conn, realm, &lookup).await?))
                }
                .boxed()
            })
            .await?;
        // Count the attempt before checking the password, so parallel
        // guesses cannot all slip under the limit; a success clears it.
        let account = Window::account(&self.state, &key.schema, realm, &email);
        account
            .hit(&self.state, "sign-in attempts for this account")
            .await?;
        let (customer, hash) = match found {
            Some((c, h)) => (Some(c), Some(h)),
            None => (None, None),
        };
        let ok = customer_auth::verify_password(body.password, hash).await?;
        let Some(customer) = customer.filter(|_| ok) else {
            tracing::info!("customer sign-in refused");
            return Err(invalid_credentials());
        };
        account.clear(&self.state).await;
        let session = self.open_session(key, brand, customer, body.cart).await?;
        tracing::info!(customer.id = %session.customer.id, "customer signed in");
        Ok(Json(session))
    }

    /// Sign out
    ///
    /// Ends this session.
    #[oai(path = "/logout", method = "post", operation_id = "logout_customer")]
    async fn logout(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
    ) -> ApiResult<NoContent> {
        let key = auth.0.tenant()?;
        let (_, shopper) = signed_in(&self.state, key, &session.0).await?;
        let hash = shopper.token_hash.clone();
        self.state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move { store::close_session(conn, &hash).await }.boxed()
            })
            .await?;
        customer_auth::forget_sessions(&self.state, &key.schema, &[shopper.token_hash]).await;
        Ok(NoContent::Done)
    }

    /// Sign out everywhere
    ///
    /// Ends every session of the account, this one included.
    #[oai(
        path = "/me/sessions",
        method = "delete",
        operation_id = "logout_customer_everywhere"
    )]
    async fn logout_everywhere(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
    ) -> ApiResult<NoContent> {
        let key = auth.0.tenant()?;
        let (_, shopper) = signed_in(&self.state, key, &session.0).await?;
        let id = shopper.customer_id;
        let ended = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                store::close_sessions(conn, id, None).boxed()
            })
            .await?;
        customer_auth::forget_sessions(&self.state, &key.schema, &ended).await;
        Ok(NoContent::Done)
    }

    /// Verify an email address
    ///
    /// With the token of the verification email; each token works once.
    #[oai(
        path = "/verify-email",
        method = "post",
        operation_id = "verify_customer_email"
    )]
    async fn verify_email(&self, auth: ApiKey, body: Json<TokenInput>) -> ApiResult<NoContent> {
        let key = auth.0.tenant()?;
        key.storefront()?;
        let token = body.0.token;
        let done = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let Some(id) = store::use_token(conn, &token, Purpose::VerifyEmail).await?
                    else {
                        return Ok(false);
                    };
                    store::mark_email_verified(conn, id).await?;
                    Ok(true)
                }
                .boxed()
            })
            .await?;
        if !done {
            return Err(invalid_token());
        }
        Ok(NoContent::Done)
    }

    /// Send the verification email again
    #[oai(
        path = "/me/verification-email",
        method = "post",
        operation_id = "resend_customer_verification"
    )]
    async fn resend_verification(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
    ) -> ApiResult<Accepted> {
        let key = auth.0.tenant()?;
        let (_, _, customer) = self.me(key, &session.0).await?;
        if customer.email_verified_at.is_some() {
            return Err(ApiError::conflict(
                "email_already_verified",
                "this account's email is already verified",
            ));
        }
        let expires = from_now(self.state.settings.customers.verify_token_ttl);
        self.state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    store::issue_token(conn, &customer, Purpose::VerifyEmail, expires).await
                }
                .boxed()
            })
            .await?;
        Ok(Accepted::Accepted)
    }

    /// Ask for a password reset
    ///
    /// Always accepted, whether or not the email has an account here; when
    /// it has, a `customer.password_reset_requested` outbox event carries
    /// the token for the tenant to email.
    #[oai(
        path = "/password-reset",
        method = "post",
        operation_id = "request_password_reset"
    )]
    async fn request_reset(
        &self,
        auth: ApiKey,
        req: &poem::Request,
        body: Json<ResetRequest>,
    ) -> ApiResult<Accepted> {
        let key = auth.0.tenant()?;
        let brand = key.storefront()?;
        let email = body.0.email.trim().to_lowercase();
        validate::email(&email)?;
        let address = customer_auth::client_address(&self.state, req);
        Window::address(&self.state, &address)
            .hit(&self.state, "sign-in attempts from this address")
            .await?;
        let expires = from_now(self.state.settings.customers.reset_token_ttl);
        self.state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let realm = store::settings(conn).await?.realm(brand);
                    if let Some((customer, _)) = store::by_email(conn, realm, &email).await? {
                        store::issue_token(conn, &customer, Purpose::ResetPassword, expires)
                            .await?;
                    }
                    Ok(())
                }
                .boxed()
            })
            .await?;
        Ok(Accepted::Accepted)
    }

    /// Reset the password
    ///
    /// With the token of the reset email (once, before it expires). Every
    /// session of the account ends.
    #[oai(
        path = "/password-reset/confirm",
        method = "post",
        operation_id = "confirm_password_reset"
    )]
    async fn confirm_reset(&self, auth: ApiKey, body: Json<ResetConfirm>) -> ApiResult<NoContent> {
        let key = auth.0.tenant()?;
        key.storefront()?;
        let ResetConfirm { token, password } = body.0;
        customer_auth::check_password(&password, "")?;
        let hash = customer_auth::hash_password(password).await?;
        let ended = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    let Some(id) = store::use_token(conn, &token, Purpose::ResetPassword).await?
                    else {
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
            .ok_or_else(invalid_token)?;
        customer_auth::forget_sessions(&self.state, &key.schema, &ended).await;
        Ok(NoContent::Done)
    }

    /// Change the password
    ///
    /// Needs the current password; every other session of the account ends.
    #[oai(
        path = "/me/password",
        method = "put",
        operation_id = "change_password"
    )]
    async fn change_password(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        body: Json<PasswordChange>,
    ) -> ApiResult<NoContent> {
        let key = auth.0.tenant()?;
        let (_, shopper, customer) = self.me(key, &session.0).await?;
        let PasswordChange {
            current_password,
            new_password,
        } = body.0;
        customer_auth::check_password(&new_password, customer.email.as_deref().unwrap_or(""))?;
        let id = customer.id;
        let stored = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                store::password_hash(conn, id).boxed()
            })
            .await?;
        if !customer_auth::verify_password(current_password, stored).await? {
            return Err(ApiError::unprocessable(
                "wrong_password",
                "the current password is wrong",
            ));
        }
        let hash = customer_auth::hash_password(new_password).await?;
        let keep = shopper.token_hash.clone();
        let ended = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    store::set_password(conn, id, &hash).await?;
                    store::close_sessions(conn, id, Some(&keep)).await
                }
                .boxed()
            })
            .await?;
        customer_auth::forget_sessions(&self.state, &key.schema, &ended).await;
        Ok(NoContent::Done)
    }

    /// The signed-in account
    #[oai(path = "/me", method = "get", operation_id = "get_me")]
    async fn get_me(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
    ) -> ApiResult<Json<Me>> {
        let key = auth.0.tenant()?;
        let (_, _, customer) = self.me(key, &session.0).await?;
        let id = customer.id;
        let verification = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                store::current_verification(conn, id).boxed()
            })
            .await?;
        Ok(Json(Me {
            customer: customer.into(),
            age_verification: verification.map(Into::into),
        }))
    }

    /// Update the profile
    ///
    /// A new email must be verified again (a verification email is
    /// requested); `null` clears a field.
    #[oai(path = "/me", method = "patch", operation_id = "update_me")]
    async fn update_me(
        &self,
        auth: ApiKey,
        req: &poem::Request,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        body: Json<ProfileUpdate>,
    ) -> ApiResult<Json<CustomerView>> {
        let key = auth.0.tenant()?;
        let (_, _, customer) = self.me(key, &session.0).await?;
        let body = body.0;
        if body.email.is_some() {
            // A taken email answers 409: throttled like sign-ins, so a
            // session cannot probe which emails have accounts.
            let address = customer_auth::client_address(&self.state, req);
            Window::address(&self.state, &address)
                .hit(&self.state, "sign-in attempts from this address")
                .await?;
        }
        let email = match body.email {
            Some(e) => {
                let e = e.trim().to_lowercase();
                validate::email(&e)?;
                Some(e).filter(|e| Some(e) != customer.email.as_ref())
            }
            None => None,
        };
        let text = |field: &str, v: MaybeUndefined<String>, max: usize| -> ApiResult<_> {
            Ok(match v {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(v) => Some(Some(trimmed(field, &v, max)?)),
            })
        };
        let dob = match body.date_of_birth {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(d) => {
                check_birth_date(Some(d))?;
                Some(Some(d))
            }
        };
        let changes = ProfileChanges {
            name: text("name", body.name, 200)?,
            phone: text("phone", body.phone, 40)?,
            date_of_birth: dob,
            email: email.clone(),
        };
        let id = customer.id;
        let ttl = self.state.settings.customers.verify_token_ttl;
        let changing_dob = changes.date_of_birth.is_some()
            && changes.date_of_birth != Some(customer.date_of_birth);
        let updated = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    if changing_dob && store::current_verification(conn, id).await?.is_some() {
                        return Ok(Err(ApiError::conflict(
                            "date_of_birth_verified",
                            "the date of birth was verified and cannot be changed here; \
                             ask the shop to record a new verification",
                        )));
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
            .map_err(|e| match e {
                StoreError::Conflict { .. } => {
                    ApiError::conflict("email_taken", "another account already uses this email")
                }
                other => other.into(),
            })??;
        Ok(Json(updated.into()))
    }

    /// Delete the account
    ///
    /// Personal data is erased: profile, addresses, wishlists, open carts,
    /// verification references, sessions. Orders stay, with their personal
    /// fields cleared, so the shop's accounting is intact; unspent loyalty
    /// points are forfeited.
    #[oai(path = "/me", method = "delete", operation_id = "delete_me")]
    async fn delete_me(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
    ) -> ApiResult<NoContent> {
        let key = auth.0.tenant()?;
        let (_, shopper) = signed_in(&self.state, key, &session.0).await?;
        erase(&self.state, key, shopper.customer_id).await?;
        Ok(NoContent::Done)
    }

    /// Export the account's data
    ///
    /// Everything Bazaar holds about the shopper, as JSON.
    #[oai(path = "/me/export", method = "get", operation_id = "export_me")]
    async fn export_me(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
    ) -> ApiResult<Json<DataExport>> {
        let key = auth.0.tenant()?;
        let (_, shopper) = signed_in(&self.state, key, &session.0).await?;
        Ok(Json(export(&self.state, key, shopper.customer_id).await?))
    }

    /// The account's addresses
    #[oai(
        path = "/me/addresses",
        method = "get",
        operation_id = "list_addresses"
    )]
    async fn list_addresses(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
    ) -> ApiResult<Json<AddressList>> {
        let key = auth.0.tenant()?;
        let (_, shopper) = signed_in(&self.state, key, &session.0).await?;
        let id = shopper.customer_id;
        let items = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| store::addresses(conn, id).boxed())
            .await?;
        Ok(Json(AddressList {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// Add an address
    ///
    /// Its region must be one the tenant sells in. Marking it a default
    /// takes that default from the account's other addresses.
    #[oai(path = "/me/addresses", method = "post", operation_id = "add_address")]
    async fn add_address(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        body: Json<AddressInput>,
    ) -> ApiResult<Created<AddressView>> {
        let key = auth.0.tenant()?;
        let (_, shopper) = signed_in(&self.state, key, &session.0).await?;
        let fields = self.address_fields(key, body.0).await?;
        let id = shopper.customer_id;
        let address = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move { store::add_address(conn, id, &fields).await }.boxed()
            })
            .await?;
        Ok(Created::Created(Json(address.into())))
    }

    /// Replace an address
    #[oai(
        path = "/me/addresses/:address_id",
        method = "put",
        operation_id = "replace_address"
    )]
    async fn replace_address(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        address_id: Path<Uuid>,
        body: Json<AddressInput>,
    ) -> ApiResult<Json<AddressView>> {
        let key = auth.0.tenant()?;
        let (_, shopper) = signed_in(&self.state, key, &session.0).await?;
        let fields = self.address_fields(key, body.0).await?;
        let (id, address) = (shopper.customer_id, address_id.0);
        let updated = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move { store::update_address(conn, id, address, &fields).await }.boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "address"))?;
        Ok(Json(updated.into()))
    }

    /// Remove an address
    #[oai(
        path = "/me/addresses/:address_id",
        method = "delete",
        operation_id = "remove_address"
    )]
    async fn remove_address(
        &self,
        auth: ApiKey,
        /// The shopper's session, from sign-in.
        #[oai(name = "X-Customer-Token")]
        session: Header<String>,
        address_id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        let key = auth.0.tenant()?;
        let (_, shopper) = signed_in(&self.state, key, &session.0).await?;
        let (id, address) = (shopper.customer_id, address_id.0);
        self.state
            .db
            .tenant_tx(&key.schema, move |conn| {
                store::delete_address(conn, id, address).boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "address"))?;
        Ok(NoContent::Done)
    }
}

/// Erase an account (see `delete_me`) and forget its sessions.
pub(crate) async fn erase(state: &AppState, key: &TenantKey, customer: Uuid) -> ApiResult<()> {
    let ended = state
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                store::get(conn, customer, None).await?;
                store::erase(conn, customer).await
            }
            .boxed()
        })
        .await
        .map_err(|e| ApiError::from_store(e, "customer"))?;
    customer_auth::forget_sessions(state, &key.schema, &ended).await;
    tracing::info!(customer.id = %customer, "customer erased");
    Ok(())
}

/// Everything held about an account, read in one snapshot.
pub(crate) async fn export(
    state: &AppState,
    key: &TenantKey,
    customer: Uuid,
) -> ApiResult<DataExport> {
    state
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                let c = store::get(conn, customer, None).await?;
                let addresses = store::addresses(conn, customer).await?;
                let verifications = store::verifications(conn, customer).await?;
                let history = orders::HistoryFilter {
                    limit: 10_000,
                    ..Default::default()
                };
                let mut order_docs = Vec::new();
                for o in orders::of_customer(conn, customer, &history).await? {
                    let lines = orders::lines(conn, o.id).await?;
                    order_docs.push(serde_json::json!({
                        "id": o.id,
                        "status": o.status,
                        "region": o.region,
                        "currency": o.currency.trim(),
                        "total": o.total,
                        "discount_total": o.discount_total,
                        "loyalty_points": o.loyalty_points,
                        "created_at": o.created_at,
                        "lines": lines.iter().map(|l| serde_json::json!({
                            "sku": l.sku,
                            "title": l.title,
                            "quantity": l.quantity,
                            "unit_price": l.unit_price,
                            "gross": l.gross,
                        })).collect::<Vec<_>>(),
                    }));
                }
                let mut lists = Vec::new();
                for w in wishlists::list(conn, customer, None).await? {
                    let items = wishlists::items(conn, &w).await?;
                    lists.push(serde_json::json!({
                        "id": w.id,
                        "brand_id": w.brand_id,
                        "name": w.name,
                        "shared": w.share_token.is_some(),
                        "products": items.iter().map(|i| serde_json::json!({
                            "product_id": i.product_id,
                            "title": i.title,
                            "added_at": i.added_at,
                        })).collect::<Vec<_>>(),
                    }));
                }
                let entries = loyalty::entries(conn, customer, None, 100_000).await?;
                let carts = carts::of_customer(conn, customer, c.brand_id).await?;
                Ok(DataExport {
                    exported_at: Utc::now(),
                    customer: c.into(),
                    addresses: addresses.into_iter().map(Into::into).collect(),
                    age_verifications: verifications.into_iter().map(Into::into).collect(),
                    orders: order_docs,
                    wishlists: lists,
                    loyalty_entries: entries
                        .into_iter()
                        .map(|e| {
                            serde_json::json!({
                                "kind": e.kind,
                                "points": e.points,
                                "order_id": e.order_id,
                                "created_at": e.created_at,
                            })
                        })
                        .collect(),
                    carts: carts
                        .into_iter()
                        .map(|c| {
                            serde_json::json!({
                                "id": c.id,
                                "saved_name": c.saved_name,
                                "region": c.region,
                                "last_activity_at": c.last_activity_at,
                            })
                        })
                        .collect(),
                })
            }
            .boxed()
        })
        .await
        .map_err(|e| ApiError::from_store(e, "customer"))
}
