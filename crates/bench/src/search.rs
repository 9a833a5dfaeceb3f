//! Product search: the node's tantivy index against PostgreSQL full-text
//! search (a weighted `tsvector` with a GIN index) on the same generated
//! catalog and the same mixed queries, in the same run. Both answer what a
//! storefront search needs: the tenant's and brand's matches, a page of 24
//! by relevance (or price), the total, and facet counts for categories,
//! vendors and price buckets. Also: how long a single change takes from
//! `apply` to searchable (the follower adds at most one poll interval).

use std::time::{Duration, Instant};

use bazaar_search::{Change, ListingDoc, SearchIndex, SearchRequest, Sort};
use bazaar_store::migrate;
use chrono::Utc;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::stats::Summary;

const ADJECTIVES: &[&str] = &[
    "classic",
    "vintage",
    "organic",
    "handmade",
    "lightweight",
    "waterproof",
    "premium",
    "compact",
    "rustic",
    "modern",
    "slim",
    "oversized",
    "soft",
    "durable",
    "portable",
    "ergonomic",
    "wireless",
    "insulated",
    "recycled",
    "artisan",
];
const MATERIALS: &[&str] = &[
    "cotton",
    "linen",
    "leather",
    "wool",
    "denim",
    "bamboo",
    "ceramic",
    "steel",
    "oak",
    "walnut",
    "copper",
    "glass",
    "silk",
    "canvas",
    "cashmere",
    "marble",
    "brass",
    "porcelain",
    "velvet",
    "titanium",
];
const NOUNS: &[&str] = &[
    "shirt",
    "jacket",
    "sweater",
    "blanket",
    "backpack",
    "kettle",
    "teapot",
    "lamp",
    "chair",
    "table",
    "mug",
    "scarf",
    "wallet",
    "sneakers",
    "headphones",
    "notebook",
    "vase",
    "bottle",
    "candle",
    "watch",
    "hoodie",
    "tote",
    "pillow",
    "skillet",
    "speaker",
];
const COLOURS: &[&str] = &[
    "red", "blue", "green", "black", "white", "grey", "navy", "olive",
];
const SIZES: &[&str] = &["xs", "s", "m", "l", "xl"];
const TOP: &[&str] = &[
    "clothing",
    "home",
    "kitchen",
    "outdoors",
    "electronics",
    "accessories",
];
const SUB: &[&str] = &[
    "basics",
    "premium",
    "sale",
    "new",
    "gifts",
    "essentials",
    "seasonal",
];
const TENANTS: usize = 10;
/// Alternating rounds of both engines.
const ROUNDS: usize = 5;
const VENDORS: usize = 20;

/// A small deterministic generator (the same catalog every run).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Catalog {
    tenants: Vec<Uuid>,
    brands: Vec<Uuid>,
    vendors: Vec<Uuid>,
    docs: Vec<ListingDoc>,
}

fn catalog(products: usize) -> Catalog {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let tenants: Vec<Uuid> = (0..TENANTS).map(|_| Uuid::new_v4()).collect();
    let brands: Vec<Uuid> = (0..TENANTS).map(|_| Uuid::new_v4()).collect();
    let vendors: Vec<Uuid> = (0..VENDORS).map(|_| Uuid::new_v4()).collect();
    let now = Utc::now();
    let docs = (0..products)
        .map(|i| {
            let t = i % TENANTS;
            let (adj, mat, noun) = (rng.pick(ADJECTIVES), rng.pick(MATERIALS), rng.pick(NOUNS));
            let colour = rng.pick(COLOURS);
            let vendor = (rng.below(VENDORS as u64)) as usize;
            ListingDoc {
                tenant_id: tenants[t],
                brand_id: brands[t],
                listing_id: Uuid::new_v4(),
                product_id: Uuid::new_v4(),
                vendor_id: vendors[vendor],
                vendor_name: format!("vendor {vendor}"),
                title: format!("{adj} {mat} {noun}"),
                description: format!(
                    "A {} {noun} in {colour} {mat}, {} and {}. Pairs well with a {} {}.",
                    rng.pick(ADJECTIVES),
                    rng.pick(ADJECTIVES),
                    rng.pick(ADJECTIVES),
                    rng.pick(MATERIALS),
                    rng.pick(NOUNS)
                ),
                category_path: Some(format!("{}/{}", rng.pick(TOP), rng.pick(SUB))),
                attributes: vec![
                    ("colour".to_owned(), colour.to_owned()),
                    ("size".to_owned(), rng.pick(SIZES).to_owned()),
                ],
                price_minor: 500 + rng.below(50_000) as i64,
                currency: "USD".to_owned(),
                in_stock: rng.below(10) > 1,
                created_at: now - chrono::Duration::seconds(rng.below(10_000_000) as i64),
            }
        })
        .collect();
    Catalog {
        tenants,
        brands,
        vendors,
        docs,
    }
}

