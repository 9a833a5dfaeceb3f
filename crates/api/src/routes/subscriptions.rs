//! Subscriptions (replenishment): `/v1/subscription-plans` a tenant
//! offers, and customers' `/v1/subscriptions` to them, renewed by
//! housekeeping through checkout. The edge of
//! `bazaar_commerce::subscriptions`.

use bazaar_commerce::subscriptions::{self, Action, Detail, Subscribe};
use bazaar_store::tenant::subscriptions::{Plan, Renewal, Subscription};
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use uuid::Uuid;

use super::{Created, Tag};
use crate::auth::ApiKey;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::statuses::SubscriptionStatus;
use crate::timestamp::Timestamp;

/// The unit of a plan's interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum IntervalUnit {
    Day,
    Week,
    /// Calendar months (a renewal due on the 31st falls on the last day
    /// of a shorter month).
    Month,
}

impl From<IntervalUnit> for bazaar_domain::IntervalUnit {
    fn from(unit: IntervalUnit) -> Self {
        match unit {
            IntervalUnit::Day => Self::Day,
            IntervalUnit::Week => Self::Week,
            IntervalUnit::Month => Self::Month,
        }
    }
}

impl From<bazaar_domain::IntervalUnit> for IntervalUnit {
    fn from(unit: bazaar_domain::IntervalUnit) -> Self {
        match unit {
            bazaar_domain::IntervalUnit::Day => Self::Day,
            bazaar_domain::IntervalUnit::Week => Self::Week,
            bazaar_domain::IntervalUnit::Month => Self::Month,
        }
    }
}

/// How often subscriptions to a plan renew.
#[derive(Debug, Object)]
pub struct PlanView {
    pub id: Uuid,
    pub name: String,
    /// Renewed every `interval_count` `interval_unit`s.
    pub interval_unit: IntervalUnit,
    pub interval_count: i32,
    /// Whether it takes new subscriptions (existing ones renew either way).
    pub active: bool,
    pub created_at: Timestamp,
}

impl From<Plan> for PlanView {
    fn from(p: Plan) -> Self {
        Self {
            id: p.id,
            name: p.name,
            interval_unit: p.interval_unit.into(),
            interval_count: p.interval_count,
            active: p.active,
            created_at: p.created_at.into(),
        }
    }
}

