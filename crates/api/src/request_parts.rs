//! Request parts several resources share, resolved in one place: who is
//! shopping (`X-Customer-Token`), how a cart is opened (`X-Cart-Token`,
//! or its owner's session), and the client's address.

use std::net::IpAddr;

use bazaar_commerce::{carts, sessions};
use bazaar_store::tenant::carts::Access;
use uuid::Uuid;

use crate::auth::TenantKey;
use crate::error::ApiResult;
use crate::state::AppState;

/// The customer whose session came with the request, if one did.
pub async fn signed_in(
    state: &AppState,
    key: &TenantKey,
    session: Option<&str>,
) -> ApiResult<Option<Uuid>> {
    Ok(match session {
        Some(token) => Some(sessions::shopper(state, key, token).await?.customer_id),
        None => None,
    })
}

/// How the caller opens a cart: its token when sent, else the session of
/// the customer the cart must belong to; neither is 401.
pub async fn cart_access(
    state: &AppState,
    key: &TenantKey,
    token: Option<String>,
    session: Option<String>,
) -> ApiResult<Access> {
    Ok(carts::open(state, key, carts::Credentials { token, session }).await?)
}

/// How the caller opens an order: a storefront key with the token of the
/// cart it was placed from or its customer's session (`Some`); a tenant
/// key opens every order (`None`).
pub async fn order_access(
    state: &AppState,
    key: &TenantKey,
    token: Option<String>,
    session: Option<String>,
) -> ApiResult<Option<Access>> {
    if key.brand_id.is_some() {
        Ok(Some(cart_access(state, key, token, session).await?))
    } else {
        Ok(None)
    }
}

/// The address a request comes from: the configured proxy header's last
/// entry (the one the nearest proxy appended; earlier entries are whatever
/// the client sent) when set and well-formed, else the peer address.
pub fn client_address(state: &AppState, req: &poem::Request) -> String {
    if let Some(header) = &state.settings.customers.client_ip_header
        && let Some(value) = req.headers().get(header.as_str())
        && let Ok(text) = value.to_str()
        && let Some(last) = text.rsplit(',').next()
        && let Ok(ip) = last.trim().parse::<IpAddr>()
    {
        return ip.to_string();
    }
    match req.remote_addr().as_socket_addr() {
        Some(addr) => addr.ip().to_string(),
        None => "unknown".to_owned(),
    }
}
