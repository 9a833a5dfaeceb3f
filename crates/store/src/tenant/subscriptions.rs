//! Subscriptions: plans, customers' subscriptions with their lines, and
//! the renewals that turn them into orders.
//!
//! A renewal is begun in one transaction (the subscription locked, skipped
//! if another node holds it): a row for (subscription, period, attempt)
//! and a cart of the subscription's lines owned by its customer. Its id is
//! the checkout's Idempotency-Key, so a renewal whose node died between
//! beginning and settling is resumed by the next pass, never made twice.
//! Settling writes the renewal's end and the subscription's next state
//! together, with its event.

use chrono::{DateTime, Utc};
use diesel::dsl;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::schema::tenant::carts as carts_table;
use crate::schema::tenant::{
    brands, customers, subscription_lines, subscription_plans, subscription_renewals, subscriptions,
};
use crate::tenant::{carts, outbox};
use crate::{StoreError, TenantConn};
use bazaar_domain::{IntervalUnit, SubscriptionStatus};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = subscription_plans, check_for_backend(diesel::pg::Pg))]
pub struct Plan {
    pub id: Uuid,
    pub name: String,
    pub interval_unit: IntervalUnit,
    pub interval_count: i32,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

pub async fn create_plan(
    conn: &mut TenantConn,
    name: &str,
    unit: IntervalUnit,
    count: i32,
) -> Result<Plan, StoreError> {
    Ok(diesel::insert_into(subscription_plans::table)
        .values((
            subscription_plans::id.eq(bazaar_domain::ids::new_id()),
            subscription_plans::name.eq(name),
            subscription_plans::interval_unit.eq(unit),
            subscription_plans::interval_count.eq(count),
        ))
        .returning(Plan::as_returning())
        .get_result(conn.pg())
        .await?)
}

/// Plans, oldest first; only those open to new subscriptions unless `all`.
pub async fn plans(conn: &mut TenantConn, all: bool) -> Result<Vec<Plan>, StoreError> {
    let mut query = subscription_plans::table
        .select(Plan::as_select())
        .order((subscription_plans::created_at, subscription_plans::id))
        .into_boxed();
    if !all {
        query = query.filter(subscription_plans::active.eq(true));
    }
    Ok(query.load(conn.pg()).await?)
}

pub async fn plan(conn: &mut TenantConn, id: Uuid) -> Result<Plan, StoreError> {
    Ok(subscription_plans::table
        .find(id)
        .select(Plan::as_select())
        .get_result(conn.pg())
        .await?)
}

/// Close or reopen a plan to new subscriptions (existing ones renew on).
pub async fn set_plan_active(
    conn: &mut TenantConn,
    id: Uuid,
    active: bool,
) -> Result<Plan, StoreError> {
    Ok(diesel::update(subscription_plans::table.find(id))
        .set(subscription_plans::active.eq(active))
        .returning(Plan::as_returning())
        .get_result(conn.pg())
        .await?)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = subscriptions, check_for_backend(diesel::pg::Pg))]
pub struct Subscription {
    pub id: Uuid,
    pub brand_id: Uuid,
    pub customer_id: Uuid,
    pub plan_id: Uuid,
    pub region: String,
    pub status: SubscriptionStatus,
    pub next_renewal_at: Option<DateTime<Utc>>,
    pub period: i32,
    pub failed_attempts: i32,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A subscription to create.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub brand_id: Uuid,
    pub customer_id: Uuid,
    pub plan_id: Uuid,
    pub region: String,
    pub payment_token: String,
    pub first_renewal_at: DateTime<Utc>,
    /// (variant, quantity), each variant once.
    pub lines: Vec<(Uuid, i32)>,
}

