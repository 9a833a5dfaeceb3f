//! The control plane: tenants and API keys, in the `control` schema.

pub mod keys;
pub mod tenants;
