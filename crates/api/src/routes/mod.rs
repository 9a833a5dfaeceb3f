//! The API's resources, one `#[OpenApi]` struct each, and what they share:
//! tags, keyset pagination parameters and the 201 response.

pub mod brands;
pub mod carts;
pub mod categories;
pub mod checkout;
pub mod customer_admin;
pub mod customer_data;
pub mod customers;
pub mod fulfilment;
pub mod import;
pub mod inventory;
pub mod keys;
pub mod listings;
pub mod payment_routes;
pub mod payouts;
pub mod problems;
pub mod products;
pub mod refunds;
pub mod regions;
pub mod search;
pub mod shipping;
pub mod storefront;
pub mod subscriptions;
pub mod tenants;
pub mod vendors;

use bazaar_store::page::PageRequest;
use poem_openapi::payload::Json;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::{ApiResponse, Tags};
use uuid::Uuid;

#[derive(Tags)]
pub enum Tag {
    /// Platform operations: tenants and platform keys (platform key only).
    Platform,
    /// API keys of a tenant, and who the calling key is.
    Keys,
    /// A tenant's storefronts.
    Brands,
    /// A tenant's sellers.
    Vendors,
    /// Region rule packs: tax, delivery hours, age checks, limits.
    Regions,
    /// The category tree.
    Categories,
    /// Vendors' products and their variants.
    Products,
    /// Which vendor product shows in which brand.
    Listings,
    /// What shoppers browse: a brand's visible catalog.
    Storefront,
    /// Warehouses, stock levels and the inventory ledger.
    Inventory,
    /// Guest and customer carts, priced live from the region packs, and checkout.
    Carts,
    /// Shoppers' accounts: sign-in, profile, addresses, orders, wishlists,
    /// loyalty points, data export and deletion; and their management by
    /// tenant admins (age verification, erasure, account settings).
    Customers,
    /// Subscription plans, and customers' subscriptions renewed through
    /// checkout (pause, resume, skip, cancel; dunning when a renewal fails).
    Subscriptions,
    /// Vendors' parts of orders, packed and shipped, and their shipping rates.
    Fulfilment,
    /// Money after payment: refunds, the marketplace's commission, vendors'
    /// balances and payouts.
    Money,
    /// The problem catalog: every error `code`, its status and meaning.
    Problems,
}

/// The object was created.
#[derive(ApiResponse)]
pub enum Created<T: ParseFromJSON + ToJSON + Send + Sync> {
    /// Created; the body is the new object.
    #[oai(status = 201)]
    Created(Json<T>),
}

/// Done; nothing to show.
#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

/// Accepted: what follows happens out of band (an email the tenant sends).
#[derive(ApiResponse)]
pub enum Accepted {
    /// Accepted.
    #[oai(status = 202)]
    Accepted,
}

/// An amount as the API shows it: a decimal string with exactly the
/// currency's minor units (`"12.50"`, `"1200"` for JPY).
pub fn money(amount: rust_decimal::Decimal, currency: bazaar_domain::Currency) -> String {
    bazaar_domain::Money::rounded(amount, currency).to_string()
}

/// Turn the list parameters into a page request.
pub fn page_request(limit: Option<u32>, cursor: Option<Uuid>) -> PageRequest {
    PageRequest {
        after: cursor,
        limit: limit.map_or(PageRequest::DEFAULT_LIMIT, i64::from),
    }
}

/// The cursor of the next page as the API shows it.
pub fn next_cursor(after: Option<Uuid>) -> Option<String> {
    after.map(|id| id.to_string())
}

/// Declare a page type for a list endpoint.
macro_rules! page_of {
    ($page:ident, $item:ty) => {
        /// One page of a list, oldest first.
        #[derive(Debug, poem_openapi::Object)]
        pub struct $page {
            /// The items of this page.
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            pub next_cursor: Option<String>,
        }

        impl From<bazaar_store::Page<$item>> for $page {
            fn from(page: bazaar_store::Page<$item>) -> Self {
                Self {
                    items: page.items,
                    next_cursor: $crate::routes::next_cursor(page.next_after),
                }
            }
        }
    };
}
pub(crate) use page_of;
