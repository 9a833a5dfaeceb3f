//! The tenant admin's side of customers: finding accounts, recording and
//! revoking age verifications, erasing an account on request, and the
//! tenant's customer settings (shared accounts, the loyalty rule).

use bazaar_store::StoreError;
use bazaar_store::tenant::customers::{self as store, Settings};
use bazaar_store::tenant::loyalty;
use chrono::NaiveDate;
use futures_util::FutureExt;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::customers::{AgeVerificationView, CustomerView, erase};
use super::{Created, NoContent, Tag, page_of, page_request};
use crate::auth::{ApiKey, TenantKey};
use crate::decimal::DecimalString;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

page_of!(CustomerPage, CustomerView);

/// An account as the tenant's admins see it.
#[derive(Debug, Object)]
pub struct CustomerRecord {
    #[oai(flatten)]
    pub customer: CustomerView,
    /// Every age verification, newest first (revoked ones too).
    pub age_verifications: Vec<AgeVerificationView>,
    /// The balance as the ledger sums it (always equal to `loyalty_points`).
    pub loyalty_ledger_sum: i64,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct VerifyAge {
    /// The date of birth as checked; it becomes the account's.
    pub date_of_birth: NaiveDate,
    /// How it was checked, e.g. `id_document`, `credit_bureau`, `in_person`.
    pub method: String,
    /// The checker's reference (a document or report number).
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AccountScope {
    /// Each brand has its own accounts (the default).
    Brand,
    /// One account signs in to every brand of the tenant.
    Tenant,
}

impl AccountScope {
    fn as_str(self) -> &'static str {
        match self {
            Self::Brand => "brand",
            Self::Tenant => "tenant",
        }
    }
}

#[derive(Debug, Object)]
pub struct CustomerSettingsView {
    pub account_scope: AccountScope,
    /// Points earned per unit of currency of a paid order's goods (before
    /// tax, after points redeemed on it); `"0"` turns earning off.
    pub loyalty_points_per_unit: String,
    /// What one point takes off an order, in the order's currency.
    pub loyalty_point_value: String,
    /// Earned points expire after this many days; absent: never.
    pub loyalty_expiry_days: Option<i32>,
}

impl From<Settings> for CustomerSettingsView {
    fn from(s: Settings) -> Self {
        Self {
            account_scope: if s.account_scope == "tenant" {
                AccountScope::Tenant
            } else {
                AccountScope::Brand
            },
            loyalty_points_per_unit: s.loyalty_points_per_unit.normalize().to_string(),
            loyalty_point_value: s.loyalty_point_value.normalize().to_string(),
            loyalty_expiry_days: s.loyalty_expiry_days,
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CustomerSettingsInput {
    pub account_scope: AccountScope,
    /// 0 to 10000.
    pub loyalty_points_per_unit: DecimalString,
    /// More than 0, at most 1000000.
    pub loyalty_point_value: DecimalString,
    /// 1 to 3650; absent: points never expire.
    #[oai(validator(minimum(value = "1"), maximum(value = "3650")))]
    pub loyalty_expiry_days: Option<i32>,
}

pub struct CustomerAdminApi {
    pub state: AppState,
}

fn admin(auth: &ApiKey) -> ApiResult<&TenantKey> {
    let key = auth.0.tenant()?;
    key.admin()?;
    Ok(key)
}

/// Who did it, for the audit trail: the admin key.
fn actor(key: &TenantKey) -> String {
    format!("key:{}", key.key_id)
}

#[OpenApi(tag = "Tag::Customers")]
impl CustomerAdminApi {
    /// List customers
    ///
    /// Tenant admin keys; optionally the account with one email.
    #[oai(
        path = "/v1/customers",
        method = "get",
        operation_id = "list_customers"
    )]
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
        let key = admin(&auth)?;
        let page = page_request(limit.0, cursor.0);
        let email = email.0;
        let rows = self
            .state
            .db
            .tenant_read(&key.schema, move |conn| {
                async move { store::list(conn, email.as_deref(), page).await }.boxed()
            })
            .await?;
        Ok(Json(rows.map(CustomerView::from).into()))
    }

