//! Local fakes of the payment providers the adapters talk to.

pub mod paypal;
pub mod stripe;