/// One benchmark query: what a shopper typed and the filters chosen.
#[derive(Clone)]
struct Query {
    tenant: usize,
    text: String,
    category: Option<String>,
    price: Option<(i64, i64)>,
    vendor: Option<usize>,
    in_stock: bool,
    sort_price: bool,
}

/// 1,000 mixed queries: words, two-word phrases, typos, prefixes, and
/// filters on a third of them.
fn queries(n: usize) -> Vec<Query> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    (0..n)
        .map(|i| {
            let noun = rng.pick(NOUNS);
            let text = match i % 5 {
                0 => noun.to_owned(),
                1 => format!("{} {noun}", rng.pick(MATERIALS)),
                2 => {
                    // A typo: two letters swapped.
                    let mut c: Vec<char> = noun.chars().collect();
                    let at = 1 + rng.below((c.len() - 2) as u64) as usize;
                    c.swap(at, at + 1);
                    c.into_iter().collect()
                }
                3 => noun[..noun.len().min(4)].to_owned(),
                _ => format!("{} {}", rng.pick(ADJECTIVES), rng.pick(MATERIALS)),
            };
            let filtered = i % 3 == 0;
            Query {
                tenant: rng.below(TENANTS as u64) as usize,
                text,
                category: filtered.then(|| rng.pick(TOP).to_owned()),
                price: (filtered && i % 2 == 0).then_some((1_000, 20_000)),
                vendor: (i % 7 == 0).then(|| rng.below(VENDORS as u64) as usize),
                in_stock: i % 4 == 0,
                sort_price: i % 10 == 0,
            }
        })
        .collect()
}

pub async fn run(server: &str, products: usize, queries_n: usize) -> anyhow::Result<()> {
    let name = format!("bazaar_bench_search_{}", std::process::id());
    let admin = format!("{server}/postgres");
    migrate::create_database_if_missing(&admin, &name).await?;
    let result = measure(&format!("{server}/{name}"), products, queries_n).await;
    migrate::drop_database(&admin, &name).await?;
    println!("{}", result?);
    Ok(())
}

