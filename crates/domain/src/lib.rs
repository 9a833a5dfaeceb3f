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
pub mod validate;
pub mod vendor;

pub use currency::Currency;
pub use error::DomainError;
pub use fulfilment::{PaymentStatus, VendorOrderStatus};
pub use money::Money;
pub use order::OrderStatus;
pub use scope::Scope;
pub use slug::Slug;
