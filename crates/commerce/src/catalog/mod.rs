//! The catalog: vendors' products and variants (written one at a time or
//! imported in bulk), the category tree, which product shows in which
//! brand (listings), and what shoppers browse.
//!
//! Every catalog write refreshes the listings it touches in the same
//! transaction and, once committed, bumps the tenant's catalog version so
//! cached storefront pages are read afresh ([`crate::catalog_cache`]).

pub mod browse;
pub mod categories;
pub mod import;
pub mod listings;
pub mod products;
pub mod variants;
