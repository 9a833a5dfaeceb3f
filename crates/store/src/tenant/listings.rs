//! Listings (which vendor product shows in which brand) and the storefront
//! browse they serve.
//!
//! A listing carries copies of what storefronts filter and sort on (title,
//! price, category path, vendor, visibility). Every catalog write that can
//! change them calls [`refresh`] in the same transaction, so a browse is a
//! range scan on one partial index of `listings` plus primary-key lookups
//! of the page's products.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::page::{Page, PageRequest};
use crate::prepared::prepared;
use crate::schema::tenant::listings;
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
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct BrowseRow {
    #[diesel(sql_type = SqlUuid)]
    pub listing_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub listed_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub price: Option<Decimal>,
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub vendor_id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    pub category_path: Option<String>,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Jsonb)]
    pub attributes: serde_json::Value,
    #[diesel(sql_type = Array<Text>)]
    pub images: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
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

macro_rules! browse_row {
    () => {
        "SELECT l.id AS listing_id, l.created_at AS listed_at, l.price, p.id, p.vendor_id, \
         l.category_path, p.slug, p.title, p.attributes, p.images, l.in_stock \
         FROM listings l JOIN products p ON p.id = l.product_id"
    };
}

/// The visible listings among `ids` in `brand`, as browse rows (in no
/// particular order): search hits are hydrated with these.
pub async fn cards(
    conn: &mut TenantConn,
    brand: Uuid,
    ids: &[Uuid],
) -> Result<Vec<BrowseRow>, StoreError> {
    Ok(diesel::sql_query(concat!(
        browse_row!(),
        " WHERE l.id = ANY($1) AND l.brand_id = $2 AND l.visible"
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<SqlUuid, _>(brand)
    .load(conn.pg())
    .await?)
}

/// The browse statement for `b`, prefixed with `prefix` (`EXPLAIN` for tests
/// and benchmarks). Safe to build with `format!`: it joins only fixed
/// fragments and `$n` placeholder numbers; every value is bound.
fn browse_query(
    b: &Browse,
    prefix: &str,
) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery>
{
    let mut sql = format!(
        "{prefix}{} WHERE l.brand_id = $1 AND l.visible",
        browse_row!()
    );
    if b.in_stock {
        sql.push_str(" AND l.in_stock");
    }
    let mut n = 1;
    let mut next = || {
        n += 1;
        n
    };
    if b.category_path.is_some() {
        let i = next();
        sql.push_str(&format!(
            " AND (l.category_path = ${i} OR l.category_path LIKE ${i} || '/%')"
        ));
    }
    if b.vendor_id.is_some() {
        sql.push_str(&format!(" AND l.vendor_id = ${}", next()));
    }
    if b.min_price.is_some() {
        sql.push_str(&format!(" AND l.price >= ${}", next()));
    }
    if b.max_price.is_some() {
        sql.push_str(&format!(" AND l.price <= ${}", next()));
    }
    if b.attributes.is_some() {
        sql.push_str(&format!(" AND p.attributes @> ${}", next()));
    }
    if let Some(after) = &b.after {
        let (k, i) = (next(), next());
        let clause = match (b.sort, after) {
            (Sort::Newest, After::Newest(..)) => {
                format!(" AND (l.created_at, l.id) < (${k}, ${i})")
            }
            (Sort::PriceAsc, After::Price(..)) => format!(" AND (l.price, l.id) > (${k}, ${i})"),
            (Sort::PriceDesc, After::Price(..)) => format!(" AND (l.price, l.id) < (${k}, ${i})"),
            (Sort::Title, After::Title(..)) => format!(" AND (l.title, l.id) > (${k}, ${i})"),
            // A cursor from another sort never reaches here (the API checks).
            _ => String::new(),
        };
        sql.push_str(&clause);
    }
    sql.push_str(match b.sort {
        Sort::Newest => " ORDER BY l.created_at DESC, l.id DESC",
        Sort::PriceAsc => " ORDER BY l.price, l.id",
        Sort::PriceDesc => " ORDER BY l.price DESC, l.id DESC",
        Sort::Title => " ORDER BY l.title, l.id",
    });
    sql.push_str(&format!(" LIMIT ${}", next()));

    let mut q = diesel::sql_query(sql)
        .into_boxed()
        .bind::<SqlUuid, _>(b.brand_id);
    if let Some(path) = &b.category_path {
        q = q.bind::<Text, _>(path.clone());
    }
    if let Some(v) = b.vendor_id {
        q = q.bind::<SqlUuid, _>(v);
    }
    if let Some(p) = b.min_price {
        q = q.bind::<Numeric, _>(p);
    }
    if let Some(p) = b.max_price {
        q = q.bind::<Numeric, _>(p);
    }
    if let Some(a) = &b.attributes {
        q = q.bind::<Jsonb, _>(a.clone());
    }
    match &b.after {
        Some(After::Newest(at, id)) => q = q.bind::<Timestamptz, _>(*at).bind::<SqlUuid, _>(*id),
        Some(After::Price(p, id)) => q = q.bind::<Numeric, _>(*p).bind::<SqlUuid, _>(*id),
        Some(After::Title(t, id)) => q = q.bind::<Text, _>(t.clone()).bind::<SqlUuid, _>(*id),
        None => {}
    }
    q.bind::<diesel::sql_types::BigInt, _>(b.limit + 1)
}

/// One browse page and where the next starts.
pub async fn browse(
    conn: &mut TenantConn,
    b: &Browse,
) -> Result<(Vec<BrowseRow>, Option<After>), StoreError> {
    let mut rows: Vec<BrowseRow> = browse_query(b, "").load(conn.pg()).await?;
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
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let lines: Vec<Line> = browse_query(b, "EXPLAIN ").load(conn.pg()).await?;
    Ok(lines
        .into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n"))
}

/// The visible listing of a product in a brand, by product id or slug (the
/// oldest listing wins when two vendors use the same slug).
pub async fn storefront_product(
    conn: &mut TenantConn,
    brand_id: Uuid,
    id: Option<Uuid>,
    slug: Option<&str>,
) -> Result<Listing, StoreError> {
    use crate::schema::tenant::products;
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
