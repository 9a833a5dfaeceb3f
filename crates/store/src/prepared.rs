//! Statements kept in the connection's prepared-statement cache that
//! diesel would not keep there itself.
//!
//! diesel caches a DSL select, insert or delete, but never `sql_query`, an
//! UPDATE or an `ON CONFLICT DO UPDATE`: each of those is parsed, planned
//! and described by PostgreSQL on every call and costs two round trips
//! (prepare, then execute) instead of one.
//!
//! - [`prepared`] is raw SQL whose text is fixed at compile time, as safe
//!   to cache as the DSL's: only `&'static str` is accepted, so text built
//!   at run time (whose variants would fill the cache) cannot end up here.
//!   It is the only way the store runs raw SQL.
//! - `cached` (crate-private) marks a DSL UPDATE or upsert on a hot path whose text the
//!   code fixes (checkout, settlement, stock changes).

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, BoxedSqlQuery, Query, QueryFragment, QueryId, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, sql_query};

/// A raw query the connection may prepare once and reuse.
#[must_use = "queries are only executed when calling `load`, `get_result` or similar"]
pub struct Prepared<'f>(BoxedSqlQuery<'f, Pg, SqlQuery>);

/// `sql` as a cacheable raw query; bind its parameters with
/// [`Prepared::bind`].
pub fn prepared<'f>(sql: &'static str) -> Prepared<'f> {
    Prepared(sql_query(sql).into_boxed())
}

impl<'f> Prepared<'f> {
    /// Bind the next `$n` parameter, as [`SqlQuery::bind`] does.
    pub fn bind<ST, V>(self, value: V) -> Self
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'f,
        ST: Send + 'f,
    {
        Prepared(self.0.bind::<ST, V>(value))
    }
}

impl QueryFragment<Pg> for Prepared<'_> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    // The text is a compile-time constant, so the statement cache (keyed
    // by text and bind types) holds one entry per call site.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl QueryId for Prepared<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}

/// A DSL statement kept in the statement cache although diesel would not
/// keep it: diesel never caches an UPDATE or an `ON CONFLICT DO UPDATE`
/// (an optional changeset can give it many texts), so each call would be
/// parsed and planned again, one more round trip. Wrap only statements on
/// hot paths whose text the code fixes; the cache is keyed by that text.
pub(crate) fn cached<Q>(query: Q) -> Cached<Q> {
    Cached(query)
}

/// See [`cached`].
#[must_use = "queries are only executed when calling `load`, `get_result` or similar"]
pub(crate) struct Cached<Q>(Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Cached<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}
