//! Filters, facet counts, sorting and paging.

use uuid::Uuid;

use super::{at, ids, index_with, listing, search, sorted, text_request};
use crate::{MAX_LIMIT, PriceBucket, SearchRequest, Sort};

#[test]
fn a_category_filter_covers_its_subtree_and_facets_count_children() {
    let tenant = Uuid::new_v4();
    let in_category = |title: &str, path: &str| {
        let mut doc = listing(tenant, title);
        doc.category_path = Some(path.to_owned());
        doc
    };
    let tee = in_category("Tee", "clothing/shirts/tees");
    let polo = in_category("Polo", "clothing/shirts/polos");
    let chinos = in_category("Chinos", "clothing/pants");
    let boots = in_category("Boots", "shoes");
    let uncategorized = listing(tenant, "Gift card");
    let index = index_with(vec![
        tee.clone(),
        polo.clone(),
        chinos.clone(),
        boots,
        uncategorized,
    ]);

    let mut request = SearchRequest::new(tenant);
    let top = search(&index, &request);
    assert_eq!(top.total, 5);
    assert_eq!(
        top.facets.categories,
        [("clothing".to_owned(), 3), ("shoes".to_owned(), 1)]
    );

    request.category = Some("clothing".to_owned());
    let clothing = search(&index, &request);
    assert_eq!(
        sorted(ids(&clothing)),
        sorted(vec![tee.listing_id, polo.listing_id, chinos.listing_id])
    );
    assert_eq!(
        clothing.facets.categories,
        [
            ("clothing/shirts".to_owned(), 2),
            ("clothing/pants".to_owned(), 1)
        ]
    );

    request.category = Some("/Clothing/Shirts/".to_owned());
    assert_eq!(search(&index, &request).total, 2);
    request.category = Some("clothing/shirts/tees".to_owned());
    assert_eq!(ids(&search(&index, &request)), [tee.listing_id]);
    request.category = Some("cloth".to_owned());
    assert_eq!(
        search(&index, &request).total,
        0,
        "no partial segment match"
    );
    request.category = Some("/".to_owned());
    assert_eq!(
        search(&index, &request).total,
        5,
        "an empty path does not filter"
    );
}

#[test]
fn a_vendor_filter_keeps_any_of_the_vendors_and_facets_count_vendors() {
    let tenant = Uuid::new_v4();
    let (v1, v2, v3) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let of_vendor = |vendor_id| {
        let mut doc = listing(tenant, "Mug");
        doc.vendor_id = vendor_id;
        doc
    };
    let docs = vec![of_vendor(v1), of_vendor(v1), of_vendor(v2), of_vendor(v3)];
    let index = index_with(docs.clone());

    let mut request = text_request(tenant, "mug");
    assert_eq!(search(&index, &request).facets.vendors[0], (v1, 2));
    request.vendor_ids = vec![v2, v3];
    let result = search(&index, &request);
    assert_eq!(
        sorted(ids(&result)),
        sorted(vec![docs[2].listing_id, docs[3].listing_id])
    );
    let mut vendors = result.facets.vendors;
    vendors.sort();
    let mut expected = vec![(v2, 1), (v3, 1)];
    expected.sort();
    assert_eq!(vendors, expected);
}

#[test]
fn a_price_range_is_inclusive_and_buckets_count_prices() {
    let tenant = Uuid::new_v4();
    let priced = |price_minor| {
        let mut doc = listing(tenant, "Lamp");
        doc.price_minor = price_minor;
        doc
    };
    let docs = vec![priced(500), priced(1_000), priced(2_499), priced(30_000)];
    let index = index_with(docs.clone());

    let mut request = SearchRequest::new(tenant);
    let buckets = search(&index, &request).facets.price_buckets;
    let counts: Vec<(i64, Option<i64>, u64)> = buckets
        .iter()
        .map(|b| (b.from_minor, b.to_minor, b.count))
        .collect();
    assert_eq!(
        counts,
        [
            (0, Some(1_000), 1),
            (1_000, Some(2_500), 2),
            (2_500, Some(5_000), 0),
            (5_000, Some(10_000), 0),
            (10_000, Some(25_000), 0),
            (25_000, None, 1),
        ]
    );

    request.price_min_minor = Some(1_000);
    request.price_max_minor = Some(2_499);
    assert_eq!(
        sorted(ids(&search(&index, &request))),
        sorted(vec![docs[1].listing_id, docs[2].listing_id])
    );
    request.price_max_minor = None;
    assert_eq!(search(&index, &request).total, 3);
    request.price_min_minor = None;
    request.price_max_minor = Some(999);
    assert_eq!(ids(&search(&index, &request)), [docs[0].listing_id]);
    request.price_min_minor = Some(5_000);
    assert_eq!(
        search(&index, &request).total,
        0,
        "min above max matches nothing"
    );

    let mut custom = SearchRequest::new(tenant);
    custom.price_bucket_edges_minor = vec![2_000];
    assert_eq!(
        search(&index, &custom).facets.price_buckets,
        [
            PriceBucket {
                from_minor: 0,
                to_minor: Some(2_000),
                count: 2
            },
            PriceBucket {
                from_minor: 2_000,
                to_minor: None,
                count: 2
            },
        ]
    );
}

