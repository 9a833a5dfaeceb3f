//! `/v1/customers`: a storefront's shoppers signing up, in and out,
//! verifying their email, resetting a forgotten password, keeping their
//! profile and addresses, and exporting or deleting their data. All of it
//! with the brand's storefront key; the signed-in calls also take the
//! session as `X-Customer-Token`. The edge of `bazaar_commerce::customers`.
//!
//! Login answers an unknown email exactly as a wrong password (the same
//! code, and the same hashing work), and a reset request is accepted
//! whether or not the email has an account: neither tells an outsider who
//! shops here. Verification and reset tokens go to the tenant through the
//! outbox (the tenant sends the email); the API never returns them.

use bazaar_commerce::customers::login::{self, NewSession};
use bazaar_commerce::customers::privacy::{self, AccountData};
use bazaar_commerce::customers::profile::{self, ProfileUpdate as Changes};
use bazaar_commerce::customers::register::{self, Registration};
use bazaar_commerce::customers::{addresses, admin};
use bazaar_commerce::customers::{email, password};
use bazaar_store::tenant::customers::Address;
use chrono::NaiveDate;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::{MaybeUndefined, ToJSON};
use poem_openapi::{Object, OpenApi};
use serde_json::json;
use uuid::Uuid;

use super::{Accepted, Created, NoContent, Tag, page_of, page_request};
use crate::auth::ApiKey;
use crate::error::ApiResult;
use crate::request_parts::client_address;
use crate::state::AppState;
use crate::timestamp::Timestamp;
use crate::types::{AgeVerificationView, CustomerView};

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
    pub expires_at: Timestamp,
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

