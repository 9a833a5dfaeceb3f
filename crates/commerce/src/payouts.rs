//! Marketplace money as the tenant and its vendors see it: the commission
//! rates, each vendor's balance (sales, commission, refunds, payouts) and
//! paying a vendor from it. The ledger itself is written by the store, in
//! the transactions that pay and refund orders (`bazaar_store::tenant::money`).

use bazaar_domain::{Currency, DomainError, Money, Scope};
use bazaar_store::db::TxFuture;
use bazaar_store::tenant::money::{
    self, Balance, NewPayout, PayoutRow, PayoutShort, RateOf, Rates,
};
use bazaar_store::tenant::{categories, vendors};
use bazaar_store::{StoreError, TenantConn};
use futures_util::FutureExt;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::context::AccessRefusal;
use crate::{Outcome, Services, TenantKey, refusals, request_keys};

refusals! {
    /// Why a commission rate, a balance or a payout was refused.
    pub enum PayoutRefusal {
        Access(AccessRefusal) => delegate;
        Value(DomainError) => delegate;
        VendorNotFound => NotFound, "vendor_not_found", "no vendor with that id is visible to this key";
        UnknownVendor => Unprocessable, "unknown_vendor", "no vendor with that `vendor_id` in this tenant";
        UnknownCategory => Unprocessable, "unknown_category", "no category with that `category_id` in this tenant";
        TwoTargets => Unprocessable, "commission_rate_target",
            "a rate is the tenant's, one vendor's or one category's: send `vendor_id` or `category_id`, not both";
        InvalidRate => Unprocessable, "invalid_commission_rate",
            "a commission rate is a share from 0 to 1 with at most 6 decimals (`0.15` is 15%)";
        TenantRateRequired => Unprocessable, "commission_rate_required",
            "the tenant's rate cannot be removed; set it to `0` for no commission";
        IdempotencyKeyRequired => Invalid, "idempotency_key_required",
            "send a unique `Idempotency-Key` header (e.g. a UUID) with every payout";
        IdempotencyKeyReused => Unprocessable, "idempotency_key_reused",
            "this Idempotency-Key was used with a different request; use a new key";
        NotPositive => Unprocessable, "invalid_payout_amount", "a payout pays more than zero";
        OverBalance { asked: String, available: String } => Conflict, "payout_exceeds_balance",
            "{available} is available to pay out; {asked} asked";
        NothingToPay { currency: String } => Conflict, "nothing_to_pay_out",
            "the vendor has no {currency} balance to pay out";
    }
}

/// The commission rates: the tenant's, the vendors' and the categories'.
pub async fn rates(services: &Services, key: &TenantKey) -> Outcome<Rates, PayoutRefusal> {
    key.admin()?;
    Ok(services
        .db
        .tenant_read(&key.schema, |conn| money::rates(conn).boxed())
        .await?)
}

/// Set the tenant's rate (neither vendor nor category), a vendor's or a
/// category's (`rate` None removes a vendor's or a category's). Orders
/// paid from now on are shared by it: each line at its vendor's rate,
/// else its category's (the nearest up the tree), else the tenant's.
pub async fn set_rate(
    services: &Services,
    key: &TenantKey,
    vendor: Option<Uuid>,
    category: Option<Uuid>,
    rate: Option<Decimal>,
) -> Outcome<Rates, PayoutRefusal> {
    key.admin()?;
    if let Some(rate) = rate
        && (rate < Decimal::ZERO || rate > Decimal::ONE || rate.normalize().scale() > 6)
    {
        return Err(PayoutRefusal::InvalidRate.into());
    }
    let of = match (vendor, category) {
        (Some(_), Some(_)) => return Err(PayoutRefusal::TwoTargets.into()),
        (Some(v), None) => RateOf::Vendor(v),
        (None, Some(c)) => RateOf::Category(c),
        (None, None) if rate.is_none() => return Err(PayoutRefusal::TenantRateRequired.into()),
        (None, None) => RateOf::Tenant,
    };
    let set = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let exists = match of {
                    RateOf::Vendor(v) => vendors::get(conn, v).await.map(|_| ()),
                    RateOf::Category(c) => categories::get(conn, c).await.map(|_| ()),
                    RateOf::Tenant => Ok(()),
                };
                match (exists, of) {
                    (Ok(()), _) => {}
                    (Err(StoreError::NotFound), RateOf::Category(_)) => {
                        return Ok(Err(PayoutRefusal::UnknownCategory));
                    }
                    (Err(StoreError::NotFound), _) => return Ok(Err(PayoutRefusal::UnknownVendor)),
                    (Err(e), _) => return Err(e),
                }
                money::set_rate(conn, of, rate).await?;
                money::rates(conn).await.map(Ok)
            }
            .boxed()
        })
        .await??;
    Ok(set)
}

