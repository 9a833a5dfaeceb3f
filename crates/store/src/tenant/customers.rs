//! Storefront customers: accounts, their sessions and one-time tokens,
//! addresses, age verification records, the tenant's customer settings,
//! and erasure. Accounts live in a realm (see the migration): the brand's id
//! when the tenant keeps accounts per brand, [`SHARED_REALM`] when it shares
//! them, so "another brand's customer is invisible" is one equality.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{
    BigInt, Bool, Bytea, Date, Int4, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::secret;
use crate::tenant::outbox;
use crate::{StoreError, TenantConn};

/// The realm of every account when the tenant shares accounts across brands.
pub const SHARED_REALM: Uuid = Uuid::nil();

/// The tenant's customer settings.
#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct Settings {
    /// `brand` or `tenant`.
    #[diesel(sql_type = Text)]
    pub account_scope: String,
    #[diesel(sql_type = Numeric)]
    pub loyalty_points_per_unit: Decimal,
    #[diesel(sql_type = Numeric)]
    pub loyalty_point_value: Decimal,
    #[diesel(sql_type = Nullable<Int4>)]
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
    Ok(crate::prepared::prepared(
        "SELECT account_scope, loyalty_points_per_unit, loyalty_point_value, loyalty_expiry_days FROM customer_settings",
    )
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
        if new.account_scope == "tenant" {
            diesel::sql_query("UPDATE customers SET realm = $1, updated_at = now()")
                .bind::<SqlUuid, _>(SHARED_REALM)
                .execute(conn.pg())
                .await?;
        } else {
            diesel::sql_query("UPDATE customers SET realm = brand_id, updated_at = now()")
                .execute(conn.pg())
                .await?;
        }
    }
    Ok(diesel::sql_query(
        "UPDATE customer_settings SET account_scope = $1, loyalty_points_per_unit = $2, loyalty_point_value = $3, \
         loyalty_expiry_days = $4, updated_at = now() \
         RETURNING account_scope, loyalty_points_per_unit, loyalty_point_value, loyalty_expiry_days",
    )
    .bind::<Text, _>(&new.account_scope)
    .bind::<Numeric, _>(new.loyalty_points_per_unit)
    .bind::<Numeric, _>(new.loyalty_point_value)
    .bind::<Nullable<Int4>, _>(new.loyalty_expiry_days)
    .get_result(conn.pg())
    .await?)
}

/// An account as the API shows it.
#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct Customer {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub realm: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub brand_id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub phone: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub date_of_birth: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub email_verified_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = BigInt)]
    pub loyalty_balance: i64,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

macro_rules! customer_columns {
    () => {
        "id, realm, brand_id, email, name, phone, date_of_birth, email_verified_at, \
     status, loyalty_balance, created_at"
    };
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
    let customer: Customer = diesel::sql_query(concat!(
        "INSERT INTO customers (id, realm, brand_id, email, password_hash, name, date_of_birth) \
         VALUES ($1, $2, $3, lower($4), $5, $6, $7) RETURNING ",
        customer_columns!()
    ))
    .bind::<SqlUuid, _>(bazaar_domain::ids::new_id())
    .bind::<SqlUuid, _>(new.realm)
    .bind::<SqlUuid, _>(new.brand_id)
    .bind::<Text, _>(new.email)
    .bind::<Text, _>(new.password_hash)
    .bind::<Nullable<Text>, _>(new.name)
    .bind::<Nullable<Date>, _>(new.date_of_birth)
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
    use diesel::QueryableByName;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(embed)]
        customer: Customer,
        #[diesel(sql_type = Text)]
        password_hash: String,
    }
    let row: Option<Row> = diesel::sql_query(concat!(
        "SELECT ", customer_columns!(), ", password_hash FROM customers \
         WHERE realm = $1 AND lower(email) = lower($2) AND status = 'active' AND password_hash IS NOT NULL"
    ))
    .bind::<SqlUuid, _>(realm)
    .bind::<Text, _>(email)
    .get_result(conn.pg())
    .await
    .map(Some)
    .or_else(not_found_is_none)?;
    Ok(row.map(|r| (r.customer, r.password_hash)))
}

