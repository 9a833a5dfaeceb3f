//! The order state machine. Every transition an order can make is listed
//! here; anything else is refused with both states named.

use std::fmt;

use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum OrderStatus {
    /// Stock reserved; waiting for the payment to go through.
    PendingPayment,
    /// Paid; the vendors can start.
    Paid,
    /// At least one vendor is preparing its part.
    Fulfilling,
    /// Some vendor parts have shipped.
    PartiallyShipped,
    /// Every vendor part has shipped.
    Shipped,
    Delivered,
    Cancelled,
    /// The payment was refused; the reservation was released.
    PaymentFailed,
    Refunded,
    PartiallyRefunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 10] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Fulfilling,
        OrderStatus::PartiallyShipped,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::PaymentFailed,
        OrderStatus::Refunded,
        OrderStatus::PartiallyRefunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Fulfilling => "fulfilling",
            OrderStatus::PartiallyShipped => "partially_shipped",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::PaymentFailed => "payment_failed",
            OrderStatus::Refunded => "refunded",
            OrderStatus::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                DomainError::new("invalid_status", format!("`{raw}` is not an order status"))
            })
    }

    /// Whether the order may move from this status to `next`.
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (PendingPayment, Paid | PaymentFailed | Cancelled)
                | (
                    Paid,
                    Fulfilling
                        | PartiallyShipped
                        | Shipped
                        | Cancelled
                        | Refunded
                        | PartiallyRefunded
                )
                | (
                    Fulfilling,
                    PartiallyShipped | Shipped | Cancelled | Refunded | PartiallyRefunded
                )
                | (
                    PartiallyShipped,
                    PartiallyShipped | Shipped | PartiallyRefunded | Refunded
                )
                | (Shipped, Delivered | PartiallyRefunded | Refunded)
                | (Delivered, PartiallyRefunded | Refunded)
                | (PartiallyRefunded, PartiallyRefunded | Refunded)
        )
    }

    /// Move to `next`, or the 409-worthy reason why not.
    pub fn transition(self, next: OrderStatus) -> Result<OrderStatus, DomainError> {
        if self.can_become(next) {
            Ok(next)
        } else {
            Err(DomainError::new(
                "illegal_transition",
                format!(
                    "an order that is {} cannot become {}",
                    self.as_str(),
                    next.as_str()
                ),
            ))
        }
    }

    /// No further transition is possible.
    pub fn is_final(self) -> bool {
        Self::ALL.iter().all(|next| !self.can_become(*next))
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    #[test]
    fn the_happy_path_is_legal() {
        let mut status = PendingPayment;
        for next in [
            Paid,
            Fulfilling,
            PartiallyShipped,
            Shipped,
            Delivered,
            PartiallyRefunded,
            Refunded,
        ] {
            status = status.transition(next).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(status, Refunded);
    }

    #[test]
    fn illegal_transitions_name_both_states() {
        let err = PaymentFailed
            .transition(Paid)
            .expect_err("a failed payment is final");
        assert_eq!(err.code, "illegal_transition");
        assert_eq!(
            err.message,
            "an order that is payment_failed cannot become paid"
        );
        assert!(
            Delivered.transition(Cancelled).is_err(),
            "a delivered order is refunded, not cancelled"
        );
        assert!(Shipped.transition(PendingPayment).is_err());
    }

    #[test]
    fn final_states_and_names() {
        let finals: Vec<OrderStatus> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(finals, [Cancelled, PaymentFailed, Refunded]);
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Ok(status));
        }
    }
}
