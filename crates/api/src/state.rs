//! Everything a handler needs, built once in one place and held by each API
//! struct, so a missing dependency is a compile error rather than a 500:
//! the use cases' [`Services`] and the edge's own metrics.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use bazaar_cache::SharedCache;
pub use bazaar_commerce::{CustomerSettings, Services, Settings};
use bazaar_regions::Registry;
use bazaar_store::Db;

use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    /// What the use cases run with.
    pub services: Services,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(db: Db, cache: SharedCache, regions: Arc<Registry>, settings: Settings) -> Self {
        Self {
            services: Services::new(db, cache, regions, settings),
            metrics: Arc::new(Metrics::default()),
        }
    }
}

impl Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

impl DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Services {
        &mut self.services
    }
}
