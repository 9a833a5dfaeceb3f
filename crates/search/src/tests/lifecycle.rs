//! Writes, commits, rebuilds and reopening from disk.

use uuid::Uuid;

use super::{TempDir, ids, index_with, listing, search, sorted, text_request};
use crate::layout;
use crate::{Change, SearchError, SearchIndex, SearchRequest};

#[test]
fn writes_are_seen_after_commit() {
    let tenant = Uuid::new_v4();
    let index = SearchIndex::in_memory().expect("index");
    index.upsert(vec![listing(tenant, "Vase")]).expect("upsert");
    assert_eq!(search(&index, &SearchRequest::new(tenant)).total, 0);
    index.commit().expect("commit");
    assert_eq!(search(&index, &SearchRequest::new(tenant)).total, 1);
}

#[test]
fn upsert_replaces_the_earlier_version() {
    let tenant = Uuid::new_v4();
    let original = listing(tenant, "Green bottle");
    let index = index_with(vec![original.clone()]);

    let mut renamed = original.clone();
    renamed.title = "Blue flask".to_owned();
    // Twice in one batch and once more later: still one document.
    index
        .upsert(vec![renamed.clone(), renamed.clone()])
        .expect("upsert");
    index.commit().expect("commit");
    index.upsert(vec![renamed.clone()]).expect("upsert");
    index.commit().expect("commit");

    assert_eq!(index.num_docs(), 1);
    assert_eq!(search(&index, &text_request(tenant, "bottle ")).total, 0);
    assert_eq!(
        ids(&search(&index, &text_request(tenant, "flask "))),
        [original.listing_id]
    );
}

#[test]
fn delete_product_removes_all_its_listings_of_that_tenant_only() {
    let tenant = Uuid::new_v4();
    let in_one_brand = listing(tenant, "Scarf");
    let mut in_other_brand = listing(tenant, "Scarf");
    in_other_brand.product_id = in_one_brand.product_id;
    let other_product = listing(tenant, "Scarf");
    let index = index_with(vec![
        in_one_brand.clone(),
        in_other_brand,
        other_product.clone(),
    ]);

    // The same product id under another tenant deletes nothing here.
    index
        .delete_product(Uuid::new_v4(), in_one_brand.product_id)
        .expect("delete");
    index.commit().expect("commit");
    assert_eq!(index.num_docs(), 3);

    index
        .delete_product(tenant, in_one_brand.product_id)
        .expect("delete");
    index.commit().expect("commit");
    assert_eq!(
        ids(&search(&index, &SearchRequest::new(tenant))),
        [other_product.listing_id]
    );
}

#[test]
fn delete_listing_and_delete_tenant() {
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let (a1, a2, b1) = (listing(a, "Rug"), listing(a, "Rug"), listing(b, "Rug"));
    let index = index_with(vec![a1.clone(), a2.clone(), b1.clone()]);

    index.delete_listing(a1.listing_id).expect("delete");
    index.commit().expect("commit");
    assert_eq!(
        ids(&search(&index, &SearchRequest::new(a))),
        [a2.listing_id]
    );

    index.delete_tenant(a).expect("delete");
    index.commit().expect("commit");
    assert_eq!(search(&index, &SearchRequest::new(a)).total, 0);
    assert_eq!(
        ids(&search(&index, &SearchRequest::new(b))),
        [b1.listing_id]
    );
}

#[tokio::test]
async fn apply_runs_a_batch_in_order_and_commits() {
    let tenant = Uuid::new_v4();
    let index = SearchIndex::in_memory().expect("index");
    let kept = listing(tenant, "Lantern");
    let dropped = listing(tenant, "Lantern");
    let mut renamed = kept.clone();
    renamed.title = "Torch".to_owned();
    let batch = vec![
        Change::Upsert(Box::new(kept.clone())),
        Change::Upsert(Box::new(dropped.clone())),
        Change::DeleteListing {
            listing_id: dropped.listing_id,
        },
        Change::Upsert(Box::new(renamed)),
    ];
    index.apply(batch).await.expect("apply");

    let result = index
        .search(text_request(tenant, "torch"))
        .await
        .expect("search");
    assert_eq!(ids(&result), [kept.listing_id]);
    assert_eq!(index.num_docs(), 1);
}

