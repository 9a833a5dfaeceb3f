//! Subscriptions (replenishment: a monthly box): plans a tenant offers,
//! customers' subscriptions to them, and renewals run by housekeeping
//! through the same checkout as a shopper's order, so stock, the region's
//! rules and age checks apply at renewal time, payment retries and
//! unknown outcomes are handled as checkout handles them, and a renewal
//! is one order however often it is retried (its id is the checkout's
//! Idempotency-Key).
//!
//! A renewal that fails (payment refused, out of stock, a rule of the
//! region) is retried on the dunning schedule ([`DUNNING_DAYS`]); when
//! those run out the subscription is cancelled. Customers pause, resume,
//! skip a renewal and cancel; the tenant can do the same for any
//! subscription.

use bazaar_domain::{IntervalUnit, OrderStatus, Scope, SubscriptionStatus};
use bazaar_store::tenant::brands;
use bazaar_store::tenant::carts::Access;
use bazaar_store::tenant::orders::OrderRow;
use bazaar_store::tenant::subscriptions::{
    self as store, Change, Ended, NewSubscription, Plan, Renewal, Subscription,
};
use bazaar_store::{StoreError, TenantSchema};
use chrono::{DateTime, Duration, Months, Utc};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::checkout::{self, Checkout, CheckoutRefusal, CheckoutRequest};
use crate::context::AccessRefusal;
use crate::regions::{self, RegionRefusal};
use crate::{Failure, Outcome, Services, TenantKey, refusals};

/// Days after a failed renewal that it is tried again; one more failure
/// after the last cancels the subscription.
pub const DUNNING_DAYS: [i64; 3] = [1, 3, 5];

/// Lines a subscription may hold.
pub const MAX_LINES: usize = 50;

refusals! {
    /// Why a plan or subscription was not made, shown or changed.
    pub enum SubscriptionRefusal {
        Access(AccessRefusal) => delegate;
        Region(RegionRefusal) => delegate;
        InvalidPlanName => Unprocessable, "invalid_plan_name",
            "give the plan a name of 1-100 characters";
        InvalidIntervalCount => Unprocessable, "invalid_interval_count",
            "`interval_count` is how many units between renewals: 1-365";
        PlanNotFound => NotFound, "plan_not_found", "no subscription plan with that id";
        PlanClosed => Conflict, "plan_closed",
            "this plan takes no new subscriptions; choose another";
        NotFound => NotFound, "subscription_not_found",
            "no subscription with that id is visible to this key";
        SignInRequired => Unauthenticated, "sign_in_required",
            "subscriptions belong to a customer: send their `X-Customer-Token`";
        LinesRequired => Unprocessable, "subscription_lines_required",
            "a subscription holds 1-50 lines";
        DuplicateLine { variant_id: Uuid } => Unprocessable, "duplicate_line",
            "variant {variant_id} is listed twice; give it one line with the whole quantity";
        QuantityOutOfRange => Unprocessable, "quantity_out_of_range",
            "a line's quantity is 1-10,000";
        VariantNotAvailable { variant_id: Uuid } => Unprocessable, "variant_not_available",
            "variant {variant_id} is not sold in this storefront";
        PaymentTokenRequired => Invalid, "payment_token_required",
            "send the customer's saved payment method, tokenised by the provider (1-255 characters)";
        RegionRequired => Unprocessable, "region_required",
            "the brand has no default region; say which region the subscription delivers to (`region`)";
        InvalidStart => Unprocessable, "invalid_first_renewal",
            "`first_renewal_at` is between now and a year from now";
        NotChangeable { status: SubscriptionStatus, action: &'static str } => Conflict,
            "subscription_not_changeable", "a {status} subscription cannot be {action}";
        RenewalInProgress => Conflict, "renewal_in_progress",
            "a renewal of this subscription is under way; retry in a few minutes";
    }
}

/// When a renewal `count` `unit`s after `from` falls (calendar months:
/// the 31st renews on the last day of a shorter month).
pub fn after(unit: IntervalUnit, count: i32, from: DateTime<Utc>) -> DateTime<Utc> {
    let count = u32::try_from(count.max(1)).unwrap_or(1);
    match unit {
        IntervalUnit::Day => from + Duration::days(i64::from(count)),
        IntervalUnit::Week => from + Duration::weeks(i64::from(count)),
        IntervalUnit::Month => from
            .checked_add_months(Months::new(count))
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    }
}

/// Offer a plan (tenant admin).
pub async fn create_plan(
    services: &Services,
    key: &TenantKey,
    name: String,
    unit: IntervalUnit,
    count: i32,
) -> Outcome<Plan, SubscriptionRefusal> {
    key.require(&[Scope::TenantAdmin])?;
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(SubscriptionRefusal::InvalidPlanName.into());
    }
    if !(1..=365).contains(&count) {
        return Err(SubscriptionRefusal::InvalidIntervalCount.into());
    }
    Ok(services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move { store::create_plan(conn, &name, unit, count).await }.boxed()
        })
        .await?)
}

