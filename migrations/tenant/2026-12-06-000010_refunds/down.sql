DROP INDEX payments_pending_idx;
DROP TABLE refund_lines;
DROP TABLE refunds;
