//! Carts: who may open one, what it holds, and its price under its region
//! pack; creating one, changing it line by line, and announcing the ones
//! left idle.

pub mod abandoned;
pub mod change;
pub mod create;
pub mod pricing;
pub mod view;

use bazaar_store::tenant::carts::Access;
use uuid::Uuid;

use crate::sessions::{self, SessionRefusal};
use crate::{Outcome, Services, TenantKey, refusals};

pub use pricing::{Priced, available, contents, price_cart};
pub use view::{PricedCart, priced};

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
        RegionNotFound { region: String } => Unprocessable, "unknown_region",
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

/// What a caller presents to open a cart: the cart's own token, or the
/// session of the customer it belongs to.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// The token returned when the cart was created (`X-Cart-Token`).
    pub token: Option<String>,
    /// The owner's session token (`X-Customer-Token`).
    pub session: Option<String>,
}

refusals! {
    /// Why the credentials do not open a cart.
    pub enum OpenRefusal {
        Cart(CartRefusal) => delegate;
        Session(SessionRefusal) => delegate;
    }
}

/// How `credentials` open a cart: the token when sent (the session is then
/// not read), else the session's customer, whom the cart must belong to.
pub async fn open(
    services: &Services,
    key: &TenantKey,
    credentials: Credentials,
) -> Outcome<Access, OpenRefusal> {
    let Credentials { token, session } = credentials;
    let customer = match (&token, session) {
        (None, Some(session)) => Some(
            sessions::shopper(services, key, &session)
                .await?
                .customer_id,
        ),
        _ => None,
    };
    Ok(access_from(token, customer)?)
}