/// The plans open to new subscriptions (every plan, for a tenant admin).
pub async fn plans(
    services: &Services,
    key: &TenantKey,
) -> Outcome<Vec<Plan>, SubscriptionRefusal> {
    key.require(&[Scope::Storefront, Scope::TenantAdmin])?;
    let all = key.scope == Scope::TenantAdmin;
    Ok(services
        .db
        .tenant_read(&key.schema, move |conn| store::plans(conn, all).boxed())
        .await?)
}

/// Close a plan to new subscriptions, or reopen it (tenant admin).
pub async fn set_plan_active(
    services: &Services,
    key: &TenantKey,
    id: Uuid,
    active: bool,
) -> Outcome<Plan, SubscriptionRefusal> {
    key.require(&[Scope::TenantAdmin])?;
    services
        .db
        .tenant_tx(&key.schema, move |conn| {
            store::set_plan_active(conn, id, active).boxed()
        })
        .await
        .map_err(not_found(SubscriptionRefusal::PlanNotFound))
}

/// A subscription as asked for by its customer.
#[derive(Debug, Clone)]
pub struct Subscribe {
    pub plan_id: Uuid,
    pub lines: Vec<(Uuid, i32)>,
    pub payment_token: String,
    pub region: Option<String>,
    pub first_renewal_at: Option<DateTime<Utc>>,
}

/// A subscription with what it renews and how its renewals went.
#[derive(Debug, Clone)]
pub struct Detail {
    pub subscription: Subscription,
    pub plan: Plan,
    pub lines: Vec<(Uuid, i32)>,
    pub renewals: Vec<Renewal>,
}

/// Subscribe the signed-in customer (`customer`) of the storefront key's
/// brand. The first renewal is due at `first_renewal_at` (now, unless
/// later), and is made by the next housekeeping pass.
pub async fn subscribe(
    services: &Services,
    key: &TenantKey,
    customer: Option<Uuid>,
    new: Subscribe,
) -> Outcome<Detail, SubscriptionRefusal> {
    let brand_id = key.storefront()?;
    let customer = customer.ok_or(SubscriptionRefusal::SignInRequired)?;
    if new.lines.is_empty() || new.lines.len() > MAX_LINES {
        return Err(SubscriptionRefusal::LinesRequired.into());
    }
    let mut seen = std::collections::HashSet::new();
    for (variant_id, quantity) in &new.lines {
        if !seen.insert(*variant_id) {
            return Err(SubscriptionRefusal::DuplicateLine {
                variant_id: *variant_id,
            }
            .into());
        }
        if !(1..=10_000).contains(quantity) {
            return Err(SubscriptionRefusal::QuantityOutOfRange.into());
        }
    }
    let token = new.payment_token.trim().to_owned();
    if token.is_empty() || token.len() > 255 {
        return Err(SubscriptionRefusal::PaymentTokenRequired.into());
    }
    let now = Utc::now();
    let first = new.first_renewal_at.unwrap_or(now).max(now);
    if first > now + Duration::days(366) {
        return Err(SubscriptionRefusal::InvalidStart.into());
    }
    let brand = services
        .db
        .tenant_read(&key.schema, move |conn| brands::get(conn, brand_id).boxed())
        .await?;
    let region = new
        .region
        .or(brand.default_region)
        .ok_or(SubscriptionRefusal::RegionRequired)?;
    regions::check_enabled(services, key, &region)
        .await
        .map_err(|f| f.map(SubscriptionRefusal::from))?;
    regions::check_in_force(services, std::slice::from_ref(&region))?;
    let currency = brand.currency;
    let plan_id = new.plan_id;
    let created = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                let plan = match store::plan(conn, plan_id).await {
                    Ok(plan) => plan,
                    Err(StoreError::NotFound) => {
                        return Ok(Err(SubscriptionRefusal::PlanNotFound));
                    }
                    Err(e) => return Err(e),
                };
                if !plan.active {
                    return Ok(Err(SubscriptionRefusal::PlanClosed));
                }
                for (variant_id, _) in &new.lines {
                    let variant =
                        crate::carts::change::sold_variant(conn, brand_id, *variant_id).await?;
                    let sold = variant.is_some_and(|v| v.currency == currency);
                    if !sold {
                        return Ok(Err(SubscriptionRefusal::VariantNotAvailable {
                            variant_id: *variant_id,
                        }));
                    }
                }
                let subscription = store::create(
                    conn,
                    &NewSubscription {
                        brand_id,
                        customer_id: customer,
                        plan_id,
                        region,
                        payment_token: token,
                        first_renewal_at: first,
                        lines: new.lines,
                    },
                )
                .await?;
                detail(conn, subscription).await.map(Ok)
            }
            .boxed()
        })
        .await?;
    Ok(created?)
}

