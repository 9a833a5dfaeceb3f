//! Storefront customers: accounts, their sessions and one-time tokens,
//! addresses, age verification records, the tenant's customer settings,
//! and erasure. Accounts live in a realm (see the migration): the brand's id
//! when the tenant keeps accounts per brand, [`SHARED_REALM`] when it shares
//! them, so "another brand's customer is invisible" is one equality.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::{self, case_when};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::prepared::prepared;
use crate::schema::tenant::{
    age_verifications, carts, customer_addresses, customer_sessions, customer_settings,
    customer_tokens, customers, orders, wishlists,
};
use crate::secret;
use crate::sql::{coalesce, lower, lower_nullable};
use crate::tenant::outbox;
use crate::{StoreError, TenantConn};

/// The realm of every account when the tenant shares accounts across brands.
pub const SHARED_REALM: Uuid = Uuid::nil();

/// The tenant's customer settings.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = customer_settings, check_for_backend(diesel::pg::Pg))]
pub struct Settings {
    /// `brand` or `tenant`.
    pub account_scope: String,
    pub loyalty_points_per_unit: Decimal,
    pub loyalty_point_value: Decimal,
    pub loyalty_expiry_days: Option<i32>,
}

impl Settings {
    /// The realm a brand's storefront sees.
    pub fn realm(&self, brand: Uuid) -> Uuid {
        if self.account_scope == "tenant" {
            SHARED_REALM
        } else {
            brand
        }
    }
}

pub async fn settings(conn: &mut TenantConn) -> Result<Settings, StoreError> {
    Ok(customer_settings::table
        .select(Settings::as_select())
        .get_result(conn.pg())
        .await?)
}

/// Change the settings. Switching the account scope moves every account
/// to its new realm; two brands' accounts with one email cannot share a
/// realm, which surfaces as `StoreError::Conflict` (nothing changes).
pub async fn update_settings(
    conn: &mut TenantConn,
    new: &Settings,
) -> Result<Settings, StoreError> {
    let before = settings(conn).await?;
    if before.account_scope != new.account_scope {
        let all = diesel::update(customers::table);
        if new.account_scope == "tenant" {
            all.set((
                customers::realm.eq(SHARED_REALM),
                customers::updated_at.eq(dsl::now),
            ))
            .execute(conn.pg())
            .await?;
        } else {
            all.set((
                customers::realm.eq(customers::brand_id),
                customers::updated_at.eq(dsl::now),
            ))
            .execute(conn.pg())
            .await?;
        }
    }
    Ok(diesel::update(customer_settings::table)
        .set((
            customer_settings::account_scope.eq(&new.account_scope),
            customer_settings::loyalty_points_per_unit.eq(new.loyalty_points_per_unit),
            customer_settings::loyalty_point_value.eq(new.loyalty_point_value),
            customer_settings::loyalty_expiry_days.eq(new.loyalty_expiry_days),
            customer_settings::updated_at.eq(dsl::now),
        ))
        .returning(Settings::as_returning())
        .get_result(conn.pg())
        .await?)
}

/// An account as the API shows it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = customers, check_for_backend(diesel::pg::Pg))]
pub struct Customer {
    pub id: Uuid,
    pub realm: Uuid,
    pub brand_id: Uuid,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub status: String,
    pub loyalty_balance: i64,
    pub created_at: DateTime<Utc>,
}

/// A new account; `email` is stored lower-cased.
pub struct NewCustomer<'a> {
    pub realm: Uuid,
    pub brand_id: Uuid,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub name: Option<&'a str>,
    pub date_of_birth: Option<NaiveDate>,
}

/// Create an account. An email already used in the realm is
/// `StoreError::Conflict`.
pub async fn create(conn: &mut TenantConn, new: &NewCustomer<'_>) -> Result<Customer, StoreError> {
    let customer: Customer = diesel::insert_into(customers::table)
        .values((
            customers::id.eq(bazaar_domain::ids::new_id()),
            customers::realm.eq(new.realm),
            customers::brand_id.eq(new.brand_id),
            customers::email.eq(lower(new.email).nullable()),
            customers::password_hash.eq(new.password_hash),
            customers::name.eq(new.name),
            customers::date_of_birth.eq(new.date_of_birth),
        ))
        .returning(Customer::as_returning())
        .get_result(conn.pg())
        .await?;
    outbox::publish(
        conn,
        "customer.registered",
        serde_json::json!({ "customer_id": customer.id, "brand_id": customer.brand_id }),
    )
    .await?;
    Ok(customer)
}

