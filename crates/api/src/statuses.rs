//! The domain's statuses (and the region rules' violation codes) on the wire: each is a closed set of names in the
//! OpenAPI document (so generated clients get a union or enum, not a
//! string), converted to and from the domain's enum by an exhaustive match
//! (a status added to the domain does not compile until it is named here).

use bazaar_domain::{
    CaptureMode as DomainCaptureMode, OrderStatus as DomainOrderStatus,
    PaymentStatus as DomainPaymentStatus, RefundStatus as DomainRefundStatus,
    SubscriptionStatus as DomainSubscriptionStatus, VendorOrderStatus as DomainVendorOrderStatus,
};
use bazaar_regions::quote::ViolationCode as RegionViolationCode;
use poem_openapi::Enum;

macro_rules! wire_status {
    ($(#[$meta:meta])* $name:ident mirrors $domain:ident {
        $($(#[$variant_meta:meta])* $variant:ident),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
        #[oai(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$variant_meta])* $variant),*
        }

        impl From<$domain> for $name {
            fn from(status: $domain) -> Self {
                match status {
                    $($domain::$variant => Self::$variant),*
                }
            }
        }

        impl From<$name> for $domain {
            fn from(status: $name) -> Self {
                match status {
                    $($name::$variant => Self::$variant),*
                }
            }
        }
    };
}

wire_status! {
    /// Where an order is: `pending_payment` → `paid` → `fulfilling` →
    /// `partially_shipped` → `shipped` → `delivered`, or `payment_failed`,
    /// `cancelled`, `refunded`, `partially_refunded`.
    OrderStatus mirrors DomainOrderStatus {
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
}

wire_status! {
    /// Where a vendor's part of an order is.
    VendorOrderStatus mirrors DomainVendorOrderStatus {
        /// Paid; the vendor has not packed it yet.
        Pending,
        /// Packed, waiting for the carrier.
        Packed,
        /// Handed to the carrier, with a tracking number.
        Shipped,
        /// At the door.
        Delivered,
        /// The carrier could not deliver it (why is on the order's
        /// timeline); a later attempt may still deliver it.
        DeliveryFailed,
        /// Cancelled before it shipped: its stock is back, its money
        /// released or given back.
        Cancelled,
    }
}

wire_status! {
    /// Where an order's payment is.
    PaymentStatus mirrors DomainPaymentStatus {
        /// Not settled yet.
        Pending,
        /// The provider needs the shopper first: `payment_action` says what
        /// to do (a 3-D Secure challenge, approving a wallet payment); then
        /// `POST /v1/orders/{order_id}/payment/confirm`. Nothing is charged
        /// yet and the order's stock is held meanwhile.
        RequiresAction,
        /// The money is held on the card; each vendor's part is captured
        /// when it ships (`captured_total` says how much so far).
        Authorized,
        /// The gateway took the money (all of it, or every part that
        /// shipped, the rest released).
        Succeeded,
        /// The gateway refused it.
        Failed,
        /// The hold was released before anything was captured (the order
        /// was cancelled).
        Voided,
    }
}

wire_status! {
    /// Where a subscription is.
    SubscriptionStatus mirrors DomainSubscriptionStatus {
        /// Renewed when due.
        Active,
        /// Not renewed until resumed.
        Paused,
        /// The last renewal failed (payment refused, out of stock, a rule
        /// of the region): retried 1, 3 and 5 days later.
        PastDue,
        /// Ended: by the customer, the tenant, or failed renewals.
        Cancelled,
    }
}

wire_status! {
    /// When an order's money is taken.
    CaptureMode mirrors DomainCaptureMode {
        /// At checkout.
        Immediate,
        /// Authorised at checkout; each vendor's part captured when it
        /// ships, the rest released by the last capture or by cancelling.
        OnShipment,
    }
}

wire_status! {
    /// Where a refund is.
    RefundStatus mirrors DomainRefundStatus {
        /// Recorded; the provider has not confirmed it yet. It is asked
        /// again (with the same key, so it is made at most once) until it
        /// answers.
        Pending,
        /// The money is back with the shopper.
        Succeeded,
        /// The provider refused it (`failure_code` says why); nothing was
        /// given back.
        Failed,
    }
}

wire_status! {
    /// What kind of region rule an order breaks.
    ViolationCode mirrors RegionViolationCode {
        /// A line's category may not be sold in the region.
        RestrictedCategory,
        /// The region requires a verified age for a line's category.
        AgeVerificationRequired,
        /// A purchase limit counts a measure (grams, millilitres) the line lacks.
        MeasureRequired,
        /// A purchase limit counts a measure the line's unit cannot convert to.
        IncompatibleMeasure,
        /// Over a purchase limit (per order or per day).
        PurchaseLimitExceeded,
        /// Below the region's minimum order for delivery.
        BelowMinimumOrder,
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;

    /// The wire name of every status is the name the domain stores.
    #[test]
    fn wire_names_are_the_stored_names() {
        for s in DomainOrderStatus::ALL {
            assert_eq!(OrderStatus::from(s).to_json(), Some(s.as_str().into()));
            assert_eq!(DomainOrderStatus::from(OrderStatus::from(s)), s);
        }
        for s in DomainVendorOrderStatus::ALL {
            assert_eq!(
                VendorOrderStatus::from(s).to_json(),
                Some(s.as_str().into())
            );
        }
        for s in DomainPaymentStatus::ALL {
            assert_eq!(PaymentStatus::from(s).to_json(), Some(s.as_str().into()));
        }
        for s in DomainSubscriptionStatus::ALL {
            assert_eq!(
                SubscriptionStatus::from(s).to_json(),
                Some(s.as_str().into())
            );
        }
        for s in DomainRefundStatus::ALL {
            assert_eq!(RefundStatus::from(s).to_json(), Some(s.as_str().into()));
        }
        for c in RegionViolationCode::ALL {
            assert_eq!(ViolationCode::from(c).to_json(), Some(c.as_str().into()));
        }
    }
}