impl From<Address> for AddressView {
    fn from(a: Address) -> Self {
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
    pub exported_at: Timestamp,
    pub customer: CustomerView,
    pub addresses: Vec<AddressView>,
    pub age_verifications: Vec<AgeVerificationView>,
    /// Orders as placed, with their lines.
    pub orders: Vec<serde_json::Value>,
    pub wishlists: Vec<serde_json::Value>,
    pub loyalty_entries: Vec<serde_json::Value>,
    pub carts: Vec<serde_json::Value>,
}

impl From<GuestCart> for login::GuestCart {
    fn from(g: GuestCart) -> Self {
        Self {
            cart_id: g.cart_id,
            token: g.token,
        }
    }
}

impl From<NewSession> for SessionView {
    fn from(s: NewSession) -> Self {
        Self {
            token: s.token,
            expires_at: s.expires_at.into(),
            customer: s.customer.into(),
            cart_id: s.cart_id,
        }
    }
}

impl From<AddressInput> for addresses::AddressInput {
    fn from(a: AddressInput) -> Self {
        Self {
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

impl From<AccountData> for DataExport {
    fn from(d: AccountData) -> Self {
        Self {
            exported_at: d.exported_at.into(),
            customer: d.customer.into(),
            addresses: d.addresses.into_iter().map(Into::into).collect(),
            age_verifications: d.age_verifications.into_iter().map(Into::into).collect(),
            orders: d
                .orders
                .into_iter()
                .map(|(o, contents)| {
                    json!({
                        "id": o.id,
                        "status": o.status.as_str(),
                        "region": o.region,
                        "currency": o.currency.code(),
                        "total": o.total,
                        "discount_total": o.discount_total,
                        "loyalty_points": o.loyalty_points,
                        "created_at": Timestamp(o.created_at).to_json(),
                        "lines": contents.lines.iter().map(|l| json!({
                            "sku": l.sku,
                            "title": l.title,
                            "quantity": l.quantity,
                            "unit_price": l.unit_price,
                            "gross": l.gross,
                        })).collect::<Vec<_>>(),
                        "timeline": contents.timeline.iter().map(|t| json!({
                            "from_status": t.from_status,
                            "to_status": t.to_status,
                            "note": t.note,
                            "at": Timestamp(t.created_at).to_json(),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect(),
            wishlists: d
                .wishlists
                .into_iter()
                .map(|(w, items)| {
                    json!({
                        "id": w.id,
                        "brand_id": w.brand_id,
                        "name": w.name,
                        "shared": w.share_token.is_some(),
                        "products": items.iter().map(|i| json!({
                            "product_id": i.product_id,
                            "title": i.title,
                            "added_at": Timestamp(i.added_at).to_json(),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect(),
            loyalty_entries: d
                .loyalty_entries
                .into_iter()
                .map(|e| {
                    json!({
                        "kind": e.kind,
                        "points": e.points,
                        "order_id": e.order_id,
                        "created_at": Timestamp(e.created_at).to_json(),
                    })
                })
                .collect(),
            carts: d
                .carts
                .into_iter()
                .map(|c| {
                    json!({
                        "id": c.id,
                        "saved_name": c.saved_name,
                        "region": c.region,
                        "last_activity_at": Timestamp(c.last_activity_at).to_json(),
                    })
                })
                .collect(),
        }
    }
}

page_of!(CustomerPage, CustomerView);

pub struct CustomersApi {
    pub state: AppState,
}

/// `POST /v1/customers` (a shopper registers) and `GET /v1/customers` (an
/// admin lists accounts) share one struct: poem-openapi writes one path
/// object per struct, and a path split across two would appear twice in the
/// document.
#[OpenApi(prefix_path = "/v1/customers", tag = "Tag::Customers")]
impl CustomersApi {
    /// List customers
    ///
    /// Tenant admin keys; optionally the account with one email.
    #[oai(path = "/", method = "get", operation_id = "list_customers")]
    async fn list(
        &self,
        auth: ApiKey,
        /// Only the account with this email (any case).
        email: Query<Option<String>>,
        /// How many to return (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
    ) -> ApiResult<Json<CustomerPage>> {
        let key = auth.0.tenant()?;
        let page = page_request(limit.0, cursor.0);
        let rows = admin::list(&self.state, key, email.0, page).await?;
        Ok(Json(rows.map(CustomerView::from).into()))
    }

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
        let body = body.0;
        let registration = Registration {
            email: body.email,
            password: body.password,
            name: body.name,
            date_of_birth: body.date_of_birth,
            cart: body.cart.map(Into::into),
            client: client_address(&self.state, req),
        };
        let session = register::register(&self.state, key, registration).await?;
        Ok(Created::Created(Json(session.into())))
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
        let body = body.0;
        let attempt = login::Login {
            email: body.email,
            password: body.password,
            cart: body.cart.map(Into::into),
            client: client_address(&self.state, req),
        };
        let session = login::login(&self.state, key, attempt).await?;
        Ok(Json(session.into()))
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
        login::logout(&self.state, key, &session.0).await?;
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
        login::logout_everywhere(&self.state, key, &session.0).await?;
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
        email::verify(&self.state, key, body.0.token).await?;
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
        email::resend(&self.state, key, &session.0).await?;
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
        let client = client_address(&self.state, req);
        password::request_reset(&self.state, key, &body.0.email, &client).await?;
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
        let ResetConfirm { token, password } = body.0;
        password::confirm_reset(&self.state, key, token, password).await?;
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
        let PasswordChange {
            current_password,
            new_password,
        } = body.0;
        password::change(&self.state, key, &session.0, current_password, new_password).await?;
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
        let me = profile::get(&self.state, key, &session.0).await?;
        Ok(Json(Me {
            customer: me.customer.into(),
            age_verification: me.age_verification.map(Into::into),
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
        let body = body.0;
        let changes = Changes {
            email: body.email,
            name: body.name.into(),
            phone: body.phone.into(),
            date_of_birth: body.date_of_birth.into(),
            client: client_address(&self.state, req),
        };
        let updated = profile::update(&self.state, key, &session.0, changes).await?;
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
        privacy::delete_me(&self.state, key, &session.0).await?;
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
        let data = privacy::export_me(&self.state, key, &session.0).await?;
        Ok(Json(data.into()))
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
        let items = addresses::list(&self.state, key, &session.0).await?;
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
        let address = addresses::add(&self.state, key, &session.0, body.0.into()).await?;
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
        let address =
            addresses::replace(&self.state, key, &session.0, address_id.0, body.0.into()).await?;
        Ok(Json(address.into()))
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
        addresses::remove(&self.state, key, &session.0, address_id.0).await?;
        Ok(NoContent::Done)
    }
}
