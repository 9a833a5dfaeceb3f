//! The domain's statuses on the wire: each is a closed set of names in the
//! OpenAPI document (so generated clients get a union or enum, not a
//! string), converted to and from the domain's enum by an exhaustive match
//! (a status added to the domain does not compile until it is named here).

use bazaar_domain::{
    OrderStatus as DomainOrderStatus, PaymentStatus as DomainPaymentStatus,
    VendorOrderStatus as DomainVendorOrderStatus,
};
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
    }
}

wire_status! {
    /// Where an order's payment is.
    PaymentStatus mirrors DomainPaymentStatus {
        /// Not settled yet.
        Pending,
        /// The gateway took the money.
        Succeeded,
        /// The gateway refused it.
        Failed,
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
    }
}
