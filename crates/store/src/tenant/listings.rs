//! Listings (which vendor product shows in which brand) and the storefront
//! browse they serve.
//!
//! A listing carries copies of what storefronts filter and sort on (title,
//! price, category path, vendor, visibility). Every catalog write that can
//! change them calls [`refresh`] in the same transaction, so a browse is a
//! range scan on one partial index of `listings` plus primary-key lookups
//! of the page's products.

use bazaar_domain::Currency;
use chrono::{DateTime, Utc};
use diesel::dsl;
use diesel::pg::Pg;
use diesel::pg::sql_types::Record;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::page::{Page, PageRequest};
use crate::prepared::prepared;
use crate::schema::tenant::{brands, listings, products};
use crate::{StoreError, TenantConn};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = listings)]
pub struct Listing {
    pub id: Uuid,
    pub brand_id: Uuid,
    pub product_id: Uuid,
    pub price_override: Option<Decimal>,
    pub active: bool,
    pub vendor_id: Uuid,
    pub category_path: Option<String>,
    pub title: String,
    pub price: Option<Decimal>,
    pub visible: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub in_stock: bool,
    /// The brand's currency, which its prices are in.
    #[diesel(select_expression = listing_currency(), select_expression_type = listing_currency)]
    pub currency: Currency,
}

/// The currency of the listing's brand.
#[dsl::auto_type]
fn listing_currency() -> _ {
    brands::table
        .filter(brands::id.eq(listings::brand_id))
        .select(brands::currency)
        .single_value()
        .assume_not_null()
}

/// Which listings to bring up to date.
pub enum Refresh<'a> {
    Products(&'a [Uuid]),
    Vendor(Uuid),
    /// Listings whose category path was, or is now, under this path.
    CategoryPaths(&'a [String]),
}

/// Recompute the browse columns of the chosen listings from their products,
/// variants, vendors and categories.
pub async fn refresh(conn: &mut TenantConn, which: Refresh<'_>) -> Result<usize, StoreError> {
    // The statement for each `which`: one fixed text, a different WHERE.
    macro_rules! refresh {
        ($where:literal) => {
            concat!(
                "UPDATE listings l SET \
                 vendor_id = p.vendor_id, title = p.title, category_path = c.path, \
                 price = COALESCE(l.price_override, (SELECT min(v.price) FROM variants v WHERE v.product_id = p.id)), \
                 visible = l.active AND p.status = 'active' AND vd.status = 'approved' \
                     AND EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id), \
                 in_stock = EXISTS (SELECT 1 FROM variants v JOIN stock_levels s ON s.variant_id = v.id \
                     WHERE v.product_id = p.id AND s.on_hand > s.reserved), \
                 updated_at = now() \
                 FROM products p JOIN vendors vd ON vd.id = p.vendor_id \
                 LEFT JOIN categories c ON c.id = p.category_id \
                 WHERE l.product_id = p.id AND ",
                $where
            )
        };
    }
    let n = match which {
        Refresh::Products(ids) => {
            prepared(refresh!("p.id = ANY($1)"))
                .bind::<Array<SqlUuid>, _>(ids)
                .execute(conn.pg())
                .await?
        }
        Refresh::Vendor(id) => {
            prepared(refresh!("p.vendor_id = $1"))
                .bind::<SqlUuid, _>(id)
                .execute(conn.pg())
                .await?
        }
        Refresh::CategoryPaths(paths) => prepared(refresh!(
            "(l.category_path = ANY($1) OR l.category_path LIKE ANY(SELECT x || '/%' FROM unnest($1) x) \
             OR c.path = ANY($1) OR c.path LIKE ANY(SELECT x || '/%' FROM unnest($1) x))"
        ))
        .bind::<Array<Text>, _>(paths)
        .execute(conn.pg())
        .await?,
    };
    Ok(n)
}

pub async fn create(
    conn: &mut TenantConn,
    brand_id: Uuid,
    product_id: Uuid,
    vendor_id: Uuid,
    price_override: Option<Decimal>,
) -> Result<Listing, StoreError> {
    let id = bazaar_domain::ids::new_id();
    diesel::insert_into(listings::table)
        .values((
            listings::id.eq(id),
            listings::brand_id.eq(brand_id),
            listings::product_id.eq(product_id),
            listings::vendor_id.eq(vendor_id),
            listings::price_override.eq(price_override),
            listings::title.eq(""),
        ))
        .execute(conn.pg())
        .await?;
    refresh(conn, Refresh::Products(&[product_id])).await?;
    get(conn, id).await
}

pub async fn get(conn: &mut TenantConn, id: Uuid) -> Result<Listing, StoreError> {
    Ok(listings::table
        .find(id)
        .select(Listing::as_select())
        .get_result(conn.pg())
        .await?)
}

pub async fn update(
    conn: &mut TenantConn,
    id: Uuid,
    active: Option<bool>,
    price_override: Option<Option<Decimal>>,
) -> Result<Listing, StoreError> {
    #[derive(AsChangeset)]
    #[diesel(table_name = listings)]
    struct Changes {
        active: Option<bool>,
        price_override: Option<Option<Decimal>>,
    }
    let listing: Listing = diesel::update(listings::table.find(id))
        .set((
            Changes {
                active,
                price_override,
            },
            listings::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Listing::as_returning())
        .get_result(conn.pg())
        .await?;
    refresh(conn, Refresh::Products(&[listing.product_id])).await?;
    get(conn, id).await
}

pub async fn delete(conn: &mut TenantConn, id: Uuid) -> Result<Listing, StoreError> {
    Ok(diesel::delete(listings::table.find(id))
        .returning(Listing::as_returning())
        .get_result(conn.pg())
        .await?)
}

/// Listings oldest first, optionally of one brand and/or one vendor.
pub async fn list(
    conn: &mut TenantConn,
    page: PageRequest,
    brand: Option<Uuid>,
    vendor: Option<Uuid>,
) -> Result<Page<Listing>, StoreError> {
    let mut query = listings::table
        .select(Listing::as_select())
        .order(listings::id)
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(listings::id.gt(after));
    }
    if let Some(brand) = brand {
        query = query.filter(listings::brand_id.eq(brand));
    }
    if let Some(vendor) = vendor {
        query = query.filter(listings::vendor_id.eq(vendor));
    }
    let rows = query.load(conn.pg()).await?;
    Ok(Page::from_overfetch(rows, page.limit, |l| l.id))
}

/// How a storefront orders a browse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    PriceAsc,
    PriceDesc,
    Title,
}

