DROP TABLE idempotency_keys;
DROP TABLE payments;
DROP TABLE reservations;
DROP TABLE order_events;
DROP TABLE vendor_orders;
DROP TABLE order_lines;
DROP TABLE orders;
