//! Carts: who may open one, what it holds, and its price under its region
//! pack.

pub mod pricing;

use bazaar_store::tenant::carts::Access;
use uuid::Uuid;

use crate::refusals;

pub use pricing::{Priced, available, contents, price_cart};

refusals! {
    /// Why a cart cannot be opened or priced.
    pub enum CartRefusal {
        /// Neither the cart's token nor its owner's session was sent.
        CredentialsRequired => Unauthenticated, "cart_token_required",
            "send the cart's `X-Cart-Token`, or the owner's `X-Customer-Token`";
        /// No such cart for this token (or owner) in this storefront.
        NotFound => NotFound, "cart_not_found",
            "no cart with that id and token in this storefront";
        /// The cart's region has no pack in force.
        RegionNotFound { region: String } => Unprocessable, "region_not_found",
            "region `{region}` has no pack in force";
    }
}

/// How the caller opens a cart: its token when sent, else the signed-in
/// customer it must belong to; neither is refused.
pub fn access_from(token: Option<String>, customer: Option<Uuid>) -> Result<Access, CartRefusal> {
    match (token, customer) {
        (Some(token), _) => Ok(Access::Token(token)),
        (None, Some(customer)) => Ok(Access::Customer(customer)),
        (None, None) => Err(CartRefusal::CredentialsRequired),
    }
}
