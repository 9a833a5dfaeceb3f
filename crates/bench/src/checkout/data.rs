//! The checkout bench's data: one seeded shop per tenant, and the one-line
//! carts each run checks out.

use bazaar_store::Db;
use bazaar_store::tenant::carts;
use diesel::sql_types::{Int4, Uuid as SqlUuid};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use futures_util::FutureExt;

use super::DISTINCT;

/// A brand, an approved vendor, a warehouse, 2000 products with 1000 units
/// each and one hot product with a million, all listed; a lookup table for
/// pgbench's scripts.
pub(super) async fn seed(
    conn: &mut bazaar_store::TenantConn,
    brand: uuid::Uuid,
) -> Result<(), bazaar_store::StoreError> {
    diesel::sql_query("INSERT INTO brands (id, slug, name, currency, default_region) VALUES ($1, 'bench', 'Bench', 'USD', 'US-CA')")
        .bind::<SqlUuid, _>(brand)
        .execute(conn.pg())
        .await?;
    diesel::sql_query(
        "WITH v AS (INSERT INTO vendors (id, slug, name, contact_email, status) VALUES (gen_random_uuid(), 'v', 'V', 'v@x.example', 'approved') RETURNING id), \
         w AS (INSERT INTO warehouses (id, vendor_id, code, name, region) SELECT gen_random_uuid(), id, 'W', 'W', 'US-CA' FROM v RETURNING id, vendor_id), \
         src AS (SELECT i, gen_random_uuid() AS pid, gen_random_uuid() AS vid FROM generate_series(0, $2) i), \
         p AS (INSERT INTO products (id, vendor_id, slug, title, status) SELECT pid, (SELECT id FROM v), 'p-' || i, 'Product ' || i, 'active' FROM src RETURNING id), \
         var AS (INSERT INTO variants (id, product_id, vendor_id, sku, title, price, currency) \
                 SELECT vid, pid, (SELECT id FROM v), 'SKU-' || i, 'Default', 30.00, 'USD' FROM src JOIN p ON p.id = src.pid RETURNING id), \
         s AS (INSERT INTO stock_levels (variant_id, warehouse_id, on_hand) \
               SELECT vid, (SELECT id FROM w), CASE WHEN i = $2 THEN 1000000 ELSE 1000 END FROM src JOIN var ON var.id = src.vid RETURNING variant_id, warehouse_id, on_hand), \
         m AS (INSERT INTO inventory_movements (id, variant_id, warehouse_id, kind, on_hand_delta, actor) \
               SELECT gen_random_uuid(), variant_id, warehouse_id, 'receive', on_hand, 'bench' FROM s RETURNING 1), \
         l AS (INSERT INTO listings (id, brand_id, product_id, vendor_id, title, price, visible, in_stock) \
               SELECT gen_random_uuid(), $1, pid, (SELECT id FROM v), 'Product ' || i, 30.00, true, true FROM src JOIN p ON p.id = src.pid RETURNING 1) \
         SELECT (SELECT count(*) FROM m) + (SELECT count(*) FROM l)",
    )
    .bind::<SqlUuid, _>(brand)
    .bind::<Int4, _>(DISTINCT)
    .execute(conn.pg())
    .await?;
    conn.pg().batch_execute(
        "CREATE TABLE bench_variants AS SELECT (row_number() OVER (ORDER BY substring(v.sku from 5)::int))::int - 1 AS n, v.id AS variant_id, s.warehouse_id, v.vendor_id \
         FROM variants v JOIN stock_levels s ON s.variant_id = v.id; \
         CREATE UNIQUE INDEX ON bench_variants (n); ANALYZE;",
    )
    .await?;
    Ok(())
}

/// Carts of one line each, made directly in the database (cart set-up is
/// not what is measured).
pub(super) async fn prepare_carts(
    db: &Db,
    schema: &bazaar_store::TenantSchema,
    brand: uuid::Uuid,
    n: usize,
    hot: bool,
) -> anyhow::Result<Vec<(uuid::Uuid, String)>> {
    let carts = db
        .tenant_tx(schema, move |conn| {
            async move {
                #[derive(diesel::QueryableByName)]
                struct V {
                    #[diesel(sql_type = SqlUuid)]
                    variant_id: uuid::Uuid,
                }
                let variants: Vec<V> =
                    diesel::sql_query("SELECT variant_id FROM bench_variants ORDER BY n")
                        .load(conn.pg())
                        .await?;
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    let variant = if hot {
                        variants[variants.len() - 1].variant_id
                    } else {
                        variants[i % (variants.len() - 1)].variant_id
                    };
                    let (cart, token) = carts::create(
                        conn,
                        brand,
                        "US-CA",
                        bazaar_domain::Currency::parse("USD").expect("USD"),
                        None,
                        None,
                    )
                    .await?;
                    carts::add(conn, cart.id, variant, 1).await?;
                    out.push((cart.id, token));
                }
                Ok(out)
            }
            .boxed()
        })
        .await?;
    Ok(carts)
}
