//! Bazaar's domain vocabulary: identifiers, slugs, currencies and money,
//! key scopes, the order and vendor-order state machines, and the checks
//! and errors for values users send. Nothing here does I/O.

pub mod currency;
pub mod error;
pub mod fulfilment;
pub mod ids;
pub mod money;
pub mod order;
pub mod scope;
pub mod slug;
#[cfg(feature = "diesel")]
mod sql;
pub mod subscription;
pub mod validate;
pub mod vendor;

pub use currency::Currency;
pub use error::DomainError;
pub use fulfilment::{CaptureMode, CaptureStatus, PaymentStatus, RefundStatus, VendorOrderStatus};
pub use money::Money;
pub use order::OrderStatus;
pub use scope::Scope;
pub use slug::Slug;
pub use subscription::{IntervalUnit, SubscriptionStatus};

/// Names written where a value is shown by name (a refusal's details): a
/// scope, status or currency serializes as the name it is stored under.
macro_rules! serialize_as_name {
    ($($t:ty),*) => {
        $(impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        })*
    };
}

serialize_as_name!(
    Scope,
    OrderStatus,
    VendorOrderStatus,
    PaymentStatus,
    RefundStatus,
    SubscriptionStatus,
    IntervalUnit,
    Currency
);