/// The active account with this email in the realm, with its password hash.
pub async fn by_email(
    conn: &mut TenantConn,
    realm: Uuid,
    email: &str,
) -> Result<Option<(Customer, String)>, StoreError> {
    Ok(customers::table
        .filter(customers::realm.eq(realm))
        .filter(lower_nullable(customers::email).eq(lower(email).nullable()))
        .filter(customers::status.eq("active"))
        .filter(customers::password_hash.is_not_null())
        .select((
            Customer::as_select(),
            customers::password_hash.assume_not_null(),
        ))
        .get_result(conn.pg())
        .await
        .optional()?)
}

/// An active account, in `realm` when one is given (storefronts), in any
/// realm otherwise (tenant admins).
pub async fn get(
    conn: &mut TenantConn,
    id: Uuid,
    realm: Option<Uuid>,
) -> Result<Customer, StoreError> {
    let mut query = customers::table
        .find(id)
        .filter(customers::status.eq("active"))
        .select(Customer::as_select())
        .into_boxed();
    if let Some(realm) = realm {
        query = query.filter(customers::realm.eq(realm));
    }
    Ok(query.get_result(conn.pg()).await?)
}

/// The account's password hash.
pub async fn password_hash(conn: &mut TenantConn, id: Uuid) -> Result<Option<String>, StoreError> {
    Ok(customers::table
        .find(id)
        .select(customers::password_hash)
        .get_result(conn.pg())
        .await?)
}

/// Accounts for the tenant's admins, newest last, optionally one email.
pub async fn list(
    conn: &mut TenantConn,
    email: Option<&str>,
    page: crate::page::PageRequest,
) -> Result<crate::Page<Customer>, StoreError> {
    let mut query = customers::table
        .filter(customers::status.eq("active"))
        .select(Customer::as_select())
        .order(customers::id)
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(email) = email {
        query = query.filter(lower_nullable(customers::email).eq(lower(email).nullable()));
    }
    if let Some(after) = page.after {
        query = query.filter(customers::id.gt(after));
    }
    let rows = query.load(conn.pg()).await?;
    Ok(crate::Page::from_overfetch(rows, page.limit, |c| c.id))
}

/// Profile changes: `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub date_of_birth: Option<Option<NaiveDate>>,
    /// A new email; it needs verifying again.
    pub email: Option<String>,
}

pub async fn update_profile(
    conn: &mut TenantConn,
    id: Uuid,
    changes: ProfileChanges,
) -> Result<Customer, StoreError> {
    // A new email is stored lower-cased and unverifies the account unless
    // it is the one it already has (every SET sees the row as it was).
    let email = changes.email.as_deref().map(|email| {
        (
            customers::email_verified_at.eq(case_when(
                lower(email).nullable().ne(customers::email),
                None::<DateTime<Utc>>.into_sql::<Nullable<Timestamptz>>(),
            )
            .otherwise(customers::email_verified_at)),
            customers::email.eq(lower(email).nullable()),
        )
    });
    Ok(diesel::update(
        customers::table
            .find(id)
            .filter(customers::status.eq("active")),
    )
    .set((
        changes.name.map(|name| customers::name.eq(name)),
        changes.phone.map(|phone| customers::phone.eq(phone)),
        changes
            .date_of_birth
            .map(|date| customers::date_of_birth.eq(date)),
        email,
        customers::updated_at.eq(dsl::now),
    ))
    .returning(Customer::as_returning())
    .get_result(conn.pg())
    .await?)
}

