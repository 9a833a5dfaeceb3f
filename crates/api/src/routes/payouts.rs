//! Marketplace money: `/v1/commission` (the tenant's cut), and each
//! vendor's `/balance` and `/payouts`. The edge of
//! `bazaar_commerce::payouts`.

use bazaar_commerce::payouts::{self, PayoutAsk};
use bazaar_store::tenant::money::{Balance, PayoutRow, Rates};
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Created, Tag, money};
use crate::auth::ApiKey;
use crate::decimal::DecimalString;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::timestamp::Timestamp;

/// A vendor's or a category's own rate.
#[derive(Debug, Object)]
pub struct VendorRate {
    pub vendor_id: Uuid,
    pub rate: String,
}

/// A category's rate: for its products and those of the categories below
/// it (the nearest category up the tree with a rate counts).
#[derive(Debug, Object)]
pub struct CategoryRate {
    pub category_id: Uuid,
    pub rate: String,
}

/// The marketplace's cut of each sale, as a share of the goods before
/// tax: each line at its vendor's rate, else its category's, else the
/// tenant's.
#[derive(Debug, Object)]
pub struct Commission {
    /// The tenant's rate, e.g. `0.15` for 15%.
    pub rate: String,
    /// Vendors with a rate of their own.
    pub vendors: Vec<VendorRate>,
    /// Categories with a rate of their own.
    pub categories: Vec<CategoryRate>,
}

impl From<Rates> for Commission {
    fn from(r: Rates) -> Self {
        let text = |rate: Decimal| rate.normalize().to_string();
        Self {
            rate: text(r.tenant),
            vendors: r
                .vendors
                .into_iter()
                .map(|(vendor_id, rate)| VendorRate {
                    vendor_id,
                    rate: text(rate),
                })
                .collect(),
            categories: r
                .categories
                .into_iter()
                .map(|(category_id, rate)| CategoryRate {
                    category_id,
                    rate: text(rate),
                })
                .collect(),
        }
    }
}

/// A rate to set: the tenant's (neither `vendor_id` nor `category_id`), a
/// vendor's or a category's (`rate` null removes it).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetCommission {
    pub vendor_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    /// A share from 0 to 1, at most 6 decimals.
    pub rate: Option<DecimalString>,
}

/// A vendor's money in one currency.
#[derive(Debug, Object)]
pub struct VendorBalance {
    pub currency: String,
    /// What its parts of paid orders cost the shoppers.
    pub sales: String,
    /// The marketplace's commission, net of what refunds gave back.
    pub commission: String,
    /// What refunds took back.
    pub refunds: String,
    pub payouts: String,
    /// What can be paid out: sales − commission − refunds − payouts
    /// (below zero when a refund came after a payout: owed by the vendor).
    pub available: String,
}

impl From<Balance> for VendorBalance {
    fn from(b: Balance) -> Self {
        let c = b.currency;
        Self {
            currency: c.code().to_owned(),
            sales: money(b.sales, c),
            commission: money(b.commission, c),
            refunds: money(b.refunds, c),
            payouts: money(b.payouts, c),
            available: money(b.available, c),
        }
    }
}

#[derive(Debug, Object)]
pub struct BalanceList {
    /// One per currency the vendor has sold in.
    pub items: Vec<VendorBalance>,
}

/// A payout to record: money the operator transfers to the vendor.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreatePayout {
    /// How much; without it, everything available.
    pub amount: Option<DecimalString>,
    /// ISO 4217.
    pub currency: String,
    /// The transfer's reference, for reconciliation with the bank.
    pub reference: Option<String>,
}

/// Money paid out to a vendor from its balance.
#[derive(Debug, Object)]
pub struct Payout {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub amount: String,
    pub currency: String,
    pub reference: Option<String>,
    pub created_at: Timestamp,
}