    /// Get a customer
    #[oai(
        path = "/v1/customers/:customer_id",
        method = "get",
        operation_id = "get_customer"
    )]
    async fn get(&self, auth: ApiKey, customer_id: Path<Uuid>) -> ApiResult<Json<CustomerRecord>> {
        let key = admin(&auth)?;
        Ok(Json(self.record(key, customer_id.0).await?))
    }

    /// Erase a customer
    ///
    /// As the shopper's own deletion: personal data erased, orders kept
    /// anonymised, sessions ended.
    #[oai(
        path = "/v1/customers/:customer_id",
        method = "delete",
        operation_id = "erase_customer"
    )]
    async fn erase(&self, auth: ApiKey, customer_id: Path<Uuid>) -> ApiResult<NoContent> {
        let key = admin(&auth)?;
        erase(&self.state, key, customer_id.0).await?;
        Ok(NoContent::Done)
    }

    /// Record an age verification
    ///
    /// Replaces the verification in force; the verified date of birth
    /// becomes the account's. Checkout accepts age-restricted carts from
    /// the account while the customer is old enough for the region.
    #[oai(
        path = "/v1/customers/:customer_id/age-verification",
        method = "post",
        operation_id = "verify_customer_age"
    )]
    async fn verify(
        &self,
        auth: ApiKey,
        customer_id: Path<Uuid>,
        body: Json<VerifyAge>,
    ) -> ApiResult<Created<AgeVerificationView>> {
        let key = admin(&auth)?;
        let VerifyAge {
            date_of_birth,
            method,
            reference,
        } = body.0;
        let method = method.trim().to_owned();
        if method.is_empty() || method.len() > 64 {
            return Err(ApiError::unprocessable(
                "invalid_method",
                "`method` needs 1 to 64 characters, e.g. `id_document`",
            ));
        }
        if reference.as_ref().is_some_and(|r| r.len() > 200) {
            return Err(ApiError::unprocessable(
                "invalid_reference",
                "`reference` is at most 200 characters",
            ));
        }
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(date_of_birth);
        if date_of_birth >= chrono::Utc::now().date_naive() || date_of_birth < earliest {
            return Err(ApiError::unprocessable(
                "invalid_date_of_birth",
                "`date_of_birth` must be a past date after 1900",
            ));
        }
        let (id, by) = (customer_id.0, actor(key));
        let v = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    store::get(conn, id, None).await?;
                    store::verify_age(conn, id, date_of_birth, &method, reference.as_deref(), &by)
                        .await
                }
                .boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "customer"))?;
        Ok(Created::Created(Json(v.into())))
    }

    /// Revoke the age verification
    #[oai(
        path = "/v1/customers/:customer_id/age-verification",
        method = "delete",
        operation_id = "revoke_customer_age_verification"
    )]
    async fn revoke(&self, auth: ApiKey, customer_id: Path<Uuid>) -> ApiResult<NoContent> {
        let key = admin(&auth)?;
        let (id, by) = (customer_id.0, actor(key));
        let revoked = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move {
                    store::get(conn, id, None).await?;
                    store::revoke_verification(conn, id, &by).await
                }
                .boxed()
            })
            .await
            .map_err(|e| ApiError::from_store(e, "customer"))?;
        if !revoked {
            return Err(ApiError::not_found(
                "age_verification_not_found",
                "this customer has no age verification in force",
            ));
        }
        Ok(NoContent::Done)
    }

    /// Customer settings
    #[oai(
        path = "/v1/customer-settings",
        method = "get",
        operation_id = "get_customer_settings"
    )]
    async fn settings(&self, auth: ApiKey) -> ApiResult<Json<CustomerSettingsView>> {
        let key = admin(&auth)?;
        let s = self
            .state
            .db
            .tenant_read(&key.schema, |conn| store::settings(conn).boxed())
            .await?;
        Ok(Json(s.into()))
    }

    /// Change the customer settings
    ///
    /// Sharing accounts across brands fails with 409 `accounts_conflict`
    /// while two brands have accounts with the same email.
    #[oai(
        path = "/v1/customer-settings",
        method = "put",
        operation_id = "update_customer_settings"
    )]
    async fn update_settings(
        &self,
        auth: ApiKey,
        body: Json<CustomerSettingsInput>,
    ) -> ApiResult<Json<CustomerSettingsView>> {
        let key = admin(&auth)?;
        let body = body.0;
        let (per_unit, value) = (body.loyalty_points_per_unit.0, body.loyalty_point_value.0);
        if per_unit.scale() > 4 || value.scale() > 4 {
            return Err(ApiError::unprocessable(
                "invalid_loyalty_rule",
                "loyalty rates have at most 4 decimal places",
            ));
        }
        if per_unit < Decimal::ZERO || per_unit > Decimal::from(10_000) {
            return Err(ApiError::unprocessable(
                "invalid_loyalty_rule",
                "`loyalty_points_per_unit` must be between 0 and 10000",
            ));
        }
        if value <= Decimal::ZERO || value > Decimal::from(1_000_000) {
            return Err(ApiError::unprocessable(
                "invalid_loyalty_rule",
                "`loyalty_point_value` must be more than 0 (and at most 1000000)",
            ));
        }
        let new = Settings {
            account_scope: body.account_scope.as_str().to_owned(),
            loyalty_points_per_unit: per_unit,
            loyalty_point_value: value,
            loyalty_expiry_days: body.loyalty_expiry_days,
        };
        let saved = self
            .state
            .db
            .tenant_tx(&key.schema, move |conn| {
                async move { store::update_settings(conn, &new).await }.boxed()
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ApiError::conflict(
                    "accounts_conflict",
                    "two brands have accounts with the same email, so accounts cannot be shared \
                     yet; erase or change one of each pair first",
                ),
                other => other.into(),
            })?;
        Ok(Json(saved.into()))
    }
}

impl CustomerAdminApi {
    async fn record(&self, key: &TenantKey, id: Uuid) -> ApiResult<CustomerRecord> {
        let (customer, verifications, (_, ledger)) = self
            .state
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
            .map_err(|e| ApiError::from_store(e, "customer"))?;
        Ok(CustomerRecord {
            customer: customer.into(),
            age_verifications: verifications.into_iter().map(Into::into).collect(),
            loyalty_ledger_sum: ledger,
        })
    }
}
