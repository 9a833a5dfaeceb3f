//! The search feed (`control.search_changes`): catalog changes written by
//! triggers in every tenant schema, followed by each node's search index
//! with its own cursor. A cursor is a transaction horizon: every change of
//! a transaction older than the horizon has committed (or never will), so
//! reading `[cursor, horizon)` never skips a change that commits late.

use bazaar_domain::Currency;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::prepared::prepared;
use crate::schema::control::{search_changes, search_nodes};
use crate::schema::tenant::listings;
use crate::{ControlConn, StoreError, TenantConn};

/// The schema name that asks every node to rebuild its whole index.
pub const ALL_TENANTS: &str = "*";

/// One change: a product of a tenant schema, or (`product_id: None`) all
/// of the schema's products.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = search_changes, check_for_backend(diesel::pg::Pg))]
pub struct FeedChange {
    pub id: i64,
    pub schema_name: String,
    pub product_id: Option<Uuid>,
}

#[derive(diesel::QueryableByName)]
struct Horizon {
    #[diesel(sql_type = BigInt)]
    horizon: i64,
}

/// The oldest transaction still running (or the next to start): every
/// change below it is final.
pub async fn horizon(conn: &mut ControlConn) -> Result<i64, StoreError> {
    let h: Horizon =
        prepared("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon")
            .get_result(conn.pg())
            .await?;
    Ok(h.horizon)
}

/// Changes of transactions in `[from, to)`, after feed row `after`, oldest
/// first, at most `limit`.
pub async fn changes(
    conn: &mut ControlConn,
    from: i64,
    to: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<FeedChange>, StoreError> {
    Ok(search_changes::table
        .filter(search_changes::txid.ge(from))
        .filter(search_changes::txid.lt(to))
        .filter(search_changes::id.gt(after))
        .order(search_changes::id)
        .limit(limit)
        .select(FeedChange::as_select())
        .load(conn.pg())
        .await?)
}

/// Ask every node to re-read a tenant schema's products (or, with
/// [`ALL_TENANTS`], to rebuild its index). Returns the writing
/// transaction: a node whose cursor passed it has done so.
pub async fn request_reindex(conn: &mut ControlConn, schema: &str) -> Result<i64, StoreError> {
    Ok(diesel::insert_into(search_changes::table)
        .values((
            search_changes::schema_name.eq(schema),
            search_changes::product_id.eq(None::<Uuid>),
        ))
        .returning(search_changes::txid)
        .get_result(conn.pg())
        .await?)
}

/// Forget changes older than `before` (a node down for longer rebuilds).
pub async fn purge(conn: &mut ControlConn, before: DateTime<Utc>) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(search_changes::table.filter(search_changes::created_at.lt(before)))
            .execute(conn.pg())
            .await?,
    )
}

/// A node's report of where its index stands.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = search_nodes, check_for_backend(diesel::pg::Pg))]
pub struct NodeStatus {
    pub node_id: String,
    pub cursor: i64,
    pub docs: i64,
    pub rebuild_done: Option<i64>,
    pub rebuild_total: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

pub async fn report(
    conn: &mut ControlConn,
    node: &str,
    cursor: i64,
    docs: i64,
    rebuild: Option<(i64, i64)>,
) -> Result<(), StoreError> {
    diesel::insert_into(search_nodes::table)
        .values((
            search_nodes::node_id.eq(node),
            search_nodes::cursor.eq(cursor),
            search_nodes::docs.eq(docs),
            search_nodes::rebuild_done.eq(rebuild.map(|r| r.0)),
            search_nodes::rebuild_total.eq(rebuild.map(|r| r.1)),
        ))
        .on_conflict(search_nodes::node_id)
        .do_update()
        .set((
            search_nodes::cursor.eq(excluded(search_nodes::cursor)),
            search_nodes::docs.eq(excluded(search_nodes::docs)),
            search_nodes::rebuild_done.eq(excluded(search_nodes::rebuild_done)),
            search_nodes::rebuild_total.eq(excluded(search_nodes::rebuild_total)),
            search_nodes::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// Forget a node that stopped, so nobody waits for it.
pub async fn forget_node(conn: &mut ControlConn, node: &str) -> Result<(), StoreError> {
    diesel::delete(search_nodes::table.find(node))
        .execute(conn.pg())
        .await?;
    Ok(())
}

/// Nodes that reported since `since`.
pub async fn live_nodes(
    conn: &mut ControlConn,
    since: DateTime<Utc>,
) -> Result<Vec<NodeStatus>, StoreError> {
    Ok(search_nodes::table
        .filter(search_nodes::updated_at.ge(since))
        .order(search_nodes::node_id)
        .select(NodeStatus::as_select())
        .load(conn.pg())
        .await?)
}

/// A visible listing as the search index holds it (read in the tenant's
/// schema).
#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct SearchRow {
    #[diesel(sql_type = SqlUuid)]
    pub listing_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub brand_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub product_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub vendor_id: Uuid,
    #[diesel(sql_type = Text)]
    pub vendor_name: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub category_path: Option<String>,
    /// The product's attributes (an object) and its variants' options (an
    /// array of objects).
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub attributes: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub options: serde_json::Value,
    #[diesel(sql_type = Nullable<diesel::sql_types::Numeric>)]
    pub price: Option<Decimal>,
    /// The brand's currency.
    #[diesel(sql_type = Text)]
    pub currency: Currency,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub in_stock: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

macro_rules! search_row {
    () => {
        "SELECT l.id AS listing_id, l.brand_id, l.product_id, l.vendor_id, vd.name AS vendor_name, \
     p.title, p.description, l.category_path, p.attributes, \
     COALESCE((SELECT jsonb_agg(v.options) FROM variants v WHERE v.product_id = p.id), '[]'::jsonb) AS options, \
     l.price, b.currency::text AS currency, \
     EXISTS (SELECT 1 FROM variants v JOIN stock_levels s ON s.variant_id = v.id \
         WHERE v.product_id = p.id AND s.on_hand > s.reserved) AS in_stock, l.created_at \
     FROM listings l JOIN products p ON p.id = l.product_id JOIN vendors vd ON vd.id = l.vendor_id \
     JOIN brands b ON b.id = l.brand_id WHERE l.visible"
    };
}

/// The visible listings of `products`.
pub async fn rows_of_products(
    conn: &mut TenantConn,
    products: &[Uuid],
) -> Result<Vec<SearchRow>, StoreError> {
    Ok(
        prepared(concat!(search_row!(), " AND l.product_id = ANY($1)"))
            .bind::<Array<SqlUuid>, _>(products)
            .load(conn.pg())
            .await?,
    )
}

/// A page of all visible listings, by listing id after `after`.
pub async fn rows_page(
    conn: &mut TenantConn,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<SearchRow>, StoreError> {
    Ok(prepared(concat!(
        search_row!(),
        " AND ($1::uuid IS NULL OR l.id > $1) ORDER BY l.id LIMIT $2"
    ))
    .bind::<Nullable<SqlUuid>, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn.pg())
    .await?)
}

/// How many visible listings the schema has (for rebuild progress).
pub async fn count_rows(conn: &mut TenantConn) -> Result<i64, StoreError> {
    Ok(listings::table
        .filter(listings::visible)
        .count()
        .get_result(conn.pg())
        .await?)
}