pub async fn set_password(
    conn: &mut TenantConn,
    id: Uuid,
    password_hash: &str,
) -> Result<(), StoreError> {
    diesel::update(
        customers::table
            .find(id)
            .filter(customers::status.eq("active")),
    )
    .set((
        customers::password_hash.eq(password_hash),
        customers::updated_at.eq(dsl::now),
    ))
    .execute(conn.pg())
    .await?;
    Ok(())
}

pub async fn mark_email_verified(conn: &mut TenantConn, id: Uuid) -> Result<(), StoreError> {
    diesel::update(customers::table.find(id))
        .set((
            customers::email_verified_at
                .eq(coalesce(customers::email_verified_at, dsl::now).nullable()),
            customers::updated_at.eq(dsl::now),
        ))
        .execute(conn.pg())
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- sessions

/// A live session: whose, and until when.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct Session {
    pub customer_id: Uuid,
    pub realm: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// Open a session for the account; returns its token (shown once).
pub async fn open_session(
    conn: &mut TenantConn,
    customer: Uuid,
    brand: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<String, StoreError> {
    let token = secret::generate("cs_");
    diesel::insert_into(customer_sessions::table)
        .values((
            customer_sessions::token_hash.eq(secret::hash(&token)),
            customer_sessions::customer_id.eq(customer),
            customer_sessions::brand_id.eq(brand),
            customer_sessions::expires_at.eq(expires_at),
        ))
        .execute(conn.pg())
        .await?;
    Ok(token)
}

/// The live session with this token hash, if any.
pub async fn session(
    conn: &mut TenantConn,
    token_hash: &[u8],
) -> Result<Option<Session>, StoreError> {
    Ok(customer_sessions::table
        .inner_join(customers::table)
        .filter(customer_sessions::token_hash.eq(token_hash))
        .filter(customer_sessions::expires_at.gt(dsl::now))
        .filter(customers::status.eq("active"))
        .select((
            customer_sessions::customer_id,
            customers::realm,
            customer_sessions::expires_at,
        ))
        .get_result(conn.pg())
        .await
        .optional()?)
}

/// End one session (logging out); ending an ended one is not an error.
pub async fn close_session(conn: &mut TenantConn, token_hash: &[u8]) -> Result<(), StoreError> {
    diesel::delete(customer_sessions::table.find(token_hash))
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// End every session of the account but `keep` (if given); returns the
/// ended sessions' hashes so their cached copies can be forgotten.
pub async fn close_sessions(
    conn: &mut TenantConn,
    customer: Uuid,
    keep: Option<&[u8]>,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let of_customer = customer_sessions::table.filter(customer_sessions::customer_id.eq(customer));
    Ok(match keep {
        Some(keep) => {
            diesel::delete(of_customer.filter(customer_sessions::token_hash.ne(keep)))
                .returning(customer_sessions::token_hash)
                .load(conn.pg())
                .await?
        }
        None => {
            diesel::delete(of_customer)
                .returning(customer_sessions::token_hash)
                .load(conn.pg())
                .await?
        }
    })
}

// ---------------------------------------------------------- one-time tokens

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }

    /// The outbox topic that hands the token to the tenant.
    fn topic(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "customer.email_verification_requested",
            Purpose::ResetPassword => "customer.password_reset_requested",
        }
    }
}

