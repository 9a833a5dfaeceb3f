//! Subscriptions: how often a plan renews, and where a subscription is.

use std::fmt;

use crate::DomainError;

/// The unit of a plan's interval (every `count` of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum IntervalUnit {
    Day,
    Week,
    /// Calendar months: a renewal due on the 31st falls on the last day
    /// of a shorter month.
    Month,
}

impl IntervalUnit {
    pub const ALL: [IntervalUnit; 3] = [Self::Day, Self::Week, Self::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|u| u.as_str() == raw)
            .ok_or_else(|| {
                DomainError::new(
                    "invalid_interval",
                    format!("`{raw}` is not an interval unit (day, week, month)"),
                )
            })
    }
}

/// Where a subscription is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum SubscriptionStatus {
    /// Renewed when due.
    Active,
    /// Not renewed until resumed.
    Paused,
    /// The last renewal failed (payment refused, out of stock, a rule of
    /// the region): it is tried again on the dunning schedule.
    PastDue,
    /// Ended, by the customer, the tenant, or dunning running out.
    Cancelled,
}

impl SubscriptionStatus {
    pub const ALL: [SubscriptionStatus; 4] =
        [Self::Active, Self::Paused, Self::PastDue, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::PastDue => "past_due",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                DomainError::new(
                    "invalid_status",
                    format!("`{raw}` is not a subscription status"),
                )
            })
    }

    /// Pausing, resuming and cancelling by hand; renewals move between
    /// active and past due, and dunning may cancel. Nothing leaves
    /// cancelled.
    pub fn can_become(self, next: SubscriptionStatus) -> bool {
        use SubscriptionStatus::*;
        matches!(
            (self, next),
            (Active | PastDue, Paused | Cancelled)
                | (Active, PastDue)
                | (PastDue, Active)
                | (Paused, Active | Cancelled)
        )
    }
}

impl fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in SubscriptionStatus::ALL {
            assert_eq!(SubscriptionStatus::parse(s.as_str()), Ok(s));
        }
        for u in IntervalUnit::ALL {
            assert_eq!(IntervalUnit::parse(u.as_str()), Ok(u));
        }
        assert_eq!(
            IntervalUnit::parse("year").map_err(|e| e.code),
            Err("invalid_interval")
        );
    }

    #[test]
    fn nothing_leaves_cancelled() {
        use SubscriptionStatus::*;
        assert!(Active.can_become(Paused));
        assert!(Paused.can_become(Active));
        assert!(PastDue.can_become(Active));
        assert!(!Paused.can_become(PastDue));
        for next in SubscriptionStatus::ALL {
            assert!(!Cancelled.can_become(next));
        }
    }
}