pub async fn create(
    conn: &mut TenantConn,
    new: &NewSubscription,
) -> Result<Subscription, StoreError> {
    let id = bazaar_domain::ids::new_id();
    let created = diesel::insert_into(subscriptions::table)
        .values((
            subscriptions::id.eq(id),
            subscriptions::brand_id.eq(new.brand_id),
            subscriptions::customer_id.eq(new.customer_id),
            subscriptions::plan_id.eq(new.plan_id),
            subscriptions::region.eq(&new.region),
            subscriptions::payment_token.eq(&new.payment_token),
            subscriptions::next_renewal_at.eq(new.first_renewal_at),
        ))
        .returning(Subscription::as_returning())
        .get_result(conn.pg())
        .await?;
    let lines: Vec<_> = new
        .lines
        .iter()
        .map(|(variant, quantity)| {
            (
                subscription_lines::subscription_id.eq(id),
                subscription_lines::variant_id.eq(*variant),
                subscription_lines::quantity.eq(*quantity),
            )
        })
        .collect();
    diesel::insert_into(subscription_lines::table)
        .values(&lines)
        .execute(conn.pg())
        .await?;
    outbox::publish(
        conn,
        "subscription.created",
        serde_json::json!({ "subscription_id": id, "customer_id": new.customer_id }),
    )
    .await?;
    Ok(created)
}

/// One subscription; `customer` limits it to that customer's, `brand` to
/// that brand's.
pub async fn get(
    conn: &mut TenantConn,
    id: Uuid,
    customer: Option<Uuid>,
    brand: Option<Uuid>,
) -> Result<Subscription, StoreError> {
    let mut query = subscriptions::table
        .find(id)
        .select(Subscription::as_select())
        .into_boxed();
    if let Some(customer) = customer {
        query = query.filter(subscriptions::customer_id.eq(customer));
    }
    if let Some(brand) = brand {
        query = query.filter(subscriptions::brand_id.eq(brand));
    }
    Ok(query.get_result(conn.pg()).await?)
}

/// Subscriptions newest first, at most `limit`, narrowed as asked.
pub async fn list(
    conn: &mut TenantConn,
    customer: Option<Uuid>,
    brand: Option<Uuid>,
    status: Option<SubscriptionStatus>,
    limit: i64,
) -> Result<Vec<Subscription>, StoreError> {
    let mut query = subscriptions::table
        .select(Subscription::as_select())
        .order((subscriptions::created_at.desc(), subscriptions::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(customer) = customer {
        query = query.filter(subscriptions::customer_id.eq(customer));
    }
    if let Some(brand) = brand {
        query = query.filter(subscriptions::brand_id.eq(brand));
    }
    if let Some(status) = status {
        query = query.filter(subscriptions::status.eq(status));
    }
    Ok(query.load(conn.pg()).await?)
}

/// A subscription's lines: (variant, quantity), in variant order.
pub async fn lines(conn: &mut TenantConn, id: Uuid) -> Result<Vec<(Uuid, i32)>, StoreError> {
    Ok(subscription_lines::table
        .filter(subscription_lines::subscription_id.eq(id))
        .select((subscription_lines::variant_id, subscription_lines::quantity))
        .order(subscription_lines::variant_id)
        .load(conn.pg())
        .await?)
}

/// Lock a subscription for a change of state.
pub async fn lock(conn: &mut TenantConn, id: Uuid) -> Result<Subscription, StoreError> {
    Ok(subscriptions::table
        .find(id)
        .select(Subscription::as_select())
        .for_update()
        .get_result(conn.pg())
        .await?)
}

/// A subscription's next state.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub status: SubscriptionStatus,
    /// `None` when cancelled.
    pub next_renewal_at: Option<DateTime<Utc>>,
    pub period: i32,
    pub failed_attempts: i32,
    pub cancel_reason: Option<String>,
}

impl Change {
    /// As it is now (to change a field or two).
    pub fn of(s: &Subscription) -> Self {
        Self {
            status: s.status,
            next_renewal_at: s.next_renewal_at,
            period: s.period,
            failed_attempts: s.failed_attempts,
            cancel_reason: s.cancel_reason.clone(),
        }
    }
}

/// Write a locked subscription's next state and its event (`topic`).
pub async fn apply(
    conn: &mut TenantConn,
    id: Uuid,
    change: &Change,
    topic: &str,
) -> Result<Subscription, StoreError> {
    let row = diesel::update(subscriptions::table.find(id))
        .set((
            subscriptions::status.eq(change.status),
            subscriptions::next_renewal_at.eq(change.next_renewal_at),
            subscriptions::period.eq(change.period),
            subscriptions::failed_attempts.eq(change.failed_attempts),
            subscriptions::cancel_reason.eq(&change.cancel_reason),
            subscriptions::updated_at.eq(dsl::now),
        ))
        .returning(Subscription::as_returning())
        .get_result(conn.pg())
        .await?;
    outbox::publish(
        conn,
        topic,
        serde_json::json!({
            "subscription_id": id,
            "status": row.status,
            "next_renewal_at": row.next_renewal_at,
        }),
    )
    .await?;
    Ok(row)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = subscription_renewals, check_for_backend(diesel::pg::Pg))]
