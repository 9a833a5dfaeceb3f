//! Bazaar's domain vocabulary: identifiers, slugs, currencies and money,
//! key scopes, the order and vendor-order state machines, and the checks
//! and errors for values users send. Nothing here does I/O.

pub mod currency;
pub mod error;
pub mod ids;
pub mod money;
pub mod order;
pub mod scope;
pub mod slug;
pub mod validate;
pub mod vendor;

pub use currency::Currency;
pub use error::DomainError;
pub use money::Money;
pub use scope::Scope;
pub use slug::Slug;