#[derive(Debug, Object)]
pub struct PlanList {
    pub items: Vec<PlanView>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewPlan {
    /// 1-100 characters.
    pub name: String,
    pub interval_unit: IntervalUnit,
    /// 1-365 units between renewals.
    pub interval_count: i32,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PlanChange {
    /// `false` closes the plan to new subscriptions.
    pub active: bool,
}

/// A line renewed every period.
#[derive(Debug, Object)]
pub struct SubscriptionLine {
    pub variant_id: Uuid,
    /// 1-10,000.
    pub quantity: i32,
}

/// One renewal attempt and how it ended.
#[derive(Debug, Object)]
pub struct RenewalView {
    pub id: Uuid,
    /// The period renewed (0 for the first).
    pub period: i32,
    /// 1 for the renewal on its due date, more for dunning retries.
    pub attempt: i32,
    /// `pending` (its checkout's outcome is not known yet), `paid`,
    /// `failed` or `skipped`.
    pub status: String,
    /// The order the renewal placed, if it got that far.
    pub order_id: Option<Uuid>,
    /// Why it failed: the payment's failure, or checkout's refusal code
    /// (`out_of_stock`, `age_verification_required`, ...).
    pub failure_code: Option<String>,
    pub created_at: Timestamp,
}

impl From<Renewal> for RenewalView {
    fn from(r: Renewal) -> Self {
        Self {
            id: r.id,
            period: r.period,
            attempt: r.attempt,
            status: r.status,
            order_id: r.order_id,
            failure_code: r.failure_code,
            created_at: r.created_at.into(),
        }
    }
}

/// A customer's subscription.
#[derive(Debug, Object)]
pub struct SubscriptionView {
    pub id: Uuid,
    pub brand_id: Uuid,
    pub customer_id: Uuid,
    pub plan_id: Uuid,
    /// The region pack that prices and checks each renewal.
    pub region: String,
    pub status: SubscriptionStatus,
    /// When the next renewal is due (kept while paused; none once
    /// cancelled).
    pub next_renewal_at: Option<Timestamp>,
    /// Renewals made (or skipped) so far.
    pub period: i32,
    /// Failed attempts at the current period's renewal.
    pub failed_attempts: i32,
    pub cancel_reason: Option<String>,
    pub created_at: Timestamp,
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> Self {
        Self {
            id: s.id,
            brand_id: s.brand_id,
            customer_id: s.customer_id,
            plan_id: s.plan_id,
            region: s.region,
            status: s.status.into(),
            next_renewal_at: s.next_renewal_at.map(Into::into),
            period: s.period,
            failed_attempts: s.failed_attempts,
            cancel_reason: s.cancel_reason,
            created_at: s.created_at.into(),
        }
    }
}

/// A subscription with its plan, lines and renewals (newest first).
#[derive(Debug, Object)]
pub struct SubscriptionDetail {
    #[oai(flatten)]
    pub subscription: SubscriptionView,
    pub plan: PlanView,
    pub lines: Vec<SubscriptionLine>,
    pub renewals: Vec<RenewalView>,
}

impl From<Detail> for SubscriptionDetail {
    fn from(d: Detail) -> Self {
        Self {
            subscription: d.subscription.into(),
            plan: d.plan.into(),
            lines: d
                .lines
                .into_iter()
                .map(|(variant_id, quantity)| SubscriptionLine {
                    variant_id,
                    quantity,
                })
                .collect(),
            renewals: d.renewals.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Object)]
pub struct SubscriptionList {
    pub items: Vec<SubscriptionView>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewSubscriptionInput {
    pub plan_id: Uuid,
    /// 1-50 lines, each variant once.
    pub lines: Vec<SubscriptionLine>,
    /// The customer's saved payment method, tokenised by the provider
    /// (charged off-session at each renewal).
    pub payment_token: String,
    /// Where it is delivered: a region the tenant sells in (default: the
    /// brand's default region).
    pub region: Option<String>,
    /// When the first renewal is due (default now: made by the next
    /// housekeeping pass); at most a year ahead.
    pub first_renewal_at: Option<Timestamp>,
}

pub struct SubscriptionsApi {
    pub state: AppState,
}

#[OpenApi(tag = "Tag::Subscriptions")]
impl SubscriptionsApi {
    /// Offer a subscription plan
    ///
    /// Tenant admin key. Customers subscribe their own lines to it; each
    /// renews every `interval_count` `interval_unit`s.
    #[oai(
        path = "/v1/subscription-plans",
        method = "post",
        operation_id = "create_subscription_plan"
    )]
    async fn create_plan(&self, auth: ApiKey, body: Json<NewPlan>) -> ApiResult<Created<PlanView>> {
        let key = auth.0.tenant()?;
        let NewPlan {
            name,
            interval_unit,
            interval_count,
        } = body.0;
        let plan = subscriptions::create_plan(
            &self.state,
            key,
            name,
            interval_unit.into(),
            interval_count,
        )
        .await?;
        Ok(Created::Created(Json(plan.into())))
    }

    /// List subscription plans
    ///
    /// A storefront key sees the plans open to new subscriptions; a tenant
    /// admin key sees every plan.
    #[oai(
        path = "/v1/subscription-plans",
        method = "get",
        operation_id = "list_subscription_plans"
    )]
    async fn list_plans(&self, auth: ApiKey) -> ApiResult<Json<PlanList>> {
        let key = auth.0.tenant()?;
        let plans = subscriptions::plans(&self.state, key).await?;
        Ok(Json(PlanList {
            items: plans.into_iter().map(Into::into).collect(),
        }))
    }

