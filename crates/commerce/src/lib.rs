//! Bazaar's use cases, one module per capability. A use case takes typed
//! input and the caller's tenant context ([`TenantKey`]) and returns a
//! domain result or a typed refusal ([`refusal`]); it never sees HTTP. It
//! reaches the database only through the store's typed tenant transaction,
//! the region packs through the registry, and money through the payment
//! gateway, all held by [`Services`].
//!
//! The background loops that keep derived data current (the search feed
//! follower) live here too, next to the use cases whose writes they
//! follow; the binary starts them.

pub mod acting;
pub mod brands;
pub mod captures;
pub mod carts;
pub mod catalog;
pub mod catalog_cache;
pub mod checkout;
pub mod context;
pub mod customers;
pub mod fulfilment;
pub mod inventory;
pub mod keys;
pub mod orders;
pub mod payment_events;
pub mod payment_routes;
pub mod payouts;
pub mod prices;
pub mod refunds;
pub mod refusal;
pub mod regions;
mod request_keys;
pub mod search;
pub mod search_feed;
pub mod services;
pub mod sessions;
pub mod shipping;
pub mod subscriptions;
pub mod tenants;
pub mod vendors;

pub use context::{AccessRefusal, TenantKey};
pub use refusal::{Failure, Kind, Outcome, Refusal};
pub use services::{CustomerSettings, Services, Settings, from_now};
