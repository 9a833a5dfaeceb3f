//! Region rule packs: the YAML files in `regions/` that say how a region
//! taxes, when it takes deliveries, whom it asks for proof of age, how much
//! one customer may buy and what may not be sold there.
//!
//! Loading parses every file into a positioned tree, checks it against the
//! pack schema and reports every problem as `file:line:column: message`;
//! packs then inherit from their parents (`extends`) into effective rules,
//! which [`quote`] evaluates. [`registry`] keeps the last good set and swaps
//! in a new one only when the whole folder validates.

pub mod category;
mod check;
pub mod pack;
pub mod problem;
pub mod quote;
pub mod registry;
pub mod resolve;
pub mod yaml;

pub use category::TaxCategory;
pub use pack::{Region, RegionSet};
pub use problem::Problem;
pub use registry::Registry;

#[cfg(test)]
mod tests;