/// Whether `key` may see `vendor`'s money: tenant admins, and the vendor's
/// own keys (another vendor's is 404, as for every vendor object).
fn may_see(key: &TenantKey, vendor: Uuid) -> Result<(), PayoutRefusal> {
    key.require(&[Scope::TenantAdmin, Scope::Vendor])?;
    match key.vendor_id {
        Some(own) if own != vendor => Err(PayoutRefusal::VendorNotFound),
        _ => Ok(()),
    }
}

/// A vendor's balances, one per currency it sold in.
pub async fn balances(
    services: &Services,
    key: &TenantKey,
    vendor: Uuid,
) -> Outcome<Vec<Balance>, PayoutRefusal> {
    read_vendor(services, key, vendor, move |conn| {
        money::balances(conn, vendor).boxed()
    })
    .await
}

/// A vendor's payouts, newest first.
pub async fn payouts(
    services: &Services,
    key: &TenantKey,
    vendor: Uuid,
) -> Outcome<Vec<PayoutRow>, PayoutRefusal> {
    read_vendor(services, key, vendor, move |conn| {
        money::payouts_of(conn, vendor).boxed()
    })
    .await
}

/// Read something of `vendor`'s money, for a key that may see it; an
/// unknown vendor is 404.
async fn read_vendor<T, F>(
    services: &Services,
    key: &TenantKey,
    vendor: Uuid,
    read: F,
) -> Outcome<T, PayoutRefusal>
where
    T: Send + 'static,
    F: for<'r> FnOnce(&'r mut TenantConn) -> TxFuture<'r, T> + Send + 'static,
{
    may_see(key, vendor)?;
    let found = services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                vendors::get(conn, vendor).await?;
                read(conn).await
            }
            .boxed()
        })
        .await;
    match found {
        Err(StoreError::NotFound) => Err(PayoutRefusal::VendorNotFound.into()),
        other => Ok(other?),
    }
}

/// A payout to record.
#[derive(Debug, Clone)]
pub struct PayoutAsk {
    /// `None`: everything available.
    pub amount: Option<Decimal>,
    pub currency: String,
    /// The transfer's reference, as the operator made it.
    pub reference: Option<String>,
}

/// Pay a vendor from its balance (a transfer the operator makes outside
/// Bazaar; this records it). A retry with the same `Idempotency-Key`
/// answers the same payout.
pub async fn pay_out(
    services: &Services,
    key: &TenantKey,
    vendor: Uuid,
    ask: PayoutAsk,
    idempotency_key: Option<&str>,
) -> Outcome<PayoutRow, PayoutRefusal> {
    key.admin()?;
    let idempotency_key =
        request_keys::usable(idempotency_key).ok_or(PayoutRefusal::IdempotencyKeyRequired)?;
    let currency = Currency::parse(&ask.currency)?;
    let amount = match ask.amount {
        Some(amount) if amount <= Decimal::ZERO => return Err(PayoutRefusal::NotPositive.into()),
        Some(amount) => Some(Money::exact(amount, currency)?.amount()),
        None => None,
    };
    let new = NewPayout {
        id: request_keys::derived_id("payout", key.key_id, vendor, idempotency_key),
        vendor_id: vendor,
        amount,
        currency,
        reference: ask.reference.clone(),
        requested_by: key.key_id.to_string(),
        request_hash: hex::encode(Sha256::digest(format!(
            "amount={};currency={};reference={}",
            amount
                .map(|a| a.normalize().to_string())
                .unwrap_or_default(),
            currency.code(),
            ask.reference.as_deref().unwrap_or_default()
        ))),
    };
    let paid = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                match money::pay_out(conn, &new).await {
                    Ok(Ok(row)) if row.request_hash != new.request_hash => {
                        Ok(Err(PayoutRefusal::IdempotencyKeyReused))
                    }
                    Ok(Ok(row)) => Ok(Ok(row)),
                    Ok(Err(PayoutShort::Nothing)) => Ok(Err(PayoutRefusal::NothingToPay {
                        currency: currency.code().to_owned(),
                    })),
                    Ok(Err(PayoutShort::Over(available))) => Ok(Err(PayoutRefusal::OverBalance {
                        asked: Money::rounded(new.amount.unwrap_or_default(), currency).to_string(),
                        available: Money::rounded(available, currency).to_string(),
                    })),
                    Err(StoreError::NotFound) => Ok(Err(PayoutRefusal::VendorNotFound)),
                    Err(e) => Err(e),
                }
            }
            .boxed()
        })
        .await??;
    tracing::info!(vendor.id = %vendor, payout.id = %paid.id, amount = %paid.amount, "payout recorded");
    Ok(paid)
}
