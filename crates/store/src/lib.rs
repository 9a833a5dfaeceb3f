//! Bazaar's PostgreSQL layer: the diesel schema and models, embedded
//! migrations for the control plane and the per-tenant template, the
//! replica-aware pool that runs every tenant's work inside its own schema,
//! the embedded PostgreSQL used when nothing is configured, and the
//! repositories the API calls. All SQL lives here.

pub mod control;
pub mod db;
pub mod embedded;
mod error;
pub mod migrate;
pub mod page;
pub mod prepared;
pub mod schema;
pub mod search_feed;
pub mod secret;
mod sql;
pub mod tenant;

pub use db::{ControlConn, Db, DbConfig, PrimaryConn, ReplicaConn, TenantConn, TenantSchema};
pub use error::StoreError;
pub use page::Page;
