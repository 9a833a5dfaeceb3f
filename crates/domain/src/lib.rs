//! Bazaar's domain vocabulary: identifiers, slugs, currencies, key scopes
//! and the checks and errors for values users send. Nothing here does I/O.

pub mod currency;
pub mod error;
pub mod ids;
pub mod order;
pub mod scope;
pub mod slug;
pub mod validate;
pub mod vendor;

pub use currency::Currency;
pub use error::DomainError;
pub use scope::Scope;
pub use slug::Slug;