async fn detail(
    conn: &mut bazaar_store::TenantConn,
    subscription: Subscription,
) -> Result<Detail, StoreError> {
    Ok(Detail {
        plan: store::plan(conn, subscription.plan_id).await?,
        lines: store::lines(conn, subscription.id).await?,
        renewals: store::renewals(conn, subscription.id).await?,
        subscription,
    })
}

/// A missing row refused as `refusal`; any other store error passed on.
fn not_found(
    refusal: SubscriptionRefusal,
) -> impl FnOnce(StoreError) -> Failure<SubscriptionRefusal> {
    move |e| match e {
        StoreError::NotFound => refusal.into(),
        other => other.into(),
    }
}

/// Whose subscriptions a caller sees: a storefront key the signed-in
/// customer's in its brand (none without a session), a tenant admin all.
fn visible(
    key: &TenantKey,
    customer: Option<Uuid>,
) -> Result<(Option<Uuid>, Option<Uuid>), SubscriptionRefusal> {
    key.require(&[Scope::Storefront, Scope::TenantAdmin])?;
    if key.scope == Scope::TenantAdmin {
        return Ok((None, None));
    }
    let customer = customer.ok_or(SubscriptionRefusal::SignInRequired)?;
    Ok((Some(customer), key.brand_id))
}

/// One subscription, with its plan, lines and renewals.
pub async fn get(
    services: &Services,
    key: &TenantKey,
    customer: Option<Uuid>,
    id: Uuid,
) -> Outcome<Detail, SubscriptionRefusal> {
    let (customer, brand) = visible(key, customer)?;
    services
        .db
        .tenant_read(&key.schema, move |conn| {
            async move {
                let subscription = store::get(conn, id, customer, brand).await?;
                detail(conn, subscription).await
            }
            .boxed()
        })
        .await
        .map_err(not_found(SubscriptionRefusal::NotFound))
}

/// Subscriptions, newest first (at most 200).
pub async fn list(
    services: &Services,
    key: &TenantKey,
    customer: Option<Uuid>,
    status: Option<SubscriptionStatus>,
) -> Outcome<Vec<Subscription>, SubscriptionRefusal> {
    let (customer, brand) = visible(key, customer)?;
    Ok(services
        .db
        .tenant_read(&key.schema, move |conn| {
            store::list(conn, customer, brand, status, 200).boxed()
        })
        .await?)
}

/// What a customer or the tenant does to a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// No renewals until resumed; the due date is kept.
    Pause,
    /// Renew again; a due date already past renews at the next pass.
    Resume,
    /// Skip the next renewal: the one after it is due one interval later.
    Skip,
    Cancel,
}

impl Action {
    fn done(self) -> &'static str {
        match self {
            Action::Pause => "paused",
            Action::Resume => "resumed",
            Action::Skip => "skipped",
            Action::Cancel => "cancelled",
        }
    }

    fn topic(self) -> &'static str {
        match self {
            Action::Pause => "subscription.paused",
            Action::Resume => "subscription.resumed",
            Action::Skip => "subscription.skipped",
            Action::Cancel => "subscription.cancelled",
        }
    }
}

