//! The tenant admin's side of customers: finding accounts, recording and
//! revoking age verifications, erasing an account on request, and the
//! tenant's customer settings (shared accounts, the loyalty rule). The
//! edge of `bazaar_commerce::customers::{admin, settings}`.

use bazaar_commerce::customers::admin::{self, AgeCheck};
use bazaar_commerce::customers::settings;
use bazaar_store::tenant::customers::Settings;
use chrono::NaiveDate;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Created, NoContent, Tag};
use crate::auth::ApiKey;
use crate::decimal::DecimalString;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::types::{AgeVerificationView, CustomerView};

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

impl From<admin::CustomerRecord> for CustomerRecord {
    fn from(r: admin::CustomerRecord) -> Self {
        Self {
            customer: r.customer.into(),
            age_verifications: r.age_verifications.into_iter().map(Into::into).collect(),
            loyalty_ledger_sum: r.loyalty_ledger_sum,
        }
    }
}

pub struct CustomerAdminApi {
    pub state: AppState,
}

#[OpenApi(tag = "Tag::Customers")]
impl CustomerAdminApi {
    /// Get a customer
    #[oai(
        path = "/v1/customers/:customer_id",
        method = "get",
        operation_id = "get_customer"
    )]
    async fn get(&self, auth: ApiKey, customer_id: Path<Uuid>) -> ApiResult<Json<CustomerRecord>> {
        let key = auth.0.tenant()?;
        let record = admin::record(&self.state, key, customer_id.0).await?;
        Ok(Json(record.into()))
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
        let key = auth.0.tenant()?;
        admin::erase(&self.state, key, customer_id.0).await?;
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
        let key = auth.0.tenant()?;
        let VerifyAge {
            date_of_birth,
            method,
            reference,
        } = body.0;
        let check = AgeCheck {
            date_of_birth,
            method,
            reference,
        };
        let v = admin::verify_age(&self.state, key, customer_id.0, check).await?;
        Ok(Created::Created(Json(v.into())))
    }

    /// Revoke the age verification
    #[oai(
        path = "/v1/customers/:customer_id/age-verification",
        method = "delete",
        operation_id = "revoke_customer_age_verification"
    )]
    async fn revoke(&self, auth: ApiKey, customer_id: Path<Uuid>) -> ApiResult<NoContent> {
        let key = auth.0.tenant()?;
        admin::revoke_age_verification(&self.state, key, customer_id.0).await?;
        Ok(NoContent::Done)
    }

    /// Customer settings
    #[oai(
        path = "/v1/customer-settings",
        method = "get",
        operation_id = "get_customer_settings"
    )]
    async fn settings(&self, auth: ApiKey) -> ApiResult<Json<CustomerSettingsView>> {
        let key = auth.0.tenant()?;
        let s = settings::get(&self.state, key).await?;
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
        let key = auth.0.tenant()?;
        let body = body.0;
        let new = Settings {
            account_scope: body.account_scope.as_str().to_owned(),
            loyalty_points_per_unit: body.loyalty_points_per_unit.0,
            loyalty_point_value: body.loyalty_point_value.0,
            loyalty_expiry_days: body.loyalty_expiry_days,
        };
        let saved = settings::update(&self.state, key, new).await?;
        Ok(Json(saved.into()))
    }
}
