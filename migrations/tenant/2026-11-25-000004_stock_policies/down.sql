DROP TABLE outbox;
DROP TABLE stock_syncs;
ALTER TABLE variants DROP COLUMN backorder_limit, DROP COLUMN low_stock_threshold;