/// Issue a token and hand it to the tenant through the outbox (the tenant
/// emails it; the API never returns it). Earlier unused tokens of the same
/// purpose stop working: only the newest email's link is good.
pub async fn issue_token(
    conn: &mut TenantConn,
    customer: &Customer,
    purpose: Purpose,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(
        customer_tokens::table
            .filter(customer_tokens::customer_id.eq(customer.id))
            .filter(customer_tokens::purpose.eq(purpose.as_str()))
            .filter(customer_tokens::used_at.is_null()),
    )
    .set(customer_tokens::used_at.eq(dsl::now))
    .execute(conn.pg())
    .await?;
    let token = secret::generate(match purpose {
        Purpose::VerifyEmail => "ev_",
        Purpose::ResetPassword => "pr_",
    });
    diesel::insert_into(customer_tokens::table)
        .values((
            customer_tokens::token_hash.eq(secret::hash(&token)),
            customer_tokens::customer_id.eq(customer.id),
            customer_tokens::purpose.eq(purpose.as_str()),
            customer_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn.pg())
        .await?;
    outbox::publish(
        conn,
        purpose.topic(),
        serde_json::json!({
            "customer_id": customer.id,
            "brand_id": customer.brand_id,
            "email": customer.email,
            "token": token,
            "expires_at": expires_at,
        }),
    )
    .await
}

/// Spend a token: the account it was issued to, once, before it expires.
pub async fn use_token(
    conn: &mut TenantConn,
    token: &str,
    purpose: Purpose,
) -> Result<Option<Uuid>, StoreError> {
    let active = customers::table
        .filter(customers::status.eq("active"))
        .select(customers::id);
    Ok(diesel::update(
        customer_tokens::table
            .find(secret::hash(token))
            .filter(customer_tokens::purpose.eq(purpose.as_str()))
            .filter(customer_tokens::used_at.is_null())
            .filter(customer_tokens::expires_at.gt(dsl::now))
            .filter(customer_tokens::customer_id.eq_any(active)),
    )
    .set(customer_tokens::used_at.eq(dsl::now))
    .returning(customer_tokens::customer_id)
    .get_result(conn.pg())
    .await
    .optional()?)
}

// -------------------------------------------------------------- addresses

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = customer_addresses, check_for_backend(diesel::pg::Pg))]
pub struct Address {
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

/// An address's fields (validated by the caller).
#[derive(Debug, Clone, AsChangeset, Insertable)]
#[diesel(table_name = customer_addresses, treat_none_as_null = true)]
pub struct AddressFields {
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

/// Make room for a new default: the account's other addresses lose it.
async fn clear_defaults(
    conn: &mut TenantConn,
    customer: Uuid,
    shipping: bool,
    billing: bool,
) -> Result<(), StoreError> {
    let addresses = customer_addresses::table.filter(customer_addresses::customer_id.eq(customer));
    match (shipping, billing) {
        (true, true) => {
            diesel::update(addresses.filter(
                customer_addresses::default_shipping.or(customer_addresses::default_billing),
            ))
            .set((
                customer_addresses::default_shipping.eq(false),
                customer_addresses::default_billing.eq(false),
            ))
            .execute(conn.pg())
            .await?
        }
        (true, false) => {
            diesel::update(addresses.filter(customer_addresses::default_shipping))
                .set(customer_addresses::default_shipping.eq(false))
                .execute(conn.pg())
                .await?
        }
        (false, true) => {
            diesel::update(addresses.filter(customer_addresses::default_billing))
                .set(customer_addresses::default_billing.eq(false))
                .execute(conn.pg())
                .await?
        }
        (false, false) => 0,
    };
    Ok(())
}

pub async fn addresses(conn: &mut TenantConn, customer: Uuid) -> Result<Vec<Address>, StoreError> {
    Ok(customer_addresses::table
        .filter(customer_addresses::customer_id.eq(customer))
        .order(customer_addresses::id)
        .select(Address::as_select())
        .load(conn.pg())
        .await?)
}

pub async fn add_address(
    conn: &mut TenantConn,
    customer: Uuid,
    a: &AddressFields,
) -> Result<Address, StoreError> {
    clear_defaults(conn, customer, a.default_shipping, a.default_billing).await?;
    Ok(diesel::insert_into(customer_addresses::table)
        .values((
            customer_addresses::id.eq(bazaar_domain::ids::new_id()),
            customer_addresses::customer_id.eq(customer),
            a,
        ))
        .returning(Address::as_returning())
        .get_result(conn.pg())
        .await?)
}

pub async fn address(
    conn: &mut TenantConn,
    customer: Uuid,
    id: Uuid,
) -> Result<Address, StoreError> {
    Ok(customer_addresses::table
        .find(id)
        .filter(customer_addresses::customer_id.eq(customer))
        .select(Address::as_select())
        .get_result(conn.pg())
        .await?)
}

/// Replace an address's fields.
pub async fn update_address(
    conn: &mut TenantConn,
    customer: Uuid,
    id: Uuid,
    a: &AddressFields,
) -> Result<Address, StoreError> {
    address(conn, customer, id).await?;
    clear_defaults(conn, customer, a.default_shipping, a.default_billing).await?;
    Ok(diesel::update(
        customer_addresses::table
            .find(id)
            .filter(customer_addresses::customer_id.eq(customer)),
    )
    .set((a, customer_addresses::updated_at.eq(dsl::now)))
    .returning(Address::as_returning())
    .get_result(conn.pg())
    .await?)
}

pub async fn delete_address(
    conn: &mut TenantConn,
    customer: Uuid,
    id: Uuid,
) -> Result<(), StoreError> {
    let n = diesel::delete(
        customer_addresses::table
            .find(id)
            .filter(customer_addresses::customer_id.eq(customer)),
    )
    .execute(conn.pg())
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

// ------------------------------------------------------- age verification

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = age_verifications, check_for_backend(diesel::pg::Pg))]
pub struct AgeVerification {
    pub id: Uuid,
    pub date_of_birth: NaiveDate,
    pub method: String,
    pub reference: Option<String>,
    pub verified_at: DateTime<Utc>,
    pub verified_by: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

/// The verification in force, if any.
pub async fn current_verification(
    conn: &mut TenantConn,
    customer: Uuid,
) -> Result<Option<AgeVerification>, StoreError> {
    Ok(age_verifications::table
        .filter(age_verifications::customer_id.eq(customer))
        .filter(age_verifications::revoked_at.is_null())
        .select(AgeVerification::as_select())
        .get_result(conn.pg())
        .await
        .optional()?)
}

/// Every verification of the account, newest first (revoked ones too).
pub async fn verifications(
    conn: &mut TenantConn,
    customer: Uuid,
) -> Result<Vec<AgeVerification>, StoreError> {
    Ok(age_verifications::table
        .filter(age_verifications::customer_id.eq(customer))
        .order((
            age_verifications::verified_at.desc(),
            age_verifications::id.desc(),
        ))
        .select(AgeVerification::as_select())
        .load(conn.pg())
        .await?)
}

/// Revoke the verification in force (if any); returns whether one was.
pub async fn revoke_verification(
    conn: &mut TenantConn,
    customer: Uuid,
    by: &str,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        age_verifications::table
            .filter(age_verifications::customer_id.eq(customer))
            .filter(age_verifications::revoked_at.is_null()),
    )
    .set((
        age_verifications::revoked_at.eq(dsl::now),
        age_verifications::revoked_by.eq(by),
    ))
    .execute(conn.pg())
    .await?;
    Ok(n > 0)
}

/// Record a verification (replacing the one in force): the verified date
/// of birth becomes the account's.
pub async fn verify_age(
    conn: &mut TenantConn,
    customer: Uuid,
    date_of_birth: NaiveDate,
    method: &str,
    reference: Option<&str>,
    by: &str,
) -> Result<AgeVerification, StoreError> {
    revoke_verification(conn, customer, by).await?;
    diesel::update(customers::table.find(customer))
        .set((
            customers::date_of_birth.eq(date_of_birth),
            customers::updated_at.eq(dsl::now),
        ))
        .execute(conn.pg())
        .await?;
    let v: AgeVerification = diesel::insert_into(age_verifications::table)
        .values((
            age_verifications::id.eq(bazaar_domain::ids::new_id()),
            age_verifications::customer_id.eq(customer),
            age_verifications::date_of_birth.eq(date_of_birth),
            age_verifications::method.eq(method),
            age_verifications::reference.eq(reference),
            age_verifications::verified_by.eq(by),
        ))
        .returning(AgeVerification::as_returning())
        .get_result(conn.pg())
        .await?;
    outbox::publish(
        conn,
        "customer.age_verified",
        serde_json::json!({ "customer_id": customer, "verification_id": v.id, "method": method }),
    )
    .await?;
    Ok(v)
}

// ----------------------------------------------------------------- erasure

/// Erase an account: personal data gone (profile, addresses, age
/// verifications, wishlists, sessions, tokens, and the email in events),
/// open carts deleted and the others emptied of contact details, orders
/// kept with their personal fields cleared so the tenant's accounting stays
/// whole, unspent points forfeited. Returns the
/// ended sessions' hashes.
pub async fn erase(conn: &mut TenantConn, customer: Uuid) -> Result<Vec<Vec<u8>>, StoreError> {
    let sessions = close_sessions(conn, customer, None).await?;
    // Carts before the customer's row: a checkout locks its cart, then
    // stock, then the customer.
    //
    // Events already written name the customer; drop what identifies a
    // person (their email, and tokens mailed to it). Raw SQL: jsonb key
    // removal and uuid-to-text matching the DSL does not say as plainly.
    prepared(
        "UPDATE outbox SET payload = payload - 'email' - 'token' - 'contact_email' \
         WHERE payload ->> 'customer_id' = $1::text \
         OR payload ->> 'cart_id' IN (SELECT id::text FROM carts WHERE customer_id = $1)",
    )
    .bind::<SqlUuid, _>(customer)
    .execute(conn.pg())
    .await?;
    diesel::delete(
        carts::table
            .filter(carts::customer_id.eq(customer))
            .filter(carts::status.eq("open")),
    )
    .execute(conn.pg())
    .await?;
    diesel::update(carts::table.filter(carts::customer_id.eq(customer)))
        .set(carts::contact_email.eq(None::<String>))
        .execute(conn.pg())
        .await?;
    diesel::delete(customer_tokens::table.filter(customer_tokens::customer_id.eq(customer)))
        .execute(conn.pg())
        .await?;
    diesel::delete(customer_addresses::table.filter(customer_addresses::customer_id.eq(customer)))
        .execute(conn.pg())
        .await?;
    diesel::delete(wishlists::table.filter(wishlists::customer_id.eq(customer)))
        .execute(conn.pg())
        .await?;
    diesel::delete(age_verifications::table.filter(age_verifications::customer_id.eq(customer)))
        .execute(conn.pg())
        .await?;
    diesel::update(orders::table.filter(orders::customer_id.eq(customer)))
        .set(orders::contact_email.eq(None::<String>))
        .execute(conn.pg())
        .await?;
    crate::tenant::loyalty::forfeit(conn, customer).await?;
    diesel::update(customers::table.find(customer))
        .set((
            customers::email.eq(None::<String>),
            customers::password_hash.eq(None::<String>),
            customers::name.eq(None::<String>),
            customers::phone.eq(None::<String>),
            customers::date_of_birth.eq(None::<NaiveDate>),
            customers::email_verified_at.eq(None::<DateTime<Utc>>),
            customers::status.eq("deleted"),
            customers::deleted_at.eq(dsl::now),
            customers::updated_at.eq(dsl::now),
        ))
        .execute(conn.pg())
        .await?;
    outbox::publish(
        conn,
        "customer.deleted",
        serde_json::json!({ "customer_id": customer }),
    )
    .await?;
    Ok(sessions)
}

/// Withdraw every unused token of the account (its email changed: links
/// mailed to the old address must not work, nor verify the new one).
pub async fn revoke_tokens(conn: &mut TenantConn, customer: Uuid) -> Result<(), StoreError> {
    diesel::update(
        customer_tokens::table
            .filter(customer_tokens::customer_id.eq(customer))
            .filter(customer_tokens::used_at.is_null()),
    )
    .set(customer_tokens::used_at.eq(dsl::now))
    .execute(conn.pg())
    .await?;
    Ok(())
}

/// Forget sessions and tokens past their expiry.
pub async fn purge_expired(conn: &mut TenantConn, now: DateTime<Utc>) -> Result<(), StoreError> {
    diesel::delete(customer_sessions::table.filter(customer_sessions::expires_at.lt(now)))
        .execute(conn.pg())
        .await?;
    // Spent and expired tokens are kept a week (the server runs in UTC, so
    // these are the 7 days of `interval '7 days'`).
    diesel::delete(
        customer_tokens::table
            .filter(customer_tokens::expires_at.lt(now - chrono::Duration::days(7))),
    )
    .execute(conn.pg())
    .await?;
    Ok(())
}