/// Pause, resume, skip or cancel. Refused while a renewal is under way
/// (its outcome decides the next due date); cancelling a cancelled
/// subscription answers it unchanged.
pub async fn act(
    services: &Services,
    key: &TenantKey,
    customer: Option<Uuid>,
    id: Uuid,
    action: Action,
) -> Outcome<Detail, SubscriptionRefusal> {
    let (customer, brand) = visible(key, customer)?;
    let by = if customer.is_some() {
        "customer"
    } else {
        "tenant"
    };
    let now = Utc::now();
    let done = services
        .db
        .tenant_tx(&key.schema, move |conn| {
            async move {
                // Visible to the caller, then locked.
                store::get(conn, id, customer, brand).await?;
                let sub = store::lock(conn, id).await?;
                let plan = store::plan(conn, sub.plan_id).await?;
                if action == Action::Cancel && sub.status == SubscriptionStatus::Cancelled {
                    return detail(conn, sub).await.map(Ok);
                }
                let refused = |status| {
                    Ok(Err(SubscriptionRefusal::NotChangeable {
                        status,
                        action: action.done(),
                    }))
                };
                let mut next = Change::of(&sub);
                match (action, sub.status) {
                    (Action::Pause, SubscriptionStatus::Active | SubscriptionStatus::PastDue) => {
                        next.status = SubscriptionStatus::Paused;
                    }
                    (Action::Resume, SubscriptionStatus::Paused) => {
                        next.status = if sub.failed_attempts > 0 {
                            SubscriptionStatus::PastDue
                        } else {
                            SubscriptionStatus::Active
                        };
                        next.next_renewal_at = sub.next_renewal_at.map(|at| at.max(now));
                    }
                    (Action::Skip, SubscriptionStatus::Active | SubscriptionStatus::PastDue) => {
                        store::record_skip(conn, &sub).await?;
                        let from = sub.next_renewal_at.unwrap_or(now).max(now);
                        next.status = SubscriptionStatus::Active;
                        next.period += 1;
                        next.failed_attempts = 0;
                        next.next_renewal_at =
                            Some(after(plan.interval_unit, plan.interval_count, from));
                    }
                    (Action::Cancel, _) => {
                        next.status = SubscriptionStatus::Cancelled;
                        next.next_renewal_at = None;
                        next.cancel_reason = Some(format!("cancelled by the {by}"));
                    }
                    (_, status) => return refused(status),
                }
                if store::renewing(conn, id).await? {
                    return Ok(Err(SubscriptionRefusal::RenewalInProgress));
                }
                let row = store::apply(conn, id, &next, action.topic()).await?;
                detail(conn, row).await.map(Ok)
            }
            .boxed()
        })
        .await
        .map_err(not_found(SubscriptionRefusal::NotFound))?;
    Ok(done?)
}

/// What a renewal pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Renewed {
    /// Renewals whose order is paid.
    pub paid: usize,
    /// Renewals that failed (to be retried, or the subscription
    /// cancelled).
    pub failed: usize,
    /// Subscriptions cancelled because dunning ran out.
    pub cancelled: usize,
    /// Renewals whose payment outcome is not known yet (resumed next pass).
    pub unsettled: usize,
}

/// The tenant a renewal pass runs in.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub schema: TenantSchema,
}

/// Renew every subscription of the tenant due at `now` (run by
/// housekeeping on every node; a subscription another node is renewing is
/// skipped, and a renewal begun by a node that died is resumed).
pub async fn renew_due(
    services: &Services,
    tenant: &Tenant,
    now: DateTime<Utc>,
) -> Result<Renewed, StoreError> {
    let due = services
        .db
        .tenant_read(&tenant.schema, move |conn| {
            store::due(conn, now, 100).boxed()
        })
        .await?;
    let mut report = Renewed::default();
    for id in due {
        let begun = services
            .db
            .tenant_tx(&tenant.schema, move |conn| {
                store::begin_renewal(conn, id, now).boxed()
            })
            .await?;
        let Some(begun) = begun else { continue };
        renew(services, tenant, begun, now, &mut report).await?;
    }
    Ok(report)
}

