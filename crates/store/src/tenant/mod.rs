//! Repositories for tables inside a tenant schema. Every function takes a
//! connection that is already inside `Db::tenant_tx` or `Db::tenant_read`,
//! so its unqualified table names resolve to that tenant only.

pub mod backorders;
pub mod brands;
pub mod carts;
pub mod categories;
pub mod customers;
pub mod housekeeping;
pub mod idempotency;
pub mod inventory;
pub mod listings;
pub mod loyalty;
pub mod orders;
pub mod outbox;
pub mod products;
pub mod shipping;
mod stock;
pub mod vendors;
pub mod wishlists;
