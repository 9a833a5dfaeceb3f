//! The `bazaar` program: configuration, logging, start-up (embedded
//! database, migrations, pools, cache), the HTTP server with graceful
//! shutdown, and declarative tenant manifests. `main.rs` only parses the
//! command line and calls in here.

pub mod config;
pub mod demo;
pub mod logging;
pub mod manifest;
pub mod runtime;