/// Check out a begun renewal and settle it.
async fn renew(
    services: &Services,
    tenant: &Tenant,
    begun: store::Begun,
    now: DateTime<Utc>,
    report: &mut Renewed,
) -> Result<(), StoreError> {
    let sub = &begun.subscription;
    // The renewal checks out as the subscription's storefront would, with
    // the subscription as the Idempotency-Key's scope.
    let key = TenantKey {
        key_id: sub.id,
        tenant_id: tenant.id,
        tenant_slug: tenant.slug.clone(),
        schema: tenant.schema.clone(),
        scope: Scope::Storefront,
        vendor_id: None,
        brand_id: Some(sub.brand_id),
    };
    let request = CheckoutRequest {
        cart_id: begun.cart_id,
        access: Access::Customer(sub.customer_id),
        signed_in: None,
        idempotency_key: Some(begun.renewal_id.to_string()),
        payment_token: begun.payment_token.clone(),
        redeem_points: None,
        return_url: None,
    };
    let ended = match checkout::checkout(services, &key, request, render).await {
        Ok(Checkout::Finished(order)) => ended_by(&order),
        Ok(Checkout::Replayed(body)) => ended_by_answer(&body),
        Err(Failure::Refused(
            CheckoutRefusal::PaymentOutcomeUnknown { .. } | CheckoutRefusal::InProgress,
        )) => {
            // Resumed by the next pass under the same key.
            report.unsettled += 1;
            return Ok(());
        }
        Err(Failure::Refused(refusal)) => Ended::Failed {
            order: None,
            code: crate::refusal::Refusal::code(&refusal).to_owned(),
        },
        Err(Failure::Store(err)) => return Err(err),
        Err(Failure::Internal(why)) => {
            tracing::error!(subscription.id = %sub.id, why = %why, "renewal failed inside checkout");
            report.unsettled += 1;
            return Ok(());
        }
    };
    let (next, topic) = next_state(sub, &begun.plan, &ended, now);
    match (&ended, next.status) {
        (Ended::Paid(_), _) => report.paid += 1,
        (_, SubscriptionStatus::Cancelled) => {
            report.failed += 1;
            report.cancelled += 1;
        }
        _ => report.failed += 1,
    }
    let renewal = begun.renewal_id;
    services
        .db
        .tenant_tx(&tenant.schema, move |conn| {
            async move { store::settle_renewal(conn, renewal, &ended, &next, topic).await }.boxed()
        })
        .await?;
    Ok(())
}

/// Where a subscription goes after a renewal ended so, and the event.
fn next_state(
    sub: &Subscription,
    plan: &Plan,
    ended: &Ended,
    now: DateTime<Utc>,
) -> (Change, &'static str) {
    let mut next = Change::of(sub);
    match ended {
        Ended::Paid(_) => {
            // On schedule, the next period counts from the due date (no
            // drift); after a retry, from now.
            let from = match sub.next_renewal_at {
                Some(due) if sub.failed_attempts == 0 => due,
                _ => now,
            };
            next.status = SubscriptionStatus::Active;
            next.period += 1;
            next.failed_attempts = 0;
            next.next_renewal_at = Some(after(plan.interval_unit, plan.interval_count, from));
            (next, "subscription.renewed")
        }
        Ended::Failed { .. } => {
            let failed = sub.failed_attempts + 1;
            match usize::try_from(sub.failed_attempts)
                .ok()
                .and_then(|i| DUNNING_DAYS.get(i))
            {
                Some(days) => {
                    next.status = SubscriptionStatus::PastDue;
                    next.failed_attempts = failed;
                    next.next_renewal_at = Some(now + Duration::days(*days));
                    (next, "subscription.renewal_failed")
                }
                None => {
                    next.status = SubscriptionStatus::Cancelled;
                    next.failed_attempts = failed;
                    next.next_renewal_at = None;
                    next.cancel_reason = Some(format!("renewal failed {failed} times in a row"));
                    (next, "subscription.cancelled")
                }
            }
        }
    }
}

/// A renewal's checkout answer, as recorded under its key.
fn render(order: &OrderRow) -> serde_json::Value {
    serde_json::json!({
        "id": order.id,
        "status": order.status,
        "payment_failure": order.failure_code,
    })
}

