//! A vendor's onboarding status and the moves between statuses.

use std::fmt;

use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VendorStatus {
    /// Applied; waiting for a tenant admin.
    Pending,
    /// May sell.
    Approved,
    /// The application was refused.
    Rejected,
    /// Barred from selling for now; its listings are hidden.
    Suspended,
}

/// What a tenant admin can do to a vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorAction {
    Approve,
    Reject,
    Suspend,
    Reinstate,
}

impl VendorStatus {
    pub const ALL: [VendorStatus; 4] = [
        VendorStatus::Pending,
        VendorStatus::Approved,
        VendorStatus::Rejected,
        VendorStatus::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VendorStatus::Pending => "pending",
            VendorStatus::Approved => "approved",
            VendorStatus::Rejected => "rejected",
            VendorStatus::Suspended => "suspended",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                DomainError::new("invalid_status", format!("`{raw}` is not a vendor status"))
            })
    }

    /// The status `action` leads to from this one, or why it cannot.
    pub fn apply(self, action: VendorAction) -> Result<VendorStatus, DomainError> {
        use VendorAction::*;
        use VendorStatus::*;
        let next = match (self, action) {
            (Pending, Approve) | (Rejected, Approve) => Approved,
            (Pending, Reject) => Rejected,
            (Approved, Suspend) => Suspended,
            (Suspended, Reinstate) => Approved,
            _ => {
                return Err(DomainError::new(
                    "illegal_transition",
                    format!(
                        "a vendor that is {} cannot be {}",
                        self.as_str(),
                        action.past_tense()
                    ),
                ));
            }
        };
        Ok(next)
    }

    /// Whether the vendor's products may show in storefronts.
    pub fn may_sell(self) -> bool {
        self == VendorStatus::Approved
    }
}

impl VendorAction {
    fn past_tense(self) -> &'static str {
        match self {
            VendorAction::Approve => "approved",
            VendorAction::Reject => "rejected",
            VendorAction::Suspend => "suspended",
            VendorAction::Reinstate => "reinstated",
        }
    }
}

impl fmt::Display for VendorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::VendorAction::*;
    use super::VendorStatus::*;

    #[test]
    fn legal_moves() {
        assert_eq!(Pending.apply(Approve), Ok(Approved));
        assert_eq!(Pending.apply(Reject), Ok(Rejected));
        assert_eq!(Rejected.apply(Approve), Ok(Approved));
        assert_eq!(Approved.apply(Suspend), Ok(Suspended));
        assert_eq!(Suspended.apply(Reinstate), Ok(Approved));
    }

    #[test]
    fn illegal_moves_name_both_sides() {
        let err = Approved.apply(Approve).expect_err("already approved");
        assert_eq!(err.code, "illegal_transition");
        assert_eq!(err.message, "a vendor that is approved cannot be approved");
        for (from, action) in [
            (Pending, Suspend),
            (Rejected, Reinstate),
            (Suspended, Reject),
            (Approved, Reject),
        ] {
            assert!(from.apply(action).is_err(), "{from:?} {action:?}");
        }
    }
}
