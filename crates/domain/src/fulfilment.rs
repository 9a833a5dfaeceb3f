//! A vendor's part of an order and the payment of an order: their statuses
//! and the moves between them.

use std::fmt;

use crate::DomainError;
use crate::order::OrderStatus;

/// Where a vendor's part of an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum VendorOrderStatus {
    /// Paid; the vendor has not packed it yet.
    Pending,
    /// Packed, waiting for the carrier.
    Packed,
    /// Handed to the carrier (or out with the vendor's own driver), with a
    /// tracking number.
    Shipped,
    /// At the door.
    Delivered,
    /// The carrier could not deliver it (the reason is on the order's
    /// timeline); it may still be delivered on a later attempt.
    DeliveryFailed,
    /// Cancelled before it shipped (with the whole order): its stock is
    /// back on hand and its money released or given back.
    Cancelled,
}

impl VendorOrderStatus {
    pub const ALL: [VendorOrderStatus; 6] = [
        Self::Pending,
        Self::Packed,
        Self::Shipped,
        Self::Delivered,
        Self::DeliveryFailed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Packed => "packed",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::DeliveryFailed => "delivery_failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether it has left the warehouse (shipped, delivered or a failed
    /// delivery): it can no longer be cancelled, only refunded.
    pub fn has_left(self) -> bool {
        matches!(self, Self::Shipped | Self::Delivered | Self::DeliveryFailed)
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                DomainError::new(
                    "invalid_status",
                    format!("`{raw}` is not a vendor order status"),
                )
            })
    }

    /// Whether the part may move from this status to `next`: packing is
    /// optional, nothing moves backwards, only what has not shipped is
    /// cancelled, and a failed delivery may be delivered on a later try.
    pub fn can_become(self, next: VendorOrderStatus) -> bool {
        use VendorOrderStatus::*;
        matches!(
            (self, next),
            (Pending, Packed)
                | (Pending | Packed, Shipped | Cancelled)
                | (Shipped, Delivered | DeliveryFailed)
                | (DeliveryFailed, Delivered)
        )
    }
}

impl fmt::Display for VendorOrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl OrderStatus {
    /// The status a paid order follows from its vendor parts (those not
    /// cancelled): delivered when all are, shipped when all have left the
    /// warehouse, partially shipped when some have, else fulfilling.
    pub fn of_parts(parts: u64, shipped: u64, delivered: u64) -> OrderStatus {
        if parts > 0 && delivered >= parts {
            OrderStatus::Delivered
        } else if parts > 0 && shipped >= parts {
            OrderStatus::Shipped
        } else if shipped > 0 {
            OrderStatus::PartiallyShipped
        } else {
            OrderStatus::Fulfilling
        }
    }
}

/// Where an order's payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum PaymentStatus {
    /// Not settled yet.
    Pending,
    /// The provider needs the shopper first (a 3-D Secure challenge,
    /// approving a wallet payment): nothing is charged yet.
    RequiresAction,
    /// The money is held on the shopper's card, captured part by part as
    /// the vendors ship.
    Authorized,
    /// The gateway took the money (all of it, or every part that shipped,
    /// the rest released).
    Succeeded,
    /// The gateway refused it.
    Failed,
    /// The authorisation was released before anything was captured (the
    /// order was cancelled).
    Voided,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 6] = [
        Self::Pending,
        Self::RequiresAction,
        Self::Authorized,
        Self::Succeeded,
        Self::Failed,
        Self::Voided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::RequiresAction => "requires_action",
            Self::Authorized => "authorized",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Voided => "voided",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                DomainError::new("invalid_status", format!("`{raw}` is not a payment status"))
            })
    }

    /// A pending payment settles once (perhaps after waiting for the
    /// shopper); an authorised one ends captured or voided.
    pub fn can_become(self, next: PaymentStatus) -> bool {
        matches!(
            (self, next),
            (
                Self::Pending,
                Self::RequiresAction | Self::Authorized | Self::Succeeded | Self::Failed
            ) | (
                Self::RequiresAction,
                Self::Authorized | Self::Succeeded | Self::Failed
            ) | (Self::Authorized, Self::Succeeded | Self::Voided)
        )
    }
}

