//! Which provider charges an order: a primary and, optionally, a fallback,
//! each behind a circuit breaker.
//!
//! A new order goes to the first provider whose breaker is closed. A
//! breaker opens after [`Breaker::THRESHOLD`] failures in a row that say
//! nothing about the card (unreachable, timeouts, 5xx) and stays open for
//! its cool-down; then one order is let through to try it (half-open),
//! and an answer closes it again. Declines are answers, not failures.
//!
//! An order is never charged by two providers: it records the provider it
//! was placed with and is charged, resumed, reconciled and refunded there
//! only. The one exception is an order whose every attempt failed to
//! connect (nothing was sent, so nothing can have been charged): it moves
//! to the next provider before any charge there.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{Gateway, GatewayError};

/// Counts a provider's failures in a row and opens when they are too many.
#[derive(Debug)]
pub struct Breaker {
    failures: AtomicU32,
    open_until: Mutex<Option<Instant>>,
    threshold: u32,
    cool_down: Duration,
}

impl Breaker {
    /// Failures in a row that open a breaker.
    pub const THRESHOLD: u32 = 5;
    /// How long an open breaker keeps orders away.
    pub const COOL_DOWN: Duration = Duration::from_secs(30);

    pub fn new(threshold: u32, cool_down: Duration) -> Self {
        Self {
            failures: AtomicU32::new(0),
            open_until: Mutex::new(None),
            threshold: threshold.max(1),
            cool_down,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.open_until.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a new order may go to this provider: closed, or open past
    /// its cool-down (a trial).
    pub fn allows(&self) -> bool {
        self.lock().is_none_or(|until| Instant::now() >= until)
    }

    /// Whether it is open now.
    pub fn is_open(&self) -> bool {
        !self.allows()
    }

    /// Count an attempt's outcome: `true` for an answer (paid or declined).
    pub fn observe(&self, answered: bool) {
        if answered {
            self.failures.store(0, Ordering::SeqCst);
            *self.lock() = None;
            return;
        }
        let failures = self.failures.fetch_add(1, Ordering::SeqCst) + 1;
        if failures >= self.threshold {
            *self.lock() = Some(Instant::now() + self.cool_down);
        }
    }
}

impl Default for Breaker {
    fn default() -> Self {
        Self::new(Self::THRESHOLD, Self::COOL_DOWN)
    }
}

struct Route {
    gateway: Arc<dyn Gateway>,
    breaker: Breaker,
}

/// The deployment's providers, in order of preference.
pub struct Gateways {
    routes: Vec<Route>,
}

impl Gateways {
    pub fn new(primary: Arc<dyn Gateway>) -> Self {
        Self {
            routes: vec![Route {
                gateway: primary,
                breaker: Breaker::default(),
            }],
        }
    }

    /// Add a provider to fail over to (its name must differ from the
    /// others': orders record it).
    pub fn with_fallback(mut self, fallback: Arc<dyn Gateway>) -> Self {
        self.routes.push(Route {
            gateway: fallback,
            breaker: Breaker::default(),
        });
        self
    }

    /// Use these breaker settings for every provider.
    pub fn with_breakers(mut self, threshold: u32, cool_down: Duration) -> Self {
        for route in &mut self.routes {
            route.breaker = Breaker::new(threshold, cool_down);
        }
        self
    }

    pub fn primary(&self) -> Arc<dyn Gateway> {
        self.routes[0].gateway.clone()
    }

    /// The provider a new order is placed with: the first whose breaker
    /// lets it through (the primary when every breaker is open).
    pub fn choose(&self) -> Arc<dyn Gateway> {
        self.choose_in(&[])
    }

    /// The providers named in `preference` (a tenant's or region's route),
    /// in that order, that this deployment has; the deployment's own order
    /// when `preference` is empty or names none of them.
    fn in_order<'a>(&'a self, preference: &[String]) -> Vec<&'a Route> {
        let named: Vec<&Route> = preference
            .iter()
            .filter_map(|name| self.routes.iter().find(|r| r.gateway.name() == name))
            .collect();
        if named.is_empty() {
            self.routes.iter().collect()
        } else {
            named
        }
    }

    /// The provider a new order is placed with under a route: the first
    /// of `preference` whose breaker lets it through (its first when every
    /// breaker is open).
    pub fn choose_in(&self, preference: &[String]) -> Arc<dyn Gateway> {
        let order = self.in_order(preference);
        order
            .iter()
            .find(|r| r.breaker.allows())
            .unwrap_or(&order[0])
            .gateway
            .clone()
    }

    /// The provider an order recorded; the primary for a name this
    /// deployment no longer has (logged: its orders need a look).
    pub fn named(&self, name: &str) -> Arc<dyn Gateway> {
        match self.routes.iter().find(|r| r.gateway.name() == name) {
            Some(route) => route.gateway.clone(),
            None => {
                tracing::error!(
                    gateway = name,
                    "an order names a payment provider this deployment does not have; using the primary"
                );
                self.primary()
            }
        }
    }