async fn measure(url: &str, products: usize, queries_n: usize) -> anyhow::Result<String> {
    let catalog = catalog(products);
    let queries = queries(queries_n);

    // tantivy: build the index the way a rebuild does.
    let dir = std::env::temp_dir().join(format!("bazaar-bench-search-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let started = Instant::now();
    let index = SearchIndex::open(&dir)?;
    for chunk in catalog.docs.chunks(10_000) {
        index.upsert(chunk.to_vec())?;
    }
    index.commit()?;
    let tantivy_build = started.elapsed();

    // PostgreSQL: the same rows, a weighted tsvector with a GIN index, and
    // b-tree indexes for the filters.
    let mut conn = AsyncPgConnection::establish(url).await?;
    let started = Instant::now();
    load_postgres(&mut conn, &catalog).await?;
    let pg_build = started.elapsed();

    // Warm both (caches, mmap), unmeasured.
    for q in queries.iter().take(100) {
        run_tantivy(&index, &catalog, q)?;
        run_postgres(&mut conn, &catalog, q).await?;
    }
    // Rounds alternate the engines, so a slow moment of the machine hits
    // both; the ratio reported is the median of the rounds'.
    let (mut t_lat, mut p_lat) = (Vec::new(), Vec::new());
    let (mut t_hits, mut p_hits) = (0usize, 0usize);
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        t_hits = 0;
        for q in &queries {
            let at = Instant::now();
            t_hits += run_tantivy(&index, &catalog, q)?;
            t_lat.push(at.elapsed());
        }
        let t_qps = queries.len() as f64 / started.elapsed().as_secs_f64();
        let started = Instant::now();
        p_hits = 0;
        for q in &queries {
            let at = Instant::now();
            p_hits += run_postgres(&mut conn, &catalog, q).await?;
            p_lat.push(at.elapsed());
        }
        let p_qps = queries.len() as f64 / started.elapsed().as_secs_f64();
        rounds.push((t_qps, p_qps));
    }
    let mut ratios: Vec<f64> = rounds.iter().map(|(t, p)| t / p).collect();
    ratios.sort_by(f64::total_cmp);
    let median_ratio = ratios[ratios.len() / 2];
    let qps = |pick: fn(&(f64, f64)) -> f64| {
        rounds
            .iter()
            .map(|r| format!("{:.0}", pick(r)))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let (t_qps, p_qps) = (qps(|r| r.0), qps(|r| r.1));

    // Freshness: one listing changed, applied and committed, until a
    // search finds it.
    let mut fresh = Vec::new();
    for i in 0..50 {
        let mut doc = catalog.docs[i].clone();
        // A word no generated product has, one per change.
        let word: String = format!(
            "zephyr{}{}",
            (b'a' + (i / 26) as u8) as char,
            (b'a' + (i % 26) as u8) as char
        );
        doc.title = format!("{word} {}", doc.title);
        let (tenant, listing) = (doc.tenant_id, doc.listing_id);
        let started = Instant::now();
        index.apply(vec![Change::Upsert(Box::new(doc))]).await?;
        let mut request = SearchRequest::new(tenant);
        request.text = word.clone();
        let found = index.search(request).await?;
        anyhow::ensure!(
            found.hits.iter().any(|h| h.listing_id == listing),
            "`{word}` does not find the changed listing"
        );
        fresh.push(started.elapsed());
    }
    let _ = std::fs::remove_dir_all(&dir);

    let t = Summary::of(t_lat);
    let p = Summary::of(p_lat);
    let f = Summary::of(fresh);
    Ok(format!(
        "{products} products in {TENANTS} tenants, {} queries (one client, one after another)\n\n\
         | engine | build s | q/s per round | p50 ms | p99 ms | max ms | hits returned |\n|---|---|---|---|---|---|---|\n\
         | tantivy (bazaar-search) | {:.1} | {t_qps} | {:.2} | {:.2} | {:.2} | {t_hits} |\n\
         | PostgreSQL tsvector + GIN | {:.1} | {p_qps} | {:.2} | {:.2} | {:.2} | {p_hits} |\n\n\
         tantivy / PostgreSQL throughput, median of {ROUNDS} alternating rounds: {median_ratio:.1}x \
         (rounds: {})\n\
         change to searchable (apply + commit + reload): p50 {:.1} ms, p99 {:.1} ms; \
         the follower polls every 200 ms by default\n",
        queries.len(),
        tantivy_build.as_secs_f64(),
        ms(t.p50),
        ms(t.p99),
        ms(t.max),
        pg_build.as_secs_f64(),
        ms(p.p50),
        ms(p.p99),
        ms(p.max),
        ratios
            .iter()
            .map(|r| format!("{r:.1}x"))
            .collect::<Vec<_>>()
            .join(", "),
        ms(f.p50),
        ms(f.p99),
    ))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn run_tantivy(index: &SearchIndex, c: &Catalog, q: &Query) -> anyhow::Result<usize> {
    let mut request = SearchRequest::new(c.tenants[q.tenant]);
    request.brand_id = Some(c.brands[q.tenant]);
    request.text = q.text.clone();
    request.category = q.category.clone();
    if let Some((lo, hi)) = q.price {
        request.price_min_minor = Some(lo);
        request.price_max_minor = Some(hi);
    }
    request.vendor_ids = q.vendor.map(|v| vec![c.vendors[v]]).unwrap_or_default();
    request.in_stock_only = q.in_stock;
    request.sort = if q.sort_price {
        Sort::PriceAsc
    } else {
        Sort::Relevance
    };
    request.limit = 24;
    let found = index.search_blocking(&request)?;
    Ok(found.hits.len())
}

async fn load_postgres(conn: &mut AsyncPgConnection, c: &Catalog) -> anyhow::Result<()> {
    diesel::sql_query(
        "CREATE TABLE search_docs (listing_id UUID PRIMARY KEY, tenant_id UUID NOT NULL, brand_id UUID NOT NULL, \
         vendor_id UUID NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL, category_path TEXT, \
         colour TEXT, size TEXT, price_minor BIGINT NOT NULL, in_stock BOOLEAN NOT NULL, created_at TIMESTAMPTZ NOT NULL, \
         tsv TSVECTOR GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A') || \
             setweight(to_tsvector('english', description), 'B')) STORED)",
    )
    .execute(conn)
    .await?;
    for chunk in c.docs.chunks(5_000) {
        let col = |f: &dyn Fn(&ListingDoc) -> String| chunk.iter().map(f).collect::<Vec<_>>();
        diesel::sql_query(
            "INSERT INTO search_docs (listing_id, tenant_id, brand_id, vendor_id, title, description, category_path, colour, size, price_minor, in_stock, created_at) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bool[], $12::timestamptz[])",
        )
        .bind::<Array<SqlUuid>, _>(chunk.iter().map(|d| d.listing_id).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(chunk.iter().map(|d| d.tenant_id).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(chunk.iter().map(|d| d.brand_id).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(chunk.iter().map(|d| d.vendor_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(col(&|d| d.title.clone()))
        .bind::<Array<Text>, _>(col(&|d| d.description.clone()))
        .bind::<Array<Text>, _>(col(&|d| d.category_path.clone().unwrap_or_default()))
        .bind::<Array<Text>, _>(col(&|d| d.attributes[0].1.clone()))
        .bind::<Array<Text>, _>(col(&|d| d.attributes[1].1.clone()))
        .bind::<Array<BigInt>, _>(chunk.iter().map(|d| d.price_minor).collect::<Vec<_>>())
        .bind::<Array<diesel::sql_types::Bool>, _>(chunk.iter().map(|d| d.in_stock).collect::<Vec<_>>())
        .bind::<Array<diesel::sql_types::Timestamptz>, _>(
            chunk.iter().map(|d| d.created_at).collect::<Vec<_>>(),
        )
        .execute(conn)
        .await?;
    }
    for ddl in [
        "CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv)",
        "CREATE INDEX search_docs_brand ON search_docs (tenant_id, brand_id, category_path text_pattern_ops)",
        "CREATE INDEX search_docs_price ON search_docs (tenant_id, brand_id, price_minor)",
        "ANALYZE search_docs",
    ] {
        diesel::sql_query(ddl).execute(conn).await?;
    }
    Ok(())
}

/// The same search in SQL: the matching set once (a CTE), then the page,
/// the total and the three facet counts from it, in one statement.
async fn run_postgres(
    conn: &mut AsyncPgConnection,
    c: &Catalog,
    q: &Query,
) -> anyhow::Result<usize> {
    /// The page, the total and the facets, as the client receives them.
    #[derive(diesel::QueryableByName)]
    #[allow(
        dead_code,
        reason = "read off the wire like a client would, not inspected"
    )]
    struct Row {
        #[diesel(sql_type = Integer)]
        hits: i32,
        #[diesel(sql_type = BigInt)]
        total: i64,
        #[diesel(sql_type = Nullable<Array<SqlUuid>>)]
        ids: Option<Vec<Uuid>>,
        #[diesel(sql_type = Nullable<Text>)]
        cats: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        vends: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        prices: Option<String>,
    }
    // Words as typed; the last one also as a prefix (search-as-you-type).
    let words: Vec<String> = q
        .text
        .split(|ch: char| !ch.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let tsquery = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i + 1 == words.len() {
                format!("{w}:*")
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" & ");
    let order = if q.sort_price {
        "price_minor, listing_id"
    } else {
        "rank DESC, created_at DESC"
    };
    let sql = format!(
        "WITH m AS (SELECT listing_id, category_path, vendor_id, price_minor, created_at, \
             ts_rank(tsv, to_tsquery('english', $3)) AS rank FROM search_docs \
           WHERE tenant_id = $1 AND brand_id = $2 AND ($3 = '' OR tsv @@ to_tsquery('english', $3)) \
             AND ($4::text IS NULL OR category_path LIKE $4 || '/%') \
             AND ($5::bigint IS NULL OR price_minor BETWEEN $5 AND $6) \
             AND ($7::uuid IS NULL OR vendor_id = $7) AND (NOT $8 OR in_stock)), \
         page AS (SELECT listing_id FROM m ORDER BY {order} LIMIT 24), \
         cats AS (SELECT split_part(category_path, '/', 1), count(*) FROM m GROUP BY 1), \
         vends AS (SELECT vendor_id, count(*) FROM m GROUP BY 1), \
         prices AS (SELECT width_bucket(price_minor, ARRAY[1000, 2500, 5000, 10000, 25000]), count(*) FROM m GROUP BY 1) \
         SELECT (SELECT count(*) FROM page)::int AS hits, (SELECT count(*) FROM m) AS total, \
             (SELECT array_agg(listing_id) FROM page) AS ids, (SELECT json_agg(x)::text FROM cats x) AS cats, \
             (SELECT json_agg(x)::text FROM vends x) AS vends, (SELECT json_agg(x)::text FROM prices x) AS prices"
    );
    let row: Row = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(c.tenants[q.tenant])
        .bind::<SqlUuid, _>(c.brands[q.tenant])
        .bind::<Text, _>(tsquery)
        .bind::<Nullable<Text>, _>(q.category.clone())
        .bind::<Nullable<BigInt>, _>(q.price.map(|p| p.0))
        .bind::<Nullable<BigInt>, _>(q.price.map(|p| p.1))
        .bind::<Nullable<SqlUuid>, _>(q.vendor.map(|v| c.vendors[v]))
        .bind::<diesel::sql_types::Bool, _>(q.in_stock)
        .get_result(conn)
        .await?;
    Ok(usize::try_from(row.hits).unwrap_or(0))
}
