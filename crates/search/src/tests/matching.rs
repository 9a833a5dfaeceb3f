//! What a text search finds, how it ranks and highlights it, and that it
//! never crosses tenants or brands.

use uuid::Uuid;

use super::{ids, index_with, listing, search, text_request};
use crate::SearchRequest;

#[test]
fn a_tenant_never_sees_another_tenants_listings() {
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let shirt_a = listing(a, "Red shirt");
    let shirt_b = listing(b, "Red shirt");
    let vendor_b = shirt_b.vendor_id;
    let index = index_with(vec![shirt_a.clone(), shirt_b.clone()]);

    for text in ["red shirt", "shirt", ""] {
        let result = search(&index, &text_request(a, text));
        assert_eq!(ids(&result), [shirt_a.listing_id], "text {text:?}");
        assert_eq!(result.total, 1);
    }
    // Not even through another tenant's vendor filter or facets.
    let mut request = text_request(a, "shirt");
    request.vendor_ids = vec![vendor_b];
    assert_eq!(search(&index, &request).total, 0);
    let facets = search(&index, &text_request(a, "")).facets;
    assert_eq!(facets.vendors, [(shirt_a.vendor_id, 1)]);
}

#[test]
fn a_brand_filter_keeps_the_brands_listings_only() {
    let tenant = Uuid::new_v4();
    let (brand_x, brand_y) = (Uuid::new_v4(), Uuid::new_v4());
    let mut in_x = listing(tenant, "Wool sweater");
    in_x.brand_id = brand_x;
    let mut in_y = in_x.clone();
    in_y.listing_id = Uuid::new_v4();
    in_y.brand_id = brand_y;
    let index = index_with(vec![in_x.clone(), in_y.clone()]);

    let mut request = text_request(tenant, "sweater");
    assert_eq!(search(&index, &request).total, 2);
    request.brand_id = Some(brand_x);
    assert_eq!(ids(&search(&index, &request)), [in_x.listing_id]);
    request.brand_id = Some(Uuid::new_v4());
    assert_eq!(search(&index, &request).total, 0);
}

#[test]
fn a_title_match_outranks_a_description_match() {
    let tenant = Uuid::new_v4();
    let mut in_description = listing(tenant, "Wool coat");
    in_description.description = "Warmer than any jacket you own.".to_owned();
    let in_title = listing(tenant, "Leather jacket");
    let index = index_with(vec![in_description.clone(), in_title.clone()]);

    let result = search(&index, &text_request(tenant, "jacket"));
    assert_eq!(
        ids(&result),
        [in_title.listing_id, in_description.listing_id]
    );
    assert!(result.hits[0].score > result.hits[1].score);
}

#[test]
fn every_word_must_match() {
    let tenant = Uuid::new_v4();
    let red_shirt = listing(tenant, "Red shirt");
    let blue_shirt = listing(tenant, "Blue shirt");
    let index = index_with(vec![red_shirt.clone(), blue_shirt]);

    let result = search(&index, &text_request(tenant, "red shirt "));
    assert_eq!(ids(&result), [red_shirt.listing_id]);
}

#[test]
fn typos_and_plurals_still_match() {
    let tenant = Uuid::new_v4();
    let shirts = listing(tenant, "Red Shirts");
    let index = index_with(vec![shirts.clone(), listing(tenant, "Blue trousers")]);

    // With a trailing space the last word is complete: fuzzy, not prefix.
    for text in ["shrit ", "red shrit", "shirt ", "SHIRTS "] {
        let result = search(&index, &text_request(tenant, text));
        assert_eq!(ids(&result), [shirts.listing_id], "text {text:?}");
    }
    // Short words get no typo tolerance: "rad" is not "red".
    assert_eq!(search(&index, &text_request(tenant, "rad shirt ")).total, 0);
}

#[test]
fn the_last_word_matches_as_a_prefix_while_typed() {
    let tenant = Uuid::new_v4();
    let jacket = listing(tenant, "Denim Jacket");
    let index = index_with(vec![jacket.clone(), listing(tenant, "Denim jeans")]);

    for text in ["jack", "denim jack", "jacke", "Jac"] {
        let result = search(&index, &text_request(tenant, text));
        assert_eq!(ids(&result), [jacket.listing_id], "text {text:?}");
    }
    // Once the word is finished it has to match as typed.
    assert_eq!(search(&index, &text_request(tenant, "jack ")).total, 0);
    // Typos in a half-typed word.
    for text in ["jakcet", "jakce"] {
        let result = search(&index, &text_request(tenant, text));
        assert_eq!(ids(&result), [jacket.listing_id], "text {text:?}");
    }
    // A single letter is too short to stand for a word.
    assert_eq!(search(&index, &text_request(tenant, "j")).total, 0);
}

#[test]
fn snippets_highlight_matches_and_escape_markup() {
    let tenant = Uuid::new_v4();
    let mut doc = listing(tenant, "Red <Shirt> & tie");
    doc.description = "A soft cotton shirt. Machine washable.".to_owned();
    let jacket = listing(tenant, "Denim jacket");
    let index = index_with(vec![doc, jacket]);

    let hit = &search(&index, &text_request(tenant, "shirts "))
        .hits
        .first()
        .cloned()
        .expect("a hit");
    assert_eq!(hit.title_snippet, "Red &lt;<b>Shirt</b>&gt; &amp; tie");
    assert!(
        hit.description_snippet.contains("cotton <b>shirt</b>"),
        "{}",
        hit.description_snippet
    );

    // Typo and prefix matches are highlighted as what they matched.
    let typo = search(&index, &text_request(tenant, "shrit "));
    assert!(typo.hits[0].title_snippet.contains("<b>Shirt</b>"));
    for text in ["jack", "jakce"] {
        let prefix = search(&index, &text_request(tenant, text));
        assert_eq!(
            prefix.hits[0].title_snippet, "Denim <b>jacket</b>",
            "text {text:?}"
        );
        assert_eq!(prefix.hits[0].description_snippet, "");
    }

    // Without text nothing is highlighted, and the title is still shown.
    let all = search(&index, &SearchRequest::new(tenant));
    assert!(
        all.hits
            .iter()
            .all(|hit| !hit.title_snippet.contains("<b>"))
    );
    assert!(
        all.hits
            .iter()
            .any(|hit| hit.title_snippet == "Denim jacket")
    );
}

#[test]
fn absurd_text_neither_errors_nor_panics() {
    let tenant = Uuid::new_v4();
    let index = index_with(vec![listing(tenant, "Teapot")]);

    let long_word = "a".repeat(10_000);
    let long_words = "teapot ".repeat(1_500);
    let syntax = "title:\"teapot\" AND (x OR [a TO z]) -y +z ^2 ~1 * ? \\ / { } ! :";
    for text in [
        "", "   ", "!!!???", "\"", "::", "[", "\u{0}", "🫖🫖", &long_word, syntax,
    ] {
        let result = index.search_blocking(&text_request(tenant, text));
        assert!(
            result.is_ok(),
            "text {:?}: {result:?}",
            &text[..text.len().min(20)]
        );
    }
    // Only punctuation means no words: everything within the filters.
    assert_eq!(search(&index, &text_request(tenant, "?!.,;")).total, 1);
    assert_eq!(search(&index, &text_request(tenant, &long_words)).total, 1);
}