pub struct Renewal {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub period: i32,
    pub attempt: i32,
    pub status: String,
    pub cart_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub failure_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A subscription's renewals, newest first.
pub async fn renewals(conn: &mut TenantConn, id: Uuid) -> Result<Vec<Renewal>, StoreError> {
    Ok(subscription_renewals::table
        .filter(subscription_renewals::subscription_id.eq(id))
        .select(Renewal::as_select())
        .order((
            subscription_renewals::period.desc(),
            subscription_renewals::attempt.desc(),
        ))
        .load(conn.pg())
        .await?)
}

/// Subscriptions due for renewal at `now` (active or past due), soonest
/// first.
pub async fn due(
    conn: &mut TenantConn,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, StoreError> {
    let renewing = [SubscriptionStatus::Active, SubscriptionStatus::PastDue];
    Ok(subscriptions::table
        .filter(subscriptions::status.eq_any(renewing))
        .filter(subscriptions::next_renewal_at.le(now))
        .select(subscriptions::id)
        .order(subscriptions::next_renewal_at)
        .limit(limit)
        .load(conn.pg())
        .await?)
}

/// A renewal ready to check out.
#[derive(Debug, Clone, PartialEq)]
pub struct Begun {
    pub renewal_id: Uuid,
    pub cart_id: Uuid,
    pub subscription: Subscription,
    /// Its plan: how far the next renewal moves.
    pub plan: Plan,
    pub payment_token: String,
}

/// Begin (or resume) the renewal of a due subscription: `None` when it is
/// not due any more or another node holds it. A renewal of this period
/// and attempt begun before (its node died) is resumed with its cart;
/// otherwise a cart of the subscription's lines, owned by its customer,
/// is made for it.
pub async fn begin_renewal(
    conn: &mut TenantConn,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Begun>, StoreError> {
    let locked: Option<(Subscription, String)> = subscriptions::table
        .find(id)
        .select((Subscription::as_select(), subscriptions::payment_token))
        .for_update()
        .skip_locked()
        .get_result(conn.pg())
        .await
        .optional()?;
    let Some((sub, payment_token)) = locked else {
        return Ok(None);
    };
    let renewing = matches!(
        sub.status,
        SubscriptionStatus::Active | SubscriptionStatus::PastDue
    );
    if !renewing || sub.next_renewal_at.is_none_or(|at| at > now) {
        return Ok(None);
    }
    let plan = plan(conn, sub.plan_id).await?;
    let attempt = sub.failed_attempts + 1;
    let existing: Option<(Uuid, Option<Uuid>)> = subscription_renewals::table
        .filter(subscription_renewals::subscription_id.eq(id))
        .filter(subscription_renewals::period.eq(sub.period))
        .filter(subscription_renewals::attempt.eq(attempt))
        .filter(subscription_renewals::status.eq("pending"))
        .select((subscription_renewals::id, subscription_renewals::cart_id))
        .first(conn.pg())
        .await
        .optional()?;
    if let Some((renewal_id, Some(cart_id))) = existing {
        return Ok(Some(Begun {
            renewal_id,
            cart_id,
            subscription: sub,
            plan,
            payment_token,
        }));
    }
    let currency = brands::table
        .find(sub.brand_id)
        .select(brands::currency)
        .get_result(conn.pg())
        .await?;
    let email: Option<String> = customers::table
        .find(sub.customer_id)
        .select(customers::email)
        .get_result(conn.pg())
        .await?;
    let (cart, _) = carts::create(
        conn,
        sub.brand_id,
        &sub.region,
        currency,
        email.as_deref(),
        Some(sub.customer_id),
    )
    .await?;
    for (variant, quantity) in lines(conn, id).await? {
        carts::add(conn, cart.id, variant, quantity).await?;
    }
    let renewal_id = bazaar_domain::ids::new_id();
    diesel::insert_into(subscription_renewals::table)
        .values((
            subscription_renewals::id.eq(renewal_id),
            subscription_renewals::subscription_id.eq(id),
            subscription_renewals::period.eq(sub.period),
            subscription_renewals::attempt.eq(attempt),
            subscription_renewals::cart_id.eq(cart.id),
        ))
        .execute(conn.pg())
        .await?;
    Ok(Some(Begun {
        renewal_id,
        cart_id: cart.id,
        subscription: sub,
        plan,
        payment_token,
    }))
}

/// How a renewal ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// Its order is paid.
    Paid(Uuid),
    /// Refused (the payment, the stock, a rule): why, and the order when
    /// one was made.
    Failed { order: Option<Uuid>, code: String },
}

/// Settle a pending renewal and move its subscription to `next` (computed
/// by the caller from how it ended), with the subscription's event.
/// Returns false (nothing changed) when the renewal was settled before.
pub async fn settle_renewal(
    conn: &mut TenantConn,
    renewal: Uuid,
    ended: &Ended,
    next: &Change,
    topic: &str,
) -> Result<bool, StoreError> {
    let (status, order, code) = match ended {
        Ended::Paid(order) => ("paid", Some(*order), None),
        Ended::Failed { order, code } => ("failed", *order, Some(code.as_str())),
    };
    // Refused before an order was placed: its cart is still open and
    // would show among the customer's carts (even as their working cart),
    // so it goes; the next attempt makes a cart of its own.
    let drop_cart = matches!(ended, Ended::Failed { order: None, .. });
    let settled: Option<(Uuid, Option<Uuid>)> = diesel::update(
        subscription_renewals::table
            .find(renewal)
            .filter(subscription_renewals::status.eq("pending")),
    )
    .set((
        subscription_renewals::status.eq(status),
        subscription_renewals::order_id.eq(order),
        subscription_renewals::failure_code.eq(code),
        subscription_renewals::updated_at.eq(dsl::now),
    ))
    .returning((
        subscription_renewals::subscription_id,
        subscription_renewals::cart_id,
    ))
    .get_result(conn.pg())
    .await
    .optional()?;
    let Some((sub, cart)) = settled else {
        return Ok(false);
    };
    if let (true, Some(cart)) = (drop_cart, cart) {
        diesel::update(subscription_renewals::table.find(renewal))
            .set(subscription_renewals::cart_id.eq(None::<Uuid>))
            .execute(conn.pg())
            .await?;
        diesel::delete(
            carts_table::table
                .filter(carts_table::id.eq(cart))
                .filter(carts_table::status.eq("open")),
        )
        .execute(conn.pg())
        .await?;
    }
    lock(conn, sub).await?;
    apply(conn, sub, next, topic).await?;
    Ok(true)
}

/// Whether a renewal of the subscription has begun and not ended (its
/// checkout's outcome is still to come).
pub async fn renewing(conn: &mut TenantConn, id: Uuid) -> Result<bool, StoreError> {
    Ok(diesel::select(dsl::exists(
        subscription_renewals::table
            .filter(subscription_renewals::subscription_id.eq(id))
            .filter(subscription_renewals::status.eq("pending")),
    ))
    .get_result(conn.pg())
    .await?)
}

/// Record a skipped period (the customer skipped it) before moving on.
pub async fn record_skip(conn: &mut TenantConn, sub: &Subscription) -> Result<(), StoreError> {
    diesel::insert_into(subscription_renewals::table)
        .values((
            subscription_renewals::id.eq(bazaar_domain::ids::new_id()),
            subscription_renewals::subscription_id.eq(sub.id),
            subscription_renewals::period.eq(sub.period),
            subscription_renewals::attempt.eq(sub.failed_attempts + 1),
            subscription_renewals::status.eq("skipped"),
        ))
        .on_conflict_do_nothing()
        .execute(conn.pg())
        .await?;
    Ok(())
}
