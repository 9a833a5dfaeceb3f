//! Which providers charge a tenant's orders, per region of the cart (or
//! `*`, the tenant's default), and when the money is taken.

use bazaar_domain::CaptureMode;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::tenant::payment_routes;
use crate::{StoreError, TenantConn};

/// The region code of the tenant's default route.
pub const DEFAULT: &str = "*";

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_routes, check_for_backend(diesel::pg::Pg))]
pub struct Route {
    /// A region code, or [`DEFAULT`].
    pub region: String,
    /// The deployment's providers by name, in order of preference.
    pub providers: Vec<String>,
    /// When the money is taken; `None`: the deployment's setting.
    pub capture: Option<CaptureMode>,
}

/// Every route, the default first, then by region.
pub async fn all(conn: &mut TenantConn) -> Result<Vec<Route>, StoreError> {
    let mut routes: Vec<Route> = payment_routes::table
        .select(Route::as_select())
        .order(payment_routes::region)
        .load(conn.pg())
        .await?;
    routes.sort_by_key(|r| r.region != DEFAULT);
    Ok(routes)
}

/// Replace every route with `routes`.
pub async fn replace(conn: &mut TenantConn, routes: &[Route]) -> Result<(), StoreError> {
    diesel::delete(payment_routes::table)
        .execute(conn.pg())
        .await?;
    if !routes.is_empty() {
        diesel::insert_into(payment_routes::table)
            .values(routes)
            .execute(conn.pg())
            .await?;
    }
    Ok(())
}

/// The route for a cart in `region`: the region's own, else the
/// tenant's default, else none.
pub async fn for_region(conn: &mut TenantConn, region: &str) -> Result<Option<Route>, StoreError> {
    let mut found: Vec<Route> = payment_routes::table
        .filter(payment_routes::region.eq_any([region, DEFAULT]))
        .select(Route::as_select())
        .load(conn.pg())
        .await?;
    found.sort_by_key(|r| r.region == DEFAULT);
    Ok(found.into_iter().next())
}
