ALTER TABLE orders DROP COLUMN hold_until;
ALTER TABLE idempotency_keys DROP COLUMN locked_at, DROP COLUMN order_id;
ALTER TABLE orders DROP COLUMN shipping_tax;
ALTER TABLE vendor_orders DROP COLUMN shipping;
DROP TABLE order_shipping;
DROP TABLE shipping_rates;
DROP TABLE backorders;
ALTER TABLE order_lines DROP COLUMN backordered;