fn not_found_is_none<T>(e: diesel::result::Error) -> Result<Option<T>, StoreError> {
    match e {
        diesel::result::Error::NotFound => Ok(None),
        other => Err(other.into()),
    }
}

/// An active account, in `realm` when one is given (storefronts), in any
/// realm otherwise (tenant admins).
pub async fn get(
    conn: &mut TenantConn,
    id: Uuid,
    realm: Option<Uuid>,
) -> Result<Customer, StoreError> {
    Ok(diesel::sql_query(concat!(
        "SELECT ",
        customer_columns!(),
        " FROM customers WHERE id = $1 AND status = 'active' \
         AND ($2::uuid IS NULL OR realm = $2)"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Nullable<SqlUuid>, _>(realm)
    .get_result(conn.pg())
    .await?)
}

/// The account's password hash.
pub async fn password_hash(conn: &mut TenantConn, id: Uuid) -> Result<Option<String>, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<Text>)]
        password_hash: Option<String>,
    }
    let row: Row = diesel::sql_query("SELECT password_hash FROM customers WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .get_result(conn.pg())
        .await?;
    Ok(row.password_hash)
}

/// Accounts for the tenant's admins, newest last, optionally one email.
pub async fn list(
    conn: &mut TenantConn,
    email: Option<&str>,
    page: crate::page::PageRequest,
) -> Result<crate::Page<Customer>, StoreError> {
    let rows: Vec<Customer> = diesel::sql_query(concat!(
        "SELECT ",
        customer_columns!(),
        " FROM customers WHERE status = 'active' \
         AND ($1::text IS NULL OR lower(email) = lower($1)) AND ($2::uuid IS NULL OR id > $2) \
         ORDER BY id LIMIT $3"
    ))
    .bind::<Nullable<Text>, _>(email)
    .bind::<Nullable<SqlUuid>, _>(page.after)
    .bind::<BigInt, _>(page.limit + 1)
    .load(conn.pg())
    .await?;
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
    Ok(diesel::sql_query(concat!(
        "UPDATE customers SET \
         name = CASE WHEN $2 THEN $3 ELSE name END, \
         phone = CASE WHEN $4 THEN $5 ELSE phone END, \
         date_of_birth = CASE WHEN $6 THEN $7 ELSE date_of_birth END, \
         email_verified_at = CASE WHEN $8::text IS NOT NULL AND lower($8) <> email THEN NULL ELSE email_verified_at END, \
         email = COALESCE(lower($8), email), \
         updated_at = now() \
         WHERE id = $1 AND status = 'active' RETURNING ", customer_columns!()
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Bool, _>(changes.name.is_some())
    .bind::<Nullable<Text>, _>(changes.name.flatten())
    .bind::<Bool, _>(changes.phone.is_some())
    .bind::<Nullable<Text>, _>(changes.phone.flatten())
    .bind::<Bool, _>(changes.date_of_birth.is_some())
    .bind::<Nullable<Date>, _>(changes.date_of_birth.flatten())
    .bind::<Nullable<Text>, _>(changes.email)
    .get_result(conn.pg())
    .await?)
}

pub async fn set_password(
    conn: &mut TenantConn,
    id: Uuid,
    password_hash: &str,
) -> Result<(), StoreError> {
    diesel::sql_query(
        "UPDATE customers SET password_hash = $2, updated_at = now() WHERE id = $1 AND status = 'active'",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(password_hash)
    .execute(conn.pg())
    .await?;
    Ok(())
}

pub async fn mark_email_verified(conn: &mut TenantConn, id: Uuid) -> Result<(), StoreError> {
    diesel::sql_query(
        "UPDATE customers SET email_verified_at = COALESCE(email_verified_at, now()), updated_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .execute(conn.pg())
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- sessions

/// A live session: whose, and until when.
#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct Session {
    #[diesel(sql_type = SqlUuid)]
    pub customer_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub realm: Uuid,
    #[diesel(sql_type = Timestamptz)]
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
    diesel::sql_query(
        "INSERT INTO customer_sessions (token_hash, customer_id, brand_id, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind::<Bytea, _>(secret::hash(&token))
    .bind::<SqlUuid, _>(customer)
    .bind::<SqlUuid, _>(brand)
    .bind::<Timestamptz, _>(expires_at)
    .execute(conn.pg())
    .await?;
    Ok(token)
}

/// The live session with this token hash, if any.
pub async fn session(
    conn: &mut TenantConn,
    token_hash: &[u8],
) -> Result<Option<Session>, StoreError> {
    diesel::sql_query(
        "SELECT s.customer_id, c.realm, s.expires_at FROM customer_sessions s \
         JOIN customers c ON c.id = s.customer_id \
         WHERE s.token_hash = $1 AND s.expires_at > now() AND c.status = 'active'",
    )
    .bind::<Bytea, _>(token_hash)
    .get_result(conn.pg())
    .await
    .map(Some)
    .or_else(not_found_is_none)
}

/// End one session (logging out); ending an ended one is not an error.
pub async fn close_session(conn: &mut TenantConn, token_hash: &[u8]) -> Result<(), StoreError> {
    diesel::sql_query("DELETE FROM customer_sessions WHERE token_hash = $1")
        .bind::<Bytea, _>(token_hash)
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
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Bytea)]
        token_hash: Vec<u8>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "DELETE FROM customer_sessions WHERE customer_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2) \
         RETURNING token_hash",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Nullable<Bytea>, _>(keep)
    .load(conn.pg())
    .await?;
    Ok(rows.into_iter().map(|r| r.token_hash).collect())
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
    diesel::sql_query(
        "UPDATE customer_tokens SET used_at = now() WHERE customer_id = $1 AND purpose = $2 AND used_at IS NULL",
    )
    .bind::<SqlUuid, _>(customer.id)
    .bind::<Text, _>(purpose.as_str())
    .execute(conn.pg())
    .await?;
    let token = secret::generate(match purpose {
        Purpose::VerifyEmail => "ev_",
        Purpose::ResetPassword => "pr_",
    });
    diesel::sql_query(
        "INSERT INTO customer_tokens (token_hash, customer_id, purpose, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind::<Bytea, _>(secret::hash(&token))
    .bind::<SqlUuid, _>(customer.id)
    .bind::<Text, _>(purpose.as_str())
    .bind::<Timestamptz, _>(expires_at)
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
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        customer_id: Uuid,
    }
    let row: Option<Row> = diesel::sql_query(
        "UPDATE customer_tokens t SET used_at = now() FROM customers c \
         WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > now() \
         AND c.id = t.customer_id AND c.status = 'active' RETURNING t.customer_id",
    )
    .bind::<Bytea, _>(secret::hash(token))
    .bind::<Text, _>(purpose.as_str())
    .get_result(conn.pg())
    .await
    .map(Some)
    .or_else(not_found_is_none)?;
    Ok(row.map(|r| r.customer_id))
}

// -------------------------------------------------------------- addresses

#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct Address {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub line1: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub line2: Option<String>,
    #[diesel(sql_type = Text)]
    pub city: String,
    #[diesel(sql_type = Text)]
    pub postal_code: String,
    #[diesel(sql_type = Text)]
    pub region: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub phone: Option<String>,
    #[diesel(sql_type = Bool)]
    pub default_shipping: bool,
    #[diesel(sql_type = Bool)]
    pub default_billing: bool,
}

macro_rules! address_columns {
    () => {
        "id, name, line1, line2, city, postal_code, region, phone, default_shipping, default_billing"
    };
}

/// An address's fields (validated by the caller).
#[derive(Debug, Clone)]
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
    diesel::sql_query(
        "UPDATE customer_addresses SET default_shipping = default_shipping AND NOT $2, \
         default_billing = default_billing AND NOT $3 WHERE customer_id = $1 AND (($2 AND default_shipping) OR ($3 AND default_billing))",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Bool, _>(shipping)
    .bind::<Bool, _>(billing)
    .execute(conn.pg())
    .await?;
    Ok(())
}

pub async fn addresses(conn: &mut TenantConn, customer: Uuid) -> Result<Vec<Address>, StoreError> {
    Ok(diesel::sql_query(concat!(
        "SELECT ",
        address_columns!(),
        " FROM customer_addresses WHERE customer_id = $1 ORDER BY id"
    ))
    .bind::<SqlUuid, _>(customer)
    .load(conn.pg())
    .await?)
}

pub async fn add_address(
    conn: &mut TenantConn,
    customer: Uuid,
    a: &AddressFields,
) -> Result<Address, StoreError> {
    clear_defaults(conn, customer, a.default_shipping, a.default_billing).await?;
    Ok(diesel::sql_query(concat!(
        "INSERT INTO customer_addresses (id, customer_id, name, line1, line2, city, postal_code, region, phone, \
         default_shipping, default_billing) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ", address_columns!()
    ))
    .bind::<SqlUuid, _>(bazaar_domain::ids::new_id())
    .bind::<SqlUuid, _>(customer)
    .bind::<Text, _>(&a.name)
    .bind::<Text, _>(&a.line1)
    .bind::<Nullable<Text>, _>(a.line2.as_deref())
    .bind::<Text, _>(&a.city)
    .bind::<Text, _>(&a.postal_code)
    .bind::<Text, _>(&a.region)
    .bind::<Nullable<Text>, _>(a.phone.as_deref())
    .bind::<Bool, _>(a.default_shipping)
    .bind::<Bool, _>(a.default_billing)
    .get_result(conn.pg())
    .await?)
}

pub async fn address(
    conn: &mut TenantConn,
    customer: Uuid,
    id: Uuid,
) -> Result<Address, StoreError> {
    Ok(diesel::sql_query(concat!(
        "SELECT ",
        address_columns!(),
        " FROM customer_addresses WHERE id = $1 AND customer_id = $2"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(customer)
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
    Ok(diesel::sql_query(concat!(
        "UPDATE customer_addresses SET name = $3, line1 = $4, line2 = $5, city = $6, postal_code = $7, region = $8, \
         phone = $9, default_shipping = $10, default_billing = $11, updated_at = now() \
         WHERE id = $1 AND customer_id = $2 RETURNING ", address_columns!()
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(customer)
    .bind::<Text, _>(&a.name)
    .bind::<Text, _>(&a.line1)
    .bind::<Nullable<Text>, _>(a.line2.as_deref())
    .bind::<Text, _>(&a.city)
    .bind::<Text, _>(&a.postal_code)
    .bind::<Text, _>(&a.region)
    .bind::<Nullable<Text>, _>(a.phone.as_deref())
    .bind::<Bool, _>(a.default_shipping)
    .bind::<Bool, _>(a.default_billing)
    .get_result(conn.pg())
    .await?)
}

pub async fn delete_address(
    conn: &mut TenantConn,
    customer: Uuid,
    id: Uuid,
) -> Result<(), StoreError> {
    let n = diesel::sql_query("DELETE FROM customer_addresses WHERE id = $1 AND customer_id = $2")
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(customer)
        .execute(conn.pg())
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

// ------------------------------------------------------- age verification

#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct AgeVerification {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Date)]
    pub date_of_birth: NaiveDate,
    #[diesel(sql_type = Text)]
    pub method: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub reference: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub verified_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub verified_by: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub revoked_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub revoked_by: Option<String>,
}

macro_rules! verification_columns {
    () => {
        "id, date_of_birth, method, reference, verified_at, verified_by, revoked_at, revoked_by"
    };
}

/// The verification in force, if any.
pub async fn current_verification(
    conn: &mut TenantConn,
    customer: Uuid,
) -> Result<Option<AgeVerification>, StoreError> {
    diesel::sql_query(concat!(
        "SELECT ",
        verification_columns!(),
        " FROM age_verifications WHERE customer_id = $1 AND revoked_at IS NULL"
    ))
    .bind::<SqlUuid, _>(customer)
    .get_result(conn.pg())
    .await
    .map(Some)
    .or_else(not_found_is_none)
}

/// Every verification of the account, newest first (revoked ones too).
pub async fn verifications(
    conn: &mut TenantConn,
    customer: Uuid,
) -> Result<Vec<AgeVerification>, StoreError> {
    Ok(diesel::sql_query(concat!(
        "SELECT ",
        verification_columns!(),
        " FROM age_verifications WHERE customer_id = $1 ORDER BY verified_at DESC, id DESC"
    ))
    .bind::<SqlUuid, _>(customer)
    .load(conn.pg())
    .await?)
}

/// Revoke the verification in force (if any); returns whether one was.
pub async fn revoke_verification(
    conn: &mut TenantConn,
    customer: Uuid,
    by: &str,
) -> Result<bool, StoreError> {
    let n = diesel::sql_query(
        "UPDATE age_verifications SET revoked_at = now(), revoked_by = $2 WHERE customer_id = $1 AND revoked_at IS NULL",
    )
    .bind::<SqlUuid, _>(customer)
    .bind::<Text, _>(by)
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
    diesel::sql_query("UPDATE customers SET date_of_birth = $2, updated_at = now() WHERE id = $1")
        .bind::<SqlUuid, _>(customer)
        .bind::<Date, _>(date_of_birth)
        .execute(conn.pg())
        .await?;
    let v: AgeVerification = diesel::sql_query(concat!(
        "INSERT INTO age_verifications (id, customer_id, date_of_birth, method, reference, verified_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ", verification_columns!()
    ))
    .bind::<SqlUuid, _>(bazaar_domain::ids::new_id())
    .bind::<SqlUuid, _>(customer)
    .bind::<Date, _>(date_of_birth)
    .bind::<Text, _>(method)
    .bind::<Nullable<Text>, _>(reference)
    .bind::<Text, _>(by)
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
    for statement in [
        // Events already written name the customer; drop what identifies
        // a person (their email, and tokens mailed to it).
        "UPDATE outbox SET payload = payload - 'email' - 'token' - 'contact_email' \
         WHERE payload ->> 'customer_id' = $1::text \
         OR payload ->> 'cart_id' IN (SELECT id::text FROM carts WHERE customer_id = $1)",
        "DELETE FROM carts WHERE customer_id = $1 AND status = 'open'",
        "UPDATE carts SET contact_email = NULL WHERE customer_id = $1",
        "DELETE FROM customer_tokens WHERE customer_id = $1",
        "DELETE FROM customer_addresses WHERE customer_id = $1",
        "DELETE FROM wishlists WHERE customer_id = $1",
        "DELETE FROM age_verifications WHERE customer_id = $1",
        "UPDATE orders SET contact_email = NULL WHERE customer_id = $1",
    ] {
        diesel::sql_query(statement)
            .bind::<SqlUuid, _>(customer)
            .execute(conn.pg())
            .await?;
    }
    crate::tenant::loyalty::forfeit(conn, customer).await?;
    diesel::sql_query(
        "UPDATE customers SET email = NULL, password_hash = NULL, name = NULL, phone = NULL, date_of_birth = NULL, \
         email_verified_at = NULL, status = 'deleted', deleted_at = now(), updated_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(customer)
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
    diesel::sql_query(
        "UPDATE customer_tokens SET used_at = now() WHERE customer_id = $1 AND used_at IS NULL",
    )
    .bind::<SqlUuid, _>(customer)
    .execute(conn.pg())
    .await?;
    Ok(())
}

/// Forget sessions and tokens past their expiry.
pub async fn purge_expired(conn: &mut TenantConn, now: DateTime<Utc>) -> Result<(), StoreError> {
    diesel::sql_query("DELETE FROM customer_sessions WHERE expires_at < $1")
        .bind::<Timestamptz, _>(now)
        .execute(conn.pg())
        .await?;
    diesel::sql_query("DELETE FROM customer_tokens WHERE expires_at < $1 - interval '7 days'")
        .bind::<Timestamptz, _>(now)
        .execute(conn.pg())
        .await?;
    Ok(())
}