#[test]
fn a_rebuild_serves_only_once_swapped_in() {
    let tenant = Uuid::new_v4();
    let old = listing(tenant, "Old stock");
    let index = index_with(vec![old.clone()]);

    let rebuild = index.begin_rebuild().expect("begin");
    assert!(matches!(
        index.begin_rebuild(),
        Err(SearchError::RebuildInProgress)
    ));
    let new = listing(tenant, "New stock");
    rebuild.upsert(vec![new.clone()]).expect("upsert");
    rebuild.commit().expect("commit");
    assert_eq!(rebuild.num_docs(), 1);

    // The old generation still serves, and still takes writes.
    let late = listing(tenant, "Late stock");
    index.upsert(vec![late.clone()]).expect("upsert");
    index.commit().expect("commit");
    let all = SearchRequest::new(tenant);
    assert_eq!(
        sorted(ids(&search(&index, &all))),
        sorted(vec![old.listing_id, late.listing_id])
    );

    let reader = index.clone();
    rebuild.finish().expect("finish");
    assert_eq!(ids(&search(&reader, &all)), [new.listing_id]);

    // Writes now reach the new generation, and another rebuild may start.
    index.upsert(vec![late.clone()]).expect("upsert");
    index.commit().expect("commit");
    assert_eq!(index.num_docs(), 2);
    drop(index.begin_rebuild().expect("second rebuild"));
}

#[test]
fn an_abandoned_rebuild_changes_nothing() {
    let tenant = Uuid::new_v4();
    let dir = TempDir::new();
    let index = SearchIndex::open(dir.path()).expect("open");
    let kept = listing(tenant, "Kept");
    index.upsert(vec![kept.clone()]).expect("upsert");
    index.commit().expect("commit");

    let rebuild = index.begin_rebuild().expect("begin");
    rebuild
        .upsert(vec![listing(tenant, "Discarded")])
        .expect("upsert");
    rebuild.commit().expect("commit");
    assert_eq!(layout::generations(dir.path()).expect("list").len(), 2);
    drop(rebuild);

    assert_eq!(layout::generations(dir.path()).expect("list"), [1]);
    assert_eq!(
        ids(&search(&index, &SearchRequest::new(tenant))),
        [kept.listing_id]
    );
    drop(index);
    let reopened = SearchIndex::open(dir.path()).expect("reopen");
    assert!(
        !reopened.schema_replaced(),
        "the same schema keeps the feed's cursor"
    );
    assert_eq!(
        ids(&search(&reopened, &SearchRequest::new(tenant))),
        [kept.listing_id]
    );
}

#[test]
fn reopening_serves_the_current_generation() {
    let tenant = Uuid::new_v4();
    let dir = TempDir::new();
    let old = listing(tenant, "Before rebuild");
    let new = listing(tenant, "After rebuild");
    {
        let index = SearchIndex::open(dir.path()).expect("open");
        index.upsert(vec![old.clone()]).expect("upsert");
        index.commit().expect("commit");
    }
    {
        let index = SearchIndex::open(dir.path()).expect("reopen");
        assert_eq!(
            ids(&search(&index, &SearchRequest::new(tenant))),
            [old.listing_id]
        );

        let rebuild = index.begin_rebuild().expect("begin");
        rebuild.upsert(vec![new.clone()]).expect("upsert");
        rebuild.finish().expect("finish");
        assert_eq!(layout::read_current(dir.path()).expect("current"), Some(2));
        assert_eq!(
            layout::generations(dir.path()).expect("list"),
            [2],
            "old generation removed"
        );
    }
    let index = SearchIndex::open(dir.path()).expect("reopen after rebuild");
    assert_eq!(
        ids(&search(&index, &SearchRequest::new(tenant))),
        [new.listing_id]
    );
}

#[test]
fn opening_removes_leftovers_of_an_interrupted_rebuild() {
    let dir = TempDir::new();
    drop(SearchIndex::open(dir.path()).expect("open"));
    let leftover = layout::generation_dir(dir.path(), 7);
    std::fs::create_dir_all(&leftover).expect("create leftover");

    let index = SearchIndex::open(dir.path()).expect("reopen");
    assert!(!leftover.exists());
    assert_eq!(layout::read_current(dir.path()).expect("current"), Some(1));
    index.commit().expect("an open index takes writes");
}

#[test]
fn an_index_of_an_older_schema_is_replaced_by_an_empty_generation() {
    let dir = TempDir::new();
    let old_dir = layout::generation_dir(dir.path(), 1);
    std::fs::create_dir_all(&old_dir).expect("create generation dir");
    let mut old_schema = tantivy::schema::Schema::builder();
    old_schema.add_text_field("title", tantivy::schema::TEXT);
    drop(tantivy::Index::create_in_dir(&old_dir, old_schema.build()).expect("old index"));
    layout::write_current(dir.path(), 1).expect("write current");

    let index = SearchIndex::open(dir.path()).expect("open");
    assert_eq!(index.num_docs(), 0);
    assert!(index.schema_replaced(), "the feed must rebuild it");
    assert_eq!(layout::read_current(dir.path()).expect("current"), Some(2));
    assert_eq!(layout::generations(dir.path()).expect("list"), [2]);
    let tenant = Uuid::new_v4();
    index
        .upsert(vec![listing(tenant, "Fresh")])
        .expect("upsert");
    index.commit().expect("commit");
    assert_eq!(search(&index, &SearchRequest::new(tenant)).total, 1);
}