    /// Open or close a plan
    ///
    /// Tenant admin key. A closed plan takes no new subscriptions; those
    /// already made keep renewing.
    #[oai(
        path = "/v1/subscription-plans/:plan_id",
        method = "patch",
        operation_id = "update_subscription_plan"
    )]
    async fn update_plan(
        &self,
        auth: ApiKey,
        plan_id: Path<Uuid>,
        body: Json<PlanChange>,
    ) -> ApiResult<Json<PlanView>> {
        let key = auth.0.tenant()?;
        let plan =
            subscriptions::set_plan_active(&self.state, key, plan_id.0, body.0.active).await?;
        Ok(Json(plan.into()))
    }

    /// Subscribe
    ///
    /// Storefront key with the customer's `X-Customer-Token`. Each renewal
    /// is an order placed through checkout when due (stock, region rules
    /// and age checks at that time), charged to `payment_token`; a failed
    /// renewal is retried 1, 3 and 5 days later, then the subscription is
    /// cancelled.
    #[oai(
        path = "/v1/subscriptions",
        method = "post",
        operation_id = "create_subscription"
    )]
    async fn subscribe(
        &self,
        auth: ApiKey,
        /// The subscribing customer's session.
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
        body: Json<NewSubscriptionInput>,
    ) -> ApiResult<Created<SubscriptionDetail>> {
        let key = auth.0.tenant()?;
        let customer =
            crate::request_parts::signed_in(&self.state, key, session.0.as_deref()).await?;
        let NewSubscriptionInput {
            plan_id,
            lines,
            payment_token,
            region,
            first_renewal_at,
        } = body.0;
        let detail = subscriptions::subscribe(
            &self.state,
            key,
            customer,
            Subscribe {
                plan_id,
                lines: lines
                    .into_iter()
                    .map(|l| (l.variant_id, l.quantity))
                    .collect(),
                payment_token,
                region,
                first_renewal_at: first_renewal_at.map(|at| at.0),
            },
        )
        .await?;
        Ok(Created::Created(Json(detail.into())))
    }

    /// List subscriptions
    ///
    /// With a storefront key, the signed-in customer's (their
    /// `X-Customer-Token`); with a tenant admin key, every subscription.
    /// Newest first, at most 200.
    #[oai(
        path = "/v1/subscriptions",
        method = "get",
        operation_id = "list_subscriptions"
    )]
    async fn list(
        &self,
        auth: ApiKey,
        /// The customer's session (a storefront key sees only their
        /// subscriptions).
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
        /// Only subscriptions in this status.
        status: Query<Option<SubscriptionStatus>>,
    ) -> ApiResult<Json<SubscriptionList>> {
        let key = auth.0.tenant()?;
        let customer = self.customer(key, session.0).await?;
        let found =
            subscriptions::list(&self.state, key, customer, status.0.map(Into::into)).await?;
        Ok(Json(SubscriptionList {
            items: found.into_iter().map(Into::into).collect(),
        }))
    }

    /// Get a subscription
    ///
    /// With its plan, lines and renewals (each with its order, or why it
    /// failed). Seen as `GET /v1/subscriptions` sees it.
    #[oai(
        path = "/v1/subscriptions/:subscription_id",
        method = "get",
        operation_id = "get_subscription"
    )]
    async fn get(
        &self,
        auth: ApiKey,
        subscription_id: Path<Uuid>,
        /// The customer's session (a storefront key sees only their
        /// subscriptions).
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
    ) -> ApiResult<Json<SubscriptionDetail>> {
        let key = auth.0.tenant()?;
        let customer = self.customer(key, session.0).await?;
        let detail = subscriptions::get(&self.state, key, customer, subscription_id.0).await?;
        Ok(Json(detail.into()))
    }

    /// Pause a subscription
    ///
    /// No renewals until resumed; its due date is kept. 409
    /// `renewal_in_progress` while a renewal is under way.
    #[oai(
        path = "/v1/subscriptions/:subscription_id/pause",
        method = "post",
        operation_id = "pause_subscription"
    )]
    async fn pause(
        &self,
        auth: ApiKey,
        subscription_id: Path<Uuid>,
        /// The customer's session (a storefront key sees only their
        /// subscriptions).
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
    ) -> ApiResult<Json<SubscriptionDetail>> {
        self.act(auth, subscription_id.0, session.0, Action::Pause)
            .await
    }

    /// Resume a subscription
    ///
    /// A paused subscription renews again; a due date already past renews
    /// at the next housekeeping pass.
    #[oai(
        path = "/v1/subscriptions/:subscription_id/resume",
        method = "post",
        operation_id = "resume_subscription"
    )]
    async fn resume(
        &self,
        auth: ApiKey,
        subscription_id: Path<Uuid>,
        /// The customer's session (a storefront key sees only their
        /// subscriptions).
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
    ) -> ApiResult<Json<SubscriptionDetail>> {
        self.act(auth, subscription_id.0, session.0, Action::Resume)
            .await
    }

    /// Skip the next renewal
    ///
    /// The next renewal is not made; the one after it is due one interval
    /// later (a skipped renewal is listed as `skipped`).
    #[oai(
        path = "/v1/subscriptions/:subscription_id/skip",
        method = "post",
        operation_id = "skip_subscription_renewal"
    )]
    async fn skip(
        &self,
        auth: ApiKey,
        subscription_id: Path<Uuid>,
        /// The customer's session (a storefront key sees only their
        /// subscriptions).
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
    ) -> ApiResult<Json<SubscriptionDetail>> {
        self.act(auth, subscription_id.0, session.0, Action::Skip)
            .await
    }

    /// Cancel a subscription
    ///
    /// No more renewals. Cancelling a cancelled subscription answers it
    /// unchanged.
    #[oai(
        path = "/v1/subscriptions/:subscription_id/cancel",
        method = "post",
        operation_id = "cancel_subscription"
    )]
    async fn cancel(
        &self,
        auth: ApiKey,
        subscription_id: Path<Uuid>,
        /// The customer's session (a storefront key sees only their
        /// subscriptions).
        #[oai(name = "X-Customer-Token")]
        session: Header<Option<String>>,
    ) -> ApiResult<Json<SubscriptionDetail>> {
        self.act(auth, subscription_id.0, session.0, Action::Cancel)
            .await
    }
}

impl SubscriptionsApi {
    /// The signed-in customer, when a session came.
    async fn customer(
        &self,
        key: &bazaar_commerce::TenantKey,
        session: Option<String>,
    ) -> ApiResult<Option<Uuid>> {
        crate::request_parts::signed_in(&self.state, key, session.as_deref()).await
    }

    async fn act(
        &self,
        auth: ApiKey,
        id: Uuid,
        session: Option<String>,
        action: Action,
    ) -> ApiResult<Json<SubscriptionDetail>> {
        let key = auth.0.tenant()?;
        let customer = self.customer(key, session).await?;
        let detail = subscriptions::act(&self.state, key, customer, id, action).await?;
        Ok(Json(detail.into()))
    }
}
