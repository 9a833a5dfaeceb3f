//! Bazaar's PostgreSQL layer: the diesel schema and models, embedded
//! migrations for the control plane and the per-tenant template, the
//! replica-aware pool that runs every tenant's work inside its own schema,
//! the embedded PostgreSQL used when nothing is configured, and the
//! repositories the use cases call. All SQL lives here.
//!
//! SQL is written one way (`ARCHITECTURE.md`, "Writing SQL"):
//!
//! - Ordinary reads and writes are diesel's DSL on [`schema`], which
//!   `diesel print-schema` generates from the migrations (`scripts/schema`;
//!   CI fails when it drifts).
//! - Raw SQL is fixed text run through [`prepared::prepared`], every value
//!   bound, and only for a statement that does many steps on a hot path
//!   (placing and settling an order, a stock change) or that the DSL cannot
//!   say: a literal a partial index needs, `UPDATE ... FROM`, jsonb
//!   surgery, a subquery that locks.
//! - Nothing builds SQL with `format!`, except DDL in [`migrate`] splicing
//!   a quoted schema or database name.
//! - Tenant repositories ([`tenant`]) import one another without cycles;
//!   what several of them need (the stock change) sits in a module of its
//!   own.

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