    /// Whether a provider of this name is configured.
    pub fn has(&self, name: &str) -> bool {
        self.routes.iter().any(|r| r.gateway.name() == name)
    }

    /// The provider after `name` to fail over to, if any.
    pub fn after(&self, name: &str) -> Option<Arc<dyn Gateway>> {
        self.after_in(&[], name)
    }

    /// The provider after `name` in a route's `preference`, if any.
    pub fn after_in(&self, preference: &[String], name: &str) -> Option<Arc<dyn Gateway>> {
        let order = self.in_order(preference);
        let at = order.iter().position(|r| r.gateway.name() == name)?;
        order.get(at + 1).map(|r| r.gateway.clone())
    }

    /// Count an attempt's outcome against `name`'s breaker.
    pub fn observe<T>(&self, name: &str, result: &Result<T, GatewayError>) {
        let answered = match result {
            Ok(_) => true,
            Err(err) => !err.is_retryable(),
        };
        if let Some(route) = self.routes.iter().find(|r| r.gateway.name() == name) {
            let was_open = route.breaker.is_open();
            route.breaker.observe(answered);
            if !was_open && route.breaker.is_open() {
                tracing::error!(
                    gateway = name,
                    "payment provider failing: its circuit breaker is open; new orders go to the next provider"
                );
            }
        }
    }

    /// Each provider's name and whether its breaker is open (for /readyz
    /// and metrics).
    pub fn breakers(&self) -> Vec<(&'static str, bool)> {
        self.routes
            .iter()
            .map(|r| (r.gateway.name(), r.breaker.is_open()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SandboxGateway;

    #[test]
    fn a_route_orders_the_providers_it_names() {
        let gateways = Gateways::new(Arc::new(SandboxGateway::named("primary")))
            .with_fallback(Arc::new(SandboxGateway::named("fallback")))
            .with_breakers(1, Duration::from_secs(60));
        let reversed = ["fallback".to_owned(), "primary".to_owned()];
        assert_eq!(gateways.choose_in(&reversed).name(), "fallback");
        assert_eq!(
            gateways.after_in(&reversed, "fallback").map(|g| g.name()),
            Some("primary")
        );
        assert!(gateways.after_in(&reversed, "primary").is_none());
        // Only the fallback: nothing after it, even though the deployment
        // has another provider.
        let only = ["fallback".to_owned()];
        assert!(gateways.after_in(&only, "fallback").is_none());
        // A route naming nothing the deployment has uses its own order.
        let unknown = ["gone".to_owned()];
        assert_eq!(gateways.choose_in(&unknown).name(), "primary");
        // An open breaker sends new orders down the route.
        let down: Result<(), GatewayError> = Err(GatewayError::Unreachable("refused".into()));
        gateways.observe("fallback", &down);
        assert_eq!(gateways.choose_in(&reversed).name(), "primary");
    }

    #[test]
    fn new_orders_skip_a_provider_whose_breaker_is_open() {
        let gateways = Gateways::new(Arc::new(SandboxGateway::named("primary")))
            .with_fallback(Arc::new(SandboxGateway::named("fallback")))
            .with_breakers(2, Duration::from_secs(60));
        assert_eq!(gateways.choose().name(), "primary");
        let down: Result<(), GatewayError> = Err(GatewayError::Unreachable("refused".into()));
        let declined: Result<(), GatewayError> =
            Err(GatewayError::Declined("card_declined".into()));
        gateways.observe("primary", &down);
        gateways.observe("primary", &declined);
        gateways.observe("primary", &down);
        assert_eq!(
            gateways.choose().name(),
            "primary",
            "a decline is an answer"
        );
        gateways.observe("primary", &down);
        assert_eq!(gateways.choose().name(), "fallback");
        assert_eq!(
            gateways.breakers(),
            [("primary", true), ("fallback", false)]
        );
        // Orders placed with the primary are still charged there.
        assert_eq!(gateways.named("primary").name(), "primary");
        assert_eq!(
            gateways.after("primary").map(|g| g.name()),
            Some("fallback")
        );
        assert!(gateways.after("fallback").is_none());
        // Every breaker open: the primary, rather than nothing.
        gateways.observe("fallback", &down);
        gateways.observe("fallback", &down);
        assert_eq!(gateways.choose().name(), "primary");
    }

    #[test]
    fn a_breaker_opens_after_failures_in_a_row_and_an_answer_closes_it() {
        let breaker = Breaker::new(3, Duration::from_millis(40));
        breaker.observe(false);
        breaker.observe(false);
        breaker.observe(true);
        breaker.observe(false);
        breaker.observe(false);
        assert!(breaker.allows(), "an answer reset the count");
        breaker.observe(false);
        assert!(breaker.is_open());
        std::thread::sleep(Duration::from_millis(50));
        assert!(breaker.allows(), "half-open after the cool-down");
        breaker.observe(false);
        assert!(breaker.is_open(), "a failed trial opens it again");
        std::thread::sleep(Duration::from_millis(50));
        breaker.observe(true);
        assert!(breaker.allows());
    }
}
