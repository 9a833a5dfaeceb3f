ALTER TABLE refunds DROP COLUMN shipping;
ALTER TABLE refunds DROP COLUMN vendor_order_id;
-- The backfilled ledger entries cannot be told from later ones: they stay.