impl From<PayoutRow> for Payout {
    fn from(p: PayoutRow) -> Self {
        Self {
            id: p.id,
            vendor_id: p.vendor_id,
            amount: money(p.amount, p.currency),
            currency: p.currency.code().to_owned(),
            reference: p.reference,
            created_at: p.created_at.into(),
        }
    }
}

#[derive(Debug, Object)]
pub struct PayoutList {
    /// Newest first.
    pub items: Vec<Payout>,
}

pub struct PayoutsApi {
    pub state: AppState,
}

#[OpenApi(tag = "Tag::Money")]
impl PayoutsApi {
    /// Get the commission rates
    ///
    /// Tenant admin keys.
    #[oai(
        path = "/v1/commission",
        method = "get",
        operation_id = "get_commission"
    )]
    async fn commission(&self, auth: ApiKey) -> ApiResult<Json<Commission>> {
        let key = auth.0.tenant()?;
        Ok(Json(payouts::rates(&self.state, key).await?.into()))
    }

    /// Set a commission rate
    ///
    /// Tenant admin keys. The tenant's rate, a vendor's own or a
    /// category's; orders paid from now on are shared by them (a paid
    /// order keeps the rates it was sold at).
    #[oai(
        path = "/v1/commission",
        method = "put",
        operation_id = "set_commission"
    )]
    async fn set_commission(
        &self,
        auth: ApiKey,
        body: Json<SetCommission>,
    ) -> ApiResult<Json<Commission>> {
        let key = auth.0.tenant()?;
        let body = body.0;
        let set = payouts::set_rate(
            &self.state,
            key,
            body.vendor_id,
            body.category_id,
            body.rate.map(|r| r.0),
        )
        .await?;
        Ok(Json(set.into()))
    }

    /// Get a vendor's balance
    ///
    /// Tenant admin keys, and the vendor's own keys.
    #[oai(
        path = "/v1/vendors/:vendor_id/balance",
        method = "get",
        operation_id = "get_vendor_balance"
    )]
    async fn balance(&self, auth: ApiKey, vendor_id: Path<Uuid>) -> ApiResult<Json<BalanceList>> {
        let key = auth.0.tenant()?;
        let items = payouts::balances(&self.state, key, vendor_id.0).await?;
        Ok(Json(BalanceList {
            items: items.into_iter().map(VendorBalance::from).collect(),
        }))
    }

    /// Pay a vendor
    ///
    /// Tenant admin keys. Records a transfer made to the vendor from its
    /// balance (never more than is available). Requires `Idempotency-Key`:
    /// a retry answers the same payout.
    #[oai(
        path = "/v1/vendors/:vendor_id/payouts",
        method = "post",
        operation_id = "create_payout"
    )]
    async fn pay(
        &self,
        auth: ApiKey,
        vendor_id: Path<Uuid>,
        /// A unique key per payout (a UUID), 1-255 characters.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<CreatePayout>,
    ) -> ApiResult<Created<Payout>> {
        let key = auth.0.tenant()?;
        let body = body.0;
        let ask = PayoutAsk {
            amount: body.amount.map(|a| a.0),
            currency: body.currency,
            reference: body.reference,
        };
        let paid = payouts::pay_out(
            &self.state,
            key,
            vendor_id.0,
            ask,
            idempotency_key.0.as_deref(),
        )
        .await?;
        Ok(Created::Created(Json(paid.into())))
    }

    /// List a vendor's payouts
    ///
    /// Tenant admin keys, and the vendor's own keys; newest first.
    #[oai(
        path = "/v1/vendors/:vendor_id/payouts",
        method = "get",
        operation_id = "list_payouts"
    )]
    async fn list(&self, auth: ApiKey, vendor_id: Path<Uuid>) -> ApiResult<Json<PayoutList>> {
        let key = auth.0.tenant()?;
        let items = payouts::payouts(&self.state, key, vendor_id.0).await?;
        Ok(Json(PayoutList {
            items: items.into_iter().map(Payout::from).collect(),
        }))
    }
}