/// Where the previous page ended, in the sort's own key.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    Newest(DateTime<Utc>, Uuid),
    Price(Decimal, Uuid),
    Title(String, Uuid),
}

/// A storefront browse.
#[derive(Debug, Clone)]
pub struct Browse {
    pub brand_id: Uuid,
    pub category_path: Option<String>,
    pub vendor_id: Option<Uuid>,
    pub min_price: Option<Decimal>,
    pub max_price: Option<Decimal>,
    /// Product attributes that must match exactly (a JSON object).
    pub attributes: Option<serde_json::Value>,
    /// Only products with stock available.
    pub in_stock: bool,
    pub sort: Sort,
    pub after: Option<After>,
    pub limit: i64,
}

/// One product in a browse page.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = listings, check_for_backend(Pg))]
pub struct BrowseRow {
    #[diesel(column_name = id)]
    pub listing_id: Uuid,
    #[diesel(column_name = created_at)]
    pub listed_at: DateTime<Utc>,
    pub price: Option<Decimal>,
    #[diesel(select_expression = products::id)]
    pub id: Uuid,
    #[diesel(select_expression = products::vendor_id)]
    pub vendor_id: Uuid,
    pub category_path: Option<String>,
    #[diesel(select_expression = products::slug)]
    pub slug: String,
    #[diesel(select_expression = products::title)]
    pub title: String,
    #[diesel(select_expression = products::attributes)]
    pub attributes: serde_json::Value,
    #[diesel(select_expression = products::images)]
    pub images: Vec<String>,
    pub in_stock: bool,
}

impl BrowseRow {
    /// The cursor of the page that ends with this row.
    pub fn after(&self, sort: Sort) -> After {
        match sort {
            Sort::Newest => After::Newest(self.listed_at, self.listing_id),
            Sort::PriceAsc | Sort::PriceDesc => {
                After::Price(self.price.unwrap_or_default(), self.listing_id)
            }
            Sort::Title => After::Title(self.title.clone(), self.listing_id),
        }
    }
}

/// The visible listings among `ids` in `brand`, as browse rows (in no
/// particular order): search hits are hydrated with these.
pub async fn cards(
    conn: &mut TenantConn,
    brand: Uuid,
    ids: &[Uuid],
) -> Result<Vec<BrowseRow>, StoreError> {
    Ok(listings::table
        .inner_join(products::table)
        .filter(listings::id.eq_any(ids))
        .filter(listings::brand_id.eq(brand))
        .filter(listings::visible)
        .select(BrowseRow::as_select())
        .load(conn.pg())
        .await?)
}

/// A browse: listings joined to their products, as [`BrowseRow`]s, with
/// filters added one by one.
type BrowseQuery = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::Select<
        diesel::dsl::InnerJoin<listings::table, products::table>,
        diesel::dsl::AsSelect<BrowseRow, Pg>,
    >,
    Pg,
>;

