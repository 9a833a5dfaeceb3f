DROP INDEX listings_in_stock_idx;
ALTER TABLE listings DROP COLUMN in_stock;
DROP TABLE inventory_movements;
DROP TABLE stock_levels;
DROP TABLE warehouses;
