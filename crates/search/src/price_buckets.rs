//! A collector counting matches per price range, reading prices from the
//! fast field rather than the stored documents.

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::doc::PRICE_MINOR;
use crate::query::PriceBucket;

/// Most buckets a request may ask for.
const MAX_BUCKETS: usize = 32;

/// Counts matches below each edge and at or above the last one.
#[derive(Clone)]
pub(crate) struct PriceBucketCollector {
    edges: Arc<[i64]>,
}

impl PriceBucketCollector {
    /// Edges are sorted and deduplicated; non-positive ones are dropped,
    /// since the first bucket starts at zero.
    pub(crate) fn new(edges: &[i64]) -> Self {
        let mut edges: Vec<i64> = edges.iter().copied().filter(|edge| *edge > 0).collect();
        edges.sort_unstable();
        edges.dedup();
        edges.truncate(MAX_BUCKETS - 1);
        Self {
            edges: edges.into(),
        }
    }

    /// Pairs the counts the collector produced with their ranges.
    pub(crate) fn buckets(&self, counts: &[u64]) -> Vec<PriceBucket> {
        let starts = std::iter::once(0).chain(self.edges.iter().copied());
        let ends = self.edges.iter().copied().map(Some).chain([None]);
        starts
            .zip(ends)
            .zip(counts)
            .map(|((from_minor, to_minor), count)| PriceBucket {
                from_minor,
                to_minor,
                count: *count,
            })
            .collect()
    }
}

impl Collector for PriceBucketCollector {
    type Fruit = Vec<u64>;
    type Child = PriceBucketSegmentCollector;

    fn for_segment(
        &self,
        _segment_ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        Ok(PriceBucketSegmentCollector {
            prices: segment.fast_fields().i64(PRICE_MINOR)?,
            edges: Arc::clone(&self.edges),
            counts: vec![0; self.edges.len() + 1],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segment_counts: Vec<Vec<u64>>) -> tantivy::Result<Vec<u64>> {
        let mut total = vec![0; self.edges.len() + 1];
        for counts in segment_counts {
            for (sum, count) in total.iter_mut().zip(counts) {
                *sum += count;
            }
        }
        Ok(total)
    }
}

pub(crate) struct PriceBucketSegmentCollector {
    prices: Column<i64>,
    edges: Arc<[i64]>,
    counts: Vec<u64>,
}

impl SegmentCollector for PriceBucketSegmentCollector {
    type Fruit = Vec<u64>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(price) = self.prices.first(doc) {
            let bucket = self.edges.partition_point(|edge| *edge <= price);
            if let Some(count) = self.counts.get_mut(bucket) {
                *count += 1;
            }
        }
    }

    fn harvest(self) -> Vec<u64> {
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_cleaned_and_paired_with_counts() {
        let collector = PriceBucketCollector::new(&[500, -3, 100, 500, 0]);
        let buckets = collector.buckets(&[1, 2, 3]);
        let ranges: Vec<_> = buckets
            .iter()
            .map(|b| (b.from_minor, b.to_minor, b.count))
            .collect();
        assert_eq!(
            ranges,
            [(0, Some(100), 1), (100, Some(500), 2), (500, None, 3)]
        );
    }

    #[test]
    fn no_edges_is_one_open_bucket() {
        let collector = PriceBucketCollector::new(&[]);
        let buckets = collector.buckets(&[7]);
        assert_eq!(
            buckets,
            [PriceBucket {
                from_minor: 0,
                to_minor: None,
                count: 7
            }]
        );
    }
}