/// When an order's money is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum CaptureMode {
    /// At checkout.
    #[default]
    Immediate,
    /// Authorised at checkout; each vendor's part captured when it ships,
    /// the rest released when the last part ships or is cancelled.
    OnShipment,
}

impl CaptureMode {
    pub const ALL: [CaptureMode; 2] = [Self::Immediate, Self::OnShipment];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Immediate => "immediate",
            Self::OnShipment => "on_shipment",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                DomainError::new(
                    "invalid_capture_mode",
                    format!("`{raw}` is not a capture mode (immediate, on_shipment)"),
                )
            })
    }
}

impl fmt::Display for CaptureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a capture of an authorised payment is: the same three states as
/// a refund's (asked of the provider, made, or refused).
pub type CaptureStatus = RefundStatus;

/// Where a refund is: asked of the provider, made, or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum RefundStatus {
    /// Recorded; the provider has not confirmed it yet (asked, or to be
    /// asked again with the same key).
    Pending,
    /// The provider gave the money back.
    Succeeded,
    /// The provider refused it; nothing was given back.
    Failed,
}

impl RefundStatus {
    pub const ALL: [RefundStatus; 3] = [Self::Pending, Self::Succeeded, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                DomainError::new("invalid_status", format!("`{raw}` is not a refund status"))
            })
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_parts_move_forward_only() {
        use VendorOrderStatus::*;
        assert!(Pending.can_become(Packed));
        assert!(Pending.can_become(Shipped));
        assert!(Packed.can_become(Shipped));
        assert!(!Packed.can_become(Packed));
        assert!(!Shipped.can_become(Packed));
        assert!(!Shipped.can_become(Pending));
        assert!(Shipped.can_become(Delivered));
        assert!(Shipped.can_become(DeliveryFailed));
        assert!(DeliveryFailed.can_become(Delivered));
        assert!(!Delivered.can_become(DeliveryFailed));
        assert!(!Packed.can_become(Delivered), "it ships first");
        assert!(!Delivered.can_become(Cancelled));
        for s in VendorOrderStatus::ALL {
            assert_eq!(VendorOrderStatus::parse(s.as_str()), Ok(s));
        }
    }

    #[test]
    fn an_order_follows_its_parts() {
        assert_eq!(OrderStatus::of_parts(3, 0, 0), OrderStatus::Fulfilling);
        assert_eq!(
            OrderStatus::of_parts(3, 1, 0),
            OrderStatus::PartiallyShipped
        );
        assert_eq!(OrderStatus::of_parts(3, 3, 0), OrderStatus::Shipped);
        assert_eq!(OrderStatus::of_parts(1, 1, 0), OrderStatus::Shipped);
        assert_eq!(OrderStatus::of_parts(2, 2, 1), OrderStatus::Shipped);
        assert_eq!(OrderStatus::of_parts(2, 2, 2), OrderStatus::Delivered);
    }

    #[test]
    fn a_payment_settles_once() {
        use PaymentStatus::*;
        assert!(Pending.can_become(Succeeded));
        assert!(Pending.can_become(Failed));
        assert!(!Succeeded.can_become(Failed));
        assert!(!Failed.can_become(Succeeded));
        // Waiting for the shopper, then settled either way, never back.
        assert!(Pending.can_become(RequiresAction));
        assert!(RequiresAction.can_become(Authorized));
        assert!(RequiresAction.can_become(Failed));
        assert!(!RequiresAction.can_become(Pending));
        assert!(!Succeeded.can_become(RequiresAction));
        assert_eq!(PaymentStatus::parse("requires_action"), Ok(RequiresAction));
        assert_eq!(PaymentStatus::parse("succeeded"), Ok(Succeeded));
        assert!(PaymentStatus::parse("refunded").is_err());
    }
}