/// The browse statement for `b`. Each filter and each sort is a fixed
/// piece of SQL; `visible` and `in_stock` are written as bare columns (not
/// `= $n`) so the planner can match the listings' partial indexes.
fn browse_query(b: &Browse) -> BrowseQuery {
    let mut q = listings::table
        .inner_join(products::table)
        .select(BrowseRow::as_select())
        .into_boxed()
        .filter(listings::brand_id.eq(b.brand_id))
        .filter(listings::visible);
    if b.in_stock {
        q = q.filter(listings::in_stock);
    }
    if let Some(path) = &b.category_path {
        q = q.filter(listings::category_path.eq(path.clone()).or(
            listings::category_path.like(path.clone().into_sql::<Text>().concat("/%").nullable()),
        ));
    }
    if let Some(v) = b.vendor_id {
        q = q.filter(listings::vendor_id.eq(v));
    }
    if let Some(p) = b.min_price {
        q = q.filter(listings::price.ge(p));
    }
    if let Some(p) = b.max_price {
        q = q.filter(listings::price.le(p));
    }
    if let Some(a) = &b.attributes {
        q = q.filter(products::attributes.contains(a.clone()));
    }
    // Keyset: the row after the cursor in the sort's order, as one row
    // comparison the sort's index serves.
    let newest =
        || (listings::created_at, listings::id).into_sql::<Record<(Timestamptz, SqlUuid)>>();
    let by_price =
        || (listings::price, listings::id).into_sql::<Record<(Nullable<Numeric>, SqlUuid)>>();
    let by_title = || (listings::title, listings::id).into_sql::<Record<(Text, SqlUuid)>>();
    match (b.sort, &b.after) {
        (Sort::Newest, Some(After::Newest(at, id))) => q = q.filter(newest().lt((*at, *id))),
        (Sort::PriceAsc, Some(After::Price(p, id))) => q = q.filter(by_price().gt((*p, *id))),
        (Sort::PriceDesc, Some(After::Price(p, id))) => q = q.filter(by_price().lt((*p, *id))),
        (Sort::Title, Some(After::Title(t, id))) => q = q.filter(by_title().gt((t.clone(), *id))),
        // A cursor from another sort never reaches here (the API checks).
        _ => {}
    }
    q = match b.sort {
        Sort::Newest => q.order((listings::created_at.desc(), listings::id.desc())),
        Sort::PriceAsc => q.order((listings::price, listings::id)),
        Sort::PriceDesc => q.order((listings::price.desc(), listings::id.desc())),
        Sort::Title => q.order((listings::title, listings::id)),
    };
    q.limit(b.limit + 1)
}

/// One browse page and where the next starts.
pub async fn browse(
    conn: &mut TenantConn,
    b: &Browse,
) -> Result<(Vec<BrowseRow>, Option<After>), StoreError> {
    let mut rows: Vec<BrowseRow> = browse_query(b).load(conn.pg()).await?;
    let limit = usize::try_from(b.limit).unwrap_or(0);
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| r.after(b.sort))
    } else {
        None
    };
    Ok((rows, next))
}

/// The plan PostgreSQL chooses for a browse, for tests and benchmarks.
pub async fn explain_browse(conn: &mut TenantConn, b: &Browse) -> Result<String, StoreError> {
    let lines: Vec<String> = Explain(browse_query(b)).load(conn.pg()).await?;
    Ok(lines.join("\n"))
}

/// `EXPLAIN` and a query: its plan, one line per row.
struct Explain<Q>(Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("EXPLAIN ");
        self.0.walk_ast(out.reborrow())
    }

    // Plans are asked for rarely; no cache entry for them.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(false)
    }
}

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Explain<Q> {
    type SqlType = Text;
}

/// The visible listing of a product in a brand, by product id or slug (the
/// oldest listing wins when two vendors use the same slug).
pub async fn storefront_product(
    conn: &mut TenantConn,
    brand_id: Uuid,
    id: Option<Uuid>,
    slug: Option<&str>,
) -> Result<Listing, StoreError> {
    let mut query = listings::table
        .inner_join(products::table)
        .filter(listings::brand_id.eq(brand_id))
        .filter(listings::visible.eq(true))
        .select(Listing::as_select())
        .order(listings::id)
        .into_boxed();
    if let Some(id) = id {
        query = query.filter(listings::product_id.eq(id));
    }
    if let Some(slug) = slug {
        query = query.filter(products::slug.eq(slug.to_owned()));
    }
    Ok(query.first(conn.pg()).await?)
}

/// Whether any visible listing exists (for the benchmark's sanity checks).
pub async fn visible_count(conn: &mut TenantConn, brand_id: Uuid) -> Result<i64, StoreError> {
    Ok(listings::table
        .filter(listings::brand_id.eq(brand_id))
        .filter(listings::visible.eq(true))
        .count()
        .get_result(conn.pg())
        .await?)
}
