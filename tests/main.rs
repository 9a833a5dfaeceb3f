//! Bazaar's end-to-end suite: the real server on a random port, real
//! PostgreSQL and real Redis, spoken to over HTTP.
//!
//! One binary with its own `main` (libtest-mimic keeps `cargo test`'s
//! output and filters) so the run can create its database once, before any
//! test, and drop it after the last. Each test gets its own runtime, server
//! and tenant(s).
//!
//! A test is an `async fn` marked `#[e2e]` (from `support`), which registers
//! it where it is written under its module path (`customers::accounts::...`).
//! A function written without the mark is never called, so dead code is an
//! error here rather than a test that silently never runs.

#![deny(dead_code)]

mod support;

mod cache;
mod captures;
mod carts;
mod catalog;
mod checkout;
mod config_and_cli;
mod customers;
mod demo;
mod errors;
mod faults;
mod isolation;
mod keys;
mod manifests;
mod openapi;
mod ops;
mod orders;
mod payment_actions;
mod pools;
mod providers;
mod refunds;
mod regions;
mod search;
mod shipping_addresses;
mod subscriptions;
mod tenancy;

use support::Suite;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let tests = support::registered();
    let suite = Suite::new();
    let trials = suite.trials(tests);
    let conclusion = libtest_mimic::run(&args, trials);
    suite.finish();
    conclusion.exit();
}