#[test]
fn attribute_filters_or_within_a_name_and_and_across_names() {
    let tenant = Uuid::new_v4();
    let with = |attributes: &[(&str, &str)]| {
        let mut doc = listing(tenant, "Hoodie");
        doc.attributes = attributes
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        doc
    };
    let red_m = with(&[("color", "red"), ("size", "M")]);
    let red_l = with(&[("color", "Red"), ("size", "L")]);
    let blue_m = with(&[("color", "blue"), ("size", "M")]);
    let index = index_with(vec![red_m.clone(), red_l.clone(), blue_m.clone()]);

    let filter = |attributes: &[(&str, &str)]| {
        let mut request = SearchRequest::new(tenant);
        request.attributes = attributes
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        sorted(ids(&search(&index, &request)))
    };
    assert_eq!(
        filter(&[("color", "red")]),
        sorted(vec![red_m.listing_id, red_l.listing_id])
    );
    assert_eq!(
        filter(&[("Color", "RED"), ("size", "m")]),
        [red_m.listing_id]
    );
    assert_eq!(
        filter(&[("color", "red"), ("color", "blue"), ("size", "m")]),
        sorted(vec![red_m.listing_id, blue_m.listing_id])
    );
    assert!(filter(&[("color", "green")]).is_empty());
    assert_eq!(
        filter(&[("color", " ")]).len(),
        3,
        "a blank attribute does not filter"
    );
}

#[test]
fn in_stock_only_hides_sold_out_listings() {
    let tenant = Uuid::new_v4();
    let available = listing(tenant, "Kettle");
    let mut sold_out = listing(tenant, "Kettle");
    sold_out.in_stock = false;
    let index = index_with(vec![available.clone(), sold_out]);

    let mut request = text_request(tenant, "kettle");
    assert_eq!(search(&index, &request).total, 2);
    request.in_stock_only = true;
    assert_eq!(ids(&search(&index, &request)), [available.listing_id]);
}

#[test]
fn sorts_by_price_and_by_age() {
    let tenant = Uuid::new_v4();
    let make = |price_minor, age_seconds| {
        let mut doc = listing(tenant, "Chair");
        doc.price_minor = price_minor;
        doc.created_at = at(age_seconds);
        doc
    };
    let (cheap_old, mid_new, dear_mid) = (make(100, 0), make(500, 20), make(900, 10));
    let index = index_with(vec![mid_new.clone(), cheap_old.clone(), dear_mid.clone()]);

    let sorted_by = |sort| {
        let mut request = text_request(tenant, "chair");
        request.sort = sort;
        ids(&search(&index, &request))
    };
    let (cheap_old, mid_new, dear_mid) = (
        cheap_old.listing_id,
        mid_new.listing_id,
        dear_mid.listing_id,
    );
    assert_eq!(sorted_by(Sort::PriceAsc), [cheap_old, mid_new, dear_mid]);
    assert_eq!(sorted_by(Sort::PriceDesc), [dear_mid, mid_new, cheap_old]);
    assert_eq!(sorted_by(Sort::Newest), [mid_new, dear_mid, cheap_old]);
    // Equal relevance falls back to newest first.
    assert_eq!(sorted_by(Sort::Relevance), [mid_new, dear_mid, cheap_old]);
}

#[test]
fn pages_are_disjoint_and_bounded() {
    let tenant = Uuid::new_v4();
    let docs: Vec<_> = (0..7)
        .map(|i| {
            let mut doc = listing(tenant, "Candle");
            doc.created_at = at(i);
            doc
        })
        .collect();
    let index = index_with(docs.clone());

    let page = |offset, limit| {
        let mut request = SearchRequest::new(tenant);
        request.offset = offset;
        request.limit = limit;
        search(&index, &request)
    };
    let mut seen = Vec::new();
    for offset in [0, 3, 6] {
        let result = page(offset, 3);
        assert_eq!(result.total, 7);
        seen.extend(ids(&result));
    }
    // Newest first, each listing exactly once.
    let newest_first: Vec<Uuid> = docs.iter().rev().map(|doc| doc.listing_id).collect();
    assert_eq!(seen, newest_first);

    let no_hits = page(0, 0);
    assert!(no_hits.hits.is_empty());
    assert_eq!(no_hits.total, 7);
    assert!(page(usize::MAX, usize::MAX).hits.is_empty());
    assert!(page(7, 10).hits.is_empty());
    assert_eq!(page(0, usize::MAX).hits.len(), 7);
}

#[test]
fn limit_is_capped() {
    let tenant = Uuid::new_v4();
    let index = index_with((0..MAX_LIMIT + 5).map(|_| listing(tenant, "Pen")).collect());
    let mut request = SearchRequest::new(tenant);
    request.limit = MAX_LIMIT * 10;
    let result = search(&index, &request);
    assert_eq!(result.hits.len(), MAX_LIMIT);
    assert_eq!(result.total, MAX_LIMIT + 5);
}