fn ended_by(order: &OrderRow) -> Ended {
    match order.status {
        OrderStatus::Paid => Ended::Paid(order.id),
        // Off-session, a provider that needs the shopper has refused; the
        // waiting order expires with its hold.
        OrderStatus::PendingPayment => Ended::Failed {
            order: Some(order.id),
            code: "authentication_required".to_owned(),
        },
        _ => Ended::Failed {
            order: Some(order.id),
            code: order
                .failure_code
                .clone()
                .unwrap_or_else(|| "payment_failed".to_owned()),
        },
    }
}

fn ended_by_answer(body: &serde_json::Value) -> Ended {
    let order = body["id"].as_str().and_then(|id| id.parse().ok());
    match (body["status"].as_str(), order) {
        (Some("paid"), Some(order)) => Ended::Paid(order),
        (Some("pending_payment"), order) => Ended::Failed {
            order,
            code: "authentication_required".to_owned(),
        },
        (_, order) => Ended::Failed {
            order,
            code: body["payment_failure"]
                .as_str()
                .unwrap_or("payment_failed")
                .to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn months_end_on_the_last_day_of_a_shorter_month() {
        let jan31 = Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap();
        assert_eq!(
            after(IntervalUnit::Month, 1, jan31),
            Utc.with_ymd_and_hms(2026, 2, 28, 9, 0, 0).unwrap()
        );
        assert_eq!(
            after(IntervalUnit::Week, 2, jan31),
            Utc.with_ymd_and_hms(2026, 2, 14, 9, 0, 0).unwrap()
        );
        assert_eq!(
            after(IntervalUnit::Day, 3, jan31),
            Utc.with_ymd_and_hms(2026, 2, 3, 9, 0, 0).unwrap()
        );
    }

    fn subscription(failed: i32, due: DateTime<Utc>) -> Subscription {
        Subscription {
            id: Uuid::nil(),
            brand_id: Uuid::nil(),
            customer_id: Uuid::nil(),
            plan_id: Uuid::nil(),
            region: "US-CA".into(),
            status: if failed > 0 {
                SubscriptionStatus::PastDue
            } else {
                SubscriptionStatus::Active
            },
            next_renewal_at: Some(due),
            period: 4,
            failed_attempts: failed,
            cancel_reason: None,
            created_at: due,
            updated_at: due,
        }
    }

    #[test]
    fn renewals_advance_on_schedule_and_dunning_runs_out() {
        let due = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let now = due + Duration::minutes(2);
        let plan = Plan {
            id: Uuid::nil(),
            name: "monthly".into(),
            interval_unit: IntervalUnit::Month,
            interval_count: 1,
            active: true,
            created_at: due,
        };
        let paid = Ended::Paid(Uuid::nil());
        let (next, topic) = next_state(&subscription(0, due), &plan, &paid, now);
        assert_eq!(topic, "subscription.renewed");
        assert_eq!((next.period, next.failed_attempts), (5, 0));
        assert_eq!(
            next.next_renewal_at,
            Some(Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap()),
            "counted from the due date, not from when the pass ran"
        );
        let failed = Ended::Failed {
            order: None,
            code: "out_of_stock".into(),
        };
        let mut sub = subscription(0, due);
        for (i, days) in DUNNING_DAYS.iter().enumerate() {
            let (next, topic) = next_state(&sub, &plan, &failed, now);
            assert_eq!(topic, "subscription.renewal_failed");
            assert_eq!(next.status, SubscriptionStatus::PastDue);
            assert_eq!(next.failed_attempts, i32::try_from(i + 1).unwrap());
            assert_eq!(next.next_renewal_at, Some(now + Duration::days(*days)));
            sub.failed_attempts = next.failed_attempts;
        }
        let (last, topic) = next_state(&sub, &plan, &failed, now);
        assert_eq!(topic, "subscription.cancelled");
        assert_eq!(last.status, SubscriptionStatus::Cancelled);
        assert_eq!(last.next_renewal_at, None);
        // A retry that pays counts the next period from now.
        let (next, _) = next_state(&subscription(2, due), &plan, &paid, now);
        assert_eq!(
            next.next_renewal_at,
            Some(after(IntervalUnit::Month, 1, now))
        );
    }
}
